"""What the drills check after each fault: the stored rows add up exactly to what the
phones sent, no more and no less."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from sms.models import SmsSession
from tests.sms.helpers import stored_counts
from webapp.auth.models import User
from webapp.core import phones
from webapp.extensions import db
from webapp.screening.models import Screening

# A session in one of these is still in the middle of a screening.
OPEN_STATES = ("consent", "asking", "choosing")


def expected_counts(runs) -> dict[str, int]:
    """One session, one complete screening per phone; each answer given once (plus the
    consent); each inbound message handled once; nothing queued to send."""
    handled = {delivery.sid for run in runs for delivery in run.deliveries if delivery.status == 200}
    return {
        "sms_sessions": len(runs),
        "sms_inbound": len(handled),
        "sms_outbox": 0,
        "screenings": len(runs),
        "answers": sum(len(run.answers) + 1 for run in runs),
        "declined_screenings": 0,
    }


def actual_counts(app) -> dict[str, int]:
    with app.app_context():
        counts = stored_counts(db)
        db.session.remove()
    return counts


def mismatches(app, runs) -> list[str]:
    """Per phone: exactly one screening, complete, with the case number the result named,
    holding exactly the answers that phone gave, judged as its vignette expects; its
    session out of the screening. Returns what differs (empty when all is well)."""
    problems = []
    with app.app_context():
        for run in runs:
            if run.error:
                problems.append(f"{run.phone}: {run.error}")
                continue
            user = db.session.scalar(select(User).where(User.phone_hash == phones.phone_hash(run.phone)))
            screenings = db.session.scalars(select(Screening).where(Screening.screener_id == user.id)).all()
            if len(screenings) != 1:
                problems.append(f"{run.phone}: {len(screenings)} screenings")
                continue
            screening = screenings[0]
            stored = Counter(answer.code for answer in screening.answers)
            doubled = [code for code, n in stored.items() if n > 1]
            given = dict(run.answers, consent="yes")
            if doubled or screening.answer_map() != given:
                problems.append(f"{run.phone}: answers differ (doubled {doubled}): {screening.answer_map()} != {given}")
            if (screening.status, screening.case_number, screening.tier) != ("complete", run.case_number, run.expected_tier):
                problems.append(f"{run.phone}: {screening.status} {screening.case_number} {screening.tier}, expected "
                                f"complete {run.case_number} {run.expected_tier}")
            session = db.session.scalars(select(SmsSession).where(SmsSession.user_id == user.id)).one()
            if session.state in OPEN_STATES:
                problems.append(f"{run.phone}: session left {session.state}")
        db.session.remove()
    return problems


def statuses(runs) -> Counter:
    """Every HTTP attempt's status (0: the connection broke), over all phones."""
    return Counter(attempt.status for run in runs for delivery in run.deliveries for attempt in delivery.attempts)
