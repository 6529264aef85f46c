"""Provider adapters: each turns "send this text to this number" into one provider call.

The outbox knows only :class:`Provider`, :class:`Sent` and :class:`SendError`; only the
Twilio adapter imports the Twilio SDK. ``SendError.retry`` says whether trying again later
may help (429, 5xx, timeouts) or not (an opted-out number, a refused request).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from webapp.config import Config


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


def provider_for(config: Config) -> Provider:
    """The adapter named by SMS_PROVIDER (twilio, http or log). Imported lazily: only the
    chosen adapter's SDK (Twilio's is large) is loaded."""
    if config.sms_provider == "twilio":
        from .twilio_rest import TwilioProvider

        return TwilioProvider(config)
    if config.sms_provider == "http":
        from .http_gateway import HttpGatewayProvider

        return HttpGatewayProvider(config)
    if config.sms_provider == "log":
        from .log import LogProvider

        return LogProvider()
    raise ValueError(f"SMS_PROVIDER must be twilio, http or log, not {config.sms_provider!r}")
