"""Screening state changes shared by every channel (web form, offline sync, SMS, USSD).

Each function flushes (``record_answer`` leaves it to the caller's next flush or
commit) and never commits: the request (or CLI command, or SMS handler) owns
the transaction, so a failure anywhere leaves nothing half-done.
"""
from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

import questionnaires
from questionnaires import AnswerError, Questionnaire, replies, screens

from ..audit.operations import record
from ..auth.models import User
from ..core import phones, upsert
from ..core.geo import great_circle_km
from ..core.inputs import clean_text
from ..core.types import utcnow
from ..extensions import db
from ..referrals import operations as referrals
from . import linkage
from .models import Answer, CaseCounter, DeclinedScreening, Screening

ABROAD = "ABR"  # case-number province code for screenings made abroad (consular)
UNKNOWN_PLACE = "UNK"  # case-number province code of a hotline call from an unknown place
TRAINING = "TRN"  # the series of training (simulator) screenings: TRN-<year>-<sequence>
CONTEXT_KINDS = ("post", "province", "gps", "abroad", "caller")
# Where each role screens on the web (form and offline API), first one preselected. The
# server holds to it: a hotline operator does not screen at a border post.
CONTEXTS_BY_ROLE = {
    "border": ("post", "province", "gps"),
    "consular": ("abroad",),
    # The caller's own place (province, district or unknown), never the hotline desk's.
    "hotline": ("caller",),
}
# The offline form's own clock is believed only this far back (a queue kept for days
# without signal) and ahead (a phone's clock a little fast); it never numbers a case.
CLIENT_TIME_PAST = timedelta(days=30)
CLIENT_TIME_AHEAD = timedelta(minutes=10)


class ScreeningError(ValueError):
    """Input a channel must report back to the user; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


class UnsafeCall(Exception):
    """A hotline caller cannot talk safely now: no screening is started (the operator is
    told what to say instead)."""


@dataclass(frozen=True)
class Context:
    """Where a screening happens: from the screener, never from a question."""

    kind: str
    post_code: str | None = None
    province_code: str | None = None
    country_code: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    # A hotline caller's call-back number, only when the caller agreed (E.164 once validated).
    callback_phone: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Context:
        def text(name: str) -> str | None:
            try:
                value = clean_text(data.get(name))
            except ValueError:
                raise ScreeningError(name, "contains characters that are not allowed") from None
            return value[:80] if value else None

        lat, lon = data.get("lat"), data.get("lon")
        try:
            lat = float(lat) if lat not in (None, "") else None
            lon = float(lon) if lon not in (None, "") else None
        except (TypeError, ValueError, OverflowError):
            raise ScreeningError("gps", "latitude and longitude must be numbers") from None
        return cls(
            kind=data.get("kind") if isinstance(data.get("kind"), str) else "",
            post_code=text("post_code"),
            province_code=text("province_code"),
            country_code=(text("country_code") or "").upper() or None,
            city=text("city"),
            lat=lat,
            lon=lon,
            callback_phone=text("callback_phone"),
        )

    @classmethod
    def from_start(cls, data: Mapping[str, Any]) -> Context:
        """The start page's answers. A hotline call: is it safe to talk first (no:
        :class:`UnsafeCall`), then the caller's province (or unknown) and district, and a
        call-back number only with the caller's agreement (never kept without it)."""
        data = dict(data)
        if data.get("kind") == "caller":
            if data.get("safe_to_talk") == "no":
                raise UnsafeCall()
            if data.get("safe_to_talk") != "yes":
                raise ScreeningError("safe_to_talk", "ask whether it is safe to talk")
            data["province_code"] = data.get("caller_province")
            data["city"] = data.get("district")
            if data.get("callback") == "yes":
                if not (data.get("callback_phone") or "").strip():
                    raise ScreeningError("callback_phone", "no number to call back")
            else:
                data["callback_phone"] = None
        return cls.from_mapping(data)

    def validated(self) -> Context:
        places = questionnaires.load_places()
        if self.kind not in CONTEXT_KINDS:
            raise ScreeningError("kind", "choose where the screening takes place")
        if self.kind == "post":
            crossing = places.crossing(self.post_code or "")
            if crossing is None:
                raise ScreeningError("post_code", "unknown border post")
            return Context("post", post_code=crossing.code, province_code=crossing.province)
        if self.kind == "province":
            if places.province(self.province_code or "") is None:
                raise ScreeningError("province_code", "unknown province")
            return Context("province", province_code=self.province_code)
        if self.kind == "gps":
            if self.lat is None or self.lon is None or not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
                raise ScreeningError("gps", "no valid location")
            return Context("gps", province_code=nearest_province(self.lat, self.lon), lat=self.lat, lon=self.lon)
        if self.kind == "caller":
            province = self.province_code if self.province_code not in (None, "", "unknown") else None
            if province is not None and places.province(province) is None:
                raise ScreeningError("province_code", "unknown province")
            phone = None
            if self.callback_phone:
                try:
                    phone = phones.normalise(replies.clean(self.callback_phone))
                except phones.PhoneError:
                    raise ScreeningError("callback_phone", "not a phone number") from None
            return Context("caller", province_code=province, city=self.city, callback_phone=phone)
        q = questionnaires.load()
        if self.country_code not in q.countries or self.country_code == "KH":
            raise ScreeningError("country_code", "choose the country you are in")
        return Context("abroad", country_code=self.country_code, city=self.city)

    @property
    def case_province(self) -> str:
        if self.kind == "abroad":
            return ABROAD
        return self.province_code or (UNKNOWN_PLACE if self.kind == "caller" else ABROAD)


