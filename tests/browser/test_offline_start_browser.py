"""The installed app opens with no signal (issue 14 item 3; field-use review finding 8,
cross-checks finding 1): after one visit online, the manifest's start_url ("My screenings",
with what waits to be sent on this phone) and the in-browser form load offline, instead of
the browser's offline page. A phone-sized window with the Khmer interface."""
from __future__ import annotations

import pytest

from tests.browser.helpers import VIGNETTES, log_in
from tests.browser.test_screening_browser import answer_until, open_app, start_js_screening

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "km-KH"}
CACHED = """async (urls) => {
  const names = (await caches.keys()).filter((k) => k.startsWith("pages-"));
  for (const name of names) {
    const cache = await caches.open(name);
    const found = await Promise.all(urls.map((u) => cache.match(u, { ignoreVary: true })));
    if (found.every(Boolean)) return true;
  }
  return false;
}"""


def wait_cached(page, urls):
    page.wait_for_function(CACHED, arg=urls, timeout=10000, polling=100)


def test_start_url_and_my_screenings_open_offline_with_the_waiting_screening(browser, server):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, server)
    manifest = page.request.get(f"{server}/manifest.webmanifest").json()
    start_url = manifest["start_url"]
    assert page.locator('link[rel="manifest"]').count() == 1  # linked from My screenings, not only the app
    open_app(page, server)
    wait_cached(page, [start_url, "/screenings/app"])
    start_js_screening(page)
    context.set_offline(True)
    answer_until(page, VIGNETTES["e02"]["answers"])
    page.wait_for_selector("#app[data-step=saved]")

    # The installed app opens at start_url, in a new window, with no signal.
    app_window = context.new_page()
    app_window.goto(f"{server}{start_url}")
    assert app_window.locator("main h1").inner_text() == "ការពិនិត្យរបស់ខ្ញុំ"  # My screenings
    status = app_window.locator("#queue-status")
    status.wait_for(state="visible")
    assert status.get_attribute("data-count") == "1"  # what waits to be sent, from this phone's queue
    assert app_window.locator("#offline-note").is_visible()
    # "New screening" leads to the form, which also opens offline.
    app_window.locator("main a.button.primary").click()
    app_window.wait_for_selector("#app[data-step=context]")

    # A page never opened here gets "My screenings" too, not the browser's error page.
    other = context.new_page()
    other.goto(f"{server}/screenings/new")
    other.locator("#queue-status").wait_for(state="visible")
    context.close()
