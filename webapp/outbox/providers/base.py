"""What every provider adapter shares with the outbox: the result of a send, the error
that says whether to retry, and the adapter's protocol. Apart from the package so the
adapters import it without importing the package that chooses among them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Sent:
    provider_id: str
    status: str = "sent"  # "queued" when the provider will report delivery later


class SendError(Exception):
    def __init__(self, reason: str, *, retry: bool):
        super().__init__(reason)
        self.reason = reason[:120]
        self.retry = retry


class Provider(Protocol):
    name: str

    def send(self, to: str, body: str, message_id: int) -> Sent: ...


def retryable_http_status(status: int) -> bool:
    return status == 429 or status >= 500
