"""The scoring engine against the spec's tier rules, one rule at a time, on questionnaire
version 1 (which keeps scoring exactly as before; version 2's changes: test_engine_v2.py)."""
from __future__ import annotations

import itertools
import random

import pytest

import questionnaires as Q
from questionnaires.engine import decide, effective_answers

q = Q.load(1)


def person(age=30, nationality="KH", country="TH", **indicators):
    """A consenting person with every indicator asked and answered 'no', except those given."""
    answers = {
        "consent": "yes", "U1": "no", "U2": "no", "age": age, "sex": "male",
        "nationality": nationality, "exploitation_country": country, "sector": "construction",
        "home_province": "BMC",
    }
    if age == "unknown":
        answers["age_maybe_minor"] = indicators.pop("age_maybe_minor", "no")
    minor = Q.is_minor(q, answers)
    for question in q.indicators():
        if question.code in ("U1", "U2") or (question.when and not minor):
            continue
        answers[question.code] = "no"
    answers.update(indicators)
    return answers


def judge(answers):
    return Q.score(q, Q.validate_answers(q, answers))


# (id, answers, expected tier, rule that must fire)
TIER_RULES = [
    ("1 no consent", {"consent": "no"}, "not_screened", "1"),
    ("2 act+means+purpose", person(A1="yes", M1="yes", P1="yes"), "likely_victim", "2"),
    ("2 minor needs no means", person(age=15, A2="yes", P5="yes"), "likely_victim", "2"),
    ("3a act+means", person(A1="yes", M1="yes"), "possible_victim", "3a"),
    ("3b means+purpose", person(M1="yes", P1="yes"), "possible_victim", "3b"),
    ("3c act+partial+partial", person(A3="yes", M2="yes", P2="yes"), "possible_victim", "3c"),
    ("3d red flag alone", person(P6="yes"), "possible_victim", "3d"),
    ("3d A4 alone", person(A4="yes"), "possible_victim", "3d"),
    ("3e minor with act", person(age=16, A1="yes"), "possible_victim", "3e"),
    ("3e minor partial purpose", person(age=16, P2="yes"), "possible_victim", "3e"),
    ("3e minor with C2", person(age=12, C2="yes"), "possible_victim", "3e"),
    ("3f unknown could make likely", person(A1="yes", P1="yes", M8="unknown"), "possible_victim", "3f"),
    ("3f refused could make likely", person(A1="yes", M1="yes", P1="refused"), "possible_victim", "3f"),
    ("4 adult exploited", person(P2="yes"), "exploited_migrant", "4"),
    ("5 nothing", person(), "not_indicated", "5"),
    ("5 weak means alone", person(M15="yes"), "not_indicated", "5"),
]


@pytest.mark.parametrize("case,answers,tier,rule", TIER_RULES, ids=[c[0] for c in TIER_RULES])
def test_tier_rules(case, answers, tier, rule):
    result = judge(answers)
    assert result.tier == tier
    assert rule in result.rules


def test_3c_needs_act():
    assert judge(person(M2="yes", P2="yes")).tier == "exploited_migrant"


def test_3f_only_when_unknown_could_reach_likely():
    # One unknown means point is not enough for likely: no incomplete flag.
    result = judge(person(A1="yes", P1="yes", M15="unknown"))
    assert result.tier == "exploited_migrant"
    assert "incomplete" not in result.flags


def test_incomplete_flag_set_by_3f():
    result = judge(person(A1="yes", P1="yes", M8="unknown"))
    assert "incomplete" in result.flags
    assert result.unsure == ("M8",)


@pytest.mark.parametrize("unsure", ["unknown", "refused"])
def test_unknown_and_refused_never_read_as_no(unsure):
    """The same answers with 'no' instead give a lower tier: unknown is not no."""
    with_unsure = judge(person(A1="yes", P1="yes", M9=unsure))
    with_no = judge(person(A1="yes", P1="yes", M9="no"))
    assert with_no.tier == "exploited_migrant"
    assert with_unsure.tier == "possible_victim" and "incomplete" in with_unsure.flags


def test_minor_presumed_when_age_unknown_and_maybe_minor():
    result = judge(person(age="unknown", age_maybe_minor="yes", A1="yes", P9="yes"))
    assert result.tier == "likely_victim"
    assert {"minor", "age_unknown"} <= set(result.flags)


def test_no_presumption_when_maybe_minor_is_unknown():
    result = judge(person(age="unknown", age_maybe_minor="unknown", A1="yes", P2="yes"))
    assert "minor" not in result.flags
    assert result.tier == "exploited_migrant"


