"""Drill d: PostgreSQL restarted in the middle of a run.

A cluster of the drill's own (initdb/pg_ctl, a free port, a temporary directory: the
machine's server is never touched) serves the app under gunicorn and the outbox worker
(``flask outbox run``, its own process, sending through a stand-in HTTP gateway). While
phones are in the middle of their screenings and the worker in the middle of its queue,
the database is stopped (fast: open transactions are cut), left down a second, and
started again. Requests in that window may fail with a 5xx; the gateway sends them again
(same MessageSid). Afterwards every count is exact: every answer once, every screening
complete, every outbox message delivered once (the gateway drops a copy by its id, which
is what the id is for: the one message in flight when the database went away may be sent
again after its lease).
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.reliability.conftest import channel_config, gateway_for, staff_phone
from tests.reliability.counts import actual_counts, expected_counts, mismatches, statuses
from tests.reliability.harness import (
    ROOT,
    Gunicorn,
    PostgresUnavailable,
    ThrowawayPostgres,
    app_environment,
    run_phones,
    screen_by_sms,
    vignettes,
)
from tests.sms.conftest import make_staff
from tests.sms.test_outbox import StandIn
from webapp import create_app
from webapp.core.types import utcnow
from webapp.extensions import db
from webapp.outbox import operations as outbox
from webapp.outbox.models import OutboxMessage
from webapp.outbox.providers import provider_for

pytestmark = pytest.mark.reliability

PHONES = 12
MESSAGES = 30  # queued for the outbox worker, due one after another across the run
GATEWAY_TOKEN = "drill-gateway-token"
GRACE = 2.0  # seconds after the restart in which a request begun in the window may still fail


@pytest.fixture
def cluster():
    try:
        with ThrowawayPostgres() as server:
            yield server
    except PostgresUnavailable as reason:
        pytest.skip(f"no throwaway PostgreSQL cluster: {reason}")


@pytest.fixture
def cluster_app(cluster):
    from flask_migrate import upgrade

    app = create_app(channel_config(cluster.url))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def queue_messages(app) -> list[int]:
    """Texts other features queue (referral notices, alerts), due 0.1 s apart."""
    start = utcnow()
    with app.app_context():
        ids = [
            outbox.enqueue(f"+85512000{200 + n:03d}", f"DEMO notice {n} for KH-BMC-2026-{n:06d}", "alert",
                           now=start + timedelta(seconds=0.1 * n)).id
            for n in range(MESSAGES)
        ]
        db.session.commit()
    return ids


def test_database_restart_mid_run_loses_and_doubles_nothing(cluster, cluster_app, tmp_path):
    numbers = [staff_phone(i) for i in range(PHONES)]
    for i, number in enumerate(numbers):
        make_staff(cluster_app, number, username=f"drill.{i:03d}")
    message_ids = queue_messages(cluster_app)
    config = cluster_app.config["APP_CONFIG"]
    cases = vignettes()
    script = [(200, {"id": f"relay-{n}"}) for n in range(MESSAGES * 3)]

    with StandIn(script) as sms_gateway, Gunicorn(app_environment(config), workers=2, log_dir=tmp_path / "web") as web:
        worker_env = app_environment(config, SMS_PROVIDER="http", SMS_GATEWAY_URL=sms_gateway.url + "/send",
                                     SMS_GATEWAY_TOKEN=GATEWAY_TOKEN)
        with open(tmp_path / "outbox.log", "wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "run", "--interval", "0.1"],
                cwd=ROOT, env=worker_env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
            try:
                gateway = gateway_for(web.url)
                delivered = []
                lock = threading.Lock()
                busy = threading.Event()
                window: list[float] = []

                def counted(delivery) -> None:
                    with lock:
                        delivered.append(delivery)
                        if len(delivered) >= PHONES * 6:
                            busy.set()

                def restarter() -> None:
                    if busy.wait(timeout=60):
                        window.extend(cluster.restart(down_seconds=1.0))

                thread = threading.Thread(target=restarter, daemon=True)
                thread.start()
                runs = run_phones(PHONES, lambda i: screen_by_sms(gateway, numbers[i], cases[i % len(cases)],
                                                                 on_delivery=counted), timeout=300)
                thread.join(timeout=60)
                worker_alive = worker.poll() is None
            finally:
                worker.send_signal(signal.SIGINT)
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait(timeout=10)

        # After recovery: whatever the worker left (a message whose send outlived the
        # database), a pass after the lease sends it.
        later = utcnow() + outbox.LEASE + timedelta(minutes=1)
        provider = provider_for(replace(config, sms_provider="http", sms_gateway_url=sms_gateway.url + "/send",
                                        sms_gateway_token=GATEWAY_TOKEN))
        with cluster_app.app_context():
            for _ in range(5):
                if outbox.run_once(provider, now=later).claimed == 0:
                    break
            final = {m.id: m.status for m in db.session.scalars(select(OutboxMessage))}
            db.session.remove()
        received = [json.loads(request["raw"])["id"] for request in sms_gateway.requests]

    assert len(window) == 2, "the database was not restarted"
    began, ended = window
    assert worker_alive, f"the outbox worker died:\n{(tmp_path / 'outbox.log').read_text()[-3000:]}"
    assert None not in runs, "a phone did not finish in time"
    assert [run.error for run in runs if run.error] == []
    failed = [a for run in runs for d in run.deliveries for a in d.attempts if a.status != 200]
    outside = [a for a in failed if a.ended < began or a.started > ended + GRACE]
    assert outside == [], f"failures outside the restart window: {outside}"
    assert failed, "no request met the restart"  # the drill hit requests in flight
    assert set(statuses(runs)) <= {0, 200, 500, 503}
    # Every screening exact; the outbox holds exactly the queued messages, each sent.
    assert mismatches(cluster_app, runs) == []
    assert actual_counts(cluster_app) == dict(expected_counts(runs), sms_outbox=MESSAGES)
    assert final == dict.fromkeys(message_ids, "sent")
    assert sorted(set(received), key=int) == [str(message_id) for message_id in message_ids]
    duplicates = len(received) - len(set(received))
    assert duplicates <= 1  # only the message in flight at the restart can go out twice
    worker_failures = (tmp_path / "outbox.log").read_text(errors="replace").count("outbox pass failed")
    print(f"\ndrill d: {PHONES} screenings, attempts by status {dict(statuses(runs))}, {len(failed)} failed in "
          f"the {ended - began:.1f} s window and retried; outbox {MESSAGES} sent ({len(received)} requests, "
          f"{duplicates} copy dropped by id), {worker_failures} worker pass(es) failed in the window")
