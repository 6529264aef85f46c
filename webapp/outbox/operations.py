"""The outbox: every message we send is written here in the same transaction as the change
that causes it, and sent after commit by a worker (``flask --app wsgi outbox run``).

So a rolled-back change never sends a message, and a committed one is never lost: the
worker retries on 429, 5xx and timeouts after about 5, 10 and 15 minutes, then marks the
message ``failed`` (visible with ``flask outbox status``). An opted-out number (Twilio
21610) or a refused request fails at once. Several workers may run: each claims messages
with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL) and a compare-and-set on the status (every
database), and a message whose worker died mid-send is claimed again after a lease.
Delivery is therefore at least once; a crash between the provider's acceptance and our
commit is the only way to send twice (the HTTP gateway gets our id to drop such a copy).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update

from webapp.core import phones
from webapp.core.types import utcnow
from webapp.extensions import db

from .models import OutboxMessage
from .providers import Provider, SendError
from .segments import segments

BACKOFF = (timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=15))
LEASE = timedelta(minutes=5)
FINAL = ("delivered", "undelivered", "failed")
# How far along a message is; a late or repeated status callback never moves it back.
RANK = {"pending": 0, "sending": 0, "queued": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3}
# Twilio's message statuses, in ours.
PROVIDER_STATUS = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
}

log = logging.getLogger("sms.outbox")


def enqueue(to_e164: str, body: str, purpose: str, *, now: datetime | None = None) -> OutboxMessage:
    """Queue ``body`` for ``to_e164``, in the caller's transaction (it is sent after commit).

    For every feature that texts staff or services (reminders, referral notifications).
    """
    recipient = phones.normalise(to_e164)
    message = OutboxMessage(
        recipient=recipient,
        body=body,
        purpose=purpose[:16],
        status="pending",
        attempts=0,
        next_attempt_at=now or utcnow(),
        segments=segments(body),
    )
    db.session.add(message)
    db.session.flush()
    return message


def claim(limit: int, now: datetime) -> list[int]:
    """Mark up to ``limit`` due messages ``sending`` for this worker; commits."""
    due = or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at <= now - LEASE),
    )
    candidates = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.claimed_at)
        .where(due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for message_id, status, claimed_at in candidates:
        changed = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == status,
                OutboxMessage.claimed_at.is_(None) if claimed_at is None else OutboxMessage.claimed_at == claimed_at,
            )
            .values(status="sending", claimed_at=now)
        ).rowcount
        if changed == 1:
            claimed.append(message_id)
    db.session.commit()
    return claimed


def deliver(message_id: int, provider: Provider, now: datetime) -> str:
    """Send one claimed message and record the outcome; commits. Returns the new status."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != "sending":
        db.session.rollback()
        return "skipped"
    recipient, body = message.recipient, message.body
    db.session.rollback()  # hold no transaction while talking to the provider
    try:
        sent = provider.send(recipient, body, message_id)
    except SendError as error:
        return _record_failure(message_id, provider.name, error, now)
    message = db.session.get(OutboxMessage, message_id)
    message.attempts += 1
    message.status = sent.status
    message.provider = provider.name
    message.provider_id = sent.provider_id
    message.sent_at = now
    message.claimed_at = None
    message.error = None
    db.session.commit()
    return sent.status


def _record_failure(message_id: int, provider_name: str, error: SendError, now: datetime) -> str:
    message = db.session.get(OutboxMessage, message_id)
    message.attempts += 1
    message.provider = provider_name
    message.error = error.reason
    message.claimed_at = None
    if error.retry and message.attempts <= len(BACKOFF):
        message.status = "pending"
        message.next_attempt_at = now + BACKOFF[message.attempts - 1]
    else:
        message.status = "failed"
        log.warning("outbox message %s failed after %s attempt(s): %s", message_id, message.attempts, error.reason)
    db.session.commit()
    return message.status


@dataclass
class RunResult:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def run_once(provider: Provider, *, limit: int = 50, now: datetime | None = None) -> RunResult:
    """One pass: claim the due messages and send them."""
    now = now or utcnow()
    result = RunResult()
    for message_id in claim(limit, now):
        result.claimed += 1
        status = deliver(message_id, provider, now)
        if status == "pending":
            result.retrying += 1
        elif status == "failed":
            result.failed += 1
        elif status != "skipped":
            result.sent += 1
    return result


def run_forever(provider: Provider, *, interval: float = 5.0, tick=None) -> None:  # pragma: no cover - a loop
    """The worker: a pass (and the ``tick``: reminders, expiry) every ``interval`` seconds."""
    while True:
        try:
            if tick is not None:
                tick()
            result = run_once(provider)
        except Exception:  # a broken pass must not stop the worker; the next one retries
            db.session.rollback()
            log.exception("outbox pass failed")
            result = RunResult()
        if result.claimed == 0:
            time.sleep(interval)


def record_status(provider_id: str | None, provider_status: str | None, error_code: str | None = None) -> bool:
    """A delivery report: move the message forward (never back). False if not ours."""
    status = PROVIDER_STATUS.get((provider_status or "").lower())
    if not provider_id or status is None:
        return False
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.provider_id == provider_id).with_for_update()
    ).first()
    if message is None:
        return False
    if message.status in FINAL or RANK[status] <= RANK[message.status]:
        return True
    message.status = status
    if error_code:
        message.error = f"provider error {error_code}"[:120]
    db.session.flush()
    return True


def retry(message_id: int, now: datetime | None = None) -> bool:
    """Send a failed message again (after fixing the cause)."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != "failed":
        return False
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = now or utcnow()
    message.error = None
    db.session.flush()
    return True


def counts() -> dict[str, int]:
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return dict(rows)


def failed(limit: int = 20) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == "failed").order_by(OutboxMessage.id.desc()).limit(limit)
        )
    )


def forget_sent(before: datetime) -> int:
    """Remove the messages done with (sent, delivered or failed) last changed before
    ``before`` (retention: ``flask purge --session-days``). Returns how many."""
    return db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.status.in_(("delivered", "sent", "failed", "undelivered")),
        OutboxMessage.updated_at < before)).rowcount