def nearest_province(lat: float, lon: float) -> str:
    places = questionnaires.load_places()
    return min(places.provinces, key=lambda p: great_circle_km((lat, lon), p.centroid)).code


def next_case_sequence(province: str, year: int) -> int:
    """The next sequence number for (province, year), without gaps under concurrency.

    One atomic upsert: on PostgreSQL the row lock it takes serialises concurrent
    transactions, and a rolled-back transaction gives its number back.
    """
    statement = (
        upsert.insert(CaseCounter)
        .values(province=province, year=year, last=1)
        .on_conflict_do_update(index_elements=["province", "year"], set_={"last": CaseCounter.last + 1})
        .returning(CaseCounter.last)
    )
    return db.session.execute(statement).scalar_one()


def format_case_number(province: str, year: int, sequence: int) -> str:
    if province == TRAINING:
        return f"{TRAINING}-{year}-{sequence:06d}"
    return f"KH-{province}-{year}-{sequence:06d}"


def check_context_allowed(screener: User, kind: str) -> None:
    allowed = CONTEXTS_BY_ROLE.get(screener.role, ())
    if kind not in allowed:
        raise ScreeningError("context_role", f"a {screener.role} account screens only at: {', '.join(allowed) or 'nowhere'}")


def start_screening(
    *,
    screener: User,
    channel: str,
    context: Context,
    language: str = "km",
    uuid: str | None = None,
    training: bool = False,
    started_at: datetime | None = None,
    client_started_at: datetime | None = None,
    version: int | None = None,
    person_language: str | None = None,
) -> Screening:
    """A consenting person: a draft screening with its case number and the consent answer.

    ``started_at`` is the server's own time (the SMS dialogue's clock, the demo's history),
    never a client's; the web channels may only screen where the role does
    (``CONTEXTS_BY_ROLE``). Training screenings are numbered in their own series.
    ``version``: the questionnaire that judges it (default: the current one); it stays the
    screening's for good."""
    if channel == "web":
        check_context_allowed(screener, context.kind)
    context = context.validated()
    q = questionnaires.load(version)
    language = language if language in ("km", "en") else "km"
    person_language = valid_person_language(q, person_language, default=language)
    now = started_at or utcnow()
    province = TRAINING if training else context.case_province
    if uuid:
        uuid = _valid_uuid(uuid)
        if db.session.scalar(select(Screening.id).where(Screening.uuid == uuid)) is not None:
            raise ScreeningError("uuid", "this identifier is already used")
    sequence = next_case_sequence(province, now.year)
    screening = Screening(
        uuid=uuid or str(uuidlib.uuid4()),
        case_number=format_case_number(province, now.year, sequence),
        case_province=province,
        case_year=now.year,
        case_sequence=sequence,
        screener_id=screener.id,
        channel=channel,
        training=training,
        status="draft",
        language=language,
        person_language=person_language,
        questionnaire_version=q.version,
        context_kind=context.kind,
        post_code=context.post_code,
        province_code=context.province_code,
        country_code=context.country_code,
        city=context.city,
        gps=f"{context.lat:.5f},{context.lon:.5f}" if context.kind == "gps" else None,
        callback_phone=context.callback_phone,
        created_at=now,
        client_started_at=client_time(client_started_at, now),
        flags=[],
    )
    db.session.add(screening)
    screening.answers.append(Answer(code="consent", value="yes", channel=channel, answered_at=now))
    db.session.flush()
    refresh_result(screening, q)
    return screening


