"""Supervisor reviews and requests for more information."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import EncryptedText, UTCDateTime, utcnow
from ..extensions import db


class Review(db.Model):
    """A supervisor's confirmation or override; the engine's result is never overwritten."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("action IN ('confirm','override')", name="action"),
        CheckConstraint("length(reason) > 0", name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(8))
    engine_tier: Mapped[str] = mapped_column(String(20))  # what the engine said when reviewed
    tier: Mapped[str] = mapped_column(String(20))  # the tier the supervisor decided
    reason: Mapped[str] = mapped_column(EncryptedText)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reviewer = relationship("User")


class InfoRequest(db.Model):
    """A supervisor asks the screener for more information about a screening."""

    __tablename__ = "info_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(EncryptedText)
    answer: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requester = relationship("User")
    screening = relationship("Screening")
