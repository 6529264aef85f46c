"""Development: record that a message would go out, send nothing.

Logs only the outbox id and the segment count, never the number or the text.
"""
from __future__ import annotations

import logging

from ..segments import segments
from .base import Sent

log = logging.getLogger("sms.outbox")


class LogProvider:
    name = "log"

    def send(self, to: str, body: str, message_id: int) -> Sent:
        log.info("outbox message %s: %s segment(s), not sent (SMS_PROVIDER=log)", message_id, segments(body))
        return Sent(f"log-{message_id}")
