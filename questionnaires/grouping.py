"""Questions asked together: one reply (phone channels) or one screen (web) for a group.

A question's ``group`` comes from the questionnaire file (``group``), else an indicator's
section. A group is asked only with what the skip rule still needs: the first question
:func:`~questionnaires.engine.next_question` would ask, then the later open questions of
the same group that :func:`~questionnaires.engine.can_change` still lists, in
questionnaire order. It is recomputed after every reply, so a group never holds a question
an earlier reply made pointless. A question whose condition (``when``) reads another
question of the group is left for a later group: its answer could not be judged yet.

Channels pass ``fits`` (does a group still fit one message or screen?) and ``most``.

Pure Python, like the rest of the package.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .engine import (
    ALWAYS_ASKED_SECTIONS,
    can_change,
    effective_answers,
    for_the_record,
    is_asked,
    kept_by_skip_rule,
    open_questions,
)
from .model import Question, Questionnaire

Fits = Callable[[Sequence[Question]], bool]


def next_group(
    q: Questionnaire,
    answers: Mapping[str, Any],
    *,
    skip_unneeded: bool = False,
    fits: Fits | None = None,
    most: int = 8,
) -> tuple[Question, ...]:
    """The questions to ask together now (empty when the screening is done)."""
    kept = effective_answers(q, answers)
    needed = can_change(q, kept) if skip_unneeded else None
    first = next(open_questions(q, kept, needed), None)  # what next_question would ask
    if first is None:
        return ()
    if first.group is None:
        return (first,)
    candidates = [question for question in _pool(q, first, kept) if kept_by_skip_rule(question, needed)]
    return _fill([first], candidates, fits, most)


def _pool(q: Questionnaire, first: Question, kept: Mapping[str, Any]) -> list[Question]:
    """The open questions that may join ``first``, in questionnaire order: those of its
    group; and for a yes/no question, the yes/no questions that follow it up to the next
    open question of another kind (one key answers them all, whatever their section)."""
    after = list(q.questions)[q.codes.index(first.code) + 1:]
    pool = []
    for question in after:
        if question.code in kept or not is_asked(q, question, kept):
            continue
        if _joins(first, question):
            pool.append(question)
        elif first.is_indicator and first.section not in ALWAYS_ASKED_SECTIONS and not question.is_indicator:
            break
    return pool


def record_groups(
    q: Questionnaire, answers: Mapping[str, Any], *, fits: Fits | None = None, most: int = 8
) -> list[tuple[Question, ...]]:
    """The questions :func:`~questionnaires.engine.for_the_record` offers after the result,
    in groups (consecutive questions of one group, as many as fit)."""
    groups: list[list[Question]] = []
    for question in for_the_record(q, answers):
        if groups and _joins(groups[-1][0], question):
            trial = groups[-1] + [question]
            if len(trial) <= most and (fits is None or fits(trial)) and not _reads_any(question, groups[-1]):
                groups[-1] = trial
                continue
        groups.append([question])
    return [tuple(group) for group in groups]


def _joins(first: Question, question: Question) -> bool:
    """Whether ``question`` may be asked in one reply with ``first``: the same group, or
    both yes/no questions past the opening (one key answers them)."""
    if first.group is not None and first.group == question.group:
        return True
    return (first.is_indicator and question.is_indicator
            and first.section not in ALWAYS_ASKED_SECTIONS and question.section not in ALWAYS_ASKED_SECTIONS)


def _fill(group: list[Question], candidates: list[Question], fits: Fits | None, most: int) -> tuple[Question, ...]:
    for question in candidates:
        if len(group) >= most:
            break
        if _reads_any(question, group):
            continue
        trial = group + [question]
        if fits is not None and not fits(trial):
            continue  # a shorter later question may still fit; this one comes next time
        group = trial
    return tuple(group)


def _reads_any(question: Question, group: Sequence[Question]) -> bool:
    """Whether ``question``'s condition reads an answer to a question of ``group``."""
    if question.when is None:
        return False
    return bool(question.when.codes() & {member.code for member in group})
