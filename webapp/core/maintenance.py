"""Key rotation and retention: the two jobs that keep stored data safe over time."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Text, delete, select, type_coerce, update

from ..extensions import db
from . import crypto
from .types import EncryptedText, utcnow


def encrypted_columns():
    """Every (table, column) stored with EncryptedText, found from the models themselves."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                yield table, column


def rotate_keys(batch: int = 500) -> dict[str, int]:
    """Re-encrypt every value not under the current key. Returns rows changed per column."""
    current = crypto.current_key_id()
    changed: dict[str, int] = {}
    for table, column in encrypted_columns():
        raw = type_coerce(column, Text)
        key = next(iter(table.primary_key.columns))
        rows = db.session.execute(select(key, raw).where(raw.is_not(None), ~raw.startswith(f"{current}:"))).all()
        for start in range(0, len(rows), batch):
            for row_id, stored in rows[start:start + batch]:
                fresh = crypto.encrypt(crypto.decrypt(stored))
                db.session.execute(update(table).where(key == row_id).values({column.name: type_coerce(fresh, Text)}))
            db.session.flush()
        changed[f"{table.name}.{column.name}"] = len(rows)
    return changed


@dataclass
class PurgeReport:
    cases: int = 0
    fields: dict[str, int] = field(default_factory=dict)
    sms_sessions: int = 0
    outbox_messages: int = 0

    def lines(self) -> list[str]:
        lines = [f"closed cases de-identified: {self.cases}"]
        lines += [f"  {name}: {count}" for name, count in sorted(self.fields.items())]
        lines.append(f"finished SMS/USSD sessions removed: {self.sms_sessions}")
        lines.append(f"sent or failed outbox messages removed: {self.outbox_messages}")
        return lines


def purge(case_days: int = 365, session_days: int = 30) -> PurgeReport:
    """Remove identifying fields from closed cases older than ``case_days`` and finished
    SMS/USSD sessions (and sent messages) older than ``session_days``. Answers stay, with
    no way back to the person, so the figures do not change."""
    from sms.models import InboundMessage, OutboxMessage, SmsSession

    from ..referrals.models import OPEN_STATES, Referral
    from ..review.models import InfoRequest
    from ..screening.models import Screening

    report = PurgeReport()
    now = utcnow()
    open_referrals = select(Referral.screening_id).where(Referral.state.in_(OPEN_STATES + ("accepted",)))
    cases = db.session.scalars(select(Screening).where(
        Screening.status == "complete",
        Screening.completed_at < now - timedelta(days=case_days),
        Screening.id.not_in(open_referrals),
        (Screening.note.is_not(None)) | (Screening.initials.is_not(None)) | (Screening.gps.is_not(None))
        | (Screening.linkage_key.is_not(None)) | Screening.id.in_(select(InfoRequest.screening_id)),
    )).all()
    for screening in cases:
        for name in ("note", "initials", "gps", "linkage_key"):
            if getattr(screening, name) is not None:
                setattr(screening, name, None)
                report.fields[name] = report.fields.get(name, 0) + 1
    ids = [s.id for s in cases]
    if ids:
        removed = db.session.execute(delete(InfoRequest).where(InfoRequest.screening_id.in_(ids))).rowcount
        report.fields["info_requests"] = removed
        reasons = db.session.execute(update(Referral).where(
            Referral.screening_id.in_(ids), Referral.decline_reason.is_not(None)).values(decline_reason=None)).rowcount
        report.fields["decline_reasons"] = reasons
    report.cases = len(cases)
    cutoff = now - timedelta(days=session_days)
    old_sessions = select(SmsSession.id).where(SmsSession.last_activity_at < cutoff)
    db.session.execute(delete(InboundMessage).where(InboundMessage.session_id.in_(old_sessions)))
    report.sms_sessions = db.session.execute(delete(SmsSession).where(
        SmsSession.last_activity_at < cutoff)).rowcount
    report.outbox_messages = db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.status.in_(("delivered", "sent", "failed", "undelivered")),
        OutboxMessage.updated_at < cutoff)).rowcount
    db.session.flush()
    return report
