"""encrypted city, purged_at and client_started_at, audit trail refuses TRUNCATE

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 10:00:00.000000

- screenings.city (free text abroad, may be an address) becomes encrypted text; existing
  values are encrypted here with the app's keys (ENCRYPTION_KEYS), and decrypted again on
  downgrade.
- screenings.purged_at: when purge removed the identifying fields.
- screenings.client_started_at: the offline form's own start time, kept apart from the
  server's created_at (which numbers the case).
- PostgreSQL: a statement trigger refuses TRUNCATE of audit_events (row triggers do not
  fire on TRUNCATE).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _rewrite_city(convert):
    from webapp.core import crypto  # the keys the app itself is configured with

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, city FROM screenings WHERE city IS NOT NULL")).all()
    for row_id, city in rows:
        bind.execute(sa.text("UPDATE screenings SET city = :city WHERE id = :id"),
                     {"city": convert(crypto)(city), "id": row_id})


def upgrade():
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.alter_column('city', existing_type=sa.String(length=80), type_=sa.Text(), existing_nullable=True)
        batch_op.add_column(sa.Column('client_started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))
    _rewrite_city(lambda crypto: crypto.encrypt)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
    _rewrite_city(lambda crypto: lambda stored: crypto.decrypt(stored)[:80])
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
        batch_op.drop_column('client_started_at')
        batch_op.alter_column('city', existing_type=sa.Text(), type_=sa.String(length=80), existing_nullable=True)
