"""Questionnaire version 2 (spec "Changes from version 1"), side by side with version 1:
the public examples through the CLI, each new rule, and a property test that the two
versions differ only where a listed change applies."""
from __future__ import annotations

import itertools
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import questionnaires as Q
from tests.conftest import SHARED

V1, V2 = Q.load(1), Q.load(2)
EXAMPLES_V1 = json.loads((SHARED / "vignettes" / "examples.json").read_text(encoding="utf-8"))
EXAMPLES_V2 = json.loads((SHARED / "vignettes" / "examples-v2.json").read_text(encoding="utf-8"))


def person(age=30, sector="construction", **indicators):
    """A consenting adult (by default) with every version-2 indicator answered 'no'."""
    answers = {"consent": "yes", "U1": "no", "U2": "no", "U3": "no", "age": age, "sex": "male",
               "nationality": "KH", "exploitation_country": "TH", "sector": sector, "home_province": "BMC"}
    minor = Q.is_minor(V2, answers)
    for question in V2.indicators():
        if question.code not in answers and not (question.when and not minor):
            answers[question.code] = "no"
    answers.update(indicators)
    return answers


def judge(answers, q=V2):
    """Score with ``q``; for version 1, the answers to its own questions only."""
    return Q.score(q, Q.validate_answers(q, {k: v for k, v in answers.items() if q.has(k)}))


def score_cli(app, tmp_path, payload):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return app.test_cli_runner().invoke(args=["screening", "score", str(path)])


def assert_labelled(result, expected):
    assert result["tier"] == expected["tier"]
    assert sorted(result["flags"]) == sorted(expected["flags"])
    for element, level in expected.get("elements", {}).items():
        assert result["elements"][element]["level"] == level, element


@pytest.mark.parametrize("example", EXAMPLES_V2, ids=[e["id"] for e in EXAMPLES_V2])
def test_examples_v2_labelled_exactly_by_the_cli_with_version_2(example, app, tmp_path):
    out = score_cli(app, tmp_path, {"answers": example["answers"], "questionnaire": example["questionnaire"]})
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert result["questionnaire_version"] == 2
    assert_labelled(result, example["expected"])


@pytest.mark.parametrize("example", EXAMPLES_V1, ids=[e["id"] for e in EXAMPLES_V1])
def test_examples_v1_still_labelled_exactly_with_version_1(example, app, tmp_path):
    out = score_cli(app, tmp_path, {"answers": example["answers"], "questionnaire": 1})
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert result["questionnaire_version"] == 1
    assert_labelled(result, example["expected"])


def test_the_cli_scores_with_version_2_by_default(app, tmp_path):
    forced = EXAMPLES_V2[0]  # the textbook forced-labour case: only "possible"... in v1 not even flagged
    out = score_cli(app, tmp_path, {"answers": forced["answers"]})
    assert out.exit_code == 0
    assert json.loads(out.stdout)["questionnaire_version"] == 2
    assert "forced_labour" in json.loads(out.stdout)["flags"]


@pytest.mark.parametrize("version", [0, 3, 99, -1])
def test_the_cli_refuses_any_other_version_with_exit_2_and_one_line(version, app, tmp_path):
    out = score_cli(app, tmp_path, {"answers": {"consent": "yes"}, "questionnaire": version})
    assert out.exit_code == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and f"version {version}" in lines[0]
    assert out.stdout == ""


def test_version_2_codes_are_unknown_to_version_1(app, tmp_path):
    out = score_cli(app, tmp_path, {"answers": {"consent": "yes", "P10": "yes"}, "questionnaire": 1})
    assert out.exit_code == 2 and "P10" in out.stderr


# --- each rule of version 2 ----------------------------------------------------------------


def test_forced_labour_makes_purpose_met_and_names_the_two_indicators():
    # Deceived (M1) and locked in (M8), nothing else on purpose: version 1 sees no purpose.
    answers = person(A1="yes", M1="yes", M8="yes")
    old, new = judge(answers, V1), judge(answers)
    assert old.elements["purpose"].level == "none" and old.tier == "possible_victim"
    assert new.elements["purpose"].level == "met" and new.tier == "likely_victim"
    assert "forced_labour" in new.flags and "forced_labour" not in old.flags
    named = {(r.code, r.element) for r in new.reasons if r.element.startswith("forced_labour")}
    assert named == {("M1", "forced_labour_involuntariness"), ("M8", "forced_labour_penalty")}


def test_forced_labour_needs_work_an_involuntariness_and_a_penalty():
    assert "forced_labour" not in judge(person(sector="none", M1="yes", M8="yes")).flags
    assert "forced_labour" not in judge(person(M1="yes", M2="yes")).flags  # no penalty
    assert "forced_labour" not in judge(person(M8="yes", M9="yes")).flags  # no involuntariness


def test_c7_counts_a_minor_in_commercial_sex_who_says_she_agreed():
    answers = person(age=15, sector="sex_entertainment", A1="yes", C7="yes")
    result = judge(answers)
    assert result.tier == "likely_victim" and result.elements["purpose"].level == "met"
    assert judge(person(age=15, C7="yes")).tier == "possible_victim"  # red flag alone (3d)
    adult = judge(person(age=30, C7="yes"))  # an adult is never asked; an answer is ignored
    assert adult.tier == "not_indicated"


def test_p10_organ_removal_is_strong_purpose_and_a_red_flag():
    result = judge(person(P10="yes"))
    assert result.tier == "possible_victim" and "3d" in result.rules
    assert result.elements["purpose"].points == 4