def valid_person_language(q: Questionnaire, code: str | None, *, default: str) -> str:
    """The person's language: one the questionnaire declares, else the screener's (``default``)."""
    if not code:
        return default
    if q.language(code) is None:
        raise ScreeningError("person_language", f"the questionnaire has no texts in {code!r}")
    return code


def record_decline(
    *, channel: str, context: Context | None, training: bool = False, client_uuid: str | None = None
) -> None:
    """No consent: keep only that it happened (day, channel, province), nothing else.

    ``client_uuid`` (the browser's offline queue) makes a resend count once."""
    if client_uuid:
        client_uuid = _valid_uuid(client_uuid)
        if db.session.scalar(select(DeclinedScreening.id).where(DeclinedScreening.client_uuid == client_uuid)):
            return
    province = None
    if context is not None:
        try:
            province = context.validated().case_province
        except ScreeningError:
            province = None
    db.session.add(DeclinedScreening(
        day=utcnow().date(), channel=channel, province_code=province, training=training, client_uuid=client_uuid
    ))
    db.session.flush()


def judged_with(values: Mapping[str, Any], version: int | None) -> tuple[Questionnaire, dict[str, Any]]:
    """The questionnaire a whole screening sent at once is judged with, and its answers.

    The browser says which version it asked; a draft started on version 1 before version 2
    came finishes on version 1. A browser from before it said so sends no version: the
    answers are judged with the current version, or else the newest that they complete
    (complete as the skip rule reads it, on every channel)."""
    available = questionnaires.available_versions()
    if version is not None:
        if version not in available:
            raise ScreeningError("questionnaire_version", f"questionnaire version {version} does not exist")
        candidates = [version]
    else:
        current = questionnaires.current_version()
        candidates = [current] + sorted((v for v in available if v != current), reverse=True)
    first_error: ScreeningError | None = None
    for candidate in candidates:
        q = questionnaires.load(candidate)
        try:
            canonical = questionnaires.validate_answers(q, values)
        except AnswerError as exc:
            first_error = first_error or ScreeningError(exc.code, str(exc))
            continue
        # Complete as the skip rule reads it: what it leaves out cannot change the result.
        if questionnaires.next_question(q, canonical, skip_unneeded=True) is None:
            return q, canonical
        first_error = first_error or ScreeningError("answers", "questions remain unanswered")
    raise first_error


def questionnaire_of(screening: Screening) -> Questionnaire:
    return questionnaires.load(screening.questionnaire_version)


