"""Referral state changes: propose from a result, share with consent, notify, answer,
escalate. Flush, never commit; messages go to the outbox in the same transaction.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

import questionnaires
from questionnaires import replies

from ..audit import operations as audit
from ..auth.models import User
from ..core.inputs import MAX_INTEGER
from ..core.types import utcnow
from ..extensions import db
from ..outbox import operations as outbox
from ..screening.models import Screening
from . import matching, notices
from .models import Referral, ReferralEvent, Service

DEADLINE = timedelta(hours=4)
URGENT_DEADLINE = timedelta(hours=1)
AGE_BANDS = ((0, 11, "0-11"), (12, 17, "12-17"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 49, "35-49"), (50, 200, "50+"))


class ReferralError(ValueError):
    pass


def entry_of(service: Service) -> matching.ServiceEntry:
    return matching.ServiceEntry(
        id=service.id, name=service.name_en, types=frozenset(service.service_types),
        sexes=frozenset(service.accepts_sexes or ()), age_min=service.age_min, age_max=service.age_max,
        nationalities=frozenset(service.nationalities or ()), provinces=frozenset(service.provinces or ()),
        point=(service.lat, service.lon), places=service.places, active=service.active,
        countries=frozenset(service.countries or ()),
    )


def directory_entries() -> list[matching.ServiceEntry]:
    return [entry_of(s) for s in db.session.scalars(select(Service).where(Service.active.is_(True)))]


def raised_needs(screening: Screening) -> set[str]:
    """The needs the answers raise by themselves, read from the screening's own version."""
    q = questionnaires.load(screening.questionnaire_version)
    return questionnaires.meaning.raised_needs(q, screening.answer_map())


def person_of(screening: Screening) -> matching.Person:
    answers = screening.answer_map()
    q = questionnaires.load(screening.questionnaire_version)
    age = questionnaires.meaning.profile(q, answers, "age")
    nationality = q.answer_for("nationality", answers)
    return matching.Person(
        sex=q.answer_for("sex", answers),
        age=age if isinstance(age, int) else None,
        minor=questionnaires.is_minor(q, answers),
        nationality=nationality if nationality not in (None, "unknown") else None,
    )


def age_band(screening: Screening) -> str:
    age = questionnaires.meaning.profile(questionnaires.load(screening.questionnaire_version), screening.answer_map(), "age")
    if not isinstance(age, int):
        return "minor?" if "minor" in (screening.flags or []) else "unknown"
    return next(label for low, high, label in AGE_BANDS if low <= age <= high)


def point_of(screening: Screening) -> tuple[tuple[float, float] | None, str | None]:
    """Where to search from in Cambodia: GPS, else border post, else the province (a
    hotline caller's, which may be unknown); abroad, the home province. None when the
    place is not known: then nothing is measured, never from Phnom Penh by default."""
    places = questionnaires.load_places()
    if screening.gps:
        lat, lon = (float(v) for v in screening.gps.split(","))
        return (lat, lon), screening.province_code
    if screening.post_code and places.crossing(screening.post_code):
        crossing = places.crossing(screening.post_code)
        return crossing.point, crossing.province
    if screening.context_kind != "abroad" and screening.province_code and places.province(screening.province_code):
        return places.province(screening.province_code).centroid, screening.province_code
    if screening.context_kind == "abroad":
        return home_of(screening)
    return None, None


def home_of(screening: Screening) -> tuple[tuple[float, float] | None, str | None]:
    home = questionnaires.load(screening.questionnaire_version).answer_for("home_province", screening.answer_map())
    province = questionnaires.load_places().province(home) if home else None
    return (province.centroid, province.code) if province else (None, None)


def return_crossing(screening: Screening):
    """The crossing a person abroad usually comes back by (None: no usual one, or not abroad)."""
    if screening.context_kind != "abroad":
        return None
    return questionnaires.load_places().crossing(matching.RETURN_CROSSINGS.get(screening.country_code or "", ""))


