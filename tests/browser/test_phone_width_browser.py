"""Sized for a thumb at 360 px (issue 14 item 7; field-use review findings 15, 17, 27): every
page each demo role can reach by following links, in Khmer on a 360 x 740 screen, is no
wider than the screen, and its buttons and header links are at least 48 px high."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import VIGNETTES, log_in, page_width

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "km-KH", "service_workers": "block"}
ROLES = ("border", "consular", "hotline", "supervisor", "national", "service", "admin")
SKIP = (".csv", ".json", "/export", "/static/", "/sw.js", "/manifest.webmanifest", "/logout")
MAX_PAGES = 40

LINKS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter((a) => a.origin === location.origin).map((a) => a.pathname + a.search)"""
SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
    'button, input[type=submit], select, .top nav a, a.button'))
  .filter((el) => el.offsetParent !== null && !el.closest('dialog'))
  .map((el) => [el.outerHTML.slice(0, 80), el.getBoundingClientRect().height])
  .filter(([, h]) => h < 48)"""


def submit_likely_victim(page, base):
    """A finished screening (vignette e01, likely victim), so case pages exist to visit."""
    import questionnaires

    kept = questionnaires.effective_answers(questionnaires.load(), VIGNETTES["e01"]["answers"])
    now = datetime.now(UTC).isoformat()
    body = {
        "uuid": str(uuid.uuid4()), "context": {"kind": "post", "post_code": "POIPET"}, "language": "km",
        "answers": {code: {"value": value, "answered_at": now} for code, value in kept.items()}, "started_at": now,
    }
    page.goto(f"{base}/screenings/app")
    status = page.evaluate("""async (body) => (await fetch('/api/screenings', {method: 'POST',
        headers: {'Content-Type': 'application/json', 'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content},
        body: JSON.stringify(body)})).status""", body)
    assert status in (200, 201)


def crawl(page, base):
    """(path, scrollWidth, small targets) of each page reachable from the role's home page."""
    seen, queue, found = set(), [urlsplit(page.url).path], []
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen or any(part in path for part in SKIP):
            continue
        seen.add(path)
        response = page.goto(f"{base}{path}")
        if response is None or response.status >= 400 or not response.headers.get("content-type", "").startswith("text/html"):
            continue
        found.append((path, page_width(page), page.evaluate(SMALL_TARGETS)))
        queue.extend(link for link in page.evaluate(LINKS) if link not in seen)
    return found


def log_in_as(browser, base, role):
    """A new phone-sized context logged in as the demo user ``role``, on the page it lands on."""
    from webapp.demo import DEMO_PASSWORD

    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#identifier", role)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form button.primary")
    page.wait_for_load_state()
    return context, page


def test_every_page_fits_360_px_and_its_buttons_are_thumb_sized(browser, server):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, server, "border")
    submit_likely_victim(page, server)
    context.close()
    wide, small, visited = [], [], 0
    for role in ROLES:
        context, page = log_in_as(browser, server, role)
        for path, width, targets in crawl(page, server):
            visited += 1
            if width > 360:
                wide.append((role, path, width))
            small.extend((role, path, *target) for target in targets)
        context.close()
    assert visited >= 20
    assert wide == []
    assert small == []
