"""sms simulator transcripts: the browser simulator's conversation, out of the cookie

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:07:45.602428

One encrypted row per supervisor or administrator using the simulator. Transcripts that
were in session cookies are not carried over (they are training text; the page starts
empty and drops the old cookie key).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sms_simulator_transcripts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sms_simulator_transcripts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_sms_simulator_transcripts'))
    )
    with op.batch_alter_table('sms_simulator_transcripts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_simulator_transcripts_updated_at'), ['updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sms_simulator_transcripts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_simulator_transcripts_updated_at'))

    op.drop_table('sms_simulator_transcripts')