def test_age_17_is_minor_and_18_is_adult():
    assert "minor" in judge(person(age=17)).flags
    assert "minor" not in judge(person(age=18)).flags


@pytest.mark.parametrize("code", ["A5", "C5", "C6"])
def test_child_only_items_ignored_for_adults(code):
    answers = person(A1="yes", **{code: "yes"})
    result = judge(answers)
    assert code not in {r.code for r in result.reasons}
    assert result.tier == "not_indicated"


def test_child_only_items_count_for_minors():
    result = judge(person(age=14, C6="yes", A5="yes"))
    assert {"C6", "A5"} <= {r.code for r in result.reasons}
    assert result.elements["purpose"].level == "met"
    assert result.tier == "likely_victim"


def test_m11_is_strong_for_a_minor():
    adult = judge(person(M11="yes"))
    child = judge(person(age=15, M11="yes"))
    assert adult.elements["means"].points == 2
    assert child.elements["means"].points == 4


def test_a4_counts_for_act_and_means():
    result = judge(person(A4="yes"))
    assert result.elements["act"].level == "met"
    assert result.elements["means"].points == 4
    assert ("A4", "means", "S", 4) in {(r.code, r.element, r.strength, r.points) for r in result.reasons}


@pytest.mark.parametrize("base", [person(A1="yes", M1="yes", P1="yes"), person(P6="yes"), person(P2="yes"), person()])
def test_smuggling_answers_never_lower_a_tier(base):
    before = judge(base)
    after = judge({**base, **{f"X{i}": "yes" for i in range(1, 6)}})
    assert after.tier == before.tier
    assert "smuggling_indicators" in after.flags and "smuggling_indicators" not in before.flags


def test_missing_indicator_is_not_asked_not_unknown():
    answers = person(A1="yes", P1="yes")
    del answers["M8"]
    result = judge(answers)
    assert result.tier == "exploited_migrant"
    assert "incomplete" not in result.flags


def test_element_levels_and_thresholds():
    assert judge(person(P2="yes")).elements["purpose"].level == "partial"
    assert judge(person(P2="yes", P3="yes")).elements["purpose"].level == "met"
    assert judge(person(M15="yes")).elements["means"].points == 1


@pytest.mark.parametrize(
    "nationality,country,flag",
    [("KH", "KH", "internal"), ("KH", "TH", "outflow"), ("VN", "KH", "inflow"), ("VN", "TH", None), ("KH", "none", None)],
)
def test_trafficking_type_flags(nationality, country, flag):
    flags = set(judge(person(nationality=nationality, country=country)).flags)
    types = flags & {"internal", "outflow", "inflow"}
    assert types == ({flag} if flag else set())
    assert ("foreign_national" in flags) == (nationality != "KH")


def test_urgent_flag():
    assert "urgent" in judge({**person(), "U1": "yes"}).flags
    assert "urgent" not in judge(person()).flags


def test_result_explains_itself():
    result = judge(person(A1="yes", M9="yes", P1="yes")).to_dict()
    assert result["questionnaire_version"] == q.version
    assert {"code": "M9", "element": "means", "strength": "S", "points": 4} in result["reasons"]
    assert result["elements"]["purpose"] == {"level": "met", "points": 4, "indicators": ["P1"]}


def test_answers_to_questions_no_longer_asked_are_ignored():
    # The screener said age unknown and maybe-minor, then corrected the age to 30.
    answers = person(age=30, A1="yes", P2="yes")
    answers["age_maybe_minor"] = "yes"
    answers["C6"] = "yes"
    result = judge(answers)
    assert "minor" not in result.flags
    assert "C6" not in {r.code for r in result.reasons}


# --- next question, validation ---------------------------------------------------------


def test_order_starts_with_consent_urgent_profile_then_purpose():
    order = [question.section for question in Q.asked_questions(q, person())]
    assert order[0] == "opening"
    assert order.index("purpose") < order.index("means") < order.index("act")
    assert order.index("urgent") < order.index("profile") < order.index("purpose")


def test_next_question_walks_the_checklist():
    answers = {}
    asked = []
    while (question := Q.next_question(q, answers)) is not None:
        asked.append(question.code)
        answers[question.code] = {"integer": 40, "choice": question.option_values()[0] if question.options else "no",
                                  "country": "TH", "province": "BMC"}.get(question.type, "yes" if question.code == "consent" else "no")
    assert asked[:3] == ["consent", "U1", "U2"]
    assert "age_maybe_minor" not in asked and "C6" not in asked
    assert Q.score(q, answers).tier == "not_indicated"


