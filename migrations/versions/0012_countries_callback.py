"""services abroad (countries), hotline call-back number

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 13:20:00.000000

- services.countries: the countries abroad a consulate or embassy works in (JSON list,
  empty for a service in Cambodia); consular screenings are matched to them.
- screenings.callback_phone: a hotline caller's call-back number, encrypted, only with the
  caller's consent.
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('countries', sa.JSON(), nullable=True))
    op.execute("UPDATE services SET countries = '[]'")
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.alter_column('countries', existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('callback_phone', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.drop_column('callback_phone')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('countries')
