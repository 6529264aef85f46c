"""Twilio, through the official ``twilio`` REST client (the only module here importing it)."""
from __future__ import annotations

import logging

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from webapp.config import Config, ConfigError

from .base import SendError, Sent, retryable_http_status

OPTED_OUT = 21610  # the recipient sent STOP: Twilio refuses until they send START again
TIMEOUT_SECONDS = 15
# Twilio's client logs each request at INFO (URL and headers, not the body); keep it quiet.
_http_logger = logging.getLogger("sms.providers.twilio_http")
_http_logger.setLevel(logging.WARNING)


class TwilioProvider:
    name = "twilio"

    def __init__(self, config: Config):
        missing = [
            name
            for name, value in (
                ("TWILIO_ACCOUNT_SID", config.twilio_account_sid),
                ("TWILIO_AUTH_TOKEN", config.twilio_auth_token),
                ("TWILIO_FROM_NUMBER", config.twilio_from_number),
            )
            if not value
        ]
        if missing:
            raise ConfigError(f"SMS_PROVIDER=twilio needs {', '.join(missing)}")
        http_client = TwilioHttpClient(timeout=TIMEOUT_SECONDS, logger=_http_logger)
        self.client = Client(config.twilio_account_sid, config.twilio_auth_token, http_client=http_client)
        if config.twilio_api_base:
            # Tests (and a proxy, if ever needed) point the real client elsewhere.
            self.client.api.base_url = config.twilio_api_base.rstrip("/")
        self.from_number = config.twilio_from_number
        self.status_callback = f"{config.public_base_url}/sms/twilio/status"

    def send(self, to: str, body: str, message_id: int) -> Sent:
        try:
            message = self.client.messages.create(
                to=to, from_=self.from_number, body=body, status_callback=self.status_callback
            )
        except TwilioRestException as exc:
            if exc.code == OPTED_OUT:
                raise SendError(f"twilio {OPTED_OUT}: recipient opted out", retry=False) from None
            reason = f"twilio http {exc.status}" + (f" code {exc.code}" if exc.code else "")
            raise SendError(reason, retry=retryable_http_status(exc.status)) from None
        except requests.Timeout:
            raise SendError("twilio timeout", retry=True) from None
        except requests.ConnectionError:
            raise SendError("twilio connection error", retry=True) from None
        return Sent(message.sid, "queued" if message.status in ("accepted", "queued", "sending") else "sent")
