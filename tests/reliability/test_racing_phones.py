"""Drill b: 50 staff phones each complete a screening at the same moment, against the app
under gunicorn (several workers) on PostgreSQL: nothing lost, nothing doubled, no 5xx."""
from __future__ import annotations

import pytest

from tests.reliability.conftest import gateway_for
from tests.reliability.counts import actual_counts, expected_counts, mismatches, statuses
from tests.reliability.harness import run_phones, screen_by_sms, vignettes

pytestmark = pytest.mark.reliability

PHONES = 50


def test_fifty_phones_screening_at_once(postgres_only, channel_app, make_phones, gunicorn):
    numbers = make_phones(PHONES)
    server = gunicorn(workers=3)
    gateway = gateway_for(server.url)
    cases = vignettes()

    runs = run_phones(PHONES, lambda i: screen_by_sms(gateway, numbers[i], cases[i % len(cases)]), timeout=300)

    assert None not in runs, "a phone did not finish in time"
    assert [run.error for run in runs if run.error] == []
    assert statuses(runs) == {200: sum(len(run.deliveries) for run in runs)}  # no retry was needed
    assert len({run.case_number for run in runs}) == PHONES
    assert mismatches(channel_app, runs) == []
    assert actual_counts(channel_app) == expected_counts(runs)
    assert '"ERROR"' not in server.errors()
    counts = actual_counts(channel_app)
    print(f"\ndrill b: {PHONES} phones, {counts['sms_inbound']} messages all 200 at the first attempt, "
          f"{counts['screenings']} screenings complete, {counts['answers']} answers, outbox {counts['sms_outbox']}")
