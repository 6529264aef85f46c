"""Taps land where meant (issue 14 item 2; field-use review finding 2): in the in-browser
form a quick double tap answers one question, not also the next one that appears at the
same spot. A 360 x 740 touch screen in Khmer."""
from __future__ import annotations

import pytest

from tests.browser.helpers import log_in
from tests.browser.test_screening_browser import open_app, start_js_screening

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "km-KH", "has_touch": True}
DRAFT = "() => JSON.parse(localStorage.getItem(Object.keys(localStorage).find((k) => k.endsWith(':draft'))))"


def test_two_quick_taps_answer_only_the_question_shown(browser, server):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, server)
    open_app(page, server)
    start_js_screening(page)
    first = page.locator("form.answers[data-code]").get_attribute("data-code")
    button = page.locator('form.answers button[data-value="no"]')
    button.wait_for()
    page.wait_for_function("() => !document.querySelector('form.answers button[data-value=no]').disabled")
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.touchscreen.tap(x, y)
    page.touchscreen.tap(x, y)  # the same spot, a few milliseconds later
    page.wait_for_function("(code) => document.querySelector('form.answers').dataset.code !== code", arg=first)
    second = page.locator("form.answers[data-code]").get_attribute("data-code")
    page.wait_for_timeout(600)  # whatever the second tap did has happened by now
    assert page.locator("form.answers[data-code]").get_attribute("data-code") == second
    assert set(page.evaluate(DRAFT)["answers"]) == {first}
    # Once the question has settled, a tap answers it as usual.
    page.locator('form.answers button[data-value="no"]').click()
    page.wait_for_function("(code) => document.querySelector('form.answers').dataset.code !== code", arg=second)
    assert set(page.evaluate(DRAFT)["answers"]) == {first, second}
    context.close()
