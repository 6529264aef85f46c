"""Driving whole screenings through the channels as a screener would: read the question
off the reply, answer it as a Khmer (or English) speaker types."""
from __future__ import annotations

import re

from sqlalchemy import func, select

import questionnaires as Q
from questionnaires import replies
from sms import render
from sms.models import InboundMessage, SmsSession
from webapp.outbox.models import OutboxMessage
from webapp.screening.models import Answer, DeclinedScreening, Screening

q = Q.load()
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
CASE_NUMBER = re.compile(r"KH-[A-Z]{3}-\d{4}-\d{6}")
PROMPTS = {
    language: {render.sms_prompt(q, question, language): question.code for question in q.questions}
    for language in ("km", "en")
}
# Many ways a Khmer screener types the same answer: digits, Khmer digits, words, with the
# zero-width spaces Khmer keyboards insert.
KHMER_WORDS = {
    "yes": ["១", "បាទ", "\u200bចាស\u200b", "1", "បាទ/ចាស"],
    "no": ["២", "ទេ", "អត់", "2", "\u200bទេ"],
    "unknown": ["៣", "មិនដឹង", "3"],
    "refused": ["៤", "មិនចង់ឆ្លើយ", "4"],
}


def asked_in_sms(texts: list[str], language: str = "km") -> str | None:
    """The code of the question the last SMS asks, or None."""
    if not texts:
        return None
    for prompt, code in PROMPTS[language].items():
        if texts[-1].endswith(prompt):
            return code
    return None


def asked_in_ussd(screen: str, language: str = "en") -> str | None:
    """The code of the question a USSD screen (``CON ...``) shows, or None."""
    if not screen.startswith("CON "):
        return None
    lines = screen[4:].split("\n")
    for question in q.questions:
        if question.ussd.get(language) in lines:
            return question.code
    return None


def khmer_reply(code: str, value, turn: int) -> str:
    question = q.question(code)
    if question.type == "integer":
        return "មិនដឹង" if value == "unknown" else str(value).translate(KHMER_DIGITS)
    if question.type in ("indicator", "consent"):
        words = KHMER_WORDS[value]
        return words[turn % len(words)]
    numbered = {v: n for n, v in replies.numbered_values(q, question)}
    if value in numbered and turn % 3:
        return str(numbered[value]).translate(KHMER_DIGITS)
    return str(value).lower() if turn % 2 else str(value)  # an ISO or province code, any case


def keypad_reply(code: str, value) -> str:
    """What a USSD user keys in: numbers only where there is a list."""
    question = q.question(code)
    if question.type == "integer":
        return "999" if value == "unknown" else str(value)
    numbered = {v: n for n, v in replies.numbered_values(q, question)}
    return str(numbered[value]) if value in numbered else str(value)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def stored_counts(db) -> dict[str, int]:
    return {
        model.__tablename__: count(db, model)
        for model in (SmsSession, InboundMessage, OutboxMessage, Screening, Answer, DeclinedScreening)
    }
