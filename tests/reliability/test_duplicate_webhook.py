"""Drill a: the same signed webhook delivered 1,000 times (a gateway stuck retrying): the
answer is recorded once, and every copy gets the very same reply."""
from __future__ import annotations

import threading
from collections import Counter

import pytest

from tests.conftest import serving
from tests.reliability.conftest import gateway_for
from tests.reliability.counts import actual_counts, expected_counts, mismatches
from tests.reliability.harness import screen_by_sms, vignettes
from tests.sms.conftest import twiml_messages

pytestmark = pytest.mark.reliability

COPIES = 1000
SEQUENTIAL = 600  # through the test client, one after another
THREADS = 4  # the other 400 through a live server, four at a time


@pytest.fixture
def live_server(channel_app):
    with serving(channel_app) as url:
        yield url


def test_one_answer_delivered_a_thousand_times_counts_once(channel_app, channel_client, make_phones, live_server):
    (phone,) = make_phones(1)
    gateway = gateway_for(live_server, retries=0)
    replies: list[tuple[int, tuple[str, ...]]] = []
    changes: dict[str, int] = {}
    delivered = []

    def deliver_again(delivery) -> None:
        """The third message (SCREEN, consent, the first answer) is delivered 999 more times."""
        delivered.append(delivery.sid)
        if len(delivered) != 3:
            return
        before = actual_counts(channel_app)
        replies.append((delivery.status, tuple(delivery.texts)))
        for _ in range(SEQUENTIAL - 1):
            response = channel_client.post("/sms/twilio", data=delivery.data, headers=delivery.headers)
            replies.append((response.status_code, tuple(twiml_messages(response))))
        lock = threading.Lock()

        def sender(copies: int) -> None:
            for _ in range(copies):
                copy = gateway.deliver(delivery.data, delivery.headers)
                with lock:
                    replies.append((copy.status, tuple(copy.texts)))

        threads = [threading.Thread(target=sender, args=((COPIES - SEQUENTIAL) // THREADS,)) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        after = actual_counts(channel_app)
        changes.update({table: after[table] - before[table] for table in after if after[table] != before[table]})

    run = screen_by_sms(gateway, phone, vignettes()[0], on_delivery=deliver_again)

    assert run.error is None, run.error
    assert len(replies) == COPIES
    first = replies[0]
    assert first[0] == 200 and first[1]
    assert Counter(replies) == Counter({first: COPIES})  # the same reply every time
    assert changes == {}  # the 999 copies changed nothing at all
    # The whole screening: every answer once, one row per message handled, nothing sent.
    assert mismatches(channel_app, [run]) == []
    assert actual_counts(channel_app) == expected_counts([run])
    print(f"\ndrill a: {COPIES} copies, {len(set(replies))} distinct reply, 0 rows changed by the 999 repeats; "
          f"screening complete with {len(run.answers) + 1} answers from {len(run.deliveries)} messages")
