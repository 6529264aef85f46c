"""What the screening pages show: words for tiers, flags and levels, and the shape of a
question's answer controls. Nothing here decides anything; the engine does.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

import questionnaires
from questionnaires import Question, Questionnaire, replies, screens

from ..core import places

# The tier in words a screener can say aloud to the person.
TIER_WORDS = {
    "likely_victim": _l("Likely a victim of trafficking"),
    "possible_victim": _l("Possibly a victim of trafficking"),
    "exploited_migrant": _l("Exploited migrant worker"),
    "not_indicated": _l("No signs of trafficking found"),
    "not_screened": _l("Not screened"),
}
NEXT_STEPS = {
    "likely_victim": _l("You have the right to protection and help. We will refer you now to a service that can support you."),
    "possible_victim": _l(
        "A supervisor will look at these answers today. If you agree, we will connect you with a service that can help."
    ),
    "exploited_migrant": _l(
        "What happened to you at work was not right. We can connect you with a service that helps workers claim their rights."
    ),
    "not_indicated": _l("Thank you. Here is information about services you can contact if you need help later."),
    "not_screened": _l("Thank you for your time."),
}
ELEMENT_WORDS = {
    "act": _l("Recruitment or transport (act)"),
    "means": _l("Deception, force or control (means)"),
    "purpose": _l("Exploitation (purpose)"),
}
LEVEL_WORDS = {"met": _l("met"), "partial": _l("partly met"), "none": _l("not met")}
FLAG_WORDS = {
    "urgent": _l("Urgent: danger or medical need now"),
    "minor": _l("Child (under 18)"),
    "age_unknown": _l("Age unknown"),
    "incomplete": _l("Incomplete: some answers were 'don't know' or refused"),
    "smuggling_indicators": _l("Signs of smuggling or irregular migration"),
    "foreign_national": _l("Foreign national"),
    "internal": _l("Trafficked inside Cambodia"),
    "outflow": _l("Cambodian exploited abroad"),
    "inflow": _l("Foreigner exploited in Cambodia"),
    "forced_labour": _l("Forced labour: made to work under a penalty"),
    "fear_of_return": _l("Afraid to go back home"),
}
FLAG_ORDER = ("urgent", "minor", "fear_of_return", "forced_labour", "incomplete", "age_unknown", "foreign_national",
              "smuggling_indicators", "internal", "outflow", "inflow")
# Why this tier, in plain words: one sentence per tier rule of the spec that held
# (questionnaires.engine.decide gives them), to be read by a screener, not a lawyer.
RULE_WORDS = {
    "2": _l("All three parts of trafficking are there: someone recruited or moved the person, by deception, force or "
            "control, to exploit them."),
    "3a": _l("The person was recruited or moved by deception, force or control; exploitation is not clear yet."),
    "3b": _l("There was deception, force or control, and exploitation; how the person was recruited or moved is not clear yet."),
    "3c": _l("The person was recruited or moved, with some signs of control and some signs of exploitation."),
    "3d": _l("One answer is a serious warning sign on its own."),
    "3e": _l("A child who was moved, exploited or put at risk: for a child, deception, force or control is not needed."),
    "3f": _l("Some answers were 'don't know' or refused; if they were 'yes', the result would be 'likely'."),
    "4": _l("There are signs of exploitation at work, but not of recruitment by deception, force or control."),
    "5": _l("The answers show too few signs of recruitment, control or exploitation."),
}
ELEMENT_MISSING = {
    "act": _l("recruitment or transport"),
    "means": _l("deception, force or control"),
    "purpose": _l("exploitation"),
}
CONTEXT_ERRORS = {
    "kind": _l("Choose where the screening takes place."),
    "post_code": _l("Choose a border post."),
    "province_code": _l("Choose a province."),
    "gps": _l("The phone's location is not available. Choose a border post or province."),
    "country_code": _l("Choose the country you are in."),
    "city": _l("Write the city in plain letters."),
    "context_role": _l("Your account does not screen in this place. Choose one of the places offered."),
    "uuid": _l("This screening was already sent from another account. Start a new screening."),
    "safe_to_talk": _l("Ask first whether it is safe for the caller to talk now."),
    "callback_phone": _l("Write a phone number to call back, or choose not to call back."),
}


def lang() -> str:
    return str(get_locale() or "km")


def context_error(field: str) -> str:
    return str(CONTEXT_ERRORS.get(field, CONTEXT_ERRORS["kind"]))


def answer_error(question: Question) -> str:
    if question.type == "integer":
        return str(_l("Enter a number from %(low)d to %(high)d.", low=question.minimum, high=question.maximum))
    return str(_l("Choose one of the answers."))


# The heading of each screen (a group of the questionnaire, screens.group_of) for the screener.
SCREEN_TITLES = {
    "urgent": _l("Safety now"),
    "profile": _l("About the person"),
    "purpose": _l("Work and what happened"),
    "means": _l("Control and deception"),
    "act": _l("Recruitment and travel"),
    "child": _l("A child's situation"),
    "smuggling": _l("The journey and the border"),
    screens.RECORD: _l("For the record"),
}


def screen_title(key: str) -> str:
    return str(SCREEN_TITLES.get(key, SCREEN_TITLES["profile"]))


def missing_answer() -> str:
    return str(_l("Answer this question."))


def posted_answer(question: Question, form) -> Any:
    """The answer posted for ``question`` on a screen (field ``q-<code>``), or None when
    left blank. A number field and its "don't know" box share the name: one value only."""
    values = [value.strip() for value in form.getlist(f"q-{question.code}") if value and value.strip()]
    if not values:
        return None
    if len(values) > 1:
        return ""  # a number and "don't know" together: invalid, the engine says so
    value = values[0]
    if question.type == "integer":
        return replies.clean(value)  # Khmer digits and stray zero-width characters
    return value


def raw_answer(question: Question, form: Mapping[str, str]) -> Any:
    """The submitted value: a button's value, or the typed number (Khmer digits accepted)."""
    if form.get("choice"):
        return form["choice"]
    value = (form.get("answer") or "").strip()
    if question.type == "integer":
        return replies.clean(value)  # Khmer digits and stray zero-width characters
    return value


