"""screen.js chooses the next question, and what the skip rule leaves out, in the browser
(offline too); it must agree with the engine.

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


def questionnaire_doc(app) -> dict:
    """The questionnaire as the app sends it to the browser."""
    from webapp.screening.api import questionnaire_document

    with app.test_request_context():
        return questionnaire_document(questionnaires.load())


def in_browser(browser, params: str, body: str, args: list):
    """``body`` run in a Chromium page with screen.js's engine section in scope and ``params``
    (a destructuring of ``args``, Q first: the questionnaire) bound; returns its value. The
    arguments go through JSON first, as the app sends the document."""
    page = browser.new_page()
    result = page.evaluate(f"({params}) => {{\n{engine_section()}\n{body}\n}}", json.loads(json.dumps(args)))
    page.close()
    return result


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


# The next question and the asked ones, from the primitives the form runs on (the form
# itself asks screen by screen: test_the_browser_leaves_out_exactly_what_the_engine_leaves_out).
BROWSER_VIEW = (
    "return cases.map((a) => { const kept = effective(a);"
    " const asked = Q.questions.filter((q) => isAsked(q, kept));"
    " const n = asked.find((q) => !has(kept, q.code)) || null;"
    " return [n ? n.code : null, asked.map((q) => q.code), Object.keys(kept), isMinor(kept)]; });"
)


def test_the_browser_asks_exactly_what_the_engine_asks(browser, live_app):
    q = questionnaires.load()
    doc = questionnaire_doc(live_app)
    rng = random.Random(3)
    cases = [random_answers(doc, rng, rate) for rate in (0.5, 0.8, 0.95, 1.0) for _ in range(500)]
    cases += [{}, {"consent": "no"}, {"consent": "yes", "age": "unknown", "age_maybe_minor": "yes"}]
    browser_views = in_browser(browser, "[Q, cases]", BROWSER_VIEW, [doc, cases])
    mismatches = [(a, python_view(q, a), b) for a, b in zip(cases, browser_views, strict=True) if python_view(q, a) != b]
    assert not mismatches, mismatches[:3]
    assert sum(view[0] is None for view in browser_views) > 100  # finished screenings are covered too


def profiled_answers(doc: dict, rng: random.Random, rate: float) -> dict:
    """A consenting person with the urgent and profile questions answered (the skip rule only
    cuts once age and work are known), and each other question answered with chance ``rate``,
    mostly "no" as in the field."""
    answers = random_answers(doc, rng, 1.0)
    for item in doc["questions"]:
        if item["section"] in doc["skip"]["always_asked"] or item["code"] == "consent":
            continue
        if rng.random() >= rate:
            answers.pop(item["code"], None)
        elif item["values"]:
            answers[item["code"]] = rng.choice(["no", "no", "no", "yes", "yes", "unknown", "refused"])
    return answers


def python_plan(q, answers: dict) -> list:
    from questionnaires import screens

    following = screens.next_screen(q, answers)
    record = screens.record_screen(q, answers)
    return [
        sorted(questionnaires.can_change(q, answers)),
        following.key if following else None,
        list(following.codes) if following else None,
        list(record.codes) if record else [],
        {key: list(screens.screen(q, answers, key).codes) for key in screens.groups(q)},
        screens.previous_screen(q, answers, following.key if following else None),
    ]


def test_the_browser_leaves_out_exactly_what_the_engine_leaves_out(browser, live_app):
    """The skip rule and the screens in the browser (offline) equal can_change,
    for_the_record and questionnaires.screens on thousands of answer sets."""
    from questionnaires import screens

    q = questionnaires.load()
    doc = questionnaire_doc(live_app)
    rng = random.Random(14)
    # can_change takes tens of milliseconds on each side: a few hundred sets, chosen to cut.
    cases = [profiled_answers(doc, rng, rate) for rate in (0.0, 0.3, 0.6, 0.9) for _ in range(60)]
    cases += [random_answers(doc, rng, rate) for rate in (0.5, 0.9) for _ in range(30)]
    cases += [{}, {"consent": "yes"}, {"consent": "yes", "age": "unknown", "age_maybe_minor": "yes"}]
    browser_plans = in_browser(browser, "[Q, cases, groups]", (
        "return cases.map((a) => { const n = nextScreen(a); const r = forTheRecord(a); const all = {};"
        " groups.forEach((g) => { all[g] = screenOf(a, g).questions.map((q) => q.code); });"
        " return [Array.from(canChange(a)).sort(), n ? n.key : null, n ? n.questions.map((q) => q.code) : null,"
        " r.map((q) => q.code), all, previousScreen(a, n ? n.key : null)]; });"
    ), [doc, cases, list(screens.groups(q))])
    python = [python_plan(q, a) for a in cases]
    mismatches = [(a, p, b) for a, p, b in zip(cases, python, browser_plans, strict=True) if p != b]
    assert not mismatches, mismatches[:2]
    # The cases cover skipping: screens with questions left out, record screens, finished ones.
    assert sum(1 for p in python if p[3]) > 30
    assert sum(1 for p in python if p[1] is None) > 30
