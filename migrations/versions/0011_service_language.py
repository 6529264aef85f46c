"""services.language: the language of the referral texts a service's phone receives

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 13:10:00.000000

Khmer (``km``) for every existing service, as the default; ``en`` when the service asks for
English (admin form, directory CSV column ``language``).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=2), server_default='km', nullable=False))
        batch_op.create_check_constraint(op.f('ck_services_language'), "language IN ('km','en')")


def downgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_services_language'), type_='check')
        batch_op.drop_column('language')