def record_answer(
    screening: Screening, code: str, value: Any, *, channel: str, answered_at: datetime | None = None
) -> Any:
    """Validate and store one answer (replacing an earlier one); returns the canonical value."""
    if screening.status != "draft":
        raise ScreeningError("status", "this screening is finished")
    q = questionnaire_of(screening)
    if code == "consent":
        raise ScreeningError(code, "consent is given when the screening starts")
    try:
        canonical = questionnaires.validate_answer(q, code, value)
    except AnswerError as exc:
        raise ScreeningError(code, str(exc)) from None
    answers = screening.answer_map()
    if not questionnaires.is_asked(q, q.question(code), questionnaires.effective_answers(q, answers)):
        raise ScreeningError(code, "this question is not asked in this screening")
    _store(screening, code, canonical, channel=channel, answered_at=answered_at)
    return canonical


def _store(screening: Screening, code: str, canonical: Any, *, channel: str, answered_at: datetime | None) -> None:
    """Add or replace one valid answer. No flush of its own: the answer goes out with the
    caller's next flush (the SMS dialogue writes once per message) or commit. The stored
    result is the finished screening's (``finish``); nothing reads a draft's, so it is not
    recomputed per answer."""
    stored, when = str(canonical), answered_at or utcnow()
    known = screening.known_answers()
    if known is not None and code not in known:
        # Only the answers' values were read (Screening.know_answers): a new answer is
        # added without loading the others' rows.
        db.session.add(Answer(screening_id=screening.id, code=code, value=stored, channel=channel, answered_at=when))
        known[code] = stored
        return
    existing = next((a for a in screening.answers if a.code == code), None)
    if existing is None:
        screening.answers.append(Answer(code=code, value=stored, channel=channel, answered_at=when))
    elif existing.value != stored:
        existing.value, existing.channel, existing.answered_at = stored, channel, when


def record_answers(
    screening: Screening, values: Mapping[str, Any], *, channel: str, answered_at: datetime | None = None
) -> dict[str, Any]:
    """Store the answers of one reply to questions asked together (a phone channel's group):
    all or nothing. Each must be valid and its question still asked on the answers as they
    stood before the reply (another answer, on the web say, may have changed that
    meanwhile), or nothing is stored (:class:`ScreeningError` names the first that is not).
    Returns the canonical values."""
    if screening.status != "draft":
        raise ScreeningError("status", "this screening is finished")
    q = questionnaire_of(screening)
    before = screening.answer_map()
    kept, so_far = questionnaires.effective_answers(q, before), dict(before)
    for code, value in values.items():
        # Asked before the reply, and still asked with its earlier answers in (what
        # record_answer checks): so nothing fails half-way.
        if not q.has(code) or code == "consent" or not all(
            questionnaires.is_asked(q, q.question(code), answers)
            for answers in (kept, questionnaires.effective_answers(q, so_far))
        ):
            raise ScreeningError(code, "this question is not asked in this screening")
        try:
            so_far[code] = questionnaires.validate_answer(q, code, value)
        except AnswerError as exc:
            raise ScreeningError(code, str(exc)) from None
    canonical = {code: so_far[code] for code in values}
    for code, value in canonical.items():
        _store(screening, code, value, channel=channel, answered_at=answered_at)
    return canonical


def record_screen_answers(
    screening: Screening, q: Questionnaire, key: str | None, shown, posted: Callable[[Any], Any], *,
    required: bool, channel: str,
) -> dict[str, str]:
    """Record the answers posted on one screen of the web form (``posted(question)``: the
    raw answer, or None when left blank), for the questions of group ``key`` or the
    questions ``shown`` (the record screen), in questionnaire order; returns the problems
    by code, "missing" or "invalid". An answer to a question no longer asked (another
    answer on the screen changed that) is dropped; a shown question left blank is missing
    when ``required``."""
    shown_codes = {question.code for question in shown}
    codes = set(shown_codes)
    if key is not None:
        codes |= {question.code for question in q.questions if screens.group_of(question) == key}
    problems: dict[str, str] = {}
    for item in q.questions:
        if item.code not in codes or item.code == "consent":
            continue
        answers = questionnaires.effective_answers(q, screening.answer_map())
        if not questionnaires.is_asked(q, item, answers):
            continue
        raw = posted(item)
        if raw is None:
            if required and item.code in shown_codes and item.code not in answers:
                problems[item.code] = "missing"
            continue
        try:
            record_answer(screening, item.code, raw, channel=channel)
        except ScreeningError:
            problems[item.code] = "invalid"
    return problems


