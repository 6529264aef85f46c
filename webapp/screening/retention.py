"""Retention of cases: the identifying fields of old closed cases and of abandoned drafts
are cleared; the answers stay, with no way back to the person, so the figures do not change.
Called by ``flask purge`` (``webapp.maintenance``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import null, select, update

from ..core.types import EncryptedText
from ..extensions import db
from ..referrals.models import OPEN_STATES, Referral
from .models import Answer, Screening

# What a required identifying text becomes once purged (a review must keep a reason).
PURGED = "[purged]"
# A table whose rows point at a screening but that has its own retention marks itself with
# ``info={"own_retention": True}`` (a staff phone's dialogue session is removed whole).
OWN_RETENTION = "own_retention"


def case_tables():
    """The screenings table and every table holding rows of one screening (by foreign key)."""
    screenings = db.metadata.tables["screenings"]
    yield screenings, screenings.c.id
    for table in db.metadata.sorted_tables:
        if table.info.get(OWN_RETENTION):
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
class Deidentified:
    cases: int = 0
    drafts: int = 0
    fields: dict[str, int] = field(default_factory=dict)


def deidentify_expired(now: datetime, case_days: int, sms_draft_hours: int, web_draft_days: int) -> Deidentified:
    """Clear every identifying field (:func:`identifying_columns`) of closed cases older than
    ``case_days`` (no referral waiting) and of unfinished screenings left longer than their
    expiry (``sms_draft_hours`` for SMS/USSD, ``web_draft_days`` for the web form)."""
    result = Deidentified()
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
                result.fields[name] = result.fields.get(name, 0) + changed
        db.session.execute(update(Screening).where(Screening.id.in_(chunk)).values(purged_at=now))
    result.cases, result.drafts = len(closed), len(drafts)
    return result
