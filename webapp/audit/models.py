"""The audit trail: who saw or changed what, when. Append-only."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..core.types import UTCDateTime, utcnow
from ..extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(40), index=True)  # view / export / change / login / ...
    object_type: Mapped[str | None] = mapped_column(String(24))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Codes and counts only: never a name, phone number, answer or free text.
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Filled for failed log-ins only: which account was tried, by keyed hash.
    subject_hash: Mapped[str | None] = mapped_column(String(64))
    count: Mapped[int | None] = mapped_column(Integer)


class AuditImmutable(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):
    raise AuditImmutable("audit records cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AuditImmutable("audit records cannot be deleted")