def searches_for(screening: Screening, need: matching.Need) -> list[dict]:
    """Where to look for a service meeting ``need``, in order; the first that finds one wins.

    Abroad: repatriation (and an urgent doctor) from the services in the country the person
    is in, the transit centre at the usual return crossing, labour rights and information in
    the country and else at home, everything else in the home province."""
    if screening.context_kind != "abroad":
        point, province = point_of(screening)
        return [dict(point=point, province=province)]
    in_country = dict(point=None, province=None, country=screening.country_code)
    if need.name in matching.IN_COUNTRY_NEEDS:
        return [in_country]
    if need.name == "transit_centre":
        crossing = return_crossing(screening)
        return [dict(point=crossing.point, province=crossing.province)] if crossing else []
    point, province = home_of(screening)
    home = dict(point=point, province=province)
    return [in_country, home] if need.name in ("labour_rights", matching.INFORMATION.name) else [home]


def find_match(screening: Screening, need: matching.Need, exclude_ids=()) -> matching.Match:
    found = matching.Match(need, None)
    entries = directory_entries()
    person = person_of(screening)
    for search in searches_for(screening, need):
        found = matching.match(entries, need, person, search["point"], search["province"], exclude_ids,
                               country=search.get("country"))
        if found.chosen is not None:
            break
    return found


def information_for(screening: Screening, limit: int = 3) -> list[Service]:
    """For "no signs of trafficking": services the person can still use later (safe
    migration, labour rights), nearest first; abroad, those in the country first."""
    searches = searches_for(screening, matching.INFORMATION)
    entries = directory_entries()
    person = person_of(screening)
    ids: list[int] = []
    for search in searches:
        found = matching.match(entries, matching.INFORMATION, person, search["point"], search["province"],
                               country=search.get("country"))
        ids.extend(c.service.id for c in ([found.chosen] if found.chosen else []) + found.alternatives
                   if c.service.id not in ids)
    services = {s.id: s for s in db.session.scalars(select(Service).where(Service.id.in_(ids[:limit])))}
    return [services[i] for i in ids[:limit] if i in services]


def hotlines() -> list[Service]:
    """The hotlines in the directory (a number anyone can call, wherever they are)."""
    rows = db.session.scalars(select(Service).where(Service.active.is_(True)).order_by(Service.id))
    return [s for s in rows if "hotline" in (s.service_types or [])][:2]


def needs_of(screening: Screening, tier: str) -> list[matching.Need]:
    needs = matching.needs_for(tier, screening.flags or [], raised_needs(screening),
                               abroad=screening.context_kind == "abroad")
    # Abroad with no usual return crossing (sent back by air): no transit centre to propose.
    return [n for n in needs if n.name != "transit_centre" or screening.context_kind != "abroad"
            or return_crossing(screening) is not None]


def awaiting_for(tier: str, flags: list[str]) -> str | None:
    """Who must confirm before the service is told: None means at once."""
    if tier == "likely_victim" or (tier == "possible_victim" and "urgent" in flags):
        return None
    if tier == "possible_victim":
        return "supervisor"
    return "screener"  # exploited migrant: the screener confirms the labour-rights referral


def propose(screening: Screening) -> list[Referral]:
    """Create the referrals a finished screening needs (once); nothing is sent yet: the
    person's consent to share comes first."""
    if screening.training or db.session.scalar(select(Referral.id).where(Referral.screening_id == screening.id)):
        return []
    return _propose(screening, needs_of(screening, screening.final_tier))


def follow_decision(screening: Screening, actor: User) -> list[Referral]:
    """A supervisor decided the tier the case ends with. A referral still proposed (nothing
    sent yet) for a need that tier no longer has is cancelled, so the person's later yes
    sends nothing to a shelter the case no longer calls for; a need the tier adds is
    proposed, and waits for the person's consent like any other. A referral already sent
    stays as it is: the service was told, and taking it back is for the supervisor to do
    with the service. Returns the referrals proposed."""
    if screening.training:
        return []
    needed = needs_of(screening, screening.final_tier)
    names = {need.name for need in needed}
    existing = of_screening(screening)
    for referral in existing:
        if referral.state == "proposed" and referral.need not in names:
            db.session.refresh(referral, with_for_update=True)  # the person's yes may come at this moment
            if referral.state == "proposed":
                transition(referral, "cancelled", actor)
    had = {referral.need for referral in existing if referral.state != "cancelled"}
    return _propose(screening, [need for need in needed if need.name not in had])


