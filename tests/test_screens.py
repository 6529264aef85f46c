"""questionnaires.screens: the web and offline forms' screens are the skip rule's questions,
grouped by the questionnaire's sections (issue 14)."""
from __future__ import annotations

import json
import random

import questionnaires
from questionnaires import screens
from tests.conftest import SHARED


def answered(q, rng: random.Random) -> dict:
    """A consenting person, profile answered, some indicators answered."""
    answers = {"consent": "yes", "U1": "no", "U2": "no", "U3": "no", "age": rng.choice([15, 30, "unknown"]),
               "age_maybe_minor": rng.choice(["yes", "no"]), "sex": "female", "nationality": rng.choice(["KH", "TH"]),
               "exploitation_country": rng.choice(["KH", "TH"]), "sector": rng.choice(["fishing", "none"]),
               "home_province": "BMC", "return_mode": "unknown"}
    for question in q.indicators():
        if question.section not in ("urgent",) and rng.random() < 0.4:
            answers[question.code] = rng.choice(["no", "no", "yes", "unknown"])
    return answers


def test_a_screen_is_the_group_of_the_next_needed_question_and_the_record_is_for_the_record():
    q = questionnaires.load()
    rng = random.Random(1)
    for _ in range(40):
        answers = answered(q, rng)
        shown = screens.next_screen(q, answers)
        following = questionnaires.next_question(q, answers, skip_unneeded=True)
        if following is None:
            assert shown is None
            record = screens.record_screen(q, answers)
            assert (record.codes if record else ()) == tuple(x.code for x in questionnaires.for_the_record(q, answers))
            continue
        needed = questionnaires.can_change(q, answers)
        assert shown.key == following.section and shown.codes[0] == following.code
        assert all(x.section == shown.key and x.code not in answers for x in shown.questions)
        assert all(x.code in needed or x.section in ("urgent", "profile") for x in shown.questions)


def test_the_public_examples_need_at_most_a_dozen_screens_and_reach_the_engines_result():
    q = questionnaires.load()
    examples = json.loads((SHARED / "vignettes" / "examples-v2.json").read_text(encoding="utf-8"))
    counts = []
    for example in examples:
        full = example["answers"]
        if full.get("consent") != "yes":
            counts.append(2)
            continue
        given, count = {"consent": "yes"}, 1
        while (shown := screens.next_screen(q, given)) is not None:
            count += 1
            given.update({x.code: full.get(x.code, "unknown" if x.code == "return_mode" else "no") for x in shown.questions})
        count += 1 + (screens.record_screen(q, given) is not None)
        counts.append(count)
        result, engine = questionnaires.score(q, given), questionnaires.score(q, full)
        assert (result.tier, result.flags) == (engine.tier, engine.flags), example["id"]
    assert sum(counts) / len(counts) <= 12
