"""A generic HTTP JSON gateway: a local aggregator or an Android phone relaying SMS.

``POST SMS_GATEWAY_URL`` with ``{"to": "+855...", "body": "...", "id": "<outbox id>"}`` and
``Authorization: Bearer SMS_GATEWAY_TOKEN``. The id lets the gateway drop a duplicate if
a worker died after sending and the message is tried again. Any 2xx is success; the
gateway may return ``{"id": "..."}``.
"""
from __future__ import annotations

import requests

from webapp.config import Config, ConfigError

from .base import SendError, Sent, retryable_http_status

TIMEOUT_SECONDS = 15


class HttpGatewayProvider:
    name = "http"

    def __init__(self, config: Config):
        if not config.sms_gateway_url or not config.sms_gateway_token:
            raise ConfigError("SMS_PROVIDER=http needs SMS_GATEWAY_URL and SMS_GATEWAY_TOKEN")
        self.url = config.sms_gateway_url
        self.token = config.sms_gateway_token
        self.session = requests.Session()

    def send(self, to: str, body: str, message_id: int) -> Sent:
        try:
            response = self.session.post(
                self.url,
                json={"to": to, "body": body, "id": str(message_id)},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=TIMEOUT_SECONDS,
            )
        except requests.Timeout:
            raise SendError("gateway timeout", retry=True) from None
        except requests.ConnectionError:
            raise SendError("gateway connection error", retry=True) from None
        if response.status_code >= 300:
            raise SendError(f"gateway http {response.status_code}", retry=retryable_http_status(response.status_code))
        return Sent(str(_gateway_id(response) or f"http-{message_id}")[:64])


def _gateway_id(response: requests.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data.get("id") if isinstance(data, dict) else None