def _propose(screening: Screening, needs: list[matching.Need]) -> list[Referral]:
    referrals = []
    tier = screening.final_tier
    for need in needs:
        found = find_match(screening, need)
        referral = Referral(
            screening_id=screening.id, need=need.name, state="proposed", urgent="urgent" in (screening.flags or []),
            service_id=found.chosen.service.id if found.chosen else None, match=found.to_dict(),
            awaiting=awaiting_for(tier, screening.flags or []) if not screening.confirmed_tier else None,
        )
        db.session.add(referral)
        record(referral, None, "proposed", actor=None)
        referrals.append(referral)
    db.session.flush()
    return referrals


def record(referral: Referral, from_state: str | None, to_state: str, actor: User | None, kind: str | None = None) -> None:
    kind = kind or ("user" if actor else "system")
    referral.events.append(ReferralEvent(
        from_state=from_state, to_state=to_state, actor_id=actor.id if actor else None,
        actor_kind=kind, service_id=referral.service_id, at=utcnow(),
    ))
    audit.record(f"referral.{to_state}", user=actor, object_type="referral", object_id=referral.id,
                 detail={"from": from_state, "by": kind, "service": referral.service_id})


def transition(referral: Referral, to_state: str, actor: User | None = None, kind: str | None = None) -> None:
    allowed = {
        "proposed": ("notified", "closed", "cancelled"),
        "notified": ("accepted", "declined", "expired", "cancelled"),
        "accepted": ("arrived", "closed"),
        "arrived": ("closed",),
    }
    if to_state not in allowed.get(referral.state, ()):
        raise ReferralError(f"a {referral.state} referral cannot become {to_state}")
    record(referral, referral.state, to_state, actor, kind)
    referral.state = to_state


def confirm(referral: Referral, actor: User) -> None:
    """The supervisor (possible victim) or screener (labour rights) confirms."""
    # The row as it is now, locked: the person's yes (share) may be recorded at the same
    # moment in another worker; read before it, this confirmation would see no consent and
    # leave the referral confirmed, consented and never sent. A second confirmation (another
    # supervisor, a double click) finds it sent and sends nothing again.
    db.session.refresh(referral, with_for_update=True)
    if referral.state != "proposed":
        return
    referral.awaiting = None
    record(referral, referral.state, referral.state, actor)
    if referral.consent_to_share:
        notify(referral, actor)


def awaiting_consent(screening: Screening, *, lock: bool = False) -> list[Referral]:
    """The one rule for which referrals of ``screening`` still wait for the person's answer
    to sharing their case: proposed, and not answered yet. The web result page and the SMS
    and USSD share question ask exactly when this is not empty. ``lock``: an answer given on
    the other channel at the same moment waits for this transaction (and is then re-read)."""
    query = select(Referral).where(
        Referral.screening_id == screening.id, Referral.state == "proposed", Referral.consent_to_share.is_(None)
    ).order_by(Referral.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(query))


def share(screening: Screening, consent: bool, actor: User | None) -> list[Referral]:
    """The person's answer to sharing their case with the service(s), the one rule for every
    channel (the web result page, SMS and USSD). On no, each referral waiting for the answer
    is closed (the screener gives the service's contact details instead). On yes, each is
    sent at once unless someone must confirm it first; a referral that waits for the
    screener (labour rights, an exploited migrant) is confirmed by this yes, since the
    screener is the one recording it. Returns the referrals the answer decided."""
    referrals = awaiting_consent(screening, lock=True)
    for referral in referrals:
        referral.consent_to_share = consent
        if not consent:
            transition(referral, "closed", actor)
            continue
        if referral.awaiting == "screener" and actor is not None:
            referral.awaiting = None
            record(referral, referral.state, referral.state, actor)
        if referral.awaiting is None:
            notify(referral, actor)
    db.session.flush()
    return referrals


