"""Provider adapters: each turns "send this text to this number" into one provider call.

The outbox knows only :class:`Provider`, :class:`Sent` and :class:`SendError`; only the
Twilio adapter imports the Twilio SDK. ``SendError.retry`` says whether trying again later
may help (429, 5xx, timeouts) or not (an opted-out number, a refused request).
"""
from __future__ import annotations

from webapp.config import Config

from .base import Provider, SendError, Sent, retryable_http_status

__all__ = ["Provider", "SendError", "Sent", "provider_for", "retryable_http_status"]


def provider_for(config: Config) -> Provider:
    """The adapter named by SMS_PROVIDER (twilio, http or log). Imported lazily: only the
    chosen adapter's SDK (Twilio's is large) is loaded."""
    if config.sms_provider == "twilio":
        from .twilio_rest import TwilioProvider  # noqa: PLC0415 - lazy, see above

        return TwilioProvider(config)
    if config.sms_provider == "http":
        from .http_gateway import HttpGatewayProvider  # noqa: PLC0415 - lazy, see above

        return HttpGatewayProvider(config)
    if config.sms_provider == "log":
        from .log import LogProvider  # noqa: PLC0415 - lazy, see above

        return LogProvider()
    raise ValueError(f"SMS_PROVIDER must be twilio, http or log, not {config.sms_provider!r}")