def test_u3_raises_fear_of_return():
    assert "fear_of_return" in judge(person(U3="yes")).flags
    assert "fear_of_return" not in judge(person(U3="unknown")).flags


def test_missing_age_is_unknown_in_version_2_and_an_adult_age_in_version_1():
    answers = person(A1="yes", P5="yes")
    del answers["age"]
    answers["age_maybe_minor"] = "yes"
    new, old = judge(answers), judge(answers, V1)
    assert "age_unknown" in new.flags and "minor" in new.flags and new.tier == "likely_victim"
    assert "age_unknown" not in old.flags and "minor" not in old.flags


# --- what the phone channels may skip ---------------------------------------------------------


def brute_force_outcomes(answers, open_codes):
    values = ["yes", "no", "unknown"]
    outcome = {}
    for combo in itertools.product(values, repeat=len(open_codes)):
        result = judge(dict(answers, **dict(zip(open_codes, combo, strict=True))))
        outcome[combo] = (result.tier, result.flags)
    changing = set()
    for i, code in enumerate(open_codes):
        for combo, seen in outcome.items():
            for other in values:
                if outcome[combo[:i] + (other,) + combo[i + 1:]] != seen:
                    changing.add(code)
    return changing


@pytest.mark.parametrize("seed", range(12))
def test_can_change_v2_matches_brute_force_on_tier_and_flags(seed):
    rng = random.Random(seed)
    full = person(age=rng.choice([30, 15]))
    scored = [c for c in full if V2.has(c) and V2.question(c).is_indicator and V2.question(c).element != "urgent"]
    for code in scored:
        full[code] = rng.choice(["no", "no", "no", "yes", "unknown"])
    open_codes = rng.sample(scored, 5)
    answers = {c: v for c, v in full.items() if c not in open_codes}
    assert Q.can_change(V2, answers) & set(open_codes) == brute_force_outcomes(answers, open_codes)


# --- property: the versions differ only where a listed change applies ---------------------------

# Sparse, like real answer sets: mostly unasked or "no", so single indicators decide tiers.
INDICATOR_ANSWER = st.sampled_from([None, None, None, "no", "no", "no", "yes", "unknown", "refused"])
V1_INDICATORS = [question.code for question in V1.indicators()]


@st.composite
def answer_sets(draw):
    answers = {"consent": draw(st.sampled_from(["yes", "yes", "yes", "no"]))}
    age = draw(st.sampled_from([None, "unknown", 9, 15, 17, 18, 30, 64]))
    if age is not None:
        answers["age"] = age
    if age in ("unknown", None):
        maybe = draw(st.sampled_from([None, "yes", "no", "unknown"]))
        if maybe is not None:
            answers["age_maybe_minor"] = maybe
    for code, values in (
        ("sector", [None, "none", "fishing", "sex_entertainment", "other"]),
        ("nationality", [None, "KH", "TH", "unknown"]),
        ("exploitation_country", [None, "KH", "TH", "none"]),
        ("return_mode", [None, "deported", "rescued", "still_there"]),
    ):
        value = draw(st.sampled_from(values))
        if value is not None:
            answers[code] = value
    for code in V1_INDICATORS + ["U3", "C7", "P10"]:
        value = draw(INDICATOR_ANSWER)
        if value is not None:
            answers[code] = value
    # Half the sets leave the new questions unanswered or "no", and half have no work, so
    # that many sets fall outside a listed change and must be judged exactly as before.
    if draw(st.booleans()):
        for code in ("C7", "P10"):
            answers.pop(code, None)
    if draw(st.booleans()):
        answers["sector"] = "none"
    return answers


def listed_changes(answers) -> set[str]:
    """The spec's changes from version 1 that could apply to these answers."""
    changes = set()
    if answers.get("consent") != "yes":
        return changes
    if "age" not in answers:
        changes.add("missing_age")
    if any(answers.get(code) in ("yes", "unknown", "refused") for code in ("C7", "P10")):
        changes.add("new_indicator")
    if answers.get("U3") == "yes":
        changes.add("fear_of_return")
    rule = V2.scoring.forced_labour
    maybe = ("yes", "unknown", "refused")
    if (answers.get("sector") not in (None, "none")
            and any(answers.get(c) in maybe for c in rule.involuntariness)
            and any(answers.get(c) in maybe for c in rule.penalty)):
        changes.add("forced_labour")
    return changes


def outcome(result):
    return (result.tier, result.flags, {name: (e.level, e.points) for name, e in result.elements.items()})


@settings(max_examples=400, deadline=None)
@given(answer_sets())
def test_versions_differ_only_where_a_listed_change_applies(answers):
    old = Q.score(V1, {k: v for k, v in answers.items() if V1.has(k)})
    new = Q.score(V2, answers)
    changes = listed_changes(answers)
    if not changes:
        assert outcome(new) == outcome(old)
    _, _, before = outcome(old)
    _, _, after = outcome(new)
    if "missing_age" not in changes:  # the same person, child or adult, in both versions
        assert after["act"] == before["act"] and after["means"] == before["means"]
        if "new_indicator" not in changes:
            assert after["purpose"][1] == before["purpose"][1]  # points
            if "forced_labour" not in changes:
                assert after["purpose"] == before["purpose"]
                assert new.tier == old.tier and new.rules == old.rules
        new_only = {"forced_labour", "fear_of_return", "incomplete"}
        assert set(new.flags) - new_only == set(old.flags) - new_only
    if "fear_of_return" in new.flags:
        assert "fear_of_return" in changes
    if "forced_labour" in new.flags:
        assert "forced_labour" in changes
