"""The one scoring engine: which question comes next, whether an answer is valid, and how
a set of answers is judged against the act / means / purpose definition.

Answers are a mapping ``code -> value`` in canonical form: ``"yes"``, ``"no"``,
``"unknown"``, ``"refused"`` for indicators, an ``int`` (or ``"unknown"``) for age, an
option value for choices. A code missing from the mapping was not asked: it adds nothing
and is not read as ``unknown``. Answers to questions whose condition no longer holds (the
screener went back and changed the age, say) are ignored.
"""
from __future__ import annotations

import dataclasses
import json
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .model import NO_CATEGORY, RESULT_TIERS, SCORED_ELEMENTS, ByIdentity, Condition, Question, Questionnaire

TIERS = RESULT_TIERS  # declared once, in the model (the loader wants a sentence for each)
# Higher is more serious; used to explain, never to decide.
TIER_RANK = {"not_screened": -1, "not_indicated": 0, "exploited_migrant": 1, "possible_victim": 2, "likely_victim": 3}
UNSURE = ("unknown", "refused")
# Questions the SMS channel asks even when they cannot change the tier: referral and
# safety depend on them.
ALWAYS_ASKED_SECTIONS = ("opening", "urgent", "profile")


class AnswerError(ValueError):
    """An answer the engine cannot accept: unknown code or invalid value."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


# --- answers -------------------------------------------------------------------------


def validate_answer(q: Questionnaire, code: str, value: Any) -> str | int:
    """Return the canonical form of ``value`` for question ``code`` or raise AnswerError.

    Accepts canonical values only (channels translate Khmer words and digits first, see
    :mod:`questionnaires.replies`); integers may come as strings of ASCII digits.
    """
    if not q.has(code):
        raise AnswerError(code, "unknown question code")
    question = q.question(code)
    if question.type == "integer":
        return _validate_integer(question, value)
    if not isinstance(value, str):
        raise AnswerError(code, f"invalid answer {_show(value)}")
    if question.type == "country":
        upper = value.upper()
        if upper in q.countries:
            return upper
        if value in question.option_values():
            return value
        raise AnswerError(code, f"invalid answer {_show(value)} (expected an ISO 3166 alpha-2 country code)")
    if question.type == "province":
        if q.places.province(value) or value in question.option_values():
            return value
        raise AnswerError(code, f"invalid answer {_show(value)} (expected a province code)")
    if value in question.option_values():
        return value
    allowed = ", ".join(question.option_values())
    raise AnswerError(code, f"invalid answer {_show(value)} (expected one of {allowed})")


def _validate_integer(question: Question, value: Any) -> int | str:
    if value == "unknown" and question.allow_unknown:
        return "unknown"
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not (question.minimum <= number <= question.maximum):
        expected = f"a whole number from {question.minimum} to {question.maximum}"
        if question.allow_unknown:
            expected += " or unknown"
        raise AnswerError(question.code, f"invalid answer {_show(value)} (expected {expected})")
    return number


def validate_answers(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, str | int]:
    """Validate a whole answer set; the first problem raises AnswerError."""
    if not isinstance(answers, Mapping):
        raise AnswerError("answers", "must be an object mapping codes to answers")
    return {code: validate_answer(q, code, value) for code, value in answers.items()}


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- asking ---------------------------------------------------------------------------


def is_minor(q: Questionnaire, answers: Mapping[str, Any]) -> bool:
    """Minor when age < 18, or age unknown and the person may be under 18 (presumption)."""
    age = answers.get("age")
    if isinstance(age, int):
        return age < q.scoring.minor_age
    return age == "unknown" and answers.get("age_maybe_minor") == "yes"


def minority_known(answers: Mapping[str, Any]) -> bool:
    age = answers.get("age")
    return isinstance(age, int) or (age == "unknown" and "age_maybe_minor" in answers)


def _holds(q: Questionnaire, condition: Condition, answers: Mapping[str, Any]) -> bool:
    if condition.kind == "all":
        return all(_holds(q, part, answers) for part in condition.parts)
    if condition.kind == "any":
        return any(_holds(q, part, answers) for part in condition.parts)
    if condition.kind == "minor":
        return is_minor(q, answers) == condition.minor
    value = answers.get(condition.code)
    if condition.op == "answered":
        return condition.code in answers
    return value is not None and str(value) in condition.values


def is_asked(q: Questionnaire, question: Question, answers: Mapping[str, Any]) -> bool:
    """Whether ``question`` is part of this screening given the answers so far."""
    if question.code != "consent" and answers.get("consent") != "yes":
        return False
    return question.when is None or _holds(q, question.when, answers)


def effective_answers(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers that count: those to questions still asked, in questionnaire order."""
    kept: dict[str, Any] = {}
    for question in q.questions:
        if question.code in answers and is_asked(q, question, kept):
            kept[question.code] = answers[question.code]
    return kept


