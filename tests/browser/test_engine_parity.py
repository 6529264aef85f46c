"""screen.js chooses the next question in the browser; it must agree with the engine.

The section of screen.js between its "engine's rules" and "draft on this phone" markers is
run in Chromium on thousands of random answer sets and compared with questionnaires.engine.
"""
from __future__ import annotations

import json
import random

import pytest

import questionnaires
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

SCREEN_JS = ROOT / "webapp" / "static" / "js" / "screen.js"


def engine_section() -> str:
    source = SCREEN_JS.read_text(encoding="utf-8")
    return source[source.index("// --- the engine's rules"):source.index("// --- the draft on this phone")]


def random_answers(doc: dict, rng: random.Random, rate: float) -> dict:
    answers = {"consent": "yes"}
    for item in doc["questions"][1:]:
        if rng.random() >= rate:
            continue
        if item["type"] == "integer":
            answers[item["code"]] = rng.choice([0, 11, 17, 18, 30, "unknown"])
        elif item["values"]:
            answers[item["code"]] = rng.choice(item["values"])
        elif item["type"] == "country":
            answers[item["code"]] = rng.choice(["KH", "TH", "VN"] + [o["value"] for o in item["options"]])
        elif item["type"] == "province":
            answers[item["code"]] = rng.choice(["BMC", "PNP"] + [o["value"] for o in item["options"]])
        else:
            answers[item["code"]] = rng.choice([o["value"] for o in item["options"]])
    return answers


def python_view(q, answers: dict) -> list:
    kept = questionnaires.effective_answers(q, answers)
    following = questionnaires.next_question(q, answers)
    return [
        following.code if following else None,
        [item.code for item in questionnaires.asked_questions(q, answers)],
        list(kept),
        questionnaires.engine.is_minor(q, kept),
    ]


def test_the_browser_asks_exactly_what_the_engine_asks(browser, live_app):
    from webapp.screening.api import questionnaire_document

    q = questionnaires.load()
    with live_app.test_request_context():
        doc = questionnaire_document(q)
    rng = random.Random(3)
    cases = [random_answers(doc, rng, rate) for rate in (0.5, 0.8, 0.95, 1.0) for _ in range(500)]
    cases += [{}, {"consent": "no"}, {"consent": "yes", "age": "unknown", "age_maybe_minor": "yes"}]
    page = browser.new_page()
    compare = (
        "([Q, cases]) => {\n" + engine_section() + "\n"
        "return cases.map((a) => { const n = nextQuestion(a); const kept = effective(a);"
        " return [n ? n.code : null, askedQuestions(a).map((q) => q.code), Object.keys(kept), isMinor(kept)]; });\n}"
    )
    in_browser = page.evaluate(compare, [json.loads(json.dumps(doc)), cases])
    page.close()
    mismatches = [(a, python_view(q, a), b) for a, b in zip(cases, in_browser, strict=True) if python_view(q, a) != b]
    assert not mismatches, mismatches[:3]
    assert sum(view[0] is None for view in in_browser) > 100  # finished screenings are covered too


def test_back_in_the_browser_goes_where_the_engine_says(browser, live_app):
    """``previousQuestion`` in screen.js against ``questionnaires.previous_question``: from
    every position (answered or not, and from the end), on random answer sets."""
    from webapp.screening.api import questionnaire_document

    q = questionnaires.load()
    with live_app.test_request_context():
        doc = questionnaire_document(q)
    rng = random.Random(5)
    codes = [None, "consent", "nowhere", *q.codes]
    cases = [(random_answers(doc, rng, rate), rng.choice(codes)) for rate in (0.3, 0.7, 1.0) for _ in range(600)]
    cases += [({"consent": "yes", "U1": "no"}, "U2"), ({"consent": "yes", "U1": "no"}, "U1"), ({}, None)]
    page = browser.new_page()
    compare = (
        "([Q, cases]) => {\n" + engine_section() + "\n"
        "return cases.map(([a, current]) => { const p = previousQuestion(a, current); return p ? p.code : null; });\n}"
    )
    in_browser = page.evaluate(compare, [json.loads(json.dumps(doc)), cases])
    page.close()

    def python(answers, current):
        found = questionnaires.previous_question(q, answers, current)
        return found.code if found else None

    mismatches = [(a, c, python(a, c), b) for (a, c), b in zip(cases, in_browser, strict=True) if python(a, c) != b]
    assert not mismatches, mismatches[:3]
    assert sum(b is not None for b in in_browser) > 1000
