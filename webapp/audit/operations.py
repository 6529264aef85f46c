"""Recording to the audit trail. Part of the caller's transaction: what is not committed
was not done, so it is not recorded either."""
from __future__ import annotations

from typing import Any

from ..extensions import db
from .models import AuditEvent


def record(action: str, *, user=None, object_type: str | None = None, object_id: Any = None,
           detail: dict[str, Any] | None = None, subject_hash: str | None = None, count: int | None = None) -> None:
    db.session.add(AuditEvent(
        user_id=getattr(user, "id", None), role=getattr(user, "role", None), action=action,
        object_type=object_type, object_id=str(object_id) if object_id is not None else None,
        detail=detail, subject_hash=subject_hash, count=count,
    ))
