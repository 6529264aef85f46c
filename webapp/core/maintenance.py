"""Key rotation and retention: the two jobs that keep stored data safe over time."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Text, delete, null, select, type_coerce, update

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


# Tables with their own retention, not cleared per case: a staff phone's dialogue session
# (removed whole after ``session_days``, with the SMS texts it handled).
OWN_RETENTION = {"sms_sessions"}
# What a required identifying text becomes once purged (a review must keep a reason).
PURGED = "[purged]"


def case_tables():
    """The screenings table and every table holding rows of one screening (by foreign key)."""
    screenings = db.metadata.tables["screenings"]
    yield screenings, screenings.c.id
    for table in db.metadata.sorted_tables:
        if table.name in OWN_RETENTION:
            continue
        for fk in table.foreign_keys:
            if fk.column is screenings.c.id:
                yield table, fk.parent


def identifying_columns():
    """Every column of a case that could point back to the person: each EncryptedText column
    of the case tables and each column marked ``info={"identifying": True}`` (linkage key,
    referral distances). ``purge`` clears exactly these, so a new encrypted column is
    purged without anyone remembering to."""
    for table, case_id in case_tables():
        for column in table.columns:
            if isinstance(column.type, EncryptedText) or column.info.get("identifying"):
                yield table, case_id, column


@dataclass
class PurgeReport:
    cases: int = 0
    drafts: int = 0
    fields: dict[str, int] = field(default_factory=dict)
    sms_sessions: int = 0
    outbox_messages: int = 0
    simulator_transcripts: int = 0

    def lines(self) -> list[str]:
        lines = [f"closed cases de-identified: {self.cases}",
                 f"unfinished screenings de-identified: {self.drafts}"]
        lines += [f"  {name}: {count}" for name, count in sorted(self.fields.items())]
        lines.append(f"finished SMS/USSD sessions removed: {self.sms_sessions}")
        lines.append(f"sent or failed outbox messages removed: {self.outbox_messages}")
        lines.append(f"idle simulator transcripts removed: {self.simulator_transcripts}")
        return lines


def purge(case_days: int = 365, session_days: int = 30, sms_draft_hours: int = 24,
          web_draft_days: int = 3) -> PurgeReport:
    """Remove every identifying field (:func:`identifying_columns`) of closed cases older
    than ``case_days`` (no referral waiting) and of unfinished screenings left longer than
    their expiry (``sms_draft_hours`` for SMS/USSD, ``web_draft_days`` for the web form),
    and finished SMS/USSD sessions (and sent messages) older than ``session_days``.
    Answers stay, with no way back to the person, so the figures do not change."""
    from sms.models import InboundMessage, SimulatorTranscript, SmsSession
    from webapp.outbox.models import OutboxMessage

    from ..referrals.models import OPEN_STATES, Referral
    from ..screening.models import Answer, Screening

    report = PurgeReport()
    now = utcnow()
    open_referrals = select(Referral.screening_id).where(Referral.state.in_(OPEN_STATES + ("accepted",)))
    closed = db.session.scalars(select(Screening.id).where(
        Screening.purged_at.is_(None),
        Screening.status == "complete",
        Screening.completed_at < now - timedelta(days=case_days),
        Screening.id.not_in(open_referrals),
    )).all()
    drafts = []
    for channels, idle in ((("sms", "ussd"), timedelta(hours=sms_draft_hours)),
                           (("web", "cli"), timedelta(days=web_draft_days))):
        cutoff = now - idle
        recent_answer = select(Answer.id).where(Answer.screening_id == Screening.id, Answer.answered_at >= cutoff)
        drafts += db.session.scalars(select(Screening.id).where(
            Screening.purged_at.is_(None),
            Screening.status == "draft",
            Screening.channel.in_(channels),
            Screening.updated_at < cutoff,
            ~recent_answer.exists(),
        )).all()
    ids = list(closed) + list(drafts)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for table, case_id, column in identifying_columns():
            value = null() if column.nullable else PURGED
            changed = db.session.execute(update(table).where(case_id.in_(chunk), column.is_not(None))
                                         .values({column.name: value})).rowcount
            if changed:
                name = f"{table.name}.{column.name}"
                report.fields[name] = report.fields.get(name, 0) + changed
        db.session.execute(update(Screening).where(Screening.id.in_(chunk)).values(purged_at=now))
    report.cases, report.drafts = len(closed), len(drafts)
    cutoff = now - timedelta(days=session_days)
    old_sessions = select(SmsSession.id).where(SmsSession.last_activity_at < cutoff)
    db.session.execute(delete(InboundMessage).where(InboundMessage.session_id.in_(old_sessions)))
    report.sms_sessions = db.session.execute(delete(SmsSession).where(
        SmsSession.last_activity_at < cutoff)).rowcount
    report.outbox_messages = db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.status.in_(("delivered", "sent", "failed", "undelivered")),
        OutboxMessage.updated_at < cutoff)).rowcount
    # Training chats of the browser simulator: a day without use ends them (as `sms remind` does).
    report.simulator_transcripts = db.session.execute(delete(SimulatorTranscript).where(
        SimulatorTranscript.updated_at < now - timedelta(days=1))).rowcount
    db.session.flush()
    return report
