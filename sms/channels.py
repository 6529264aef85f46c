"""The SMS and USSD channels over the dialogue: who is calling, which session, which reply.

Used by the webhooks, the simulators and the bench; provider-free (no Twilio here). The
caller commits.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import JSON, bindparam, insert, inspect, select, text, update
from sqlalchemy.orm.attributes import set_committed_value

from webapp.core import phones
from webapp.core.types import utcnow
from webapp.extensions import db
from webapp.referrals import directory, operations
from webapp.referrals.models import Service
from webapp.screening.models import Answer, Screening

from . import messages, render
from .dialogue import (
    ANSWER_REFERRALS,
    IDLE,
    SCREEN,
    Caller,
    Dialogue,
    identify,
    open_known_session,
    open_session,
    phone_use,
)
from .models import InboundMessage, SmsSession


def neutral_reply() -> str:
    """To any number that is not a registered staff phone: both languages, nothing more."""
    return f"{messages.text('neutral', 'km')} {messages.text('neutral', 'en')}"


@dataclass(frozen=True)
class UssdReply:
    text: str
    end: bool

    @property
    def body(self) -> str:
        return ("END " if self.end else "CON ") + self.text


def stored_reply(message_sid: str | None) -> list[str] | None:
    """The reply already given to this provider message, if it was handled before."""
    if not message_sid:
        return None
    row = db.session.scalar(select(InboundMessage).where(InboundMessage.message_sid == message_sid))
    return json.loads(row.reply) if row is not None else None


def sms_reply(
    raw_phone: str | None,
    body: str | None,
    *,
    message_sid: str | None = None,
    training: bool = False,
    now: datetime | None = None,
) -> list[str]:
    """Handle one inbound SMS; returns the texts to send back (possibly none).

    Screening roles get the dialogue; a service (its staff's phones or its registered
    number) may answer referrals; anyone else gets the neutral reply and nothing is stored.
    A ``message_sid`` seen before gets the reply stored with it and changes nothing: it is
    looked up once, with the session lock; a retry racing the original past that look-up
    fails on the unique MessageSid when stored (IntegrityError: the caller rolls back and
    answers with :func:`stored_reply`).
    """
    opened = open_known_session(raw_phone, "sms", training=training, message_sid=message_sid)
    if opened is not None and phone_use(opened.caller) == SCREEN:
        # The usual message: one statement for the session, its owner and the MessageSid.
        if opened.previous_reply is not None:
            return json.loads(opened.previous_reply)
        return _dialogue_reply(opened.session, opened.caller, body, message_sid=message_sid, now=now,
                               screening=opened.screening)
    caller = opened.caller if opened is not None else identify(raw_phone, training=training)
    use = phone_use(caller)
    if use == SCREEN:
        return caller_sms_reply(caller, body, message_sid=message_sid, now=now)
    if (use == ANSWER_REFERRALS or caller is None) and not training:
        return [referral_answer(raw_phone, body, caller) or neutral_reply()]
    return [neutral_reply()]


def referral_answer(raw_phone: str | None, body: str | None, caller: Caller | None) -> str | None:
    """A registered service answering a referral ('YES 123'), from the service's registered
    phone or the phone of one of its staff. Answering twice changes nothing."""
    service = None
    if caller is not None and caller.user.service_id:
        service = db.session.get(Service, caller.user.service_id)
    if service is None:
        try:
            service = directory.find_by_phone(phones.normalise(raw_phone or ""))
        except phones.PhoneError:
            return None
    if service is None:
        return None
    return operations.answer_by_sms(service, body, caller.user.language if caller is not None else None)


def caller_sms_reply(
    caller: Caller,
    body: str | None,
    *,
    message_sid: str | None = None,
    now: datetime | None = None,
    skip_unneeded: bool = True,
) -> list[str]:
    session = open_session(caller, "sms")
    previous = stored_reply(message_sid)
    if previous is not None:
        return previous
    return _dialogue_reply(session, caller, body, message_sid=message_sid, now=now, skip_unneeded=skip_unneeded)


def _dialogue_reply(
    session: SmsSession,
    caller: Caller,
    body: str | None,
    *,
    message_sid: str | None,
    now: datetime | None,
    skip_unneeded: bool = True,
    screening: Screening | None = None,
) -> list[str]:
    """One message of the dialogue on a locked session (``screening``: the one it asks,
    already loaded, kept referenced here so the message reads it from the identity map)."""
    dialogue = Dialogue(session, caller.user, now=now, skip_unneeded=skip_unneeded)
    turn = dialogue.receive(body)
    texts = [] if turn.silent else render.sms_texts(dialogue.q, turn.says, dialogue.language)
    # The reply is remembered with the MessageSid (a retry gets it again, changing nothing).
    remembered = ({"message_sid": message_sid, "session_id": session.id, "reply": json.dumps(texts),
                   "received_at": utcnow()} if message_sid else None)
    if not write_turn(session, remembered):
        db.session.flush()
        if remembered is not None:
            db.session.execute(insert(InboundMessage.__table__), remembered)
    return texts


def write_turn(session: SmsSession, remembered: dict | None) -> bool:
    """Write a usual message's changes past the unit of work: the session's dialogue
    columns, the answers of the reply and the reply remembered with its MessageSid. On
    PostgreSQL they go as one statement (a data-modifying WITH: one round trip where the
    unit of work took three, with its bookkeeping); on SQLite one after the other. The
    statements are built once, so each message only binds its values.

    Only for exactly that shape of change (the usual message). Anything else pending (a
    screening started or finished, an answer changed, the phone's owner changed) returns
    False, writing nothing: the caller flushes as usual. After writing, the objects are
    marked as stored, so the commit writes nothing twice."""
    orm = db.session()
    if orm.deleted:
        return False
    answers = []
    for pending in orm.new:
        if not isinstance(pending, Answer) or _screening_id(pending) is None:
            return False
        answers.append(pending)
    for dirty in orm.dirty:
        if dirty is session or (isinstance(dirty, Screening) and not _changed_columns(dirty)
                                and not inspect(dirty).attrs.answers.history.deleted):
            continue  # the session, or a screening that only gained answers
        if orm.is_modified(dirty):
            return False
    changed = _changed_columns(session)
    if not changed.keys() <= _DIALOGUE_COLUMN_SET:
        return False
    values = {"session_id": session.id, **{name: getattr(session, name) for name in _DIALOGUE_COLUMNS}}
    rows = [{"screening_id": _screening_id(answer), "code": answer.code, "value": answer.value,
             "channel": answer.channel, "answered_at": answer.answered_at or utcnow()} for answer in answers]
    with orm.no_autoflush:  # what is pending is written here, not by the unit of work
        if orm.get_bind().dialect.name == "postgresql":
            as_json = [{**row, "answered_at": row["answered_at"].astimezone(UTC).isoformat()} for row in rows]
            orm.execute(_WRITE_TURN, {**values, "answers": as_json, **(remembered or _NOTHING_REMEMBERED)})
        else:
            if changed:
                orm.execute(_WRITE_SESSION, values)
            if rows:
                orm.execute(insert(Answer.__table__), rows)
            if remembered is not None:
                orm.execute(insert(InboundMessage.__table__), remembered)
    # Stored: nothing of it is left pending for the commit. The session keeps its values
    # (they are what was written); a screening's answers are read again if asked for.
    for name in changed:
        set_committed_value(session, name, values[name])
    # An answer added on its own (Screening.know_answers) has its key and is in no loaded
    # collection; one appended to a collection gets its key only at a flush.
    collections = {answer.screening for answer in answers if answer.screening_id is None}
    for answer in answers:
        orm.expunge(answer)
    for screening in collections:
        orm.expire(screening, ["answers"])
    return True


def _screening_id(answer: Answer) -> int | None:
    """The stored screening a new answer belongs to: set directly (added on its own), or
    through the collection it was appended to (its key is set only at a flush)."""
    if answer.screening_id is not None:
        return answer.screening_id
    return answer.screening.id if answer.screening is not None else None


def _changed_columns(instance) -> dict:
    """The columns of ``instance`` set to a new value since it was loaded."""
    state = inspect(instance)
    columns = state.mapper.column_attrs
    found = {}
    for key in state.committed_state:  # the attributes set since loaded, changed or not
        if key in columns:
            added = state.attrs[key].history.added
            if added:
                found[key] = added[0]
    return found


# What a message of the dialogue changes in its session: what "back to idle" resets, and the time.
_DIALOGUE_COLUMNS = (*IDLE, "last_activity_at")
_DIALOGUE_COLUMN_SET = frozenset(_DIALOGUE_COLUMNS)
_SESSION = SmsSession.__table__
_WRITE_SESSION = (
    update(_SESSION).where(_SESSION.c.id == bindparam("session_id"))
    .values({name: bindparam(name) for name in _DIALOGUE_COLUMNS})
)
_NOTHING_REMEMBERED = {"message_sid": None, "reply": None, "received_at": None}
# PostgreSQL: the three writes in one statement. The answers come as one JSON array of rows;
# the reply is stored only with a MessageSid. Only the column names are formatted in, from
# _DIALOGUE_COLUMNS above; every value is bound.
_WRITE_TURN = text(f"""
WITH session_written AS (
    UPDATE sms_sessions SET {", ".join(f"{name} = :{name}" for name in _DIALOGUE_COLUMNS)}
    WHERE id = :session_id
), answers_written AS (
    INSERT INTO answers (screening_id, code, value, channel, answered_at)
    SELECT screening_id, code, value, channel, answered_at
    FROM json_to_recordset(CAST(:answers AS json))
        AS row (screening_id integer, code text, value text, channel text, answered_at timestamptz)
)
INSERT INTO sms_inbound (message_sid, session_id, reply, received_at)
SELECT CAST(:message_sid AS varchar), :session_id, :reply, :received_at WHERE CAST(:message_sid AS varchar) IS NOT NULL
""").bindparams(  # noqa: S608 (names above, values bound)
    bindparam("group_codes", type_=SmsSession.group_codes.type),
    bindparam("context", type_=SmsSession.context.type),
    bindparam("last_activity_at", type_=SmsSession.last_activity_at.type),
    bindparam("answers", type_=JSON),
    bindparam("reply", type_=InboundMessage.reply.type),
    bindparam("received_at", type_=InboundMessage.received_at.type),
)


def ussd_reply(
    gateway_session: str | None,
    raw_phone: str | None,
    text: str | None,
    *,
    language: str = "en",
    training: bool = False,
    now: datetime | None = None,
) -> UssdReply:
    """Handle one USSD gateway request (``text``: every input of the session joined by '*').

    Only screening roles get the menu (referrals are answered by SMS): anyone else gets
    the neutral line and nothing is stored."""
    caller = identify(raw_phone, training=training)
    if phone_use(caller) != SCREEN:
        return UssdReply(messages.text("neutral", language), end=True)
    return caller_ussd_reply(caller, gateway_session, text, language=language, now=now)


def caller_ussd_reply(
    caller: Caller, gateway_session: str | None, text: str | None, *, language: str = "en", now: datetime | None = None
) -> UssdReply:
    session = open_session(caller, "ussd")
    dialogue = Dialogue(session, caller.user, now=now, language=language)
    inputs = text.split("*") if text else []
    marker = hashlib.sha256((gateway_session or "").encode("utf-8")).hexdigest()
    turn = None
    if session.ussd_session != marker:
        # A new dial. Its inputs so far are handled from the first (some gateways pass
        # input typed with the service code, *123*1#, in the first request).
        session.ussd_session = marker
        session.ussd_inputs = 0
        turn = dialogue.dial()
    # Only inputs not handled yet: a gateway retry (same text) changes nothing.
    for part in inputs[session.ussd_inputs:]:
        turn = dialogue.receive(part)
    session.ussd_inputs = max(session.ussd_inputs, len(inputs))
    if turn is None:
        turn = dialogue.show()
    state = session.state
    question = session.question if state in ("consent", "asking", "record") else None
    screen, end = render.ussd_screen(
        dialogue.q,
        turn.says,
        language=dialogue.language,
        question=question,
        showing_help=session.showing_help,
        page=session.page,
        group=session.group_codes if question is not None else None,
    )
    db.session.flush()
    return UssdReply(screen, end or turn.end)
