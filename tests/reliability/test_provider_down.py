"""Drill e: the SMS provider down for the first 20 sends. A stand-in for Twilio's REST API
on 127.0.0.1 (the real twilio client pointed at it) answers 503 twenty times, then accepts.
The outbox worker's passes run with ``now`` moved past the backoff instead of sleeping.
Afterwards every message was accepted exactly once and, after the delivery reports, is
delivered."""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from tests.sms.conftest import sign
from tests.sms.test_outbox import StandIn, twilio_created, twilio_error
from webapp.core.types import utcnow
from webapp.extensions import db as database
from webapp.outbox import operations as outbox
from webapp.outbox.models import OutboxMessage
from webapp.outbox.providers import provider_for

pytestmark = pytest.mark.reliability

MESSAGES = 30
DOWN_FOR = 20  # sends


def queue_messages(app) -> dict[int, str]:
    with app.app_context():
        queued = {
            outbox.enqueue(f"+85512000{300 + n:03d}", f"DEMO notice {n}: case KH-BMC-2026-{n:06d}", "alert").id:
            f"DEMO notice {n}: case KH-BMC-2026-{n:06d}"
            for n in range(MESSAGES)
        }
        database.session.commit()
    return queued


def run_pass(app, provider, now, workers: int) -> list[outbox.RunResult]:
    """One pass by ``workers`` outbox workers at once (each its own session)."""
    results: list = []

    def work() -> None:
        with app.app_context():
            results.append(outbox.run_once(provider, limit=10, now=now))
            database.session.remove()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_provider_down_for_twenty_sends_then_every_message_once(channel_app, channel_client, database_url):
    queued = queue_messages(channel_app)
    sids = [f"SM{n:032x}" for n in range(1, MESSAGES + 1)]
    script = [twilio_error(503, 20503, "Service Unavailable")] * DOWN_FOR + [twilio_created(sid) for sid in sids]
    # Two workers at once on PostgreSQL (they claim with SKIP LOCKED); one on SQLite.
    workers = 2 if database_url.startswith("postgresql") else 1
    with StandIn(script) as twilio:
        config = replace(channel_app.config["APP_CONFIG"], sms_provider="twilio", twilio_api_base=twilio.url)
        provider = provider_for(config)
        start = utcnow()
        passes = []
        for minutes in range(0, 60, 5):  # a pass every 5 minutes of outbox time, for an hour
            passes.extend(run_pass(channel_app, provider, start + timedelta(minutes=minutes), workers))
        requests = list(twilio.requests)

    bodies = [parse_qs(request["raw"])["Body"][0] for request in requests]
    assert len(requests) == DOWN_FOR + MESSAGES  # 20 refused, then each message accepted once
    accepted = Counter(bodies[DOWN_FOR:])
    assert accepted == Counter(queued.values())
    assert sum(p.retrying for p in passes) == DOWN_FOR and sum(p.sent for p in passes) == MESSAGES
    assert sum(p.failed for p in passes) == 0
    with channel_app.app_context():
        rows = database.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        by_sid = {row.provider_id: row.id for row in rows}
        assert sorted(by_sid) == sorted(sids)  # every acceptance recorded, on its own message
        assert Counter(row.attempts for row in rows) == {1: MESSAGES - DOWN_FOR, 2: DOWN_FOR}
        assert {row.status for row in rows} == {"queued"}
        database.session.remove()

    # Twilio's delivery reports (each sent twice, as Twilio may): every message delivered.
    for sid in sids * 2:
        data = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
        response = channel_client.post("/sms/twilio/status", data=data,
                                       headers={"X-Twilio-Signature": sign("/sms/twilio/status", data)})
        assert response.status_code == 204
    with channel_app.app_context():
        assert outbox.counts() == {"delivered": MESSAGES}
        database.session.remove()
    print(f"\ndrill e: {len(requests)} provider requests ({DOWN_FOR} refused with 503, {MESSAGES} accepted), "
          f"{MESSAGES} messages delivered once each, {workers} worker(s)")