def record_for_the_record(
    screening: Screening, values: Mapping[str, Any], *, channel: str, answered_at: datetime | None = None
) -> None:
    """Store answers to questions a finished screening kept "for the record" (spec, "What
    every channel must keep"): all or nothing. They can change neither the tier nor a flag;
    the explanation and the statistics categories gain them."""
    if screening.status != "complete":
        raise ScreeningError("status", "only a finished screening takes answers for the record")
    q = questionnaire_of(screening)
    offered = {question.code for question in questionnaires.for_the_record(q, screening.answer_map())}
    canonical = {}
    for code, value in values.items():
        if code not in offered:
            raise ScreeningError(code, "this question is not offered for the record")
        try:
            canonical[code] = questionnaires.validate_answer(q, code, value)
        except AnswerError as exc:
            raise ScreeningError(code, str(exc)) from None
    tier, flags = screening.tier, sorted(screening.flags or [])
    for code, value in canonical.items():
        screening.answers.append(Answer(code=code, value=str(value), channel=channel, answered_at=answered_at or utcnow()))
    db.session.flush()
    result = refresh_result(screening, q)
    if (result.tier, sorted(result.flags)) != (tier, flags):  # for_the_record guarantees it
        raise RuntimeError(f"an answer for the record changed screening {screening.id}'s result")


def refresh_result(screening: Screening, q: Questionnaire | None = None) -> questionnaires.Result:
    q = q or questionnaire_of(screening)
    result = questionnaires.score(q, screening.answer_map())
    screening.tier = result.tier
    screening.flags = list(result.flags)
    screening.result = result.to_dict()
    return result


def next_question(screening: Screening, *, skip_unneeded: bool = False):
    return questionnaires.next_question(
        questionnaire_of(screening), screening.answer_map(), skip_unneeded=skip_unneeded
    )


def finish(screening: Screening) -> questionnaires.Result:
    """Close the screening once no needed question is left (the skip rule, as on every
    channel); prune answers no longer asked."""
    q = questionnaire_of(screening)
    answers = screening.answer_map()
    if questionnaires.next_question(q, answers, skip_unneeded=True) is not None and screening.channel == "web":
        raise ScreeningError("answers", "questions remain unanswered")
    kept = questionnaires.effective_answers(q, answers)
    known = screening.known_answers()
    if known is not None:  # only the values were read (Screening.know_answers): prune by code
        dropped = [code for code in known if code not in kept]
        if dropped:
            db.session.execute(delete(Answer).where(Answer.screening_id == screening.id, Answer.code.in_(dropped)))
            for code in dropped:
                del known[code]
    else:
        for answer in list(screening.answers):
            if answer.code not in kept:
                screening.answers.remove(answer)
    result = refresh_result(screening, q)
    if screening.status == "draft":
        screening.status = "complete"
        screening.completed_at = utcnow()
        linkage.update(screening)
        db.session.flush()

        referrals.propose(screening)  # nothing is sent before the person agrees to share
    db.session.flush()
    return result


