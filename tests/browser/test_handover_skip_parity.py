"""handover.js asks the person with the phone channels' skip rule: its copy of
questionnaires.engine.can_change must agree with the engine exactly.

The section of handover.js between its "skip rule" markers, with screen.js's engine section,
runs in Chromium on thousands of random answer sets and is compared with the engine."""
from __future__ import annotations

import json
import random

import pytest

import questionnaires
from tests.browser.test_engine_parity import engine_section, random_answers
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

HANDOVER_JS = ROOT / "webapp" / "static" / "js" / "handover.js"


def skip_section() -> str:
    source = HANDOVER_JS.read_text(encoding="utf-8")
    return source[source.index("// --- the skip rule"):source.index("// --- end of the skip rule")]


def python_view(q, answers: dict) -> list:
    following = questionnaires.next_question(q, answers, skip_unneeded=True)
    return [sorted(questionnaires.can_change(q, answers)), following.code if following else None]


def test_the_hand_over_mode_skips_exactly_what_the_engine_skips(browser, live_app):
    from webapp.screening.api import questionnaire_document

    q = questionnaires.load()
    with live_app.test_request_context():
        doc = questionnaire_document(q)
    rng = random.Random(16)
    cases = [random_answers(doc, rng, rate) for rate in (0.3, 0.6, 0.8, 0.95) for _ in range(400)]
    # Adults and children with age and work known, most indicators open: the rule's hard part.
    for _ in range(600):
        answers = random_answers(doc, rng, rng.choice([0.2, 0.4, 0.6]))
        answers.update(age=rng.choice([12, 16, 25, 40]), sector=rng.choice(["construction", "scam_online", "none"]))
        cases.append(answers)
    cases += [{}, {"consent": "no"}, {"consent": "yes", "age": "unknown", "age_maybe_minor": "yes", "sector": "fishing"}]
    page = browser.new_page()
    compare = (
        "([Q, cases]) => {\n" + engine_section() + "\n" + skip_section() + "\n"
        "const rule = makeSkipRule(Q, { effective, isAsked, isMinor });\n"
        "return cases.map((a) => { const n = rule.next(a);"
        " return [Array.from(rule.canChange(a)).sort(), n ? n.code : null]; });\n}"
    )
    in_browser = page.evaluate(compare, [json.loads(json.dumps(doc)), cases])
    page.close()
    expected = [python_view(q, a) for a in cases]
    # Python sorts codes as str; JavaScript's default sort is by UTF-16 code units: the same here.
    mismatches = [(a, e, b) for a, e, b in zip(cases, expected, in_browser) if e != b]
    assert not mismatches, mismatches[:3]
    # The cases reach the interesting states: some skip questions, some are done early.
    assert sum(1 for a, e in zip(cases, expected) if e[1] is None and questionnaires.next_question(q, a)) > 50
