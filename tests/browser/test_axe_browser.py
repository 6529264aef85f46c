"""axe-core on every main page of every role, in Khmer on a 360 x 740 phone (issue 14,
"axe-core finds no violation"), with the overflow check on the pages the link crawl of
test_phone_width_browser.py cannot reach: the hotline's call pages, case results abroad and
by phone, and the SMS simulator."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from tests.browser.helpers import VIGNETTES, page_width
from tests.browser.test_phone_width_browser import PHONE, crawl, log_in_as
from webapp.demo import seed_services

pytestmark = pytest.mark.browser

ROLES = ("border", "consular", "hotline", "supervisor", "national", "service", "admin")
PAGES_PER_ROLE = 16


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{page.url} {v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in results.response["violations"]]


# Visible text with Latin letters once the codes and data that are meant to stay in Latin
# letters are taken out: case numbers, the synthetic DEMO names, usernames, acronyms (SMS,
# CSV), the "English" language switch, and text marked with another language's lang (a
# language named in its own words). What is left is English in Khmer mode.
ENGLISH = r"""() => {
  const allowed = /KH-[A-Z]{3}-\d{4}-\d{6}|TRN-\d{4}-\d{6}|DEMO[-\w ,.'()]*|\b[A-Z]{2,5}\b|English|\b(border|consular|hotline|supervisor|national|service|admin)\b/g;
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode, parent = node.parentElement;
    if (!parent || parent.closest('script, style, dialog, [hidden]') || !parent.getClientRects().length) continue;
    const marked = parent.closest('[lang]');  // a text marked as another language (a language's own name)
    if (marked && marked.lang && !marked.lang.startsWith('km') && marked.lang !== 'en') continue;
    const left = node.textContent.replace(allowed, '');
    if (/[A-Za-z]{2,}/.test(left)) out.push(node.textContent.trim().slice(0, 80));
  }
  return out;
}"""


def submit(page, base, context: dict, vignette="e01", **answers) -> dict:
    """A finished screening sent as the offline form sends it; returns the server's reply."""
    import questionnaires

    values = dict(VIGNETTES[vignette]["answers"], **answers)
    kept = questionnaires.effective_answers(questionnaires.load(), values)
    now = datetime.now(UTC).isoformat()
    body = {"uuid": str(uuid.uuid4()), "context": context, "language": "km", "started_at": now,
            "answers": {code: {"value": value, "answered_at": now} for code, value in kept.items()}}
    page.goto(f"{base}/screenings/")
    reply = page.evaluate("""async (body) => {
        const token = await (await fetch('/screenings/app')).text();
        const csrf = token.match(/name="csrf-token" content="([^"]+)"/)[1];
        const r = await fetch('/api/screenings', {method: 'POST', body: JSON.stringify(body),
            headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf}});
        return {status: r.status, json: await r.json()}; }""", body)
    assert reply["status"] in (200, 201), reply
    return reply["json"]


@pytest.fixture
def directory(server, live_app):
    from webapp.extensions import db

    with live_app.app_context():
        seed_services()
        db.session.commit()
    return server


def test_axe_finds_no_violation_on_any_main_page_of_any_role(browser, directory):
    server = directory
    context, page = log_in_as(browser, server, "border")
    submit(page, server, {"kind": "post", "post_code": "POIPET"}, U1="yes")  # urgent, likely
    submit(page, server, {"kind": "post", "post_code": "POIPET"}, vignette="e02")  # no signs
    context.close()
    context, page = log_in_as(browser, server, "consular")  # places typed in Khmer, as a Khmer user types
    submit(page, server, {"kind": "abroad", "country_code": "MY", "city": "កូឡាឡាំពួ"})
    context.close()
    context, page = log_in_as(browser, server, "hotline")
    submit(page, server, {"kind": "caller", "province_code": "BMC", "city": "ប៉ោយប៉ែត", "callback_phone": "012000999"})
    context.close()

    violations, wide, english, visited = [], [], [], 0
    for role in ROLES:
        context, page = log_in_as(browser, server, role)
        paths = [path for path, _width, _small in crawl(page, server)][:PAGES_PER_ROLE]
        extra = {"hotline": ["/screenings/new"], "supervisor": ["/sms/simulator"], "admin": ["/admin/services/new"]}
        for path in paths + extra.get(role, []):
            page.goto(f"{server}{path}")
            page.wait_for_load_state()
            visited += 1
            violations.extend(f"{role} {v}" for v in axe_violations(page))
            english.extend(f"{role} {path}: {text}" for text in page.evaluate(ENGLISH))
            if page_width(page) > 360:
                wide.append((role, path, page_width(page)))
        context.close()
    assert visited >= 25
    assert violations == []
    assert wide == []
    assert english == []  # no English or raw codes in Khmer mode


def test_the_hotline_start_is_safe_to_talk_first_and_fits_a_phone(browser, directory):
    server = directory
    context, page = log_in_as(browser, server, "hotline")
    page.click("a.button.primary")  # "New screening": the server's call page, even with JavaScript
    page.wait_for_url(f"{server}/screenings/new")
    first = page.locator("fieldset legend").first.inner_text()
    assert first == "សួរជាមុនសិន៖ តើអ្នកអាចនិយាយបានដោយសុវត្ថិភាពឥឡូវនេះទេ?"
    assert page.get_by_text("ប្រសិនបើការហៅដាច់", exact=True).is_visible()  # what to say if the call drops
    assert page_width(page) <= 360 and axe_violations(page) == []
    page.locator('input[name="safe_to_talk"][value="no"]').check()
    page.click("#start-form button.primary")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "មិនមានសុវត្ថិភាពក្នុងការនិយាយឥឡូវនេះ"
    assert page_width(page) <= 360 and axe_violations(page) == []
    page.goto(f"{server}/screenings/new")
    page.locator('input[name="safe_to_talk"][value="yes"]').check()
    page.select_option("#caller_province", "BMC")
    page.fill("#district", "ប៉ោយប៉ែត")
    page.locator('input[name="callback"][value="yes"]').check()
    page.fill("#callback_phone", "០១២ ០០០ ៩៩៩")
    page.click("#start-form button.primary")
    page.wait_for_load_state()
    assert page.locator('form button[name="answer"][value="yes"]').is_visible()  # the consent page
    context.close()


