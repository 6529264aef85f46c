"""The outbox table: every message we send, written in the same transaction as the change
that causes it. The recipient and the body are encrypted."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.types import EncryptedText, UTCDateTime, utcnow
from webapp.extensions import db

OUTBOX_STATUSES = ("pending", "sending", "queued", "sent", "delivered", "undelivered", "failed")


class OutboxMessage(db.Model):
    """A message to send, written in the same transaction as the change that causes it and
    sent after commit by ``flask outbox run``."""

    __tablename__ = "sms_outbox"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending','sending','queued','sent','delivered','undelivered','failed')", name="status"
        ),
        Index("ix_sms_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(EncryptedText)  # E.164
    body: Mapped[str] = mapped_column(EncryptedText)
    purpose: Mapped[str] = mapped_column(String(16))  # reply / reminder / referral / ...
    status: Mapped[str] = mapped_column(String(12), default="pending")
    provider: Mapped[str | None] = mapped_column(String(16))
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A short reason (HTTP status or provider error code), never the number or the body.
    error: Mapped[str | None] = mapped_column(String(120))
    segments: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
