"""sms sessions: the "share" state (a finished screening's referral awaits consent)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00.000000

Only the CHECK constraint on sms_sessions.state changes. SQLite cannot alter a
constraint, so batch mode copies the table (it holds dialogue positions only).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OLD = "state IN ('idle','consent','asking','choosing')"
NEW = "state IN ('idle','consent','asking','choosing','share')"


def _replace_state_check(condition):
    with op.batch_alter_table('sms_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_sms_sessions_state'), type_='check')
        batch_op.create_check_constraint(op.f('ck_sms_sessions_state'), condition)


def upgrade():
    _replace_state_check(NEW)


def downgrade():
    # A session waiting at the share question goes idle: the referral stays proposed and
    # the screener can still decide on the web result page.
    op.execute("UPDATE sms_sessions SET state = 'idle', screening_id = NULL WHERE state = 'share'")
    _replace_state_check(OLD)
