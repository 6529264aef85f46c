"""The channel-neutral dialogue: one inbound text plus the stored session gives what to say.

It knows nothing of Twilio, USSD gateways or HTTP: the webhooks, the simulator and the
bench all call :func:`open_session` and :class:`Dialogue`, then render the returned
:class:`Turn` for their channel. Every change goes through the engine
(``questionnaires``) and the shared screening services (``webapp.screening.operations``),
exactly like the web form. Nothing here commits: the caller owns the transaction.
"""
from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import (
    JSON,
    Boolean,
    Select,
    Text,
    bindparam,
    cast,
    delete,
    func,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import defer

import questionnaires
from questionnaires import replies
from webapp.auth.models import User
from webapp.auth.operations import find_by_phone
from webapp.core import crypto, phones, upsert
from webapp.core.types import utcnow
from webapp.extensions import db
from webapp.outbox import operations as outbox
from webapp.referrals import operations as referral_ops
from webapp.screening import operations as screening_ops
from webapp.screening.models import Answer, Screening
from webapp.screening.operations import Context, ScreeningError

from . import messages, render
from .models import InboundMessage, SmsSession
from .render import Say

PLAIN_NUMBER = re.compile(r"\+?[0-9][0-9 ()-]{5,20}")
REMIND_AFTER = timedelta(minutes=30)
EXPIRE_AFTER = timedelta(hours=24)
# Providers retry a webhook within minutes; a week of MessageSids is plenty to answer a
# retry, and the stored replies (case numbers, results) should not outlive that need.
KEEP_INBOUND = timedelta(days=7)
# Drafts the phone channels may resume: their own, never a web form's.
PHONE_CHANNELS = ("sms", "ussd")


@dataclass
class Turn:
    """What to say back. ``end``: the conversation is over (USSD answers END);
    ``silent``: say nothing at all (an opt-out word)."""

    says: list[Say] = field(default_factory=list)
    end: bool = False
    silent: bool = False


@dataclass(frozen=True)
class Caller:
    """A registered staff member on a phone channel. ``phone`` is kept (encrypted) only to
    send reminders; the browser simulator has none."""

    user: User
    phone_hash: str
    phone: str | None
    training: bool = False


def identify(raw_phone: str | None, *, training: bool = False) -> Caller | None:
    """The active staff member owning this number, or None (then nothing may be stored).

    Only a plain number is accepted: ``phonenumbers`` would also read "whatsapp:+855..."
    or "tel:..." as the number, and other channels are not ours to answer.
    """
    e164 = _plain_e164(raw_phone)
    if e164 is None:
        return None
    user = find_by_phone(e164)
    if user is None:
        return None
    return Caller(user, phones.phone_hash(e164), e164, training)


def _plain_e164(raw_phone: str | None) -> str | None:
    """``raw_phone`` in E.164 when it is a plain number, else None."""
    if not raw_phone or not PLAIN_NUMBER.fullmatch(raw_phone.strip()):
        return None
    try:
        return phones.normalise(raw_phone.strip())
    except phones.PhoneError:
        return None


# What a staff phone may do on SMS and USSD, by the owner's role. The same rule as on the
# web: only screening roles screen; a service's staff answer referrals (an SMS reply);
# everyone else, supervisors and administrators included, is treated as a stranger.
SCREEN = "screen"
ANSWER_REFERRALS = "answer referrals"


def phone_use(caller: Caller | None) -> str | None:
    """SCREEN, ANSWER_REFERRALS, or None (the neutral line; nothing may be stored)."""
    if caller is None:
        return None
    if caller.user.is_screener:  # the web's rule too (auth.access.SCREENERS)
        return SCREEN
    if caller.user.role == "service":
        return ANSWER_REFERRALS
    return None


def simulator_caller(user: User) -> Caller:
    """The browser simulator: a training session of the logged-in user, without a phone."""
    return Caller(user, crypto.keyed_hash(f"user:{user.id}", "sms-simulator"), None, training=True)


def open_session(caller: Caller, channel: str) -> SmsSession:
    """The caller's session on ``channel``, created if new, locked for this transaction.

    The insert ignores a conflict so two first messages racing from one phone share one
    row; the ``FOR UPDATE`` then serialises every message of that phone on PostgreSQL (on
    SQLite the database write lock does the same).
    """
    now = utcnow()
    statement = (
        upsert.insert(SmsSession)
        .values(
            channel=channel,
            phone_hash=caller.phone_hash,
            training=caller.training,
            user_id=caller.user.id,
            language=caller.user.language if caller.user.language in ("km", "en") else "km",
            state="idle",
            ussd_inputs=0,
            page=0,
            showing_help=False,
            last_activity_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["channel", "phone_hash", "training"])
    )
    db.session.execute(statement)
    session = db.session.scalars(
        select(SmsSession)
        .where(
            SmsSession.channel == channel,
            SmsSession.phone_hash == caller.phone_hash,
            SmsSession.training.is_(caller.training),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return _claimed(session, caller)


def _claimed(session: SmsSession, caller: Caller) -> SmsSession:
    _owned_by(session, caller.user)
    if caller.phone and session.phone != caller.phone:
        session.phone = caller.phone
    return session


def _owned_by(session: SmsSession, user: User) -> None:
    if session.user_id != user.id:
        # The number moved to another staff member: nothing of the old dialogue carries over.
        _reset(session)
        session.user_id = user.id


# What "back to idle" means for a session, in one place: the dialogue's own reset, the
# take-over of a draft by the staff member's other channel, and the 24-hour expiry tick.
IDLE = {
    "state": "idle", "screening_id": None, "question": None, "group_codes": None, "context": None, "page": 0,
    "showing_help": False,
}


@dataclass
class Opened:
    """A phone's session, locked, with what one message needs from the database: the
    active staff member owning the number, the screening being asked (with its answers,
    held here so the identity map keeps them for the whole message) and the reply already
    given to this provider message (None when it is new)."""

    session: SmsSession
    caller: Caller
    screening: Screening | None
    previous_reply: str | None


# Built once (building them was a good part of a message's cost); the values are bound.
_MINE = (
    SmsSession.channel == bindparam("the_channel"),
    SmsSession.phone_hash == bindparam("the_phone_hash"),
    SmsSession.training == bindparam("the_training"),
)
_TAKE_WRITE_LOCK = update(SmsSession).where(*_MINE).values(page=SmsSession.page)
# The screening's answers as one JSON array of (code, value) pairs: the dialogue needs only
# those, and building an object for every answer row cost more than the rest of the read
# (Screening.know_answers). Per database, as each spells the aggregate.
_ANSWER_PAIRS = {
    "postgresql": func.json_agg(aggregate_order_by(func.json_build_array(Answer.code, Answer.value), Answer.id),
                                type_=JSON),
    "sqlite": func.json_group_array(func.json_array(Answer.code, Answer.value), type_=JSON),
}


def _answer_pairs(dialect: str):
    return select(_ANSWER_PAIRS[dialect]).where(Answer.screening_id == Screening.id).scalar_subquery()


# Whether the locked session row is the version this statement's snapshot saw. A statement
# that waited for the lock gets the row as the other message left it, but the rows joined to
# it (the screening, its answers) as they were before that message: then they are read again.
_SEEN = SmsSession.__table__.alias("seen")
_UNCHANGED_SINCE_SNAPSHOT = {
    "postgresql": cast(literal_column("sms_sessions.xmin"), Text) == (
        select(cast(literal_column("seen.xmin"), Text)).select_from(_SEEN).where(_SEEN.c.id == SmsSession.id)
        .scalar_subquery()),
    # SQLite: the write lock is taken before anything is read, so nothing can change after.
    "sqlite": literal(True, Boolean),
}


# The encrypted phone numbers are left unread (a decryption each): the session was found
# by the keyed hash of the very number it stores, so only whether it stores one is asked.
def _known_session(dialect: str) -> Select:
    return (
        select(
            SmsSession,
            User,
            select(InboundMessage.reply).where(InboundMessage.message_sid == bindparam("message_sid"))
            .scalar_subquery(),
            SmsSession.phone.is_(None),
            Screening,
            _answer_pairs(dialect),
            _UNCHANGED_SINCE_SNAPSHOT[dialect],
        )
        .join(User, (User.phone_hash == SmsSession.phone_hash) & User.active.is_(True))
        .outerjoin(Screening, Screening.id == SmsSession.screening_id)
        .where(*_MINE)
        .options(defer(SmsSession.phone), defer(User.phone))
        .with_for_update(of=SmsSession)
        .execution_options(populate_existing=True)
    )


def _screening_with_answers(dialect: str) -> Select:
    return (select(Screening, _answer_pairs(dialect)).where(Screening.id == bindparam("screening_id"))
            .execution_options(populate_existing=True))


_KNOWN_SESSION = {dialect: _known_session(dialect) for dialect in _ANSWER_PAIRS}
_SCREENING_WITH_ANSWERS = {dialect: _screening_with_answers(dialect) for dialect in _ANSWER_PAIRS}


def open_known_session(raw_phone: str | None, channel: str, *, training: bool = False,
                       message_sid: str | None = None) -> Opened | None:
    """The session of a phone that has one, locked, in one statement with its owner, the
    de-duplication of ``message_sid``, and its screening with the answers' values. When
    another message of this phone committed while this one waited for the lock, the
    screening and its answers are read again (the statement's own were from before it).
    None when the number is not a plain number, has no session yet on ``channel`` or no
    active owner: then :func:`identify` and :func:`open_session` take over.

    The previous reply is read with the lock's statement; a retry racing the original
    past that read is caught by the unique MessageSid when it is stored (the caller
    answers it as the original was answered)."""
    e164 = _plain_e164(raw_phone)
    if e164 is None:
        return None
    phone_hash = phones.phone_hash(e164)
    keys = {"the_channel": channel, "the_phone_hash": phone_hash, "the_training": training}
    dialect = db.session.get_bind().dialect.name
    if dialect != "postgresql":
        # No row locks (SQLite): a write first takes the database write lock, which then
        # serialises the messages as the row lock does on PostgreSQL.
        db.session.execute(_TAKE_WRITE_LOCK, keys)
    row = db.session.execute(_KNOWN_SESSION[dialect], dict(keys, message_sid=message_sid)).one_or_none()
    if row is None:
        return None
    session, user, previous_reply, no_phone, screening, pairs, unchanged = row
    caller = Caller(user, phone_hash, e164, training)
    _owned_by(session, user)  # as _claimed, without reading the phone it stores
    if no_phone:
        session.phone = e164
    if previous_reply is not None or session.screening_id is None:  # a retry needs none
        screening = None
    elif not unchanged or screening is None or screening.id != session.screening_id:
        found = db.session.execute(_SCREENING_WITH_ANSWERS[dialect], {"screening_id": session.screening_id}).first()
        screening, pairs = found if found is not None else (None, None)
    if screening is not None:
        screening.know_answers(pairs or [])
    return Opened(session, caller, screening, previous_reply)


def _record_offer(groups: list) -> Say:
    """USSD: the offer of the questions kept for the record, counted over all their groups."""
    return Say("record_offer", params={"n": sum(len(group) for group in groups)})


def _reset(session: SmsSession) -> None:
    for name, value in IDLE.items():
        setattr(session, name, value)


class Dialogue:
    """One staff member's conversation on one channel, over its locked session row."""

    def __init__(
        self,
        session: SmsSession,
        user: User,
        *,
        now: datetime | None = None,
        language: str | None = None,
        skip_unneeded: bool = True,
    ):
        self.session = session
        self.user = user
        self.now = now or utcnow()
        # Off only to measure what skipping saves (bench/sms_cost.py).
        self.skip_unneeded = skip_unneeded
        # USSD gateways fix the language; SMS follows the session (the staff member's).
        self.fixed_language = language
        self._q: tuple[int | None, questionnaires.Questionnaire] | None = None

    @property
    def q(self) -> questionnaires.Questionnaire:
        """The version that judges the screening being asked (a draft started on an older
        version finishes on it); the current one before a screening exists. Looked up once
        per screening (a message reads it often, and a screening's version never changes)."""
        screening_id = self.session.screening_id
        if self._q is None or self._q[0] != screening_id:
            screening = self.screening()
            version = screening.questionnaire_version if screening is not None else None
            self._q = (screening_id, questionnaires.load(version))
        return self._q[1]

    # --- reading ---------------------------------------------------------------------

    @property
    def language(self) -> str:
        return self.fixed_language or self.session.language

    @property
    def channel(self) -> str:
        return self.session.channel

    def screening(self) -> Screening | None:
        if self.session.screening_id is None:
            return None
        return db.session.get(Screening, self.session.screening_id)

    def current_question(self) -> questionnaires.Question | None:
        code = self.session.question
        return self.q.question(code) if code and self.q.has(code) else None

    def current_group(self) -> list[questionnaires.Question]:
        """The questions the last message asked together (one reply answers them all)."""
        codes = self.session.group_codes or ([self.session.question] if self.session.question else [])
        return [self.q.question(code) for code in codes if self.q.has(code)]

    # --- entry points -----------------------------------------------------------------

    def receive(self, text: str | None) -> Turn:
        """One inbound message (an SMS, or one input of a USSD session)."""
        notices = self._expire_if_stale()
        state = self.session.state
        if state == "choosing":
            return self._prepend(notices, self._choosing(text))
        if state == "share":
            return self._prepend(notices, self._sharing(text))
        if state == "record":
            return self._prepend(notices, self._recording(text))
        question = self.current_question() if state in ("consent", "asking") else None
        group = self.current_group() if state == "asking" else []
        if len(group) > 1:
            reply = replies.parse(text, self.q, None)  # commands and opt-out words only
            if isinstance(reply, replies.Unclear):
                values = replies.parse_group(text, self.q, group)
                reply = replies.Answer(values) if values is not None else reply
        else:
            reply = replies.parse(text, self.q, question)
        if isinstance(reply, replies.OptOut):
            return Turn(silent=True)
        if isinstance(reply, replies.Command):
            turn = self._command(reply)
        elif state == "idle":
            turn = self._idle_help()
        elif isinstance(reply, replies.Answer):
            turn = self._answer(reply.value)
        elif len(group) > 1:
            turn = Turn([self._group_unclear(group), self._question_say()])
        else:
            turn = self._unclear(question)
        return self._prepend(notices, turn)

    def _question_say(self, *, optional: bool = False, kind: str = "question") -> Say:
        """The open question, or the questions asked together with it."""
        group = self.session.group_codes
        params: dict = {}
        if group and len(group) > 1:
            screening = self.screening()
            params = {"group": list(group), "brief": screening is not None and self._brief(screening.answer_map())}
        return Say(kind, code=self.session.question, params=params, optional=optional)

    def _brief(self, answers) -> bool:
        """Whether the yes/no key has been shown in this screening already: once a yes/no
        question is answered, later groups close with "reply N digits" alone."""
        q = self.q
        return any(q.has(code) and q.question(code).is_indicator for code in answers)

    def _group_unclear(self, group: list) -> Say:
        """A group reply not understood: how many answers, and the yes/no key again."""
        return Say("unclear", key="group", params={"n": len(group), "legend": render.shares_key(group)})

    def dial(self) -> Turn:
        """A new USSD session: offer to continue an open screening, or go to consent."""
        notices = self._expire_if_stale()
        if self.session.state in ("consent", "share", "record"):
            # The line dropped: the same question, referral or record step again (0 ends it).
            self.session.page = 0
            return self._prepend(notices, self.show())
        draft = self.screening() if self.session.state == "asking" else None
        if draft is None or draft.status != "draft":
            draft = self._open_draft()
        if draft is not None:
            self.session.state = "choosing"
            self.session.screening_id = draft.id
            self.session.question = None
            self._touch()
            return self._prepend(notices, Turn([Say("choose", params={"case": draft.case_number})]))
        return self._prepend(notices, self._start(None))

    def show(self) -> Turn:
        """What the current state asks for, unchanged (a retried USSD request)."""
        state = self.session.state
        if state == "choosing":
            screening = self.screening()
            return Turn([Say("choose", params={"case": screening.case_number if screening else ""})])
        if state in ("consent", "asking", "record") and self.session.question:
            kind = "help" if self.session.showing_help else "question"
            return Turn([self._question_say(kind=kind)])
        if state == "record":  # USSD: the result screen's offer
            screening = self.screening()
            if screening is not None and screening.status == "complete":
                return Turn(self._record_offer_say(screening))
            _reset(self.session)
        if state == "share":
            screening = self.screening()
            say = self._share_say(screening) if screening is not None else None
            if say is not None:
                return Turn([say])
            _reset(self.session)  # decided on the web result page meanwhile
        return self._idle_help()

    # --- commands ---------------------------------------------------------------------

    def _command(self, command: replies.Command) -> Turn:
        state = self.session.state
        if command.name == "start":
            return self._start(command.arg)
        if command.name == "resume":
            return self._resume()
        if command.name == "language":
            if self.fixed_language is None:
                self.session.language = command.arg
            turn = self.show()
            turn.says.insert(0, Say("text", "language_set"))
            return turn
        if state == "idle":
            return self._idle_help()
        if command.name == "back":
            return self._back()
        if command.name == "help":
            self.session.showing_help = True
            self.session.page = 0
            return Turn([self._question_say(kind="help")])
        if command.name == "more":
            self.session.page += 1
            return self.show()
        return self.show()

    def _start(self, place: str | None) -> Turn:
        context = self._context(place)
        if isinstance(context, Turn):
            return context
        notices: list[Say] = []
        screening = self.screening()
        if self.session.state == "asking" and screening is not None and screening.status == "draft":
            # The old screening stays a draft: RESUME (or a new USSD dial) can reopen it.
            notices.append(Say("text", "abandoned", params={"case": screening.case_number}))
        _reset(self.session)
        self.session.state = "consent"
        self.session.question = "consent"
        self.session.context = context
        self._touch()
        return Turn(notices + [Say("question", code="consent")])

    def _context(self, place: str | None) -> dict | Turn:
        """Where the screening happens: the code after the start word, else the staff
        member's border post, province or country."""
        candidates = [_place_context(self.q, place)] if place else _user_contexts(self.user)
        for candidate in candidates:
            if candidate is None:
                continue
            try:
                validated = Context(**candidate).validated()
            except ScreeningError:
                continue
            return {k: v for k, v in validated.__dict__.items() if v is not None}
        if place:
            return Turn([Say("text", "unknown_place", params={"code": place.upper()[:20]})])
        return Turn([Say("text", "no_context")])

    def _resume(self) -> Turn:
        """Repeat the open question; with none open, reopen the latest unfinished screening
        (a pending consent is dropped for it: nothing was recorded for that person yet)."""
        screening = self.screening()
        if self.session.state == "asking" and screening is not None:
            turn = self.show()
            turn.says.insert(0, Say("text", "resumed", params={"case": screening.case_number}))
            return turn
        draft = self._open_draft()
        if draft is not None:
            return self._continue(draft)
        if self.session.state in ("consent", "share", "record"):
            return self.show()
        return Turn([Say("text", "nothing_to_resume")])

    def _continue(self, draft: Screening) -> Turn:
        """Take over ``draft`` (possibly from this staff member's other channel)."""
        db.session.execute(
            update(SmsSession)
            .where(SmsSession.screening_id == draft.id, SmsSession.id != self.session.id)
            .values(**IDLE)
        )
        return self._ask(draft, notice="resumed")

    def _open_draft(self) -> Screening | None:
        return screening_ops.open_draft(
            self.user, channels=PHONE_CHANNELS, training=self.session.training, since=self.now - EXPIRE_AFTER
        )

    def _choosing(self, text: str | None) -> Turn:
        cleaned = replies.clean(text)
        draft = self.screening()
        if cleaned == "1" and draft is not None and draft.status == "draft":
            return self._continue(draft)
        if cleaned == "2" or draft is None or draft.status != "draft":
            _reset(self.session)  # the draft stays open for RESUME / another dial
            return self._start(None)
        return self.show()

    def _back(self) -> Turn:
        current = self.session.question
        previous = questionnaires.previous_question(self.q, self._answers(), current) if current else None
        if previous is None or self.session.state != "asking":
            return Turn([Say("text", "first_question"), Say("question", code=current)])
        self.session.question = previous.code
        self.session.group_codes = None
        self.session.page = 0
        self.session.showing_help = False
        self._touch()
        return Turn([Say("question", code=previous.code)])

    # --- answers ----------------------------------------------------------------------

    def _answer(self, value) -> Turn:
        if self.session.state == "consent":
            return self._consent(value)
        screening = self.screening()
        code = self.session.question
        if screening is None or screening.status != "draft" or code is None:
            _reset(self.session)
            return self._idle_help()
        values = value if isinstance(value, dict) else {code: value}
        try:
            screening_ops.record_answers(screening, values, channel=self.channel, answered_at=self.now)
        except ScreeningError:
            # Not stored, none of it (a question no longer asked: an answer changed
            # meanwhile, on the web say): what is next is asked.
            return self._ask_next(screening)
        self._touch()
        return self._ask_next(screening)

    def _consent(self, value) -> Turn:
        context = Context(**(self.session.context or {}))
        if value != "yes":
            screening_ops.record_decline(channel=self.channel, context=context, training=self.session.training)
            _reset(self.session)
            self._touch()
            return Turn([Say("text", "declined")], end=True)
        screening = screening_ops.start_screening(
            screener=self.user,
            channel=self.channel,
            context=context,
            language=self.language,
            training=self.session.training,
            started_at=self.now,
        )
        return self._ask(screening, notice="started")

    def _ask(self, screening: Screening, *, notice: str) -> Turn:
        """Make ``screening`` the one being asked, and ask its next question after ``notice``."""
        _reset(self.session)
        self.session.state = "asking"
        self.session.screening_id = screening.id
        self._touch()
        say = Say("text", notice, params={"case": screening.case_number})
        turn = self._ask_next(screening, notice=say)
        turn.says.insert(0, say)
        return turn

    def _fits(self, notice: Say | None = None, *, brief: bool = False):
        """Whether a group of questions fits one message (beside ``notice``) or screen."""
        language = self.language
        text = render.plain_texts([notice], language)[0] if notice is not None else None
        return lambda questions: render.group_fits(self.q, questions, language, self.channel, text, brief=brief)

    def _ask_next(self, screening: Screening, notice: Say | None = None) -> Turn:
        """The next questions that can still matter (those of one group that one reply can
        answer together), or the result when none is left."""
        self.session.page = 0
        self.session.showing_help = False
        answers = screening.answer_map()
        group = questionnaires.next_group(
            self.q, answers, skip_unneeded=self.skip_unneeded, fits=self._fits(notice, brief=self._brief(answers))
        )
        if group:
            self.session.question = group[0].code
            self.session.group_codes = [question.code for question in group] if len(group) > 1 else None
            return Turn([self._question_say()])
        result = screening_ops.finish(screening)
        _reset(self.session)
        params = {"case": screening.case_number, "tier": result.tier, "flags": list(result.flags)}
        turn = Turn([Say("result", params=params)], end=True)
        share = self._share_say(screening)
        if share is not None:
            # The referral waits for the person's consent: ask it now, while they are here.
            self.session.state = "share"
            self.session.screening_id = screening.id
            turn.says.append(share)
            turn.end = False
        else:
            self._offer_record(screening, turn)
        return turn

    # --- for the record: the questions that could no longer change the result ------------

    def _record_groups(self, screening: Screening) -> list:
        answers = screening.answer_map()
        return questionnaires.record_groups(self.q, answers, fits=self._fits(brief=self._brief(answers)))

    def _offer_record(self, screening: Screening, turn: Turn, *, intro: bool = True) -> None:
        """After the result: offer the first group kept for the record, if any. On USSD a
        screen holds the result or a group, not both: the result screen offers the step
        (1 go on, 0 end) and the first group follows a 1."""
        if not self.skip_unneeded:
            return
        groups = self._record_groups(screening)
        if not groups:
            return
        self.session.state = "record"
        self.session.screening_id = screening.id
        if self.channel == "ussd" and intro:
            self.session.question = None
            self.session.group_codes = None
            turn.says.append(_record_offer(groups))
            turn.end = False
            return
        self.session.question = groups[0][0].code
        self.session.group_codes = [question.code for question in groups[0]]
        if intro:
            turn.says.append(Say("text", "record.intro"))
        turn.says.append(self._question_say())
        turn.end = False

    def _recording(self, text: str | None) -> Turn:
        """A reply to questions offered for the record: their answers (all or nothing),
        0 to skip the rest, or the start, resume and language words as anywhere."""
        screening = self.screening()
        if screening is None or screening.status != "complete":
            _reset(self.session)
            return self._idle_help()
        case = screening.case_number
        if replies.clean(text) == replies.BACK:
            _reset(self.session)
            self._touch()
            return Turn([Say("text", "record.skipped", params={"case": case})], end=True)
        if not self.session.question:
            return self._record_offer_reply(screening, text)
        reply = replies.parse(text, self.q, None)
        if isinstance(reply, replies.OptOut):
            return Turn(silent=True)
        if isinstance(reply, replies.Command):
            if reply.name in ("start", "resume", "language"):
                return self._command(reply)
            if reply.name == "help":
                return Turn([self._question_say(kind="help")])
            return self.show()
        group = self.current_group()
        values = replies.parse_group(text, self.q, group)
        if values is None:
            return Turn([self._group_unclear(group), self._question_say()])
        # Offered no longer (answered on the web meanwhile): offer what is left.
        with contextlib.suppress(ScreeningError):
            screening_ops.record_for_the_record(screening, values, channel=self.channel, answered_at=self.now)
        self._touch()
        _reset(self.session)
        turn = Turn([], end=True)
        self._offer_record(screening, turn, intro=False)
        if self.session.state != "record":
            turn.says.append(Say("text", "record.done", params={"case": case}))
        return turn

    def _record_offer_reply(self, screening: Screening, text: str | None) -> Turn:
        """USSD: the reply to the result screen's offer: 1 asks the first group, 2 (or 0,
        handled before) ends; anything else turns the page (result, offer)."""
        reply = replies.parse_yes_no(text)
        if isinstance(reply, replies.OptOut):
            return Turn(silent=True)
        if isinstance(reply, replies.Command) and reply.name in ("start", "resume", "language"):
            return self._command(reply)
        if not isinstance(reply, replies.Answer):
            # "99", or any other input: the next page (the offer, when the result filled
            # the first screen), and back.
            self.session.page += 1
        else:
            _reset(self.session)
            self._touch()
            turn = Turn([], end=True)
            if reply.value == "yes":
                self._offer_record(screening, turn, intro=False)
            if self.session.state != "record":
                turn.says.append(Say("text", "record.skipped", params={"case": screening.case_number}))
            return turn
        return self.show()

    def _record_offer_say(self, screening: Screening) -> list[Say]:
        """The result screen with the offer, shown again (a retried or unclear input)."""
        params = {"case": screening.case_number, "tier": screening.final_tier, "flags": list(screening.flags or [])}
        return [Say("result", params=params), _record_offer(self._record_groups(screening))]

    # --- the referral: the person's consent to share their case ------------------------

    def _share_say(self, screening: Screening, *, lock: bool = False) -> Say | None:
        """The referral in short form and the consent question, when a referral of
        ``screening`` still waits for the person's answer (what the web result page asks)."""
        undecided = referral_ops.awaiting_consent(screening, lock=lock)
        if not undecided:
            return None
        services: list[dict] = []
        for referral in undecided:
            service = referral.service
            if service is not None and all(item["id"] != service.id for item in services):
                services.append({"id": service.id, "km": service.name_km, "en": service.name_en,
                                 "phone": service.phone or "", "hours": service.hours or ""})
        params = {
            "case": screening.case_number,
            "tier": screening.final_tier,
            "flags": list(screening.flags or []),
            "services": services,
            "missing": any(referral.service is None for referral in undecided),
            "supervisor": any(referral.awaiting == "supervisor" for referral in undecided),
        }
        return Say("share", params=params)

    def _sharing(self, text: str | None) -> Turn:
        """A reply to the share question: yes / no (1 / 2, Khmer digits, the yes/no words);
        the start, resume and language words work as anywhere; anything else repeats it."""
        reply = replies.parse_yes_no(text)
        if isinstance(reply, replies.OptOut):
            return Turn(silent=True)
        if isinstance(reply, replies.Command):
            if reply.name in ("start", "resume", "language"):
                return self._command(reply)
            if reply.name == "more":  # the next USSD page
                self.session.page += 1
            return self.show()
        if isinstance(reply, replies.Answer):
            return self._share_answer(reply.value == "yes")
        turn = self.show()
        if self.session.state == "share" and not reply.empty:
            turn.says.insert(0, Say("unclear", key="consent"))
        return turn

    def _share_answer(self, consent: bool) -> Turn:
        screening = self.screening()
        # Locked: an answer given on the web result page at the same moment waits for this one.
        say = self._share_say(screening, lock=True) if screening is not None else None
        _reset(self.session)
        self._touch()
        if say is None:
            case = screening.case_number if screening is not None else ""
            return Turn([Say("text", "share.already", params={"case": case})], end=True)
        decided = referral_ops.share(screening, consent, actor=self.user)
        params = dict(
            say.params,
            consent=consent,
            notified=any(referral.state == "notified" for referral in decided),
            supervisor=any(referral.awaiting == "supervisor" for referral in decided),
        )
        turn = Turn([Say("shared", params=params)], end=True)
        self._offer_record(screening, turn)
        return turn

    def _unclear(self, question: questionnaires.Question | None) -> Turn:
        if question is None:
            return self._idle_help()
        return Turn([Say("unclear", key=question.type), Say("question", code=question.code, optional=True)])

    def _idle_help(self) -> Turn:
        draft = self._open_draft() if self.session.state == "idle" else None
        if draft is not None:
            return Turn([Say("text", "idle_open", params={"case": draft.case_number})])
        return Turn([Say("text", "idle")])

    # --- time ---------------------------------------------------------------------------

    def _touch(self) -> None:
        self.session.last_activity_at = self.now
        self.session.reminded_at = None

    def _expire_if_stale(self) -> list[Say]:
        """After 24 hours without a reply the open screening is let go (it stays a draft)."""
        if self.session.state == "idle" or self.now - self.session.last_activity_at <= EXPIRE_AFTER:
            return []
        screening = self.screening()
        _reset(self.session)
        if screening is None or screening.status != "draft":
            return []
        return [Say("text", "expired", params={"case": screening.case_number})]

    def _answers(self) -> dict:
        screening = self.screening()
        return screening.answer_map() if screening is not None else {}

    @staticmethod
    def _prepend(notices: list[Say], turn: Turn) -> Turn:
        turn.says[:0] = notices
        return turn


def _place_context(q: questionnaires.Questionnaire, place: str) -> dict | None:
    """A border post (code or name), a province (code or name) or a country abroad."""
    cleaned = replies.clean(place)
    code = cleaned.upper().replace(" ", "_").replace("-", "_")
    for crossing in q.places.crossings:
        if code == crossing.code or cleaned in (replies.clean(crossing.name.en), replies.clean(crossing.name.km)):
            return {"kind": "post", "post_code": crossing.code}
    for province in q.places.provinces:
        if code == province.code or cleaned in (replies.clean(province.name.en), replies.clean(province.name.km)):
            return {"kind": "province", "province_code": province.code}
    if len(code) == 2 and code in q.countries and code != "KH":
        return {"kind": "abroad", "country_code": code}
    return None


def _user_contexts(user: User) -> list[dict | None]:
    return [
        {"kind": "post", "post_code": user.post_code} if user.post_code else None,
        {"kind": "province", "province_code": user.province_code} if user.province_code else None,
        {"kind": "abroad", "country_code": user.country_code}
        if user.country_code and user.country_code != "KH"
        else None,
    ]


# --- reminders and expiry (a tick of `flask sms remind` or the outbox worker) -------------


def send_reminders(now: datetime | None = None) -> int:
    """Queue one reminder per SMS screening idle for 30 minutes (and not yet expired)."""
    now = now or utcnow()
    sessions = db.session.scalars(
        select(SmsSession)
        .where(
            SmsSession.channel == "sms",
            SmsSession.training.is_(False),
            SmsSession.state == "asking",
            SmsSession.reminded_at.is_(None),
            SmsSession.phone.is_not(None),
            SmsSession.screening_id.is_not(None),
            SmsSession.last_activity_at <= now - REMIND_AFTER,
            SmsSession.last_activity_at > now - EXPIRE_AFTER,
        )
        .with_for_update(skip_locked=True)
    ).all()
    for session in sessions:
        screening = db.session.get(Screening, session.screening_id)
        body = messages.text("reminder", session.language, case=screening.case_number)
        outbox.enqueue(session.phone, body, purpose="reminder")
        session.reminded_at = now
    return len(sessions)


def expire_stale(now: datetime | None = None) -> int:
    """Let go of screenings idle for more than 24 hours (they stay drafts)."""
    now = now or utcnow()
    result = db.session.execute(
        update(SmsSession)
        .where(SmsSession.state != "idle", SmsSession.last_activity_at <= now - EXPIRE_AFTER)
        .values(**IDLE)
    )
    return result.rowcount or 0


def forget_old_inbound(now: datetime | None = None) -> int:
    """Drop the record of messages handled more than a week ago."""
    now = now or utcnow()
    result = db.session.execute(delete(InboundMessage).where(InboundMessage.received_at < now - KEEP_INBOUND))
    return result.rowcount or 0


def forget_sessions(before: datetime) -> int:
    """Remove the dialogue sessions last used before ``before``, with the replies they gave
    (retention: ``flask purge --session-days``). Returns the sessions removed."""
    old_sessions = select(SmsSession.id).where(SmsSession.last_activity_at < before)
    db.session.execute(delete(InboundMessage).where(InboundMessage.session_id.in_(old_sessions)))
    return db.session.execute(delete(SmsSession).where(SmsSession.last_activity_at < before)).rowcount
