"""sms sessions: the group of questions asked together, and the "record" state

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 13:30:00.000000

``group_codes``: the codes of the questions the last message asked together (one reply
answers them all). State ``record``: after the result, the questions kept "for the record"
are offered. SQLite cannot alter a constraint, so batch mode copies the table (it holds
dialogue positions only).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OLD = "state IN ('idle','consent','asking','choosing','share')"
NEW = "state IN ('idle','consent','asking','choosing','share','record')"


def upgrade():
    with op.batch_alter_table('sms_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_codes', sa.JSON(), nullable=True))
        batch_op.drop_constraint(op.f('ck_sms_sessions_state'), type_='check')
        batch_op.create_check_constraint(op.f('ck_sms_sessions_state'), NEW)


def downgrade():
    # A session offering questions for the record goes idle: the screening is complete.
    op.execute("UPDATE sms_sessions SET state = 'idle', screening_id = NULL WHERE state = 'record'")
    with op.batch_alter_table('sms_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_sms_sessions_state'), type_='check')
        batch_op.create_check_constraint(op.f('ck_sms_sessions_state'), OLD)
        batch_op.drop_column('group_codes')