def notify(referral: Referral, actor: User | None) -> None:
    if referral.service is None:
        return  # nothing fits: the screener and supervisors see it on the pages
    if referral.service.phone:
        outbox.enqueue(referral.service.phone, service_message(referral), "referral")
    referral.notified_at = utcnow()
    referral.deadline_at = utcnow() + (URGENT_DEADLINE if referral.urgent else DEADLINE)
    transition(referral, "notified", actor)


def service_message(referral: Referral) -> str:
    """What the service's phone receives, in the service's language and within one
    message's budget: never a name, only what the service needs (notices.yaml)."""
    screening = referral.screening
    # Built from the public URL, not the request: escalations run from a cron tick.
    link = f"{current_app.config['APP_CONFIG'].public_base_url}/referrals/{referral.id}"
    return notices.service_notice(
        referral.service.language, referral_id=referral.id, case=screening.case_number, tier=screening.final_tier,
        sex=screening.answer_map().get("sex"), age=age_band(screening), need=referral.need,
        urgent=referral.urgent, link=link,
    )


def answer(referral: Referral, accept: bool, *, actor: User | None, kind: str, reason: str | None = None) -> None:
    # The row as it is now, locked: the deadline tick, the service's page and its SMS may
    # answer the same referral at the same moment; the one that comes second must see the
    # first's answer, not the "notified" it read before (and not overwrite it).
    db.session.refresh(referral, with_for_update=True)
    if referral.state != "notified":
        raise ReferralError("this referral is not waiting for an answer")
    if accept:
        transition(referral, "accepted", actor, kind)
        # In SQL, not from the count this worker read: two referrals to one shelter accepted
        # at the same moment take two places, not one.
        db.session.execute(update(Service).where(Service.id == referral.service_id, Service.places > 0)
                           .values(places=Service.places - 1).execution_options(synchronize_session="fetch"))
    else:
        referral.decline_reason = reason or None
        transition(referral, "declined", actor, kind)
        escalate(referral, "declined")


def escalate(referral: Referral, why: str) -> Referral | None:
    """Offer the case to the next matching service and alert the region's supervisors.
    ``why``: ``declined`` or ``expired`` (a key of notices.yaml ``why``)."""
    tried = set(db.session.scalars(select(ReferralEvent.service_id).join(Referral).where(
        Referral.screening_id == referral.screening_id, Referral.need == referral.need,
        ReferralEvent.service_id.is_not(None))))
    screening = referral.screening
    need = next((n for n in needs_of(screening, screening.final_tier) if n.name == referral.need),
                matching.Need(referral.need, (referral.need,)))
    found = find_match(referral.screening, need, exclude_ids=tried)
    alert_supervisors(referral, why, offered_next=found.chosen is not None)
    if found.chosen is None:
        return None
    follow = Referral(
        screening_id=referral.screening_id, need=referral.need, state="proposed", attempt=referral.attempt + 1,
        urgent=referral.urgent, consent_to_share=referral.consent_to_share, service_id=found.chosen.service.id,
        match=found.to_dict(), awaiting=None,
    )
    db.session.add(follow)
    db.session.flush()
    record(follow, None, "proposed", actor=None)
    notify(follow, None)
    return follow


def alert_supervisors(referral: Referral, why: str, *, offered_next: bool) -> None:
    screening = referral.screening
    province = screening.province_code or screening.case_province
    supervisors = db.session.scalars(select(User).where(
        User.role == "supervisor", User.active.is_(True),
        or_(User.national.is_(True), User.province_code == province)))
    for supervisor in supervisors:
        if supervisor.phone:
            text = notices.supervisor_alert(supervisor.language, referral_id=referral.id, case=screening.case_number,
                                            why=why, offered_next=offered_next)
            outbox.enqueue(supervisor.phone, text, "alert")


