"""Screens and taps of a web screening, with and without JavaScript, and whether each ends on
the engine's result (issue 14).

    .venv/bin/python bench/screens.py [--examples FILE]   # default: the public version-2 examples

Starts the app on 127.0.0.1 (a throwaway SQLite database, the demo users) and drives each
example through the real form in Debian's Chromium (Playwright, /usr/bin/chromium) on a
360 x 740 touch screen in Khmer: once with JavaScript (/screenings/app, the offline form,
with its real settle time: a tap waits until the screen takes taps) and once without
(/screenings/new, the server form). Prints

    js: mean X screens, Y taps per screening
    no-js: mean X screens, Y taps per screening
    parity: K of N results differ from the engine

How it counts:
- A screen is a page or view shown for answering, from the consent screen to the result
  inclusive: consent, each group of questions (a section of the questionnaire, holding the
  questions the skip rule still needs; the same group shown again after an answer made a
  new question appear, e.g. "may be under 18" after an unknown age, counts again), the "for
  the record" screen when there is one, and the result page (for a person who does not
  consent: the end page). The start page (where the screening takes place, preselected
  from the screener's account) is not counted.
- Taps, from the start page's Continue to the result: a button or an answer tile 1; a typed
  number 2 (focus and type; keystrokes not counted); a list 2 (open and pick); each screen's
  Next 1. The record screen is skipped with its one button (the fast path at a busy desk).
  With JavaScript, a question that an answer on its own screen made unneeded fades and is
  left blank, as a screener would; without JavaScript every question shown is answered.
- An example's answers are given as it states them; a question it does not answer gets
  "no" (indicators) or "unknown" (return_mode, a choice without "no"). Parity compares the
  stored screening's tier and flags with the engine's on the example's own answers (for a
  person who does not consent: no screening stored, the engine's "not_screened").
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLES = ROOT.parent / "shared" / "vignettes" / "examples-v2.json"
CHROMIUM = "/usr/bin/chromium"
PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "km-KH", "has_touch": True, "is_mobile": True}

from sqlalchemy import select  # noqa: E402

import questionnaires as Q  # noqa: E402
from bench.common import throwaway_config  # noqa: E402
from tests.browser.helpers import KHMER_DIGITS, answer_for, log_in, screen_codes  # noqa: E402
from tests.conftest import serving  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.demo import seed_users  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.screening.models import Screening  # noqa: E402


def make_app(directory: str):
    app = create_app(throwaway_config(directory, ratelimit_enabled=False))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        seed_users()
        db.session.commit()
    return app


def answer_screen(page, answers: dict, js: bool) -> int:
    """Answer every question on the screen shown and tap Next (skip the record screen);
    returns the taps."""
    form = page.locator("form.answers[data-screen]")
    if form.get_attribute("data-screen") == "record":
        form.locator("button.skip").click()
        return 1
    taps = 1  # Next
    for code in screen_codes(page):
        value = answer_for(answers, code)
        field = form.locator(f'fieldset.q[data-code="{code}"]')
        if js:
            page.evaluate("() => new Promise((done) => setTimeout(done, 0))")  # after the fading of the last tap
            if "unneeded" in (field.get_attribute("class") or ""):
                continue  # faded by the in-browser form (no longer needed): a screener leaves it blank
        choice = field.locator(f'input[name="q-{code}"][value="{value}"]')
        if choice.count():
            choice.locator("xpath=..").tap()
            taps += 1
        elif field.locator("select").count():
            field.locator("select").select_option(value)
            taps += 2
        else:
            field.locator(f'input[name="q-{code}"][inputmode=numeric]').fill(value.translate(KHMER_DIGITS))
            taps += 2
    form.locator("button.primary").tap()
    return taps


def run_js(page, base: str, answers: dict) -> tuple[int, int, str | None]:
    """One screening with JavaScript: (screens, taps, uuid of the stored screening or None)."""
    page.goto(f"{base}/screenings/app")
    page.wait_for_selector("#app[data-step=context]")
    page.locator("#context-form button[type=submit]").tap()  # the account's own post, preselected
    page.wait_for_selector("#app[data-step=consent]")
    taps, screens = 2, 1
    if answers.get("consent") != "yes":
        page.locator('#app button[data-value="no"]').tap()
        page.wait_for_selector("#app[data-step=declined]")
        return screens + 1, taps, None
    page.locator('#app button[data-value="yes"]').tap()
    while True:
        page.wait_for_selector("#app[data-step=question], #app[data-step=saved], #app[data-step=sending], h1.tier")
        if page.locator("#app[data-step=question]").count() == 0:
            break
        page.wait_for_function("() => { const f = document.querySelector('form.answers'); return f && !f.dataset.settling; }")
        form = page.locator("form.answers[data-screen]").element_handle()
        screens += 1
        taps += answer_screen(page, answers, True)
        page.wait_for_function("(form) => !form.isConnected", arg=form)
    page.wait_for_url(re.compile(r"/screenings/[0-9a-f-]{36}/result$"))
    return screens + 1, taps, page.url.rsplit("/", 2)[1]


def run_no_js(page, base: str, answers: dict) -> tuple[int, int, str | None]:
    """One screening without JavaScript: (screens, taps, uuid or None)."""
    page.goto(f"{base}/screenings/new")
    page.locator("#start-form button[type=submit]").tap()
    page.wait_for_selector('button[name="answer"][value="yes"]')
    taps, screens = 2, 1
    if answers.get("consent") != "yes":
        page.locator('button[name="answer"][value="no"]').tap()
        page.wait_for_load_state()
        return screens + 1, taps, None
    page.locator('button[name="answer"][value="yes"]').tap()
    page.wait_for_url(re.compile(r"/s/\w+$"))
    while re.search(r"/(s/\w+|record)$", page.url):
        screens += 1
        with page.expect_navigation():
            taps += answer_screen(page, answers, False)
    page.wait_for_url(re.compile(r"/screenings/[0-9a-f-]{36}/result$"))
    return screens + 1, taps, page.url.rsplit("/", 2)[1]


def differs(app, uuid: str | None, answers: dict) -> bool:
    q = Q.load()
    engine = Q.score(q, answers)
    if uuid is None:
        return engine.tier != "not_screened"
    with app.app_context():
        screening = db.session.scalar(select(Screening).where(Screening.uuid == uuid))
        return (screening.tier, sorted(screening.flags or [])) != (engine.tier, sorted(engine.flags))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=Path, default=EXAMPLES)
    parser.add_argument("--only", help="comma-separated example ids (default: all)")
    parser.add_argument("--mode", choices=("js", "no-js", "both"), default="both")
    args = parser.parse_args()
    examples = json.loads(args.examples.read_text(encoding="utf-8"))
    if args.only:
        examples = [e for e in examples if e["id"] in args.only.split(",")]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from playwright.sync_api import sync_playwright

    totals = {"js": [0, 0], "no-js": [0, 0]}
    different, runs = 0, 0
    with tempfile.TemporaryDirectory() as directory, sync_playwright() as p:
        app = make_app(directory)
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        with serving(app) as base:
            modes = [m for m in (("js", run_js, True), ("no-js", run_no_js, False)) if args.mode in ("both", m[0])]
            for mode, run, js in modes:
                for example in examples:
                    context = browser.new_context(java_script_enabled=js, **PHONE)
                    page = context.new_page()
                    log_in(page, base)
                    screens, taps, uuid = run(page, base, example["answers"])
                    context.close()
                    totals[mode][0] += screens
                    totals[mode][1] += taps
                    runs += 1
                    different += differs(app, uuid, example["answers"])
        browser.close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    for mode in (m[0] for m in modes):
        screens, taps = totals[mode]
        print(f"{mode}: mean {screens / len(examples):.1f} screens, {taps / len(examples):.1f} taps per screening")
    print(f"parity: {different} of {runs} results differ from the engine")
    return 0


if __name__ == "__main__":
    sys.exit(main())
