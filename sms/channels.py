"""The SMS and USSD channels over the dialogue: who is calling, which session, which reply.

Used by the webhooks, the simulators and the bench; provider-free (no Twilio here). The
caller commits.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from webapp.core import phones
from webapp.core.types import utcnow
from webapp.extensions import db
from webapp.referrals import directory, operations
from webapp.referrals.models import Service
from webapp.screening.models import Screening

from . import messages, render
from .dialogue import ANSWER_REFERRALS, SCREEN, Caller, Dialogue, identify, open_known_session, open_session, phone_use
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
    db.session.flush()
    if message_sid:
        # A plain insert (nothing reads the row back in this request): the unit of work's
        # bookkeeping for it was a good share of a message's flush.
        db.session.execute(_REMEMBER_REPLY, {"message_sid": message_sid, "session_id": session.id,
                                             "reply": json.dumps(texts), "received_at": utcnow()})
    return texts


_REMEMBER_REPLY = insert(InboundMessage.__table__)


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