def expire_overdue(now: datetime | None = None) -> int:
    """Notified referrals past their deadline go to the next service. Returns how many."""
    now = now or utcnow()
    overdue = db.session.scalars(select(Referral).where(Referral.state == "notified", Referral.deadline_at <= now)
                                 .with_for_update(skip_locked=True)).all()
    for referral in overdue:
        transition(referral, "expired", None, "system")
        escalate(referral, "expired")
    db.session.flush()
    return len(overdue)


def of_screening(screening: Screening) -> list[Referral]:
    return list(db.session.scalars(select(Referral).where(Referral.screening_id == screening.id).order_by(Referral.id)))


def sent_to_service(service_id: int):
    """The one rule for what a service may see: a referral exists for a service only once it
    was sent to it (notified), which needs the person's consent and, where asked for, the
    supervisor's or screener's confirmation. Proposed, awaiting and refused referrals do not
    exist for the service, on the web or by SMS."""
    return and_(Referral.service_id == service_id, Referral.notified_at.is_not(None),
                Referral.consent_to_share.is_(True), Referral.awaiting.is_(None))


def sent_referrals(service_id: int) -> list[Referral]:
    return list(db.session.scalars(select(Referral).where(sent_to_service(service_id)).order_by(Referral.id.desc())))


def sent_referral(service_id: int, referral_id: int) -> Referral | None:
    if not 0 < referral_id <= MAX_INTEGER:  # a larger number is no referral's id
        return None  # never sent to the database, which would refuse it (a 500)
    return db.session.scalar(select(Referral).where(Referral.id == referral_id, sent_to_service(service_id)))


# What a service may do once it has accepted: the person arrives, then the case is closed.
# (Accepting or declining goes through ``answer``.) A service never moves anything else.
SERVICE_STEPS = {"accepted": "arrived", "arrived": "closed"}


def advance_by_service(referral: Referral, to_state: str, actor: User) -> None:
    db.session.refresh(referral, with_for_update=True)  # a second click or tab sees the first's step
    if SERVICE_STEPS.get(referral.state) != to_state:
        raise ReferralError(f"a service cannot move a {referral.state} referral to {to_state}")
    transition(referral, to_state, actor)


DECLINE_REASONS = ("full", "cannot_serve", "out_of_area", "other")


def decline(referral: Referral, reason: str, detail: str | None, actor: User) -> None:
    """A service declines on its page: a reason is required (``other`` needs words)."""
    detail = (detail or "").strip()
    if reason not in DECLINE_REASONS or (reason == "other" and not detail):
        raise ReferralError("a decline needs a reason")
    answer(referral, False, actor=actor, kind="user", reason=f"{reason}: {detail}" if detail else reason)


def parse_service_reply(text: str | None) -> tuple[bool, int] | None:
    """'YES 123' / 'NO 123' (any case, Khmer words and digits too) -> (accept, referral id)."""
    words = replies.clean(text).split()
    if len(words) < 2 or not replies.is_number(words[-1]):
        return None
    answer = " ".join(words[:-1])
    if answer in replies.YES_WORDS:
        return True, int(words[-1])
    if answer in replies.NO_WORDS:
        return False, int(words[-1])
    return None


def answer_by_sms(service: Service, text: str | None, language: str | None = None) -> str | None:
    """A service's SMS answer to a referral, from its registered phone. Returns the reply
    to send back (in ``language``, the sender's own when a staff member answers, else the
    service's), or None when the message is not a referral answer."""
    language = language or service.language
    parsed = parse_service_reply(text)
    if parsed is None:
        return None
    accept, referral_id = parsed
    # Not sent to this service (another service's, not yet consented or confirmed, refused,
    # or no such number): one answer for all, so nothing can be learned from it.
    referral = sent_referral(service.id, referral_id)
    if referral is None:
        return notices.service_reply(language, "not_yours", referral_id=referral_id)
    try:
        answer(referral, accept, actor=None, kind="sms")
    except ReferralError:
        return notices.service_reply(language, "already", referral_id=referral_id, state=referral.state)
    return notices.service_reply(language, "accepted" if accept else "declined", referral_id=referral_id)