def asked_questions(q: Questionnaire, answers: Mapping[str, Any]) -> list[Question]:
    """The questions this screening asks, as far as the answers so far tell."""
    kept = effective_answers(q, answers)
    return [question for question in q.questions if is_asked(q, question, kept)]


def next_question(
    q: Questionnaire, answers: Mapping[str, Any], *, skip_unneeded: bool = False
) -> Question | None:
    """The first asked question without an answer, or None when the screening is done.

    With ``skip_unneeded`` (the SMS and USSD channels), questions that can change neither
    the tier nor any flag (:func:`can_change`) are skipped, to be offered afterwards "for
    the record" (:func:`for_the_record`); opening, urgent and profile questions are always
    asked.
    """
    kept = effective_answers(q, answers)
    needed = can_change(q, kept) if skip_unneeded else None
    return next(open_questions(q, kept, needed), None)


def kept_by_skip_rule(question: Question, needed: frozenset[str] | None) -> bool:
    """Whether the skip rule keeps ``question`` (``needed``: :func:`can_change` of the
    answers so far, or None when nothing is skipped). The one place of this test: the
    next question, the phone's groups and the web's screens all read it."""
    return needed is None or question.section in ALWAYS_ASKED_SECTIONS or question.code in needed


def open_questions(q: Questionnaire, kept: Mapping[str, Any], needed: frozenset[str] | None):
    """The questions still to ask, in questionnaire order: asked (their condition holds on
    ``kept``, the effective answers), not answered, and kept by the skip rule."""
    for question in q.questions:
        if question.code not in kept and is_asked(q, question, kept) and kept_by_skip_rule(question, needed):
            yield question


def previous_question(q: Questionnaire, answers: Mapping[str, Any], current: str | None) -> Question | None:
    """Where Back goes from ``current``: the last question before it, in questionnaire order,
    whose answer still counts; from ``None`` or a code not in the questionnaire (the
    screening is done), the last such question. Never ``consent``: Back does not reopen it.

    The one rule for the web form, SMS and USSD (``0``), and the offline form
    (``previousQuestion`` in screen.js, pinned to this by tests/browser/test_engine_parity.py).
    Questionnaire order, not "the answer before the current one": once the screener went back
    and a change made an earlier question relevant, that question is unanswered, and Back
    from it must still go backwards.
    """
    kept = effective_answers(q, answers)
    codes = q.codes
    position = codes.index(current) if current in codes else len(codes)
    for code in reversed(codes[:position]):
        if code in kept and code != "consent":
            return q.question(code)
    return None


# --- scoring --------------------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """What a ``yes`` to one indicator adds, for this person."""

    act: bool = False
    means: int = 0
    purpose: int = 0
    red_flag: bool = False
    child_context: bool = False
    # Forced-labour rule (version 2): an involuntariness or a penalty indicator.
    involuntary: bool = False
    penalty: bool = False


@dataclass(frozen=True)
class Tally:
    """Everything the tier depends on. ``*_hyp`` read unknown/refused as yes (rule 3f)."""

    act: bool = False
    act_hyp: bool = False
    means: int = 0
    means_hyp: int = 0
    purpose: int = 0
    purpose_hyp: int = 0
    red_flag: bool = False
    child_context: bool = False
    involuntary: bool = False
    involuntary_hyp: bool = False
    penalty: bool = False
    penalty_hyp: bool = False

    def add(self, effect: Effect, answer: str, cap: int | None = None) -> Tally:
        if answer not in ("yes",) + UNSURE:
            return self

        def plus(points: int, extra: int) -> int:
            total = points + extra
            return min(total, cap) if cap is not None else total

        # Built directly, not with dataclasses.replace: can_change makes many thousands.
        sure = answer == "yes"
        return Tally(
            act=self.act or (sure and effect.act),
            act_hyp=self.act_hyp or effect.act,
            means=plus(self.means, effect.means) if sure else self.means,
            means_hyp=plus(self.means_hyp, effect.means),
            purpose=plus(self.purpose, effect.purpose) if sure else self.purpose,
            purpose_hyp=plus(self.purpose_hyp, effect.purpose),
            red_flag=self.red_flag or (sure and effect.red_flag),
            child_context=self.child_context or (sure and effect.child_context),
            involuntary=self.involuntary or (sure and effect.involuntary),
            involuntary_hyp=self.involuntary_hyp or effect.involuntary,
            penalty=self.penalty or (sure and effect.penalty),
            penalty_hyp=self.penalty_hyp or effect.penalty,
        )


