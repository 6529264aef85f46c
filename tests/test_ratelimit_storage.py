"""The in-process rate-limit storage counts as limits' own does, without a thread per hit."""
import threading
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

import webapp.extensions  # noqa: F401  (registers the storage for memory://)
from webapp.core.ratelimit import SweptMemoryStorage


def test_memory_uri_counts_and_forgets_like_limits():
    storage = storage_from_string("memory://")
    assert isinstance(storage, SweptMemoryStorage)
    for strategy in (FixedWindowRateLimiter(storage), MovingWindowRateLimiter(storage)):
        limit = parse("3 per second")
        key = type(strategy).__name__
        assert [strategy.hit(limit, key) for _ in range(5)] == [True, True, True, False, False]
        assert strategy.hit(limit, "another key")  # keys are counted apart
        time.sleep(1.05)
        assert strategy.hit(limit, key)  # the window has passed


def test_many_hits_start_at_most_one_sweeper():
    storage = storage_from_string("memory://")
    limiter = FixedWindowRateLimiter(storage)
    started = []
    original = threading.Thread.start

    def counting_start(self):
        started.append(self)
        return original(self)

    threading.Thread.start = counting_start
    try:
        for i in range(200):
            limiter.hit(parse("1000 per minute"), f"phone:{i % 7}")
            time.sleep(0.0005)
    finally:
        threading.Thread.start = original
    assert len(started) <= 1
