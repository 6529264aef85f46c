"""The browser simulator's transcript, one per supervisor or administrator, kept in the
database (encrypted) rather than in the readable session cookie. The caller commits."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import delete

from webapp.core.types import utcnow
from webapp.extensions import db

from .models import SimulatorTranscript

KEEP_LINES = 40
# A training conversation left for a day is not coming back; its text should not stay.
KEEP_IDLE = timedelta(days=1)


def empty() -> dict:
    return {"channel": "sms", "lines": [], "ussd": None, "inputs": []}


def load(user_id: int) -> dict:
    row = db.session.get(SimulatorTranscript, user_id)
    return json.loads(row.state) if row is not None else empty()


def save(user_id: int, state: dict) -> None:
    state = {**state, "lines": state["lines"][-KEEP_LINES:]}
    row = db.session.get(SimulatorTranscript, user_id)
    if row is None:
        row = SimulatorTranscript(user_id=user_id)
        db.session.add(row)
    row.state = json.dumps(state, ensure_ascii=False)
    row.updated_at = utcnow()
    db.session.flush()


def clear(user_id: int) -> None:
    db.session.execute(delete(SimulatorTranscript).where(SimulatorTranscript.user_id == user_id))


def forget_idle(now: datetime | None = None) -> int:
    """Drop transcripts nobody has touched for a day."""
    now = now or utcnow()
    result = db.session.execute(delete(SimulatorTranscript).where(SimulatorTranscript.updated_at < now - KEEP_IDLE))
    return result.rowcount or 0
