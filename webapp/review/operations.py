"""Supervisor review: scope, queue, confirm or override, requests for information, and
the linkage key that warns of repeat screenings of one person."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import Text, and_, cast, false, or_, select, true

from ..auth.models import User
from ..core.types import utcnow
from ..extensions import db
from ..referrals import operations as referrals
from ..screening import linkage
from ..screening.models import Screening
from .models import InfoRequest, Review

TIERS = ("likely_victim", "possible_victim", "exploited_migrant", "not_indicated")


class ReviewError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def scope_clause(user: User):
    """The screenings a supervisor may see: their province, or all for a national one."""
    if user.role != "supervisor":
        return false()
    if user.national:
        return true()
    if not user.province_code:
        return false()
    return or_(Screening.case_province == user.province_code, Screening.province_code == user.province_code)


def in_scope(user: User, screening: Screening) -> bool:
    if user.role != "supervisor":
        return False
    if user.national:
        return True
    return bool(user.province_code) and user.province_code in (screening.case_province, screening.province_code)


@dataclass
class QueueFilter:
    post: str | None = None
    province: str | None = None
    channel: str | None = None
    tier: str | None = None
    since: date | None = None
    until: date | None = None
    pending_only: bool = True


def flagged_clause():
    """What needs a supervisor: possible victims, likely victims not yet confirmed, urgent
    or incomplete screenings, and overridden ones."""
    flags = cast(Screening.flags, Text)
    return or_(
        Screening.tier == "possible_victim",
        and_(Screening.tier == "likely_victim", Screening.confirmed_tier.is_(None)),
        flags.like('%"urgent"%'),
        flags.like('%"incomplete"%'),
        and_(Screening.confirmed_tier.is_not(None), Screening.confirmed_tier != Screening.tier),
    )


def queue(user: User, f: QueueFilter, limit: int = 200) -> list[Screening]:
    query = select(Screening).where(
        scope_clause(user), Screening.status == "complete", Screening.training.is_(False), flagged_clause()
    )
    if f.pending_only:
        query = query.where(Screening.reviewed_at.is_(None))
    if f.post:
        query = query.where(Screening.post_code == f.post)
    if f.province:
        query = query.where(or_(Screening.case_province == f.province, Screening.province_code == f.province))
    if f.channel:
        query = query.where(Screening.channel == f.channel)
    if f.tier:
        query = query.where(or_(Screening.tier == f.tier, Screening.confirmed_tier == f.tier))
    if f.since:
        query = query.where(Screening.created_at >= datetime.combine(f.since, time.min, tzinfo=UTC))
    if f.until:
        query = query.where(Screening.created_at <= datetime.combine(f.until, time.max, tzinfo=UTC))
    rows = db.session.scalars(query.order_by(Screening.created_at.desc()).limit(limit)).all()
    # Urgent first, then newest: flags live in JSON, so sort here rather than in SQL.
    return sorted(rows, key=lambda s: ("urgent" not in (s.flags or []), -s.created_at.timestamp()))


def decide(screening: Screening, reviewer: User, action: str, tier: str, reason: str) -> Review:
    """Confirm or override the engine's tier. A reason is always required; the engine's
    result is kept as it was."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("reason", "a reason is required")
    if action not in ("confirm", "override"):
        raise ReviewError("action", "confirm or override")
    if action == "confirm":
        tier = screening.tier
    elif tier not in TIERS:
        raise ReviewError("tier", "choose a tier")
    review = Review(screening_id=screening.id, reviewer_id=reviewer.id, action=action, engine_tier=screening.tier,
                    tier=tier, reason=reason)
    db.session.add(review)
    screening.confirmed_tier = tier
    screening.reviewed_at = utcnow()
    db.session.flush()
    start_confirmed_referrals(screening, reviewer)
    return review


def start_confirmed_referrals(screening: Screening, reviewer: User) -> None:
    """A supervisor's decision: the referrals follow the decided tier (those it no longer
    calls for and not yet sent are cancelled, those it adds are proposed), and a victim
    tier's confirmation starts the referrals that waited for it."""
    referrals.follow_decision(screening, reviewer)
    if screening.confirmed_tier not in ("likely_victim", "possible_victim"):
        return
    for referral in referrals.of_screening(screening):
        if referral.awaiting == "supervisor" and referral.state == "proposed":
            referrals.confirm(referral, reviewer)


def reviews_of(screening: Screening) -> list[Review]:
    return list(db.session.scalars(select(Review).where(Review.screening_id == screening.id).order_by(Review.id)))


def request_info(screening: Screening, supervisor: User, message: str) -> InfoRequest:
    message = (message or "").strip()
    if not message:
        raise ReviewError("message", "write what you need to know")
    request = InfoRequest(screening_id=screening.id, requested_by=supervisor.id, message=message)
    db.session.add(request)
    db.session.flush()
    return request


def answer_info(request: InfoRequest, answer: str) -> None:
    request.answer = (answer or "").strip() or None
    request.answered_at = utcnow() if request.answer else None


def open_requests_for(screener: User) -> list[InfoRequest]:
    return list(db.session.scalars(
        select(InfoRequest).join(Screening, InfoRequest.screening_id == Screening.id)
        .where(Screening.screener_id == screener.id, InfoRequest.answered_at.is_(None))
        .order_by(InfoRequest.created_at.desc())))


def requests_of(screening: Screening) -> list[InfoRequest]:
    return list(db.session.scalars(select(InfoRequest).where(InfoRequest.screening_id == screening.id)
                                   .order_by(InfoRequest.id)))


# --- linkage -------------------------------------------------------------------------------


def possible_matches(screening: Screening, user: User) -> list[Screening]:
    """Other screenings that may be the same person, among those ``user`` may see."""
    keys = linkage.keys_of(screening)
    if not keys:
        return []
    return list(db.session.scalars(select(Screening).where(
        Screening.linkage_key.in_(keys), Screening.id != screening.id, scope_clause(user), Screening.training.is_(False),
    ).order_by(Screening.created_at)))
