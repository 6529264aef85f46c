"""referrals: notified_at (a service sees a referral only once sent); coarse match distances

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 10:30:00.000000

notified_at is filled from the referral's first "notified" event. Every stored match
loses its distances to 0.1 km (three of them located the person to within ~25 m): each
becomes one of four bands. That cannot be undone, so the downgrade keeps the bands.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# As webapp.referrals.matching.DISTANCE_BANDS at the time of this revision.
BANDS = ((5, "lt5"), (25, "5-25"), (100, "25-100"))


def band(km):
    return next((name for bound, name in BANDS if km < bound), "gt100")


def coarsen(entry):
    if not isinstance(entry, dict) or "distance_km" not in entry:
        return entry
    entry = dict(entry)
    km = entry.pop("distance_km")
    if "band" not in entry and isinstance(km, (int, float)):
        entry["band"] = band(km)
    return entry


def coarse_match(match):
    match = dict(match)
    if match.get("chosen"):
        match["chosen"] = coarsen(match["chosen"])
    for key in ("alternatives", "excluded"):
        if match.get(key):
            match[key] = [coarsen(entry) for entry in match[key]]
    return match


def upgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True))

    op.execute(
        "UPDATE referrals SET notified_at = (SELECT MIN(e.at) FROM referral_events e "
        "WHERE e.referral_id = referrals.id AND e.to_state = 'notified')"
    )
    referrals = sa.table('referrals', sa.column('id', sa.Integer), sa.column('match', sa.JSON))
    conn = op.get_bind()
    rows = conn.execute(sa.select(referrals.c.id, referrals.c.match).where(referrals.c.match.is_not(None))).all()
    for referral_id, match in rows:
        if isinstance(match, dict):
            coarse = coarse_match(match)
            if coarse != match:
                conn.execute(referrals.update().where(referrals.c.id == referral_id).values(match=coarse))


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('notified_at')
