"""The rate limits' in-process storage (``RATELIMIT_STORAGE_URI=memory://``, the default).

``limits``' own memory storage starts a timer thread on almost every hit (it sweeps
expired counters 10 ms after a hit, and the thread has ended by the next one): a thread
start per webhook request was a twentieth of an SMS message's cost. This one counts
exactly the same (expired counters are still dropped when read), and sweeps the rest at
most once a second. Importing this module makes ``memory://`` mean this storage.
"""
from __future__ import annotations

import threading
import time
from typing import ClassVar

from limits.storage import MemoryStorage

SWEEP_EVERY = 1.0  # seconds between sweeps of expired counters


class SweptMemoryStorage(MemoryStorage):
    STORAGE_SCHEME: ClassVar[list[str]] = ["memory"]  # replaces limits' class for this scheme

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        self._next_sweep = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    # MemoryStorage.incr/decr/acquire_entry call self.__schedule_expiry() (name-mangled).
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep or self.timer.is_alive():
            return
        self._next_sweep = now + SWEEP_EVERY
        self.timer = threading.Timer(SWEEP_EVERY, self._MemoryStorage__expire_events)
        self.timer.daemon = True
        self.timer.start()
