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


def _wordings_of(questionnaire, language):
    return {text: question.code for question in questionnaire.questions
            for text in (question.sms.get(language), question.ussd.get(language))}


WORDINGS = {language: _wordings_of(q, language) for language in ("km", "en")}
# A line of questions asked together: "ក) <the question's sms or ussd text>".
GROUP_LINE = re.compile(r"^[a-hកខគឃងចឆជ]\) ?(.+)$")


def _wordings(questionnaire, language):
    return WORDINGS[language] if questionnaire is None else _wordings_of(questionnaire, language)


def asked_group(text: str, language: str = "km", questionnaire=None) -> list[str]:
    """The codes of the questions a message (or USSD screen) asks together, in order: each
    line "ក) <question>" (a line may end with its own answer list)."""
    wordings = _wordings(questionnaire, language)
    codes = []
    for line in text.split("\n"):
        match = GROUP_LINE.match(line)
        if match:
            found = [w for w in wordings if match.group(1) == w or match.group(1).startswith(w + " ")]
            if found:
                codes.append(wordings[max(found, key=len)])
    return codes


def asked_codes_in_sms(texts: list[str], language: str = "km", questionnaire=None) -> list[str]:
    """The codes the last SMS asks: one question, or a group answered in one reply."""
    if not texts:
        return []
    group = asked_group(texts[-1], language, questionnaire)
    if len(group) > 1:
        return group
    prompts = PROMPTS[language] if questionnaire is None else {
        render.sms_prompt(questionnaire, question, language): question.code for question in questionnaire.questions}
    for prompt, code in prompts.items():
        if texts[-1].endswith(prompt):
            return [code]
    return []


def asked_in_sms(texts: list[str], language: str = "km") -> str | None:
    """The code of the (first) question the last SMS asks, or None."""
    codes = asked_codes_in_sms(texts, language)
    return codes[0] if codes else None


def group_reply(codes: list[str], answers: dict, turn: int, *, keypad: bool = False) -> str:
    """One reply to ``codes``: the answer alone for one question; for a group the digits
    run together, in Khmer or ASCII digits, or spaced (as screeners type them); answers
    that are not one digit (an age, a code) spaced."""
    if len(codes) == 1:
        return keypad_reply(codes[0], answers[codes[0]]) if keypad else khmer_reply(codes[0], answers[codes[0]], turn)
    keys = [keypad_reply(code, answers[code]) for code in codes]
    if not all(len(key) == 1 for key in keys):
        joined = " ".join(keys)
        return joined if keypad or turn % 2 else joined.translate(KHMER_DIGITS)
    digits = "".join(keys)
    if keypad:
        return digits
    return [digits, digits.translate(KHMER_DIGITS), " ".join(digits.translate(KHMER_DIGITS))][turn % 3]


def asked_codes_in_ussd(screen: str, language: str = "en", questionnaire=None) -> list[str]:
    """The codes a USSD screen (``CON ...``) asks: one question, or a group."""
    if not screen.startswith("CON "):
        return []
    group = asked_group(screen[4:], language, questionnaire)
    if len(group) > 1:
        return group
    lines = screen[4:].split("\n")
    for question in (questionnaire or q).questions:
        if question.ussd.get(language) in lines:
            return [question.code]
    return []


def asked_in_ussd(screen: str, language: str = "en") -> str | None:
    """The code of the (first) question a USSD screen shows, or None."""
    codes = asked_codes_in_ussd(screen, language)
    return codes[0] if codes else None


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