def submit_complete(
    *,
    screener: User,
    uuid: str,
    context: Context,
    answers: Mapping[str, Mapping[str, Any]],
    language: str,
    client_started_at: datetime | None,
    channel: str = "web",
    version: int | None = None,
    person_language: str | None = None,
) -> tuple[Screening, bool]:
    """A whole screening sent at once (the offline queue). Idempotent on ``uuid``.

    Returns (screening, created). A resend of the same uuid by the same screener returns
    the stored screening unchanged; another screener's uuid is refused. ``version``: the
    questionnaire the browser asked it with (see :func:`judged_with`).
    """
    uuid = _valid_uuid(uuid)
    existing = db.session.scalar(select(Screening).where(Screening.uuid == uuid))
    if existing is not None:
        if existing.screener_id != screener.id:
            raise ScreeningError("uuid", "this identifier is already used")
        return existing, False
    values = {code: entry.get("value") if isinstance(entry, Mapping) else entry for code, entry in answers.items()}
    if values.get("consent") != "yes":
        raise ScreeningError("consent", "a screening without consent is counted, not sent")
    q, canonical = judged_with(values, version)
    try:
        screening = start_screening(
            screener=screener, channel=channel, context=context, language=language, uuid=uuid,
            client_started_at=client_started_at, version=q.version, person_language=person_language,
        )
    except ScreeningError as exc:
        # A twin of this resend committed since the look-up above: it is the same screening.
        twin = db.session.scalar(select(Screening).where(Screening.uuid == uuid)) if exc.field == "uuid" else None
        if twin is None or twin.screener_id != screener.id:
            raise
        return twin, False
    for code in questionnaires.effective_answers(q, canonical):
        if code == "consent":
            continue
        entry = answers[code]
        when = client_time(parse_time(entry.get("answered_at")) if isinstance(entry, Mapping) else None, screening.created_at)
        screening.answers.append(Answer(code=code, value=str(canonical[code]), channel=channel, answered_at=when or utcnow()))
    db.session.flush()
    finish(screening)
    return screening, True


def _valid_uuid(value: str) -> str:
    try:
        return str(uuidlib.UUID(str(value)))
    except (ValueError, TypeError):
        raise ScreeningError("uuid", "not a valid identifier") from None


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time with its offset, in UTC; None for anything else (also for times
    that fall outside the calendar once moved to UTC, such as year 1 at +14:00)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo else None
    except (ValueError, OverflowError):
        return None


def client_time(value: datetime | None, now: datetime) -> datetime | None:
    """A client's clock reading, kept only when plausible next to the server's ``now``."""
    if value is None or not (now - CLIENT_TIME_PAST <= value <= now + CLIENT_TIME_AHEAD):
        return None
    return value


def screenings_of(user: User, limit: int = 100) -> list[Screening]:
    return list(
        db.session.scalars(
            select(Screening).where(Screening.screener_id == user.id).order_by(Screening.created_at.desc()).limit(limit)
        )
    )


def get_own(user: User, uuid: str) -> Screening | None:
    """The screening if ``user`` may see it in the screener views, else None (-> 404)."""
    screening = db.session.scalar(select(Screening).where(Screening.uuid == uuid))
    if screening is None or screening.screener_id != user.id:
        return None
    return screening


def open_draft(
    screener: User, *, channels: tuple[str, ...], training: bool, since: datetime
) -> Screening | None:
    """The screener's most recently answered unfinished screening started on one of
    ``channels``, if it had an answer at or after ``since`` (the SMS and USSD channels
    resume it, across channels, until it expires)."""
    last_answer = (
        select(func.max(Answer.answered_at)).where(Answer.screening_id == Screening.id).scalar_subquery()
    )
    return db.session.scalar(
        select(Screening)
        .where(
            Screening.screener_id == screener.id,
            Screening.status == "draft",
            Screening.channel.in_(channels),
            Screening.training.is_(training),
            last_answer >= since,
        )
        .order_by(last_answer.desc(), Screening.id.desc())
        .limit(1)
    )


def discardable(screening: Screening) -> bool:
    """Only an unfinished web screening can be given up. A finished one is a case; an SMS or
    USSD draft may still be resumed from the phone (its session points at it)."""
    return screening.status == "draft" and screening.channel == "web"


def discard_draft(screening: Screening, *, by: User) -> None:
    """The screener gives up an unfinished screening: it goes with its answers and context.
    Its case number stays used (the counter never goes back), and the audit trail keeps
    who discarded which case number."""
    if not discardable(screening):
        raise ScreeningError("status", "only an unfinished web screening can be discarded")
    record("change.discard", user=by, object_type="screening", object_id=screening.case_number)
    db.session.delete(screening)
    db.session.flush()
