"""A shared desk computer or phone: after log-out, or once the next person reaches the log-in
page, the browser keeps nothing of the last screener's work; screenings not sent yet are
never dropped without the screener's say (security review, finding 8). And the no-JavaScript
start page offers only what works there (field-use review, finding 22).

A phone-sized window with the Khmer interface, as a border screener uses it."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.browser.helpers import VIGNETTES, log_in
from tests.browser.test_screening_browser import answer_until, count_screenings, open_app, start_js_screening

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "km-KH"}
HERE = {"latitude": 13.658712, "longitude": 102.564321}  # a synthetic point near Poipet

LEFTOVERS = """async () => ({
  keys: Object.keys(localStorage).filter((k) => k.startsWith("scr:")).sort(),
  caches: (await caches.keys()).filter((k) => k.startsWith("pages-")),
})"""
QUEUE = "() => JSON.parse(localStorage.getItem(Object.keys(localStorage).find((k) => k.endsWith(':queue'))) || '[]')"


def two_answers(page):
    """Answers U1 and U2 on the first screen (each tap is kept in the draft) and not U3."""
    for code in ("U1", "U2"):
        page.locator(f'fieldset.q[data-code="{code}"] input[value="no"]').locator("xpath=..").click()


def leftovers(page, want=None, tries=50):
    """What the browser still keeps; with ``want``, waits (cache deletion is asynchronous)."""
    for _ in range(tries):
        found = page.evaluate(LEFTOVERS)
        if want is None or found == want:
            return found
        page.wait_for_timeout(100)
    return found


def finish_offline(context, page, server):
    """Log in, start, go offline, finish: one screening waits in the queue. Returns its uuid."""
    log_in(page, server)
    open_app(page, server)
    start_js_screening(page)
    context.set_offline(True)
    answer_until(page, VIGNETTES["e02"]["answers"])
    page.wait_for_selector("#app[data-step=saved]")
    [item] = page.evaluate(QUEUE)
    return item["body"]["uuid"]


def stored_uuids(app):
    from webapp.extensions import db
    from webapp.screening.models import Screening

    with app.app_context():
        return db.session.scalars(select(Screening.uuid)).all()


def test_log_out_leaves_no_draft_no_location_and_no_cached_pages(browser, server):
    context = browser.new_context(geolocation=HERE, permissions=["geolocation"], **PHONE)
    page = context.new_page()
    log_in(page, server)
    open_app(page, server)
    assert page.locator("html").get_attribute("lang") == "km"
    page.check('#context-form input[name="kind"][value="gps"]')
    page.click("#context-form button[type=button]")  # find this phone's location
    page.wait_for_function(
        "() => JSON.parse(localStorage.getItem(Object.keys(localStorage).find((k) => k.endsWith(':draft')))).context.lat != null")
    page.click("#context-form button[type=submit]")
    page.click('#app button[data-value="yes"]')
    page.wait_for_selector("#app[data-step=question]")
    two_answers(page)
    draft = page.evaluate("() => JSON.parse(localStorage.getItem(Object.keys(localStorage).find((k) => k.endsWith(':draft'))))")
    assert set(draft["answers"]) == {"U1", "U2"}
    assert (draft["context"]["lat"], draft["context"]["lon"]) == (13.66, 102.56)  # about 1 km, no closer
    before = leftovers(page)
    assert any(k.endswith(":draft") for k in before["keys"]) and before["caches"] == ["pages-v1"]

    page.click("#logout button[type=submit]")
    page.wait_for_url(f"{server}/login")
    assert leftovers(page, want={"keys": [], "caches": []}) == {"keys": [], "caches": []}
    page.goto(f"{server}/screenings/")
    assert page.url.startswith(f"{server}/login")  # and the server ended the session
    context.close()


def test_unsent_screening_blocks_log_out_until_it_is_sent(browser, server, live_app):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    uuid = finish_offline(context, page, server)

    page.click("#logout button[type=submit]")
    choice = page.locator("#logout-choice")
    choice.wait_for()
    assert choice.locator("h2").first.inner_text() == "ការពិនិត្យដែលមិនទាន់ផ្ញើ"  # "Screenings not sent yet"
    assert choice.locator("[data-count]").inner_text() == "១"  # in Khmer digits
    box = choice.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360  # fits the phone's screen
    choice.locator("[data-action=send]").click()  # still offline: it says so and keeps everything
    choice.locator("[data-problem]").wait_for()
    assert page.url == f"{server}/screenings/app" and len(page.evaluate(QUEUE)) == 1

    choice.locator("[data-action=discard]").click()  # deleting takes a second, explicit step
    assert choice.locator("[data-part=confirm]").is_visible()
    assert not choice.locator("[data-part=choose]").is_visible()
    assert len(page.evaluate(QUEUE)) == 1
    choice.locator("[data-action=back]").click()

    attempts = []

    def unreachable(route):
        attempts.append(route.request.url)
        route.abort()

    page.route("**/api/screenings", unreachable)  # online again, but the first round fails
    context.set_offline(False)
    for _ in range(100):
        if attempts:
            break
        page.wait_for_timeout(50)
    page.unroute("**/api/screenings")
    assert attempts and count_screenings(live_app) == 0 and choice.is_visible()

    choice.locator("[data-action=send]").click()
    page.wait_for_url(f"{server}/login")
    assert stored_uuids(live_app) == [uuid]  # sent, exactly once
    assert leftovers(page, want={"keys": [], "caches": []}) == {"keys": [], "caches": []}
    page.goto(f"{server}/screenings/")
    assert page.url.startswith(f"{server}/login")
    context.close()


def test_unsent_screening_is_deleted_only_when_confirmed(browser, server, live_app):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    finish_offline(context, page, server)
    page.route("**/api/screenings", lambda route: route.abort())  # the server stays out of reach
    context.set_offline(False)

    page.click("#logout button[type=submit]")
    choice = page.locator("#logout-choice")
    choice.locator("[data-action=stay]").click()  # changed their mind: nothing happens
    assert not choice.is_visible() and len(page.evaluate(QUEUE)) == 1 and page.url.endswith("/screenings/app")

    page.click("#logout button[type=submit]")
    choice.locator("[data-action=discard]").click()
    choice.locator("[data-action=delete]").click()
    page.wait_for_url(f"{server}/login")
    assert leftovers(page, want={"keys": [], "caches": []}) == {"keys": [], "caches": []}
    page.unroute("**/api/screenings")
    log_in(page, server)  # nothing comes back to be sent later
    page.wait_for_timeout(500)
    assert count_screenings(live_app) == 0
    context.close()


def test_the_log_in_page_clears_what_an_ended_session_left(browser, server):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, server)
    open_app(page, server)
    start_js_screening(page)
    two_answers(page)
    # Left in this browser by another screener whose session ended: a draft, and a screening
    # finished but not sent (it waits for that screener's next log-in).
    page.evaluate("""() => {
      localStorage.setItem("scr:999:draft", JSON.stringify({uuid: "x", answers: {U1: {value: "yes"}}}));
      localStorage.setItem("scr:999:queue", JSON.stringify([{id: "q", type: "screening", body: {}, state: "login"}]));
    }""")
    page.goto(f"{server}/screenings/")  # another screener is logged in: that draft goes
    keys = leftovers(page)["keys"]
    assert "scr:999:draft" not in keys and "scr:999:queue" in keys and any(re.fullmatch(r"scr:\d+:draft", k) for k in keys)

    context.clear_cookies()  # this session ends too (idle time-out, a closed tab)
    page.goto(f"{server}/screenings/")
    page.wait_for_url(re.compile(r"/login"))
    assert leftovers(page, want={"keys": ["scr:999:queue"], "caches": []}) == {"keys": ["scr:999:queue"], "caches": []}
    context.close()


def test_the_start_page_offers_the_location_only_with_javascript(browser, server, live_app):
    from webapp.extensions import db
    from webapp.screening.models import Screening

    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    log_in(page, server)
    page.goto(f"{server}/screenings/new")
    assert not page.locator('input[name="kind"][value="gps"]').is_visible()  # it cannot work here
    assert page.locator("#post_code").is_visible() and page.locator("#province_code").is_visible()
    assert page.locator("#start-hint").is_visible()  # which field to fill is said
    page.click("#logout button[type=submit]")  # log-out is a plain form without JavaScript
    page.wait_for_url(f"{server}/login")
    context.close()

    context = browser.new_context(geolocation=HERE, permissions=["geolocation"], **PHONE)
    page = context.new_page()
    log_in(page, server)
    page.goto(f"{server}/screenings/new")  # e.g. where the in-browser form cannot store drafts
    assert page.locator("#post_code").is_visible() and not page.locator("#province_code").is_visible()
    assert not page.locator("#start-hint").is_visible()
    page.check('input[name="kind"][value="province"]')
    assert page.locator("#province_code").is_visible() and not page.locator("#post_code").is_visible()
    page.check('input[name="kind"][value="gps"]')
    page.wait_for_function("() => document.querySelector('#start-form').elements.lat.value !== ''")
    assert not page.locator("#province_code").is_visible() and not page.locator("#post_code").is_visible()
    assert page.locator("#gps-status").inner_text() == "បានរកឃើញទីតាំង។"  # "Location found."
    page.click("#start-form button[type=submit]")
    page.click('button[name="answer"][value="yes"]')
    page.wait_for_url(re.compile(r"/s/urgent"))
    with live_app.app_context():
        [screening] = db.session.scalars(select(Screening)).all()
        assert screening.context_kind == "gps" and screening.gps == "13.66000,102.56000"
    context.close()


def test_log_out_in_one_tab_ends_the_screening_open_in_another(browser, server):
    context = browser.new_context(**PHONE)
    desk = context.new_page()
    log_in(desk, server)
    tab = context.new_page()
    tab.goto(f"{server}/screenings/")
    open_app(tab, server)
    start_js_screening(tab)
    two_answers(tab)

    desk.click("#logout button[type=submit]")
    desk.wait_for_url(f"{server}/login")
    tab.wait_for_url(f"{server}/login")  # the other tab does not keep asking, and saving, questions
    assert leftovers(tab, want={"keys": [], "caches": []}) == {"keys": [], "caches": []}
    context.close()
