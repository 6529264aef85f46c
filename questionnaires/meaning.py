"""What answers mean to the rest of the app, read from the questions' tags, never from
their codes: profile roles, statistics categories (CTDC-style means of control and forms of
exploitation), referral needs. A new version may rename or add questions; figures,
referrals, exports and the linkage key follow its tags."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import NO_CATEGORY, Questionnaire

# A labour sector's form (forced labour) counts only when nothing more specific was found.
FALLBACK_FORM = "forced_labour"


def profile(q: Questionnaire, answers: Mapping[str, Any], role: str, default: Any = None) -> Any:
    """The answer to the question playing ``role`` (age, sex, nationality, ...); a number
    for an integer question, however it was stored."""
    question = q.by_role(role)
    value = answers.get(question.code) if question is not None else None
    if question is not None and question.type == "integer" and isinstance(value, str) and value.isdigit():
        value = int(value)
    return default if value is None else value


def means_of_control(q: Questionnaire, answers: Mapping[str, Any]) -> set[str]:
    return {
        question.tags.control
        for question in q.questions
        if question.tags.control not in (None, NO_CATEGORY) and answers.get(question.code) == "yes"
    }


def forms_of_exploitation(q: Questionnaire, answers: Mapping[str, Any]) -> set[str]:
    forms = {
        question.tags.form
        for question in q.questions
        if question.tags.form not in (None, NO_CATEGORY) and answers.get(question.code) == "yes"
    }
    sector_form = _sector_form(q, answers)
    if sector_form not in (None, NO_CATEGORY, FALLBACK_FORM):
        forms.add(sector_form)
    if not forms and sector_form == FALLBACK_FORM:
        forms.add(FALLBACK_FORM)
    return forms


def _sector_form(q: Questionnaire, answers: Mapping[str, Any]) -> str | None:
    question = q.by_role("sector")
    if question is None:
        return None
    value = answers.get(question.code)
    option = next((o for o in question.options if o.value == value), None)
    return option.form if option else None


def raised_needs(q: Questionnaire, answers: Mapping[str, Any]) -> set[str]:
    """Referral needs a ``yes`` raises by itself (a doctor for an injury, ...)."""
    return {question.tags.need for question in q.questions if question.tags.need and answers.get(question.code) == "yes"}


def linkage_fields(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers of the questions tagged for the linkage key, by role."""
    return {
        question.tags.role: profile(q, answers, question.tags.role)
        for question in q.questions
        if question.tags.linkage and question.tags.role
    }