def effect_of(q: Questionnaire, question: Question, minor: bool) -> Effect | None:
    """The effect of a ``yes`` to ``question``, or None when it cannot count."""
    if not question.is_indicator or (question.minor_only and not minor):
        return None
    points = {"act": 0, "means": 0, "purpose": 0}
    strength = question.strength_minor if minor and question.strength_minor else question.strength
    if question.element in ("means", "purpose"):
        points[question.element] += q.weight(strength)
    if question.also_element in ("means", "purpose"):
        points[question.also_element] += q.weight(question.also_strength)
    rule = q.scoring.forced_labour
    effect = Effect(
        act="act" in (question.element, question.also_element),
        means=points["means"],
        purpose=points["purpose"],
        red_flag=question.code in q.scoring.red_flags,
        child_context=question.element == "child_context",
        involuntary=rule is not None and question.code in rule.involuntariness,
        penalty=rule is not None and question.code in rule.penalty,
    )
    return effect if effect != Effect() else None


def level(q: Questionnaire, points: int) -> str:
    if points >= q.scoring.met:
        return "met"
    return "partial" if points >= q.scoring.partial else "none"


def worked(q: Questionnaire, answers: Mapping[str, Any]) -> bool:
    """Whether the person worked, as the forced-labour rule reads it (False without the rule)."""
    rule = q.scoring.forced_labour
    if rule is None:
        return False
    value = answers.get(rule.work)
    return value is not None and value not in rule.no_work


def forced_labour(tally: Tally, working: bool, hypothetical: bool = False) -> bool:
    """The ILO rule: work, an involuntariness and a penalty indicator (version 2)."""
    if hypothetical:
        return working and tally.involuntary_hyp and tally.penalty_hyp
    return working and tally.involuntary and tally.penalty


def decide(q: Questionnaire, tally: Tally, minor: bool, working: bool = False) -> tuple[str, tuple[str, ...]]:
    """The tier, and the tier rules of the spec that hold (for the explanation).

    ``working``: the person worked (see :func:`worked`); with the forced-labour rule it can
    make purpose met whatever its points."""
    return _decide(tally, minor, working, q.scoring.met, q.scoring.partial)


def _decide(tally: Tally, minor: bool, working: bool, met: int, partial: int) -> tuple[str, tuple[str, ...]]:
    if forced_labour(tally, working):
        tally = dataclasses.replace(tally, purpose=max(tally.purpose, met))
    if forced_labour(tally, working, hypothetical=True):
        tally = dataclasses.replace(tally, purpose_hyp=max(tally.purpose_hyp, met))
    if tally.act and tally.purpose >= met and (tally.means >= met or minor):
        return "likely_victim", ("2",)
    rules = []
    if tally.act and tally.means >= met:
        rules.append("3a")
    if tally.means >= met and tally.purpose >= met:
        rules.append("3b")
    if tally.act and tally.means >= partial and tally.purpose >= partial:
        rules.append("3c")
    if tally.red_flag:
        rules.append("3d")
    if minor and (tally.act or tally.purpose >= partial or tally.child_context):
        rules.append("3e")
    if tally.act_hyp and tally.purpose_hyp >= met and (tally.means_hyp >= met or minor):
        rules.append("3f")
    if rules:
        return "possible_victim", tuple(rules)
    if not minor and tally.purpose >= partial:
        return "exploited_migrant", ("4",)
    return "not_indicated", ("5",)


@dataclass(frozen=True)
class Reason:
    code: str
    element: str
    strength: str | None
    points: int

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "element": self.element, "strength": self.strength, "points": self.points}


@dataclass(frozen=True)
class ElementResult:
    level: str
    points: int
    indicators: tuple[str, ...] = ()

    def to_dict(self, with_points: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"level": self.level}
        if with_points:
            data["points"] = self.points
        data["indicators"] = list(self.indicators)
        return data


