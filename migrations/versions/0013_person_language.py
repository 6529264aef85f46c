"""screenings.person_language: the language of the person's texts (issue 16)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 13:15:00.000000

The screener's interface keeps the screener's language (``language``); the person may
read or hear the questionnaire in another one it declares (vi, th, zh-Hans, id, ...).
Screenings from before stay NULL (unknown).
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_language', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.drop_column('person_language')
