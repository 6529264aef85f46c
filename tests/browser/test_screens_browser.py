"""The form's screens on a 360 x 740 touch screen in Khmer (issue 14 items 1 and 7): a group
of questions per screen, nothing wider than the screen, thumb-sized answers, the "for the
record" questions at the end (saved, or skipped with one button, never read as "no"), with
and without JavaScript; both end on the engine's result."""
from __future__ import annotations

import re

import pytest

import questionnaires
from tests.browser.helpers import VIGNETTES, answer_screen, answer_screens, expected_answers, log_in, screen_codes
from tests.browser.test_screening_browser import open_app, start_js_screening, stored_screenings

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "km-KH", "has_touch": True, "is_mobile": True}
FITS = """() => ({
  width: document.documentElement.scrollWidth,
  small: [...document.querySelectorAll("form.answers label.choice, form.answers button, form.answers select, "
                                       + "nav.steps a, nav.steps button")]
    .filter((el) => el.getClientRects().length && el.getBoundingClientRect().height < 48)
    .map((el) => el.outerHTML.slice(0, 80)),
})"""


def check_screen(page):
    report = page.evaluate(FITS)
    assert report["width"] <= 360 and not report["small"], report
    assert page.locator("html").get_attribute("lang") == "km"


def run(page, answers, *, js: bool, record: str) -> list[str]:
    """Every screen to the end, each checked at 360 px; returns the screens' keys."""
    keys = [key for key, _ in answer_screens(page, answers, js=js, record=record, each=lambda: check_screen(page))]
    page.wait_for_url(re.compile(r"/result$"))
    return keys


def engine_result(vignette: str):
    q = questionnaires.load()
    return questionnaires.score(q, VIGNETTES[vignette]["answers"])


@pytest.mark.parametrize("record", ["skip", "save"])
def test_without_javascript_a_screen_per_group_and_the_record_at_the_end(browser, server, live_app, record):
    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    log_in(page, server)
    page.goto(f"{server}/screenings/new")
    page.click("#start-form button[type=submit]")
    page.click('button[name="answer"][value="yes"]')  # consent
    page.wait_for_url(re.compile(r"/s/urgent$"))
    assert screen_codes(page) == ["U1", "U2", "U3"]
    # Next with a question left blank: the screen comes back, in Khmer, with what was given.
    page.locator('fieldset.q[data-code="U1"] input[value="no"]').locator("xpath=..").click()
    page.locator("form.answers button.next").click()
    assert page.locator("form.answers p.errors[role=alert]").inner_text() == "ចម្លើយខ្លះនៅខ្វះ ឬមិនត្រឹមត្រូវ៖ សូមមើលខាងក្រោម។"
    assert page.locator('fieldset.q[aria-invalid="true"]').count() == 2
    assert page.locator('fieldset.q[data-code="U1"] input[value="no"]').is_checked()
    keys = run(page, VIGNETTES["e06"]["answers"], js=False, record=record)
    assert keys[-1] == "record" and "record" not in keys[:-1] and len(keys) <= 8
    [stored] = stored_screenings(live_app)
    engine = engine_result("e06")
    assert stored["tier"] == engine.tier == "possible_victim"
    assert stored["answers"] == expected_answers("e06", record=record)
    context.close()


def test_with_javascript_the_same_screens_and_the_record_skipped_with_one_tap(browser, server, live_app):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, server)
    open_app(page, server)
    start_js_screening(page)
    assert page.locator("p.progress").inner_text().startswith("ផ្នែកទី ១ នៃ")
    keys = run(page, VIGNETTES["e06"]["answers"], js=True, record="skip")
    assert keys[-1] == "record" and len(keys) <= 8
    [stored] = stored_screenings(live_app)
    assert stored["tier"] == engine_result("e06").tier
    assert stored["answers"] == expected_answers("e06", record="skip")
    assert not {"A1", "A2"} & set(stored["answers"])  # left out, skipped: missing, not "no"
    context.close()


def test_with_javascript_a_question_made_unneeded_on_its_screen_fades_and_waits_for_the_record(browser, server, live_app):
    """The boy of 16 (e08): once A1 is "yes" the act is met, so the act screen's other
    questions fade; Next goes on without them, and they come back on the record screen."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, server)
    open_app(page, server)
    start_js_screening(page)
    answers = VIGNETTES["e08"]["answers"]
    while page.locator("form.answers").get_attribute("data-screen") != "act":
        form = page.locator("form.answers[data-screen]").element_handle()
        answer_screen(page, answers)
        page.wait_for_function("(form) => !form.isConnected", arg=form)
    act = screen_codes(page)
    assert act[0] == "A1" and page.locator("fieldset.q.unneeded").count() == 0
    page.locator('fieldset.q[data-code="A1"] input[value="yes"]').locator("xpath=..").click()
    page.wait_for_function("(n) => document.querySelectorAll('fieldset.q.unneeded').length === n", arg=len(act) - 1)
    check_screen(page)
    form = page.locator("form.answers[data-screen]").element_handle()
    page.locator("form.answers button.next").click()  # the faded ones left blank: no error
    page.wait_for_function("(form) => !form.isConnected", arg=form)
    keys = run(page, answers, js=True, record="save")
    assert keys[-1] == "record"
    [stored] = stored_screenings(live_app)
    engine = engine_result("e08")
    assert stored["tier"] == engine.tier == "likely_victim"
    assert {code: stored["answers"].get(code) for code in act} == {"A1": "yes", **dict.fromkeys(act[1:], "no")}