@dataclass(frozen=True)
class Result:
    tier: str
    elements: Mapping[str, ElementResult]
    flags: tuple[str, ...]
    reasons: tuple[Reason, ...]
    rules: tuple[str, ...]
    questionnaire_version: int
    smuggling: tuple[str, ...] = field(default=())
    unsure: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "elements": {
                name: element.to_dict(with_points=name != "act") for name, element in self.elements.items()
            },
            "flags": list(self.flags),
            "reasons": [reason.to_dict() for reason in self.reasons],
            "rules": list(self.rules),
            "smuggling_indicators": list(self.smuggling),
            "unsure": list(self.unsure),
            "questionnaire_version": self.questionnaire_version,
        }


def score(q: Questionnaire, answers: Mapping[str, Any]) -> Result:
    """Judge a set of (validated, canonical) answers. Pure: same answers, same result."""
    if answers.get("consent") != "yes":
        empty = {name: ElementResult("none", 0) for name in SCORED_ELEMENTS}
        return Result("not_screened", empty, (), (), ("1",), q.version)

    if q.scoring.missing_age == "unknown" and "age" not in answers:
        answers = {**answers, "age": "unknown"}  # version 2: a missing age is not known
    kept = effective_answers(q, answers)
    minor = is_minor(q, kept)
    working = worked(q, kept)
    tally = Tally()
    reasons: list[Reason] = []
    counted: dict[str, list[str]] = {name: [] for name in SCORED_ELEMENTS}
    unsure: list[str] = []
    for question in q.indicators():
        answer = kept.get(question.code)
        effect = effect_of(q, question, minor)
        if effect is None or answer is None:
            continue
        tally = tally.add(effect, answer)
        if answer in UNSURE and question.is_scored:
            unsure.append(question.code)
        if answer == "yes":
            reasons.extend(_reasons(q, question, effect, minor))
            for element in SCORED_ELEMENTS:
                if element in (question.element, question.also_element):
                    counted[element].append(question.code)

    tier, rules = decide(q, tally, minor, working)
    is_forced_labour = forced_labour(tally, working)
    if is_forced_labour:
        reasons.extend(_forced_labour_reasons(q, kept))
    purpose_level = "met" if is_forced_labour else level(q, tally.purpose)
    elements = {
        "act": ElementResult("met" if tally.act else "none", sum(1 for r in reasons if r.element == "act"), tuple(counted["act"])),
        "means": ElementResult(level(q, tally.means), tally.means, tuple(counted["means"])),
        "purpose": ElementResult(purpose_level, tally.purpose, tuple(counted["purpose"])),
    }
    smuggling = tuple(
        question.code for question in q.indicators() if question.element == "smuggling" and kept.get(question.code) == "yes"
    )
    flags = _flags(q, kept, minor, tier, rules, is_forced_labour)
    return Result(tier, elements, flags, tuple(reasons), rules, q.version, smuggling, tuple(unsure))


def _forced_labour_reasons(q: Questionnaire, answers: Mapping[str, Any]) -> list[Reason]:
    """The two indicators that made the forced-labour rule hold: the first ``yes`` of each kind."""
    rule = q.scoring.forced_labour
    reasons = []
    for kind, codes in (("involuntariness", rule.involuntariness), ("penalty", rule.penalty)):
        code = next(c for c in q.codes if c in codes and answers.get(c) == "yes")
        reasons.append(Reason(code, f"forced_labour_{kind}", q.question(code).strength, 0))
    return reasons


def _reasons(q: Questionnaire, question: Question, effect: Effect, minor: bool) -> list[Reason]:
    strength = question.strength_minor if minor and question.strength_minor else question.strength
    reasons = []
    if question.element == "act":
        reasons.append(Reason(question.code, "act", None, 0))
    elif question.element in ("means", "purpose"):
        reasons.append(Reason(question.code, question.element, strength, q.weight(strength)))
    elif question.element == "child_context":
        reasons.append(Reason(question.code, "child_context", None, 0))
    if question.also_element:
        reasons.append(
            Reason(question.code, question.also_element, question.also_strength, q.weight(question.also_strength))
        )
    return reasons


def _flags(
    q: Questionnaire,
    answers: Mapping[str, Any],
    minor: bool,
    tier: str,
    rules: Iterable[str],
    is_forced_labour: bool = False,
) -> tuple[str, ...]:
    flags = {question.tags.flag for question in q.questions if question.tags.flag and answers.get(question.code) == "yes"}
    if is_forced_labour:
        flags.add("forced_labour")
    if minor:
        flags.add("minor")
    if answers.get("age") == "unknown":
        flags.add("age_unknown")
    if tier == "possible_victim" and "3f" in rules:
        flags.add("incomplete")
    nationality = q.answer_for("nationality", answers)
    country = q.answer_for("exploitation_country", answers)
    if nationality not in (None, "unknown") and nationality != "KH":
        flags.add("foreign_national")
    trafficking_type = trafficking_type_of(nationality, country)
    if trafficking_type:
        flags.add(trafficking_type)
    return tuple(sorted(flags))


