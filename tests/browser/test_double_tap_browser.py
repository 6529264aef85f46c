"""Taps land where meant (issue 14 item 2; field-use review finding 2): in the in-browser
form an answer is tied to the question it was shown with, and a quick double tap on Next
sends its screen once and answers nothing on the screen that appears under the finger.
A 360 x 740 touch screen in Khmer, with the real settle time (Config.screen_settle_ms)."""
from __future__ import annotations

import dataclasses

import pytest

from tests.browser.helpers import log_in, screen_codes
from tests.browser.test_screening_browser import open_app, start_js_screening
from webapp.config import Config

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "km-KH", "has_touch": True, "is_mobile": True}
DRAFT = "() => JSON.parse(localStorage.getItem(Object.keys(localStorage).find((k) => k.endsWith(':draft'))))"
SETTLED = "() => { const f = document.querySelector('form.answers'); return f && !f.dataset.settling; }"


@pytest.fixture
def real_settle(live_app):
    """The settle time a phone gets (the browser tests run without it)."""
    config = live_app.config["APP_CONFIG"]
    live_app.config["APP_CONFIG"] = dataclasses.replace(config, screen_settle_ms=Config.screen_settle_ms)
    yield Config.screen_settle_ms
    live_app.config["APP_CONFIG"] = config


def centre(box):
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_two_quick_taps_answer_only_the_screen_shown(browser, server, real_settle):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, server)
    open_app(page, server)
    assert page.locator("#app").get_attribute("data-settle-ms") == "450"
    start_js_screening(page)
    assert screen_codes(page) == ["U1", "U2", "U3"]
    page.wait_for_function(SETTLED)
    # Two quick taps on one answer: one answer, to that question.
    tile = page.locator('fieldset.q[data-code="U1"] input[value="no"]').locator("xpath=..")
    x, y = centre(tile.bounding_box())
    page.touchscreen.tap(x, y)
    page.touchscreen.tap(x, y)
    assert set(page.evaluate(DRAFT)["answers"]) == {"U1"}
    for code in ("U2", "U3"):
        page.locator(f'fieldset.q[data-code="{code}"] input[value="no"]').locator("xpath=..").tap()
    # Two quick taps on Next: the screen goes once, the second tap lands on the next screen.
    button = page.locator("form.answers button.next")
    button.scroll_into_view_if_needed()
    x, y = centre(button.bounding_box())
    urgent = page.locator("form.answers").element_handle()
    page.touchscreen.tap(x, y)
    page.touchscreen.tap(x, y)  # the same spot, a few milliseconds later
    page.wait_for_function("(form) => !form.isConnected", arg=urgent)
    assert page.locator("form.answers").get_attribute("data-screen") == "profile"
    under = page.evaluate("([x, y]) => { const el = document.elementFromPoint(x, y);"
                          " return el && el.closest('form.answers') ? el.tagName : null; }", [x, y])
    page.wait_for_timeout(real_settle + 150)  # whatever the second tap did has happened by now
    assert page.locator("form.answers").get_attribute("data-screen") == "profile"
    assert set(page.evaluate(DRAFT)["answers"]) == {"U1", "U2", "U3"}, under
    assert page.locator("form.answers input:checked").count() == 0
    # Once the screen has settled, a tap answers its question as usual.
    page.locator('fieldset.q[data-code="sex"] input[value="female"]').locator("xpath=..").tap()
    assert set(page.evaluate(DRAFT)["answers"]) == {"U1", "U2", "U3", "sex"}
    context.close()
