"""The checklist as typed, immutable objects, built by :mod:`questionnaires.loader`."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

INDICATOR_VALUES = ("yes", "no", "unknown", "refused")
CONSENT_VALUES = ("yes", "no")
# The two languages every text of every file has: the screener's languages (the app's
# catalogs), and the only languages of the SMS/USSD short forms, help texts and titles.
LANGUAGES = ("km", "en")
# Person-facing texts (a question's ``text``, option labels, answer labels, the result
# sentences) carry every language the file declares in ``languages``.
LANGUAGE_STATUSES = ("source", "reviewed", "draft")

QUESTION_TYPES = ("consent", "indicator", "integer", "choice", "country", "province")
SECTIONS = ("opening", "urgent", "profile", "purpose", "means", "act", "child", "smuggling")
ELEMENTS = ("act", "means", "purpose", "child_context", "smuggling", "urgent")
SCORED_ELEMENTS = ("act", "means", "purpose")

# What a question means to the rest of the app (the ``tags`` of a question; README "Tags").
# Profile roles: which question gives the person's age, sex, ... whatever its code.
ROLES = (
    "consent", "age", "age_maybe_minor", "sex", "nationality", "exploitation_country", "sector",
    "home_province", "return_mode",
)
# Roles whose answer may enter the linkage key.
LINKAGE_ROLES = ("age", "sex", "home_province")
# Flags a ``yes`` to a question raises by itself.
ANSWER_FLAGS = ("urgent", "fear_of_return", "smuggling_indicators")
# Referral needs a ``yes`` to a question raises by itself.
NEEDS = ("medical", "psychosocial", "legal_aid", "shelter", "child_protection", "repatriation", "labour_rights")
# Statistics categories on the CTDC pattern: means of control and forms of exploitation.
CONTROLS = (
    "abduction_or_force", "physical_or_sexual_abuse", "restricted_movement", "documents_withheld", "debt_bondage",
    "threats", "earnings_withheld", "isolation", "false_promises", "exploits_vulnerability",
)
FORMS = (
    "sexual_exploitation", "forced_labour", "forced_criminality", "forced_marriage", "forced_begging",
    "organ_removal",
)
NO_CATEGORY = "none"
# The engine's tiers (engine.TIERS), each with a sentence for the person (``result_sentences``).
RESULT_TIERS = ("not_screened", "likely_victim", "possible_victim", "exploited_migrant", "not_indicated")


@dataclass(frozen=True)
class Language:
    """A language the file declares (``languages``), with its review status.

    ``status``: ``source`` (the wording the others are translated from), ``reviewed`` (a
    native speaker checked every text: ``reviewed_by`` and ``reviewed_on`` say who and
    when) or ``draft`` (nobody has; the app must say so wherever it shows the language)."""

    code: str
    name: str
    status: str
    reviewed_by: str | None = None
    reviewed_on: str | None = None
    note: str = ""

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"


@dataclass(frozen=True)
class Text:
    """One text in several languages. Khmer and English are always there; a person-facing
    text also has every language the questionnaire declares (``others``)."""

    km: str
    en: str
    others: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def languages(self) -> tuple[str, ...]:
        return ("km", "en") + tuple(self.others)

    def has(self, lang: str) -> bool:
        return lang in ("km", "en") or lang in self.others

    def get(self, lang: str, fallback: str | None = None) -> str:
        """The text in ``lang``. When the text has no ``lang`` (a language the file does not
        declare, or a km/en-only text such as ``sms`` or ``help``) it is the text in
        ``fallback`` (``km`` or ``en``; the screener's language is the usual choice); without
        a fallback, English for any language but Khmer."""
        if lang == "km":
            return self.km
        if lang == "en":
            return self.en
        if lang in self.others:
            return self.others[lang]
        if fallback is not None and fallback != lang:
            return self.get(fallback)
        return self.en


@dataclass(frozen=True)
class Option:
    value: str
    label: Text
    # Statistics: the form of exploitation this option stands for (sector options).
    form: str | None = None


@dataclass(frozen=True)
class Tags:
    """What a question means outside the engine's tiers: see ``ROLES`` and the others above.
    ``control`` and ``form`` are a category or ``"none"``; None when the file gives none."""

    role: str | None = None
    linkage: bool = False
    flag: str | None = None
    need: str | None = None
    control: str | None = None
    form: str | None = None


@dataclass(frozen=True)
class Condition:
    """A parsed ``when`` clause. ``kind`` is one of answer/minor/all/any."""

    kind: str
    code: str | None = None
    op: str | None = None  # equals / in / answered
    values: tuple[str, ...] = ()
    minor: bool | None = None
    parts: tuple[Condition, ...] = ()

    def codes(self) -> set[str]:
        found = {self.code} if self.code else set()
        for part in self.parts:
            found |= part.codes()
        return found


@dataclass(frozen=True)
class Question:
    code: str
    type: str
    section: str
    text: Text
    sms: Text
    ussd: Text
    help: Text | None = None
    element: str | None = None
    strength: str | None = None
    strength_minor: str | None = None
    also_element: str | None = None
    also_strength: str | None = None
    minor_only: bool = False
    when: Condition | None = None
    options: tuple[Option, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    allow_unknown: bool = False
    tags: Tags = Tags()
    # Questions of one group may be asked together, one answer each in one reply (phone
    # channels) or on one screen (web): the file's ``group``, else an indicator's section.
    group: str | None = None

    @property
    def is_indicator(self) -> bool:
        return self.type == "indicator"

    @property
    def is_scored(self) -> bool:
        return self.is_indicator and self.element in SCORED_ELEMENTS

    def text_for(self, lang: str, fallback: str | None = None) -> str:
        """The question as the person reads or hears it, in ``lang``: see :meth:`Text.get`
        for the fallback (the loader guarantees every declared language is there)."""
        return self.text.get(lang, fallback)

    def option_values(self) -> tuple[str, ...]:
        if self.type == "indicator":
            return INDICATOR_VALUES
        if self.type == "consent":
            return CONSENT_VALUES
        return tuple(o.value for o in self.options)


@dataclass(frozen=True)
class Province:
    code: str
    iso: str
    name: Text
    centroid: tuple[float, float]


@dataclass(frozen=True)
class Crossing:
    code: str
    name: Text
    province: str
    point: tuple[float, float]
    neighbour: str


@dataclass(frozen=True)
class Places:
    provinces: tuple[Province, ...]
    crossings: tuple[Crossing, ...]
    sources: str = ""

    def province(self, code: str) -> Province | None:
        return next((p for p in self.provinces if p.code == code), None)

    def crossing(self, code: str) -> Crossing | None:
        return next((c for c in self.crossings if c.code == code), None)


@dataclass(frozen=True)
class ForcedLabour:
    """The ILO rule (version 2): the person worked (the ``work`` question is answered and
    not one of ``no_work``), an involuntariness and a penalty indicator are ``yes``."""

    work: str
    no_work: frozenset[str]
    involuntariness: tuple[str, ...]
    penalty: tuple[str, ...]


@dataclass(frozen=True)
class Scoring:
    strengths: Mapping[str, int]
    met: int
    partial: int
    minor_age: int
    red_flags: frozenset[str]
    # How a missing age is read: "adult" (version 1: like a known adult age) or "unknown".
    missing_age: str = "adult"
    forced_labour: ForcedLabour | None = None


@dataclass(frozen=True)
class Questionnaire:
    version: int
    title: Text
    answer_labels: Mapping[str, Text]
    answer_short: Mapping[str, Text]
    scoring: Scoring
    questions: tuple[Question, ...]
    places: Places
    countries: frozenset[str]
    source: str = ""
    # Declared languages, in the file's order (Khmer and English first).
    languages: Mapping[str, Language] = field(default_factory=dict)
    # The sentence the person reads about their result, per tier (``RESULT_TIERS``).
    result_sentences: Mapping[str, Text] = field(default_factory=dict)
    # "If you need help later, you can call {name}: {phone}." (optional; every language).
    contact_sentence: Text | None = None
    _by_code: Mapping[str, Question] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {q.code: q for q in self.questions})

    def question(self, code: str) -> Question:
        return self._by_code[code]

    def has(self, code: str) -> bool:
        return code in self._by_code

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(q.code for q in self.questions)

    def by_role(self, role: str) -> Question | None:
        """The question that plays ``role`` (tags.role), or None."""
        return next((question for question in self.questions if question.tags.role == role), None)

    def answer_for(self, role: str, answers: Mapping[str, Any]) -> Any:
        """The answer to the question that plays ``role``, or None."""
        question = self.by_role(role)
        return answers.get(question.code) if question is not None else None

    def indicators(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.is_indicator)

    def weight(self, strength: str | None) -> int:
        return self.scoring.strengths.get(strength or "", 0)

    def language(self, code: str) -> Language | None:
        return self.languages.get(code)

    def result_sentence(self, tier: str, lang: str, fallback: str | None = None) -> str:
        """The sentence meant for the person about ``tier``, in ``lang`` (fallback as
        :meth:`Text.get`)."""
        return self.result_sentences[tier].get(lang, fallback)

    def describe(self) -> dict[str, Any]:
        return {"version": self.version, "questions": len(self.questions)}


class ByIdentity:
    """A questionnaire as a cache key: by identity (its fields are not all hashable, and a
    test's variant of a version is another questionnaire)."""

    __slots__ = ("q",)

    def __init__(self, q: Questionnaire):
        self.q = q

    def __hash__(self) -> int:
        return id(self.q)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ByIdentity) and other.q is self.q