def test_consular_and_hotline_results_point_to_help_where_the_person_is(browser, directory):
    server = directory
    context, page = log_in_as(browser, server, "consular")
    abroad = submit(page, server, {"kind": "abroad", "country_code": "MY", "city": "Kuala Lumpur"}, U1="yes")
    page.goto(f"{server}{abroad['result_url']}")
    urgent = page.locator(".alert.urgent")
    assert urgent.is_visible() and urgent.bounding_box()["y"] < 200  # first thing on the screen
    assert urgent.evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
    text = page.locator("main").inner_text()
    assert text.index("ម៉ាឡេស៊ី") < text.index("ស្ថានទូតកម្ពុជា កូឡាឡាំពួ") < text.index("មណ្ឌលឆ្លងកាត់ប៉ោយប៉ែត")
    assert "ភ្នំពេញ" not in text
    assert page_width(page) <= 360 and axe_violations(page) == []
    context.close()

    context, page = log_in_as(browser, server, "hotline")
    call = submit(page, server, {"kind": "caller", "province_code": "BMC", "city": "ប៉ោយប៉ែត",
                                 "callback_phone": "០១២ ០០០ ៩៩៩"})
    page.goto(f"{server}{call['result_url']}")
    text = page.locator("main").inner_text()
    assert "ទីកន្លែងដែលអ្នកហៅនៅ" in text and "បន្ទាយមានជ័យ" in text and "+85512000999" in text
    assert "ភ្នំពេញ (សាកល្បង)" not in text  # not measured from the hotline desk in Phnom Penh
    assert page_width(page) <= 360 and axe_violations(page) == []
    context.close()


def test_no_signs_result_lists_services_and_the_hotline(browser, directory):
    server = directory
    context, page = log_in_as(browser, server, "border")
    none = submit(page, server, {"kind": "post", "post_code": "POIPET"}, vignette="e02")
    page.goto(f"{server}{none['result_url']}")
    section = page.locator("section.information")
    assert section.is_visible()
    text = section.inner_text()
    assert "ខ្សែទូរស័ព្ទជំនួយប្រឆាំងការជួញដូរមនុស្ស" in text and "មជ្ឈមណ្ឌលព័ត៌មានចំណាកស្រុកដោយសុវត្ថិភាព" in text
    assert section.locator("a[href^='tel:']").count() >= 2
    why = page.locator("ul.why").inner_text()
    assert why and not any(ch in why for ch in "0123456789")  # numbers in Khmer digits
    assert page_width(page) <= 360 and axe_violations(page) == []
    context.close()


def test_axe_does_report_a_violation(browser):
    """The check can fail: an image without words and a button without a name are reported."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_content('<html lang="km"><head><title>t</title></head><body><main><img src="data:,">'
                     '<button></button></main></body></html>')
    found = " ".join(axe_violations(page))
    assert "image-alt" in found and "button-name" in found
    context.close()


CLIPPED = """() => [...document.querySelectorAll('svg.chart')].flatMap((svg) => {
  const width = svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('text')].map((t) => [t.textContent, t.getBBox()])
    .filter(([, box]) => box.x < -0.5 || box.x + box.width > width + 0.5)
    .map(([text, box]) => `${text}: ${Math.round(box.x)}..${Math.round(box.x + box.width)} of ${width}`);
})"""


def test_chart_labels_are_never_clipped_in_khmer_at_360_px(browser, directory):
    server = directory
    context, page = log_in_as(browser, server, "border")
    for vignette in ("e01", "e02", "e03", "e04", "e06"):
        submit(page, server, {"kind": "post", "post_code": "POIPET"}, vignette=vignette)
    context.close()
    context, page = log_in_as(browser, server, "supervisor")
    page.goto(f"{server}/figures/")
    assert page.locator("svg.chart").count() >= 3
    assert page.evaluate("() => document.fonts.ready.then(() => true)")
    assert page.evaluate(CLIPPED) == []
    labels = page.locator("svg.chart g.bar").first.locator("text").first
    assert labels.evaluate("t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a") >= 13  # readable
    assert page_width(page) <= 360
    context.close()


def test_sms_simulator_fits_a_phone_and_shows_khmer(browser, directory):
    from tests.browser.helpers import KHMER_RENDERING, khmer_renders

    server = directory
    context, page = log_in_as(browser, server, "supervisor")
    page.click("header nav a[href='/sms/simulator']")  # reachable from the menu
    page.fill("#text", "ពិនិត្យ")
    send = page.locator("button[value='send']")
    assert send.bounding_box()["height"] >= 48
    send.click()  # a real tap: nothing lies over the button
    page.wait_for_load_state()
    page.fill("#text", "១")
    page.locator("button[value='send']").click()
    page.wait_for_load_state()
    transcript = page.locator("ol.transcript")
    assert "ករណី TRN-" in transcript.inner_text()  # the dialogue's Khmer reply
    assert page_width(page) <= 360
    for line in transcript.locator(".sms-text").all():
        box = line.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert khmer_renders(page.evaluate(KHMER_RENDERING))
    assert axe_violations(page) == []
    context.close()
