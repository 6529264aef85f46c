"""recordings: recorded audio of the person-facing texts, per language, with review status

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 13:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'recordings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lang', sa.String(length=16), nullable=False),
        sa.Column('text_key', sa.String(length=80), nullable=False),
        sa.Column('mimetype', sa.String(length=40), nullable=False),
        sa.Column('audio', sa.LargeBinary(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('text_digest', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('draft','reviewed')", name=op.f('ck_recordings_status')),
        sa.CheckConstraint('size > 0', name=op.f('ck_recordings_size')),
        sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_recordings_reviewed_by_id_users')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_recordings_uploaded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings')),
        sa.UniqueConstraint('lang', 'text_key', name='uq_recordings_lang_text_key'),
    )


def downgrade():
    op.drop_table('recordings')
