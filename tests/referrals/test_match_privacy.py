"""A referral's stored match cannot locate the person (security finding 5): the distances to
the services (plaintext, next to the services' plaintext coordinates) are kept only as coarse
bands, old rows are coarsened by the migration, and an ended referral's match can be
de-identified altogether."""
from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from tests.referrals.test_flow import screen, setup_directory, share
from tests.test_screening_api import payload, post, token
from tests.web import csrf
from webapp.referrals.models import Referral, ReferralEvent

BANDS = {"lt5", "5-25", "25-100", "gt100"}  # under 5 km, 5-25, 25-100, over 100 km


def entries(match: dict) -> list[dict]:
    return [e for e in [match.get("chosen"), *match.get("alternatives", []), *match.get("excluded", [])] if e]


def numbers_in(value) -> list[float]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_in(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers_in(v)]
    return [value] if isinstance(value, float) else []


def stored_matches(db) -> list[dict]:
    table = sa.table("referrals", sa.column("id", sa.Integer), sa.column("match", sa.JSON))
    return [m for m in db.session.execute(select(table.c.match).order_by(table.c.id)).scalars() if m]


def test_stored_match_keeps_only_distance_bands(app, client, db):
    setup_directory(app)
    screen(app, client)  # from the Poipet crossing
    gps = payload("e01", context={"kind": "gps", "lat": 13.66120, "lon": 102.55230})
    assert post(client, gps, token(client)).status_code == 201
    matches = stored_matches(db)
    assert matches and all(entries(m) for m in matches)
    for match in matches:
        assert numbers_in(match) == []  # no distance, no coordinate: nothing to trilaterate with
        assert all(entry["band"] in BANDS and "distance_km" not in entry for entry in entries(match))


def test_screener_sees_the_distance_band(app, client, db):
    setup_directory(app)
    result = screen(app, client)
    client.post("/language", data={"lang": "en", "csrf_token": csrf(client.get(result["result_url"]).get_data(as_text=True))})
    page = client.get(result["result_url"]).get_data(as_text=True)
    assert "less than 5 km away" in page  # Poipet transit centre, a few hundred metres from the crossing


def test_migration_coarsens_old_distances_and_fills_notified_at(app, client, db):
    setup_directory(app)
    result = screen(app, client)
    share(client, result)
    post(client, payload("e06"), token(client))  # possible victim: proposed, waits for a supervisor
    table = sa.table("referrals", sa.column("id", sa.Integer), sa.column("match", sa.JSON))
    downgrade(revision="0005")
    old = {"need": "shelter", "nationwide": False,
           "chosen": {"id": 1, "name": "DEMO A", "distance_km": 1.9, "places": 3},
           "alternatives": [{"id": 4, "name": "DEMO B", "distance_km": 93.8, "places": None}],
           "excluded": [{"id": 8, "name": "DEMO C", "distance_km": 45.8, "places": 0, "reason": "full"}]}
    db.session.execute(table.update().values(match=old))
    db.session.commit()
    upgrade()
    db.session.expire_all()
    for match in stored_matches(db):
        assert numbers_in(match) == []
        assert [(e["id"], e["band"]) for e in entries(match)] == [(1, "lt5"), (4, "25-100"), (8, "25-100")]
        assert match["excluded"][0]["reason"] == "full"
    first_notified = {e.referral_id: e.at for e in db.session.scalars(
        select(ReferralEvent).where(ReferralEvent.to_state == "notified").order_by(ReferralEvent.id.desc()))}
    referrals = db.session.scalars(select(Referral)).all()
    assert any(r.notified_at is None for r in referrals)
    assert first_notified and {r.id: r.notified_at for r in referrals if r.notified_at} == first_notified