def answer_label(q: Questionnaire, question: Question, value: Any, language: str | None = None) -> str:
    """A stored answer in words, as the screener saw it: never the code it is kept as."""
    language = language or lang()
    value = str(value)
    if value in q.answer_labels and question.type != "integer":
        return q.answer_labels[value].get(language)
    if question.type == "country":
        return places.country_name(value, language)
    if question.type == "province":
        province = questionnaires.load_places().province(value)
        return province.name.get(language) if province else value
    option = next((o for o in question.options or () if o.value == value), None)
    if option is not None:
        return option.label.get(language)
    return value


def answered(q: Questionnaire, answers: Mapping[str, Any]) -> list[tuple[Question, str]]:
    """A screening's answers as a reviewer reads them: each answered question with its
    answer in words, in the questionnaire's order. Consent is left out: a stored screening
    always has it (a refusal is only counted)."""
    return [(question, answer_label(q, question, answers[question.code]))
            for question in q.questions if question.code in answers and question.type != "consent"]


@dataclass
class Choice:
    value: str
    label: str


class QuestionView:
    """Texts and controls of one question in the user's language."""

    def __init__(self, q: Questionnaire, question: Question):
        self.q = q
        self.question = question
        self.lang = lang()

    @property
    def text(self) -> str:
        return self.question.text.get(self.lang)

    @property
    def help(self) -> str | None:
        return self.question.help.get(self.lang) if self.question.help else None

    @property
    def control(self) -> str:
        """buttons / number / select."""
        if self.question.type in ("indicator", "choice", "consent"):
            return "buttons"
        return "number" if self.question.type == "integer" else "select"

    def buttons(self) -> list[Choice]:
        question = self.question
        if question.type in ("indicator", "consent"):
            return [Choice(v, self.q.answer_labels[v].get(self.lang)) for v in question.option_values()]
        if question.type == "integer":
            return [Choice("unknown", self.q.answer_labels["unknown"].get(self.lang))] if question.allow_unknown else []
        return [Choice(o.value, o.label.get(self.lang)) for o in question.options]

    def select_choices(self) -> list[Choice]:
        if self.question.type == "country":
            return [Choice(code, name) for code, name in places.country_choices()]
        if self.question.type == "province":
            return [Choice(code, name) for code, name in places.province_choices()]
        return []

    def extra_choices(self) -> list[Choice]:
        """A country or province question's extra answers ("don't know", "none")."""
        return [Choice(o.value, o.label.get(self.lang)) for o in self.question.options]

    @property
    def unknown_label(self) -> str:
        return self.q.answer_labels["unknown"].get(self.lang)