def test_age_maybe_minor_only_when_age_unknown():
    answers = {"consent": "yes", "U1": "no", "U2": "no", "age": "unknown"}
    assert Q.next_question(q, answers).code == "age_maybe_minor"
    answers["age"] = 22
    assert Q.next_question(q, answers).code == "sex"


def test_no_consent_ends_the_screening():
    assert Q.next_question(q, {"consent": "no"}) is None


@pytest.mark.parametrize(
    "code,value",
    [("A1", "maybe"), ("age", -3), ("age", 121), ("age", "12.5"), ("age", True), ("sex", "x"),
     ("nationality", "XX"), ("home_province", "ZZZ"), ("consent", "unknown"), ("A1", None)],
)
def test_invalid_answers_rejected(code, value):
    with pytest.raises(Q.AnswerError) as error:
        Q.validate_answer(q, code, value)
    assert code in str(error.value)


def test_unknown_code_rejected():
    with pytest.raises(Q.AnswerError, match="Z9: unknown question code"):
        Q.validate_answer(q, "Z9", "yes")


def test_valid_answers_normalised():
    assert Q.validate_answer(q, "age", "17") == 17
    assert Q.validate_answer(q, "nationality", "vn") == "VN"
    assert Q.validate_answer(q, "exploitation_country", "none") == "none"


# --- can_change ---------------------------------------------------------------------------


def brute_force_can_change(answers, open_codes):
    """Codes in open_codes whose answer changes the tier or a flag for some answers to the others."""
    changing = set()
    values = ("yes", "no", "unknown")
    base_tier = {}
    for combo in itertools.product(values, repeat=len(open_codes)):
        full = dict(answers, **dict(zip(open_codes, combo, strict=True)))
        result = Q.score(q, full)
        base_tier[combo] = (result.tier, result.flags)
    for i, code in enumerate(open_codes):
        for combo, tier in base_tier.items():
            for other in values:
                changed = combo[:i] + (other,) + combo[i + 1:]
                if base_tier[changed] != tier:
                    changing.add(code)
    return changing


@pytest.mark.parametrize("seed", range(12))
def test_can_change_matches_brute_force(seed):
    rng = random.Random(seed)
    age = rng.choice([30, 15])
    full = person(age=age)
    scored = [c for c in full if q.has(c) and q.question(c).is_indicator and q.question(c).element != "urgent"]
    for code in scored:
        full[code] = rng.choice(["no", "no", "no", "yes", "unknown"])
    open_codes = rng.sample(scored, 5)
    answers = {c: v for c, v in full.items() if c not in open_codes}
    expected = brute_force_can_change(answers, open_codes)
    got = Q.can_change(q, answers) & set(open_codes)
    assert got == expected


def test_can_change_empty_once_likely_and_a_smuggling_discriminator_is_yes():
    answers = person(A1="yes", M1="yes", P1="yes", X2="yes")
    for code in ("A2", "M2", "P2", "X1"):
        del answers[code]
    assert Q.can_change(q, answers) == frozenset()
    answers["X2"] = "no"  # no discriminator yet: X1 can still raise smuggling_indicators
    assert Q.can_change(q, answers) == frozenset({"X1"})


def test_can_change_everything_before_age():
    assert {"A1", "P1", "M1"} <= Q.can_change(q, {"consent": "yes"})


def test_skip_unneeded_still_asks_profile():
    answers = {"consent": "yes", "U1": "no", "U2": "no", "age": 30}
    assert Q.next_question(q, answers, skip_unneeded=True).code == "sex"


def test_skip_unneeded_stops_when_tier_is_settled():
    answers = person(A1="yes", M1="yes", P1="yes")
    keep = {c: v for c, v in answers.items() if not (q.has(c) and q.question(c).section in ("act", "means", "purpose", "smuggling"))}
    keep.update({"P1": "yes", "P5": "no", "M1": "yes", "A1": "yes", "X1": "yes"})
    question = Q.next_question(q, keep, skip_unneeded=True)
    assert question is None


def test_effective_answers_follow_order_and_conditions():
    kept = effective_answers(q, {"consent": "no", "A1": "yes"})
    assert kept == {"consent": "no"}


def test_decide_is_the_only_judge():
    from questionnaires.engine import Tally

    assert decide(q, Tally(act=True, means=4, purpose=4), minor=False)[0] == "likely_victim"
    assert decide(q, Tally(act=True, purpose=4), minor=True)[0] == "likely_victim"
