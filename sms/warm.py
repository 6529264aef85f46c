"""Work each server process does once, before its first message, rather than in one
(gunicorn.conf.py calls :func:`warm_up` in each worker): reading and checking every
questionnaire version and the channel texts, and the skip rule's tables of tally steps and
verdicts for the start of a screening of each kind of person."""
from __future__ import annotations

import questionnaires

from . import messages


def warm_up() -> None:
    messages.catalog()
    for version in questionnaires.available_versions():
        q = questionnaires.load(version)
        for answers in _starts(q):
            questionnaires.can_change(q, answers)


def _starts(q: questionnaires.Questionnaire) -> list[dict]:
    """Consent, an adult's or a minor's age and (with the forced-labour rule) work or none:
    every indicator still open."""
    ages = (30, max(q.scoring.minor_age - 3, 0))
    rule = q.scoring.forced_labour
    work: list = [None]
    if rule is not None and q.has(rule.work):
        options = list(q.question(rule.work).option_values())
        work = [next((o for o in options if o not in rule.no_work), None), next(iter(rule.no_work), None)]
    starts = []
    for age in ages:
        for worked in work:
            answers = {"consent": "yes", "age": age}
            if worked is not None:
                answers[rule.work] = worked
            starts.append(answers)
    return starts
