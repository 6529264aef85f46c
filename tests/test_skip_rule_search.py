"""The skip rule's search (questionnaires.engine._tally_changers) leaves out the Tally fields
the verdict does not read for this person (a minor's means, an adult's child context, the
forced-labour indicators of someone who did not work). That is exact only if no verdict
depends on them: checked here on every tally answers can reach in version 2 (a sure field
never above its hypothetical twin), for each kind of person."""
from __future__ import annotations

import itertools

import pytest

import questionnaires as Q
from questionnaires import engine

V2 = Q.load(2)
_ENOUGH = engine._enough  # the bound itself, before a test replaces it


@pytest.mark.parametrize("minor", [False, True])
@pytest.mark.parametrize("working", [False, True])
def test_left_out_fields_never_change_a_verdict(minor, working):
    cap, met, partial = V2.scoring.met, V2.scoring.met, V2.scoring.partial
    relevant = engine._relevant(minor, working)
    left_out = [name for name in engine._TALLY_FIELDS if name not in relevant]
    assert left_out, "each kind of person has fields the verdict does not read"
    packing = engine._Packing(cap)
    verdict = packing.verdicts(minor, working, met, partial)
    pairs = [(False, False), (False, True), (True, True)]  # (sure, hypothetical)
    levels = [(sure, hyp) for hyp in range(cap + 1) for sure in range(hyp + 1)]
    differing = []
    for act, involuntary, penalty, means, purpose, red_flag, child_context in itertools.product(
        pairs, pairs, pairs, levels, levels, (False, True), (False, True)
    ):
        tally = engine.Tally(act=act[0], act_hyp=act[1], involuntary=involuntary[0], involuntary_hyp=involuntary[1],
                             penalty=penalty[0], penalty_hyp=penalty[1], means=means[0], means_hyp=means[1],
                             purpose=purpose[0], purpose_hyp=purpose[1], red_flag=red_flag, child_context=child_context)
        if verdict(packing.pack(tally)) != verdict(packing.pack(engine._masked_tally(tally, relevant))):
            differing.append(tally)
    assert differing == []


def test_packing_round_trips_and_steps_like_tally_add():
    packing = engine._Packing(V2.scoring.met)
    for question in V2.indicators():
        for minor in (False, True):
            effect = engine.effect_of(V2, question, minor)
            if effect is None:
                continue
            step = packing.steps(effect)
            for tally in (engine.Tally(), engine.Tally(act_hyp=True, means=3, means_hyp=4, purpose_hyp=2),
                          engine.Tally(red_flag=True, purpose=4, purpose_hyp=4, involuntary_hyp=True)):
                state = packing.pack(tally)
                assert packing.unpack(state) == tally
                yes, unsure = step(state)
                assert packing.unpack(yes) == tally.add(effect, "yes", V2.scoring.met)
                assert packing.unpack(unsure) == tally.add(effect, "unknown", V2.scoring.met)


def test_remembered_verdict_is_the_computed_one():
    answers = {"consent": "yes", "U1": "no", "U2": "no", "U3": "no", "sex": "female", "age": 30,
               "home_province": "BMC", "nationality": "KH", "exploitation_country": "TH", "sector": "fishing",
               "return_mode": "rescued", "A1": "yes", "M1": "unknown"}
    kept = Q.effective_answers(V2, answers)
    first = Q.can_change(V2, answers)
    assert first == engine._can_change(V2, kept)
    assert Q.can_change(V2, dict(answers)) == first


def _walk(full: dict, rng, indicator_answers: list) -> list[dict]:
    """The answers collected before each question of a dialogue under the skip rule with a
    person answering as ``full`` (each indicator not in it drawn from ``indicator_answers``)."""
    for question in V2.questions:
        if question.is_indicator:
            full.setdefault(question.code, rng.choice(indicator_answers))
    states: list[dict] = []
    collected: dict = {}
    while True:
        states.append(dict(collected))
        question = Q.next_question(V2, collected, skip_unneeded=True)
        if question is None:
            return states
        collected[question.code] = full[question.code]


def test_witnesses_find_what_the_exhaustive_search_finds(monkeypatch):
    """Effects shown to matter by a witness tally, the rest by the exhaustive search: the
    same sets as the exhaustive search alone, on the states of random dialogues."""
    import random

    rng = random.Random(13)
    states = []
    for _ in range(6):
        full = {"consent": "yes", "U1": "no", "U2": rng.choice(["no", "yes"]), "U3": "no", "sex": "female",
                "age": rng.choice(["unknown", 15, 17, 18, 30]), "age_maybe_minor": rng.choice(["yes", "no"]),
                "home_province": "BMC", "nationality": rng.choice(["KH", "TH"]),
                "exploitation_country": rng.choice(["KH", "TH"]), "sector": rng.choice(["fishing", "none"]),
                "return_mode": "rescued"}
        states.extend(_walk(full, rng, ["no", "no", "no", "yes", "unknown", "refused"]))
    with_witnesses = [engine._can_change(V2, Q.effective_answers(V2, state)) for state in states]
    monkeypatch.setattr(engine, "_WITNESS_TRIALS", 0)
    engine._remembered_mattering.cache_clear()  # the verdicts above are remembered
    exhaustive = [engine._can_change(V2, Q.effective_answers(V2, state)) for state in states]
    assert len(states) > 100
    assert with_witnesses == exhaustive


def test_counting_open_questions_only_up_to_enough_changes_no_verdict(monkeypatch):
    """The search's verdicts are remembered with each effect's open questions counted only
    up to engine._enough: the same sets as with every question counted."""
    import random

    rng = random.Random(5)
    states = []
    for _ in range(6):
        full = {"consent": "yes", "U1": "no", "U2": "no", "U3": "no", "sex": rng.choice(["female", "male"]),
                "age": rng.choice([15, 30]), "home_province": "BMC", "nationality": rng.choice(["KH", "TH"]),
                "exploitation_country": "TH", "sector": rng.choice(["fishing", "none"]), "return_mode": "rescued"}
        states.extend(_walk(full, rng, ["no", "no", "yes", "unknown", "refused"]))
    engine._remembered_mattering.cache_clear()
    counted_to_enough = [engine._can_change(V2, Q.effective_answers(V2, state)) for state in states]
    monkeypatch.setattr(engine, "_enough", lambda effect, cap: 10_000)
    engine._remembered_mattering.cache_clear()
    counted_all = [engine._can_change(V2, Q.effective_answers(V2, state)) for state in states]
    engine._remembered_mattering.cache_clear()
    assert len(states) > 100
    assert counted_to_enough == counted_all
    # These states reach the bound: counted two short of it, verdicts change, so a bound
    # that is too small shows here. (One short changed none of 1,291 such states: the
    # "+ 1" in _enough, for the question whose own answer is weighed, is kept as argued.)
    monkeypatch.setattr(engine, "_enough", lambda effect, cap: max(0, _ENOUGH(effect, cap) - 2))
    counted_short = [engine._can_change(V2, Q.effective_answers(V2, state)) for state in states]
    engine._remembered_mattering.cache_clear()
    assert counted_short != counted_all