def trafficking_type_of(nationality: Any, country: Any) -> str | None:
    if nationality in (None, "unknown") or country in (None, "none", "unknown"):
        return None
    if nationality == "KH":
        return "internal" if country == "KH" else "outflow"
    return "inflow" if country == "KH" else None


# --- what can still matter --------------------------------------------------------------


def can_change(q: Questionnaire, answers: Mapping[str, Any]) -> frozenset[str]:
    """Codes of open questions whose answer could still change the tier or any flag.

    The one skip rule of every channel (spec, "What every channel must keep"): a question
    left out of this set cannot change the tier nor any flag, whatever the answers to it and
    to the other open questions. Exact, not just safe: a question is listed only when some
    way of answering the others leaves the tier or a flag depending on its answer. Until
    consent, the person's minority and (with the forced-labour rule) the work question are
    known, every open question is listed (they change everything).
    """
    kept = effective_answers(q, answers)
    try:
        key = frozenset(kept.items())
    except TypeError:  # an unhashable value (not canonical): nothing to remember it by
        return _can_change(q, kept)
    return _remembered_can_change(ByIdentity(q), key)


@lru_cache(maxsize=2048)
def _remembered_can_change(q: ByIdentity, kept: frozenset) -> frozenset[str]:
    # The same answers come back often (a retried message, the dialogue asking what is
    # next and then rendering it, many screenings alike): the verdict is kept per process.
    return _can_change(q.q, dict(kept))


def _can_change(q: Questionnaire, kept: Mapping[str, Any]) -> frozenset[str]:
    open_questions = [question for question in q.questions if question.code not in kept and is_asked(q, question, kept)]
    rule = q.scoring.forced_labour
    work_open = rule is not None and any(question.code == rule.work for question in open_questions)
    if kept.get("consent") != "yes" or not minority_known(kept) or work_open:
        return frozenset(question.code for question in open_questions)
    minor = is_minor(q, kept)
    return _tally_changers(q, kept, open_questions, minor) | _flag_changers(q, kept, open_questions)


def for_the_record(q: Questionnaire, answers: Mapping[str, Any]) -> tuple[Question, ...]:
    """The questions this screening leaves unasked because they can change neither the tier
    nor a flag, but whose answers are kept for the record (statistics categories, the
    explanation, the smuggling discriminators, referral needs), in questionnaire order.

    Channels may offer them after the result; answering them never changes the tier nor
    the flags, and one left unanswered stays missing (never read as ``no``).
    """
    kept = effective_answers(q, answers)
    needed = can_change(q, kept)
    return tuple(
        question
        for question in q.questions
        if question.code not in kept
        and question.section not in ALWAYS_ASKED_SECTIONS
        and question.code not in needed
        and is_asked(q, question, kept)
        and kept_for_the_record(question)
    )


def kept_for_the_record(question: Question) -> bool:
    """Whether ``question``, when the skip rule leaves it out, is offered for the record."""
    tags = question.tags
    categories = (tags.control, tags.form)
    return question.is_indicator or any(c not in (None, NO_CATEGORY) for c in categories) or bool(tags.need or tags.flag)


def _flag_changers(q: Questionnaire, kept: Mapping[str, Any], open_questions: list[Question]) -> set[str]:
    """Open questions that can raise a flag not raised yet (a ``yes`` to a question tagged
    with that flag: urgent, fear of return, smuggling indicators), and the profile answers behind the
    nationality flags (age and work are known by now, see :func:`can_change`)."""
    raised = {question.tags.flag for question in q.questions if question.tags.flag and kept.get(question.code) == "yes"}
    nationality = q.by_role("nationality")
    country = q.by_role("exploitation_country")
    changers = set()
    for question in open_questions:
        if question.tags.flag and question.tags.flag not in raised:
            changers.add(question.code)
        elif nationality is not None and question.code == nationality.code:
            changers.add(question.code)  # KH or not: foreign_national and the trafficking type
        elif country is not None and nationality is not None and question.code == country.code:
            # Known to be Cambodian or foreign (or still to be asked): the trafficking type.
            known = kept.get(nationality.code)
            nationality_open = any(other.code == nationality.code for other in open_questions)
            if nationality_open or known not in (None, "unknown"):
                changers.add(question.code)
    return changers


