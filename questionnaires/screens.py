"""The screens of the web and offline forms: related questions on one screen, and only the
questions the skip rule still needs (issue 14).

A screen is one *group* of questions of the file: its ``section`` (opening, urgent, profile,
purpose, means, act, child, smuggling), so the grouping follows the data, not codes. The
screen to answer next is the group of the first question the SMS dialogue would ask
(:func:`questionnaires.next_question` with ``skip_unneeded``), holding every question of that
group that is asked and still needed (:func:`questionnaires.can_change`, the one skip rule of
every channel; opening, urgent and profile questions always). After the last screen, the
questions left out "for the record" (:func:`questionnaires.for_the_record`) come on one
screen that one button skips; one left unanswered stays missing, never ``no``.

The needed set is computed when a screen is shown: a question on it may become unneeded
through another answer on the same screen. Answering it then changes nothing (that is what
unneeded means), so the result still equals the engine's on the complete answers.

static/js/screen.js mirrors these functions (tests/browser/test_engine_parity.py).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .engine import (
    can_change,
    effective_answers,
    for_the_record,
    is_asked,
    kept_by_skip_rule,
    kept_for_the_record,
    open_questions,
)
from .model import Question, Questionnaire

__all__ = [
    "RECORD", "Screen", "group_of", "groups", "is_done", "kept_for_the_record", "next_screen",
    "previous_screen", "record_screen", "screen",
]

RECORD = "record"  # the key of the "for the record" screen


def group_of(question: Question) -> str:
    """The screen a question belongs on: its section."""
    return question.section


def groups(q: Questionnaire) -> tuple[str, ...]:
    """The groups in asking order (the order of their first question)."""
    seen: list[str] = []
    for question in q.questions:
        if group_of(question) not in seen:
            seen.append(group_of(question))
    return tuple(seen)


@dataclass(frozen=True)
class Screen:
    key: str  # a group, or RECORD
    questions: tuple[Question, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(question.code for question in self.questions)


def _shown(question: Question, kept: Mapping[str, Any], needed: frozenset[str]) -> bool:
    return question.code in kept or kept_by_skip_rule(question, needed)


def next_screen(q: Questionnaire, answers: Mapping[str, Any]) -> Screen | None:
    """The next screen to answer, or None when only the record screen (if any) is left."""
    kept = effective_answers(q, answers)
    needed = can_change(q, kept)  # remembered by the engine per answers
    still_open = list(open_questions(q, kept, needed))
    if not still_open or still_open[0].code == "consent":
        return None
    key = group_of(still_open[0])  # the question next_question(skip_unneeded=True) would ask
    return Screen(key, tuple(question for question in still_open if group_of(question) == key))


def screen(q: Questionnaire, answers: Mapping[str, Any], key: str) -> Screen:
    """Group ``key`` as shown when the screener comes back to it: its questions answered
    already and those still needed (empty when none is asked)."""
    kept = effective_answers(q, answers)
    needed = can_change(q, kept)  # remembered by the engine per answers
    return Screen(key, tuple(
        question for question in q.questions
        if group_of(question) == key and question.code != "consent" and is_asked(q, question, kept)
        and _shown(question, kept, needed)
    ))


def record_screen(q: Questionnaire, answers: Mapping[str, Any]) -> Screen | None:
    """The questions left out that are kept for the record, on one screen (None: none)."""
    questions = for_the_record(q, answers)
    return Screen(RECORD, questions) if questions else None


def previous_screen(q: Questionnaire, answers: Mapping[str, Any], key: str | None) -> str | None:
    """The group before ``key`` holding an answer (``key`` None or RECORD: the last one
    answered), for the Back button; None before the first."""
    kept = effective_answers(q, answers)
    answered = [group_of(question) for question in q.questions if question.code in kept and question.code != "consent"]
    order = groups(q)
    if key is not None and key != RECORD and key in order:
        answered = [group for group in answered if order.index(group) < order.index(key)]
    return answered[-1] if answered else None


def is_done(q: Questionnaire, answers: Mapping[str, Any]) -> bool:
    """No needed question is left: the screening can be finished (the record may wait)."""
    return next_screen(q, answers) is None
