"""Drill c: a gunicorn worker killed with SIGKILL in the middle of screenings. The requests
it was serving break off; the gateway sends them again (same MessageSid) and another
worker answers. Afterwards every answer is stored exactly once and every screening ends."""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from tests.reliability.conftest import gateway_for
from tests.reliability.counts import actual_counts, expected_counts, mismatches, statuses
from tests.reliability.harness import run_phones, screen_by_sms, vignettes

pytestmark = pytest.mark.reliability

PHONES = 16
WORKERS = 3
MAX_KILLS = 4


def test_sigkill_of_a_worker_mid_screening_loses_and_doubles_nothing(postgres_only, channel_app, make_phones, gunicorn):
    numbers = make_phones(PHONES)
    server = gunicorn(workers=WORKERS)
    gateway = gateway_for(server.url)
    cases = vignettes()
    delivered = []
    lock = threading.Lock()
    busy = threading.Event()

    def counted(delivery) -> None:
        with lock:
            delivered.append(delivery)
            if len(delivered) >= PHONES * 4:  # every phone is well into its screening
                busy.set()

    killed: list[int] = []

    def killer() -> None:
        """Kill a busy worker; again (at most MAX_KILLS) until a request was cut off."""
        if not busy.wait(timeout=60):
            return
        for _ in range(MAX_KILLS):
            pids = server.worker_pids()
            if not pids:
                break
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])
            time.sleep(0.3)
            if any(attempt.status == 0 for attempt in list(gateway.attempts)):
                break
            server.wait_for_workers(WORKERS, timeout=20)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    runs = run_phones(PHONES, lambda i: screen_by_sms(gateway, numbers[i], cases[i % len(cases)], on_delivery=counted),
                      timeout=300)
    thread.join(timeout=30)

    assert killed, "no worker was killed"
    assert None not in runs, "a phone did not finish in time"
    assert [run.error for run in runs if run.error] == []
    seen = statuses(runs)
    assert seen[0] >= 1, f"no request was cut off by the kill: {seen}"  # the drill hit a request
    assert set(seen) == {0, 200}  # a broken connection, then the retry answered; never a 5xx
    assert mismatches(channel_app, runs) == []
    assert actual_counts(channel_app) == expected_counts(runs)
    assert server.wait_for_workers(WORKERS, timeout=20)  # the arbiter replaced the dead worker
    assert not set(killed) & set(server.worker_pids())
    counts = actual_counts(channel_app)
    print(f"\ndrill c: {len(killed)} worker(s) killed, attempts by status {dict(seen)} (0 = cut off, then retried); "
          f"{counts['sms_inbound']} messages handled once, {counts['screenings']} screenings complete, "
          f"{counts['answers']} answers, outbox {counts['sms_outbox']}")
