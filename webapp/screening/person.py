"""What the person reads: the questionnaire's person-facing texts in the person's language.

The screener's interface keeps the screener's language (the catalogs, km or en); the
person's language (``Screening.person_language``) is any language the questionnaire
declares (vi, th, zh-Hans, id, km, en), with its review status: a draft is marked wherever
it is shown, and consent in a draft language comes with the screener's language beside it.

Also the hand-over itself (:func:`hand_over`), begun from the consent page (views.py) or
from a draft (handover.py), which may not import each other.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from flask import current_app, session

import questionnaires
from questionnaires import Question, Questionnaire

from ..audit.operations import record
from ..core import places
from ..extensions import db
from . import audio

# The session key that holds a browser to the hand-over pages (handover.py).
HANDED_OVER = "handed_over"


def hand_over(screening, user) -> None:
    """The screener hands the phone to the person (after consent, or later from the
    draft): the audit trail records it and is committed, and only then is this browser
    held to the hand-over pages, so a failed commit never leaves it held to a hand-over
    the trail does not show."""
    record("change.handover", user=user, object_type="screening", object_id=screening.case_number)
    db.session.commit()
    session[HANDED_OVER] = screening.uuid
# A symbol with each answer word, for a person who reads little.
SYMBOLS = {"yes": "✓", "no": "✗", "unknown": "?", "refused": "→"}


@dataclass
class Button:
    value: str
    label: str
    symbol: str | None = None
    audio: str | None = None


@dataclass
class LanguageChoice:
    code: str
    name: str
    is_draft: bool


def languages(q: Questionnaire) -> list[LanguageChoice]:
    """The languages the person may choose, in the file's order."""
    return [LanguageChoice(code, language.name, language.is_draft) for code, language in q.languages.items()]


def skip_value(question: Question) -> str | None:
    """What "skip" records: ``refused`` for an indicator, ``unknown`` where a question
    allows it, None where it cannot be skipped (such as the sector of work)."""
    if question.type == "indicator":
        return "refused"
    if question.type == "integer":
        return "unknown" if question.allow_unknown else None
    return "unknown" if "unknown" in question.option_values() else None


class PersonTexts:
    """The texts of one questionnaire in the person's language ``lang``; ``screener`` is the
    screener's language (km/en), used beside a draft and for texts the file keeps in km/en
    only (province names)."""

    def __init__(self, q: Questionnaire, lang: str | None, screener: str):
        self.q = q
        self.screener = screener
        self.lang = lang if lang and q.language(lang) is not None else screener
        self.language = q.language(self.lang)

    @property
    def is_draft(self) -> bool:
        return self.language is not None and self.language.is_draft

    @property
    def name(self) -> str:
        return self.language.name if self.language else self.lang

    @property
    def reviewed(self) -> tuple[str, str] | None:
        """(who, when) a native speaker checked the language's texts, for a reviewed one."""
        language = self.language
        if language is None or language.status != "reviewed":
            return None
        return language.reviewed_by or "", language.reviewed_on or ""

    @property
    def show_screener_beside(self) -> bool:
        """Consent in a draft language comes with the screener's language beside it."""
        return self.is_draft and self.lang != self.screener

    def consent(self) -> str:
        return self.q.question("consent").text_for(self.lang, self.screener)

    def consent_in_screener_language(self) -> str:
        return self.q.question("consent").text_for(self.screener)

    def text(self, question: Question) -> str:
        return question.text_for(self.lang, self.screener)

    def audio(self, key: str) -> str | None:
        return self._audio(key)

    def question_audio(self, code: str) -> str | None:
        return self.audio(audio.question_key(code))

    @cached_property
    def _audio(self):
        """The language's recordings, read once per page (a page shows several texts)."""
        return audio.audio_finder(self.lang)

    def result_sentence(self, tier: str) -> str | None:
        if tier not in self.q.result_sentences:
            return None
        return self.q.result_sentence(tier, self.lang, self.screener)

    def contact(self, name: str, phone: str) -> str | None:
        """Whom the person can call later, in their language; None without a service set."""
        sentence = self.q.contact_sentence
        if sentence is None or not name or not phone:
            return None
        return sentence.get(self.lang, self.screener).replace("{name}", name).replace("{phone}", phone)

    def contact_line(self) -> str | None:
        """The contact sentence with the service the app is configured with (CONTACT_NAME,
        CONTACT_PHONE), or None when none is set."""
        config = current_app.config["APP_CONFIG"]
        return self.contact(config.contact_name, config.contact_phone)

    def buttons(self, question: Question) -> list[Button]:
        """Large answer buttons: the four answers with symbols, or a choice's options (and
        "don't know" where the question allows it)."""
        if question.type in ("indicator", "consent"):
            return [Button(v, self.q.answer_labels[v].get(self.lang, self.screener), SYMBOLS[v], self.audio(audio.answer_key(v)))
                    for v in question.option_values()]
        if question.type == "choice":
            return [Button(o.value, o.label.get(self.lang, self.screener), SYMBOLS.get(o.value) if o.value == "unknown" else None,
                           self.audio(audio.option_key(question.code, o.value)))
                    for o in question.options]
        extra = [Button(o.value, o.label.get(self.lang, self.screener), SYMBOLS.get(o.value)) for o in question.options]
        if question.type == "integer" and question.allow_unknown:
            extra.append(Button("unknown", self.q.answer_labels["unknown"].get(self.lang, self.screener), SYMBOLS["unknown"]))
        return extra

    def control(self, question: Question) -> str:
        if question.type in ("indicator", "choice", "consent"):
            return "buttons"
        return "number" if question.type == "integer" else "select"

    def select_choices(self, question: Question) -> list[tuple[str, str]]:
        if question.type == "country":
            return places.country_choices(language=self.lang)
        if question.type == "province":
            provinces = questionnaires.load_places().provinces
            # Named in Khmer and English only: romanised (English) for a reader of another language.
            return sorted(((p.code, p.name.get(self.lang)) for p in provinces), key=lambda item: item[1])
        return []