def _tally_changers(q: Questionnaire, kept: Mapping[str, Any], open_questions: list[Question], minor: bool) -> set[str]:
    """Open indicator questions whose answer can change the tier, ``forced_labour`` or
    ``incomplete``: everything these depend on is in the :class:`Tally`."""
    rule = q.scoring.forced_labour
    working = worked(q, kept)
    cap = q.scoring.met
    base = Tally()
    for question in q.indicators():
        effect = effect_of(q, question, minor)
        if effect is not None and question.code in kept:
            base = base.add(effect, kept[question.code], cap)
    if decide(q, base, minor, working)[0] == "likely_victim" and (rule is None or not working or forced_labour(base, working)):
        # The top tier (so never `incomplete`), and forced labour settled: answers only add.
        return set()
    # Only what the verdict reads for this person counts (see _RELEVANT): an effect that
    # touches nothing else cannot change it, and effects equal on the rest are one group.
    relevant = _relevant(minor, working)
    effects = {}
    for question in open_questions:
        effect = effect_of(q, question, minor)
        if effect is not None:
            effect = _masked(effect, relevant)
            if effect != Effect():
                effects[question.code] = effect
    groups: dict[Effect, int] = {}
    for effect in effects.values():
        groups[effect] = groups.get(effect, 0) + 1
    if not groups:
        return set()
    # Past a few questions more of one effect lead nowhere new (see _enough): counted up to
    # there, screenings that differ only in how many such questions are left share a verdict.
    ordered = tuple(sorted(((effect, min(count, _enough(effect, cap))) for effect, count in groups.items()),
                           key=lambda item: repr(item[0])))
    base_state = _packing(cap).pack(_masked_tally(base, relevant))
    mattering = _remembered_mattering(cap, q.scoring.met, q.scoring.partial, minor, working, base_state, ordered)
    return {code for code, effect in effects.items() if effect in mattering}