CHANNEL_WORDS = {"web": _l("Web form"), "sms": _l("SMS"), "ussd": _l("USSD"), "cli": _l("Command line")}


class ResultView:
    """The result page: tier, elements with the answers that counted, flags, next steps."""

    def __init__(self, screening):
        self.screening = screening
        self.q = questionnaires.load(screening.questionnaire_version)
        self.result = screening.result or {}
        self.lang = lang()

    @property
    def tier(self) -> str:
        return self.screening.final_tier

    @property
    def tier_words(self) -> str:
        return str(TIER_WORDS[self.tier])

    @property
    def next_steps(self) -> str:
        return str(NEXT_STEPS[self.tier])

    @property
    def urgent(self) -> bool:
        return "urgent" in (self.screening.flags or [])

    def why(self) -> list[str]:
        """Why this tier, in plain sentences built from the engine's result: the rules that
        held, what was missing for "likely", that a child needs no means, the forced-labour
        rule. Numbers are filled in here; the template turns them into Khmer digits."""
        flags = set(self.screening.flags or [])
        minor = "minor" in flags
        sentences = [str(RULE_WORDS[rule]) for rule in self.result.get("rules", []) if rule in RULE_WORDS]
        elements = self.result.get("elements", {})
        met = [name for name in ("act", "means", "purpose") if elements.get(name, {}).get("level") == "met"]
        if met:
            sentences.append(str(_l("Found: %(parts)s.", parts=", ".join(str(ELEMENT_MISSING[n]) for n in met))))
        needed = [name for name in ("act", "means", "purpose")
                  if elements.get(name, {}).get("level") != "met" and not (minor and name == "means")]
        if self.tier in ("possible_victim", "exploited_migrant", "not_indicated") and needed:
            sentences.append(str(_l("Missing for 'likely': %(parts)s.",
                                    parts=", ".join(str(ELEMENT_MISSING[n]) for n in needed))))
        if minor:
            sentences.append(str(_l("The person is a child (under 18): deception, force or control is not needed.")))
        if "forced_labour" in flags:
            sentences.append(str(_l("The forced-labour rule held: the person worked against their will under a penalty "
                                    "or threat, so exploitation counts as met.")))
        sentences.append(str(_l("An element counts as met at %(met)d points; 'partly met' from %(partial)d points.",
                                met=self.q.scoring.met, partial=self.q.scoring.partial)))
        return sentences

    def where(self) -> list[tuple[str, str]]:
        """Where the person is now, as the screener gave it: abroad (country, city) or a
        hotline caller's province, district and call-back."""
        screening = self.screening
        rows: list[tuple[str, str]] = []
        if screening.context_kind == "abroad":
            rows.append((str(_l("Country")), places.country_name(screening.country_code or "")))
            if screening.city:
                rows.append((str(_l("City")), screening.city))
        elif screening.context_kind == "caller":
            rows.append((str(_l("Province")), places.province_name(screening.province_code)
                         if screening.province_code else str(_l("Unknown: the caller did not say"))))
            if screening.city:
                rows.append((str(_l("District")), screening.city))
            rows.append((str(_l("Call-back")), screening.callback_phone or str(_l("No: the caller did not agree"))))
        return rows

    def flags(self) -> list[tuple[str, str]]:
        present = set(self.screening.flags or [])
        return [(flag, str(FLAG_WORDS[flag])) for flag in FLAG_ORDER if flag in present]

    def elements(self) -> list[dict]:
        rows = []
        for name in ("act", "means", "purpose"):
            element = self.result.get("elements", {}).get(name, {"level": "none"})
            rows.append({
                "name": name,
                "label": str(ELEMENT_WORDS[name]),
                "level": element["level"],
                "level_words": str(LEVEL_WORDS[element["level"]]),
                "points": element.get("points"),
                "indicators": [
                    (code, self.q.question(code).text.get(self.lang)) for code in element.get("indicators", [])
                ],
            })
        return rows
