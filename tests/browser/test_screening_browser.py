"""The screening form in a real browser (Debian's Chromium): with JavaScript, without it,
and with the network going away half way."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.browser.conftest import has_system_khmer_font
from tests.browser.helpers import (
    KHMER_RENDERING,
    VIGNETTES,
    answer_screens,
    expected_answers,
    khmer_renders,
    log_in,
    screen_codes,
)

pytestmark = pytest.mark.browser

CASE_NUMBER = re.compile(r"KH-BMC-\d{4}-\d{6}")
LIKELY_VICTIM_KM = "ទំនងជាជនរងគ្រោះនៃការជួញដូរមនុស្ស"

# The codes answered in the draft this phone keeps.
DRAFT_ANSWERS = "Object.keys(JSON.parse(localStorage.getItem(Object.keys(localStorage).find(k => k.endsWith(':draft')))).answers)"


def stored_screenings(app):
    from webapp.extensions import db
    from webapp.screening.models import Screening

    with app.app_context():
        screenings = db.session.scalars(select(Screening)).all()
        return [
            {"uuid": s.uuid, "tier": s.tier, "status": s.status, "channel": s.channel, "case_number": s.case_number,
             "answers": {a.code: a.value for a in s.answers}}
            for s in screenings
        ]


def count_screenings(app) -> int:
    from webapp.extensions import db
    from webapp.screening.models import Screening

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Screening))


def open_app(page, base):
    """From My screenings, with JavaScript: "New screening" leads to the in-browser form."""
    link = page.locator("main a.button.primary")
    assert link.get_attribute("href") == "/screenings/app"
    # enhance.js registered the service worker here; once it is active (shell cached), the
    # next page is under its control. (A page opened while it installs is not, until reloaded.)
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    link.click()
    page.wait_for_selector("#app[data-step=context]")
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")


def start_js_screening(page):
    page.click("#context-form button[type=submit]")  # the user's own border post is preselected
    page.wait_for_selector("#app[data-step=consent]")
    page.click('#app button[data-value="yes"]')
    page.wait_for_selector("#app[data-step=question]")


def answer_until(page, answers, stop=lambda key: False, *, js=True, record="skip"):
    """Answer screen after screen until the form ends or ``stop(key)`` says to pause on
    the screen of group ``key``; returns the codes answered."""
    return [code for _, codes in answer_screens(page, answers, js=js, record=record, stop=stop) for code in codes]


def test_full_screening_in_khmer_to_likely_victim_without_tofu(browser, server, live_app, artifacts):
    context = browser.new_context(locale="km-KH", viewport={"width": 400, "height": 860})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, server)
    assert page.locator("html").get_attribute("lang") == "km"
    open_app(page, server)
    start_js_screening(page)
    assert page.locator("p.progress").inner_text().startswith("ផ្នែកទី ១ នៃ")  # "Part 1 of", Khmer digits
    assert screen_codes(page) == ["U1", "U2", "U3"]  # related questions on one screen
    answers = VIGNETTES["e01"]["answers"]
    asked = answer_until(page, answers)
    page.wait_for_url(re.compile(r"/screenings/[0-9a-f-]{36}/result$"))

    assert page.locator("h1.tier").get_attribute("class") == "tier tier-likely_victim"
    assert page.locator("h1.tier").inner_text() == LIKELY_VICTIM_KM
    assert CASE_NUMBER.fullmatch(page.locator("strong.case").inner_text())
    page.screenshot(path=str(artifacts / "khmer-result.png"), full_page=True)
    report = page.evaluate(KHMER_RENDERING)
    assert khmer_renders(report), report

    [stored] = stored_screenings(live_app)
    assert stored["tier"] == "likely_victim" and stored["status"] == "complete" and stored["channel"] == "web"
    assert stored["answers"] == expected_answers("e01")
    assert asked == [code for code in expected_answers("e01") if code != "consent"]  # same order as the server asks
    assert not errors
    context.close()


def test_the_tofu_check_fails_when_no_khmer_font_reaches_the_page(browser, server):
    """The check above is honest: with the self-hosted font blocked it reports tofu."""
    if has_system_khmer_font():
        pytest.skip("this machine has a Khmer system font, so blocking ours shows no tofu")
    context = browser.new_context(service_workers="block")
    context.route("**/*.woff2", lambda route: route.abort())
    page = context.new_page()
    page.goto(f"{server}/login")  # Khmer by default
    report = page.evaluate(KHMER_RENDERING)
    assert not khmer_renders(report), report
    context.route("**/*.woff2", lambda route: route.continue_())
    context.close()


def test_screening_without_javascript(browser, server, live_app):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, server)
    link = page.locator("main a.button.primary")
    assert link.get_attribute("href") == "/screenings/new"  # nothing rewrote it
    link.click()
    page.click("#start-form button[type=submit]")
    page.click('button[name="answer"][value="yes"]')  # consent
    page.wait_for_url(re.compile(r"/s/urgent"))
    answer_until(page, VIGNETTES["e06"]["answers"], js=False)
    assert page.url.endswith("/result")
    assert page.locator("h1.tier").get_attribute("class") == "tier tier-possible_victim"
    [stored] = stored_screenings(live_app)
    assert stored["answers"] == expected_answers("e06") and stored["tier"] == "possible_victim"
    context.close()


def test_offline_half_way_then_one_screening_with_every_answer(browser, server, live_app):
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server)
    open_app(page, server)
    start_js_screening(page)
    answers = VIGNETTES["e08"]["answers"]  # a boy of 16: the child-only questions are asked too
    before = answer_until(page, answers, stop=lambda key: key == "means")

    context.set_offline(True)
    during = answer_until(page, answers, stop=lambda key: key == "act")
    act = screen_codes(page)
    page.locator('fieldset.q[data-code="A1"] input[value="yes"]').locator("xpath=..").click()  # one tap, then a reload
    draft = page.evaluate(DRAFT_ANSWERS)
    page.reload()  # still offline: the service worker serves the cached shell and questionnaire
    page.wait_for_selector("#app[data-step=question]")
    assert page.locator("form.answers").get_attribute("data-screen") == "act"  # resumed where it was
    assert page.locator('fieldset.q[data-code="A1"] input[value="yes"]').is_checked()  # with the tap it had
    # The boy's A1 "yes" settles the act: the rest of its screen can no longer change anything.
    assert act[0] == "A1" and len(act) > 1 and screen_codes(page) == ["A1"]
    again = page.evaluate(DRAFT_ANSWERS)
    assert again == draft and set(before + during) | {"A1"} == set(draft)
    rest = answer_until(page, answers)
    page.wait_for_selector("#app[data-step=saved]")
    assert page.locator("#queue-status").get_attribute("data-count") == "1"
    assert count_screenings(live_app) == 0  # nothing reached the server while offline

    context.set_offline(False)  # the "online" event sends the queue; the page opens the result
    page.wait_for_url(re.compile(r"/result$"))
    assert page.locator("h1.tier").get_attribute("class") == "tier tier-likely_victim"
    page.evaluate("window.screeningQueue.sync(true)")  # another round finds nothing to send
    assert page.evaluate("window.screeningQueue.waiting().length") == 0
    [stored] = stored_screenings(live_app)
    expected = expected_answers("e08")
    assert stored["answers"] == {code: value for code, value in expected.items() if code not in act[1:]}
    assert set(before + during + rest) | {"consent"} == set(stored["answers"])
    assert len(stored["answers"]) < len(VIGNETTES["e08"]["answers"])  # the skip rule left some out
    assert "C6" in stored["answers"]  # a child-only question, chosen in the browser as on the server
    context.close()


def test_a_lost_reply_is_resent_and_stored_once(browser, server, live_app):
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server)
    open_app(page, server)
    start_js_screening(page)

    def lose_reply(route):
        route.fetch()  # the server stores the screening...
        route.abort("connectionreset")  # ...and the phone never hears back

    page.route("**/api/screenings", lose_reply)
    answer_until(page, VIGNETTES["e02"]["answers"])
    page.wait_for_selector("#app[data-step=saved]")
    assert count_screenings(live_app) == 1
    page.unroute("**/api/screenings")
    page.evaluate("window.screeningQueue.sync(false)")  # what the timer or the online event does
    page.wait_for_url(re.compile(r"/result$"))
    assert count_screenings(live_app) == 1
    context.close()


def test_an_ended_session_keeps_the_screening_until_the_next_log_in(browser, server, live_app):
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server)
    open_app(page, server)
    start_js_screening(page)
    context.clear_cookies()  # the session ends while the screener is asking questions
    answer_until(page, VIGNETTES["e03"]["answers"])
    page.wait_for_selector("#app[data-step=saved]")
    status = page.locator("#queue-status")
    status.locator("a").wait_for()
    assert status.get_attribute("data-count") == "1" and status.locator("a").get_attribute("href") == "/login"
    assert count_screenings(live_app) == 0

    log_in(page, server)  # My screenings sends what waits, then shows it
    page.wait_for_function("() => document.querySelector('#queue-status').hidden")
    page.locator("main table a").wait_for()
    [stored] = stored_screenings(live_app)
    assert stored["tier"] == "exploited_migrant" and stored["answers"] == expected_answers("e03")
    context.close()


def test_no_consent_sends_only_a_count(browser, server, live_app):
    from webapp.extensions import db
    from webapp.screening.models import DeclinedScreening

    context = browser.new_context()
    page = context.new_page()
    log_in(page, server)
    open_app(page, server)
    page.click("#context-form button[type=submit]")
    page.click('#app button[data-value="no"]')
    page.wait_for_selector("#app[data-step=declined]")
    assert page.evaluate("() => Object.keys(localStorage).filter((k) => k.endsWith(':draft')).length") == 0
    page.wait_for_function("() => window.screeningQueue"
                           " && !localStorage.getItem(Object.keys(localStorage).find((k) => k.endsWith(':queue'))).includes('decline')")
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DeclinedScreening)) == 1
    assert count_screenings(live_app) == 0
    context.close()