def _enough(effect: Effect, cap: int) -> int:
    """Open questions of ``effect`` beyond which more change nothing the search reads: any
    mix of y yes and u unsure answers (y + u > n) reaches the tally min(y, n) yes and the
    rest unsure reach, once n answers fill every points field it adds to up to ``cap``
    (the yes/no fields need one). One more for the question whose own answer is weighed."""
    points = [p for p in (effect.means, effect.purpose) if p > 0]
    filled = max(1, -(-cap // min(points))) if points else 1
    return filled + 1


@lru_cache(maxsize=4096)
def _remembered_mattering(cap: int, met: int, partial: int, minor: bool, working: bool, base: int,
                          groups: tuple[tuple[Effect, int], ...]) -> frozenset[Effect]:
    # The search reads only these: the tally so far (packed, masked to what the verdict
    # reads) and how many open questions of each effect are left. Far fewer than the
    # answer sets they come from (an age of 30 or 31, a place, a "no": all the same here),
    # so screenings under way share them within a process.
    packing = _packing(cap)
    verdicts = packing.verdicts(minor, working, met, partial)
    ordered = [(effect, count, packing.steps(effect)) for effect, count in groups]
    return frozenset(_mattering(packing, base, ordered, verdicts))


# The Tally fields the verdict (tier, forced_labour, incomplete) reads, by (minor, working).
# A minor's means never matter (rule 2 and 3f hold without them, and 3a, 3b and 3c imply
# 3e); child context counts only for a minor (3e); the forced-labour indicators only for
# someone who worked. Each field grows on its own (Tally.add), so leaving out a field the
# verdict does not read changes no verdict of any reachable tally.
# tests/test_skip_rule.py checks this against _decide on every tally.
_ALWAYS = frozenset({"act", "act_hyp", "red_flag", "purpose", "purpose_hyp"})
_MEANS = frozenset({"means", "means_hyp"})
_FORCED = frozenset({"involuntary", "involuntary_hyp", "penalty", "penalty_hyp"})


def _relevant(minor: bool, working: bool) -> frozenset[str]:
    names = _ALWAYS | ({"child_context"} if minor else _MEANS)
    return names | _FORCED if working else names


def _masked(effect: Effect, relevant: frozenset[str]) -> Effect:
    return Effect(
        act=effect.act,
        means=effect.means if "means" in relevant else 0,
        purpose=effect.purpose,
        red_flag=effect.red_flag,
        child_context=effect.child_context and "child_context" in relevant,
        involuntary=effect.involuntary and "involuntary" in relevant,
        penalty=effect.penalty and "penalty" in relevant,
    )


def _masked_tally(tally: Tally, relevant: frozenset[str]) -> Tally:
    return Tally(**{name: getattr(tally, name) if name in relevant else type(getattr(tally, name))()
                    for name in _TALLY_FIELDS})


_TALLY_FIELDS = tuple(f.name for f in dataclasses.fields(Tally))
_FLAGS = ("act", "act_hyp", "red_flag", "child_context", "involuntary", "involuntary_hyp", "penalty", "penalty_hyp")
_POINTS = ("means", "means_hyp", "purpose", "purpose_hyp")


class _Packing:
    """Tallies as small ints for the search (hashing a dataclass is what cost): eight bits
    for the yes/no fields, then each points field capped at ``cap``. The steps an effect
    takes and the verdict of each tally are kept for the life of the process."""

    def __init__(self, cap: int):
        self.cap = cap
        self.width = max(1, cap.bit_length())
        self.mask = (1 << self.width) - 1
        self.flag_mask = (1 << len(_FLAGS)) - 1
        self.shift = {name: len(_FLAGS) + i * self.width for i, name in enumerate(_POINTS)}
        self._steps: dict[Effect, Any] = {}
        self._verdicts: dict[tuple, Any] = {}
        self._lock = threading.Lock()

    def pack(self, tally: Tally) -> int:
        state = sum(1 << i for i, name in enumerate(_FLAGS) if getattr(tally, name))
        for name, shift in self.shift.items():
            state |= min(getattr(tally, name), self.cap) << shift
        return state

    def unpack(self, state: int) -> Tally:
        values: dict[str, Any] = {name: bool(state >> i & 1) for i, name in enumerate(_FLAGS)}
        for name, shift in self.shift.items():
            values[name] = state >> shift & self.mask
        return Tally(**values)

    def combine(self, state: int, other: int) -> int:
        """The tally of both sets of answers (each taken from nothing, or ``state`` from
        any tally): yes/no fields joined, points added up to the cap."""
        joined = (state | other) & self.flag_mask
        cap, mask = self.cap, self.mask
        for at in self.shift.values():
            value = (state >> at & mask) + (other >> at & mask)
            joined |= (value if value < cap else cap) << at
        return joined

    def steps(self, effect: Effect):
        """``state -> (after a yes, after an unsure answer)`` for ``effect``, remembered."""
        step = self._steps.get(effect)
        if step is None:
            with self._lock:
                step = self._steps.setdefault(effect, self._make_step(effect))
        return step

    def _make_step(self, effect: Effect):
        sure = hyp = 0
        for name, hyp_name in (("act", "act_hyp"), ("involuntary", "involuntary_hyp"), ("penalty", "penalty_hyp")):
            if getattr(effect, name):
                sure |= 1 << _FLAGS.index(name)
                hyp |= 1 << _FLAGS.index(hyp_name)
        for name in ("red_flag", "child_context"):
            if getattr(effect, name):
                sure |= 1 << _FLAGS.index(name)
        shift, cap, mask = self.shift, self.cap, self.mask
        yes_points = [(shift[name], points) for name, points in (("means", effect.means), ("means_hyp", effect.means),
                      ("purpose", effect.purpose), ("purpose_hyp", effect.purpose)) if points]
        hyp_points = [(shift[name], points) for name, points in (("means_hyp", effect.means), ("purpose_hyp", effect.purpose)) if points]
        yes_bits = sure | hyp

        def add(state: int, bits: int, points: list[tuple[int, int]]) -> int:
            state |= bits
            for at, extra in points:
                value = state >> at & mask
                state += (min(value + extra, cap) - value) << at
            return state

        table: dict[int, tuple[int, int]] = {}

        def step(state: int) -> tuple[int, int]:
            after = table.get(state)
            if after is None:
                if len(table) >= _TABLE_LIMIT:
                    table.clear()  # bounded memory in a long-lived process
                after = table[state] = (add(state, yes_bits, yes_points), add(state, hyp, hyp_points))
            return after

        return step

    def verdicts(self, minor: bool, working: bool, met: int, partial: int):
        """``state -> (tier, forced_labour, incomplete)``, remembered."""
        key = (minor, working, met, partial)
        verdict = self._verdicts.get(key)
        if verdict is None:
            table: dict[int, tuple[str, bool, bool]] = {}
            unpack = self.unpack

            def verdict(state: int) -> tuple[str, bool, bool]:
                found = table.get(state)
                if found is None:
                    if len(table) >= _TABLE_LIMIT:
                        table.clear()
                    tally = unpack(state)
                    tier, rules = _decide(tally, minor, working, met, partial)
                    found = table[state] = (tier, forced_labour(tally, working), tier == "possible_victim" and "3f" in rules)
                return found

            with self._lock:
                verdict = self._verdicts.setdefault(key, verdict)
        return verdict


_PACKINGS: dict[int, _Packing] = {}
# Entries per table of steps or verdicts (a few MB each at most); past it a table starts over.
_TABLE_LIMIT = 50_000


def _packing(cap: int) -> _Packing:
    packing = _PACKINGS.get(cap)
    if packing is None:
        packing = _PACKINGS.setdefault(cap, _Packing(cap))
    return packing


def _mattering(packing: _Packing, base: int, groups: list, verdict) -> set[Effect]:
    """The effects (``groups``: effect, how many open questions have it, its steps) one more
    answer of which can change the verdict from some tally the other open questions can
    lead to from ``base``. Each group needs the tallies reachable without one of its
    questions; splitting the groups in halves and closing the set over the other half
    first gets them all with O(n log n) closures instead of O(n^2)."""
    found: set[Effect] = set()

    def close(states: frozenset[int], step, count: int) -> frozenset[int]:
        # A "no" keeps every state, so a further answer of this kind leads somewhere new
        # only from the states the previous one added; once it adds none, neither can more.
        frontier = states
        for _ in range(count):
            new = set()
            for state in frontier:
                new.update(step(state))
            new.difference_update(states)
            if not new:
                break
            states = states | new
            frontier = new
        return states

    def search(states: frozenset[int], low: int, high: int) -> None:
        if high - low == 1:
            effect, count, step = groups[low]
            for state in close(states, step, count - 1):
                before = verdict(state)
                yes, unsure = step(state)
                if verdict(yes) != before or verdict(unsure) != before:
                    found.add(effect)
                    return
            return
        middle = (low + high) // 2
        left = states
        for _, count, step in groups[middle:high]:
            left = close(left, step, count)
        search(left, low, middle)
        right = states
        for _, count, step in groups[low:middle]:
            right = close(right, step, count)
        search(right, middle, high)

    found.update(_witnessed(packing, base, groups, verdict))
    if len(found) == len(groups):
        return found
    # The rest need the proof that no tally lets them matter: every tally reachable with
    # all the groups already found (in full), then the halving search over the others.
    states = frozenset((base,))
    for effect, count, step in groups:
        if effect in found:
            states = close(states, step, count)
    groups = [group for group in groups if group[0] not in found]
    search(states, 0, len(groups))
    return found


_WITNESS_TRIALS = 12
_NO, _YES, _UNSURE = 0, 1, 2


def _witnessed(packing: _Packing, base: int, groups: list, verdict) -> set[Effect]:
    """Effects shown to matter by a witness: one tally the other open questions lead to
    (answered no, yes or unsure all alike, then at random) where one more answer of the
    effect changes the verdict. Cheap (a few combinations of answers, no sets): most
    effects of a screening under way matter, and each needs only one witness; those not
    witnessed here go to the exhaustive search."""
    combine = packing.combine
    rng = random.Random(len(groups))  # noqa: S311 - a reproducible search order, not a secret
    found: set[Effect] = set()
    for trial in range(_WITNESS_TRIALS):
        # Each group's answers (how many questions answered yes or unsure; the rest no),
        # taken together from nothing: one question of the group is the one varied.
        deltas, rests = [], []
        for _effect, count, step in groups:
            if trial < 3:
                picks = [trial] * count
            else:
                picks = [rng.choice((_NO, _NO, _YES, _UNSURE)) for _ in range(count)]
            delta = 0
            rest = 0
            for i, pick in enumerate(picks):
                if pick != _NO:
                    delta = step(delta)[pick - 1]
                    if i:
                        rest = step(rest)[pick - 1]
            deltas.append(delta)
            rests.append(rest)
        suffix = [0] * (len(groups) + 1)
        for i in range(len(groups) - 1, -1, -1):
            suffix[i] = combine(deltas[i], suffix[i + 1])
        prefix = base
        for i, (effect, _count, step) in enumerate(groups):
            if effect not in found:
                state = combine(combine(prefix, suffix[i + 1]), rests[i])
                before = verdict(state)
                yes, unsure = step(state)
                if verdict(yes) != before or verdict(unsure) != before:
                    found.add(effect)
            prefix = combine(prefix, deltas[i])
        if len(found) == len(groups):
            break
    return found
