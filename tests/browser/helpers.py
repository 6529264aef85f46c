"""Driving the screening pages like a screener, in the browser."""
from __future__ import annotations

import json
import re

from tests.conftest import SHARED, as_current
from webapp.demo import DEMO_PASSWORD

# The public examples, as the current questionnaire (version 2) asks them.
VIGNETTES = {v["id"]: dict(v, answers=as_current(v["answers"]))
             for v in json.loads((SHARED / "vignettes" / "examples.json").read_text(encoding="utf-8"))}
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def log_in(page, base: str, username: str = "border") -> None:
    page.goto(f"{base}/login")
    page.fill("#identifier", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form button.primary")
    page.wait_for_url(f"{base}/screenings/")


def page_width(page) -> int:
    """The page's full width in CSS pixels (wider than the viewport: it scrolls sideways)."""
    return page.evaluate("() => document.scrollingElement.scrollWidth")


def answer_for(answers: dict, code: str) -> str:
    """The answer to give: the example's, else "no" (an indicator it does not answer) or
    "unknown" (return_mode, a choice without "no")."""
    return str(answers.get(code, "unknown" if code == "return_mode" else "no"))


def screen_codes(page) -> list[str]:
    return page.eval_on_selector_all("form.answers fieldset.q[data-code]", "(els) => els.map((el) => el.dataset.code)")


def answer_screen(page, answers: dict, *, record: str = "skip", skip_faded: bool = False) -> tuple[str, list[str], int]:
    """Answer every question on the screen shown (JavaScript on or off: the same markup),
    then tap Next (on the record screen: skip, or save the answers). Ages are typed in
    Khmer digits, as on a phone with a Khmer keyboard. With ``skip_faded`` a question the
    in-browser form faded (no longer needed) is left blank, as a screener would. Returns the screen's key, the codes
    answered and the taps made (a choice 1, a typed number or a list 2, the button 1)."""
    form = page.locator("form.answers[data-screen]")
    key = form.get_attribute("data-screen")
    codes, taps = [], 1
    if key == "record" and record == "skip":
        form.locator("button.skip").click()
        return key, codes, taps
    for code in screen_codes(page):
        value = answer_for(answers, code)
        field = form.locator(f'fieldset.q[data-code="{code}"]')
        if skip_faded:
            page.evaluate("() => new Promise((done) => setTimeout(done, 0))")  # after the fading of the last tap
            if "unneeded" in (field.get_attribute("class") or ""):
                continue
        codes.append(code)
        choice = field.locator(f'input[name="q-{code}"][value="{value}"]')
        if choice.count():
            choice.locator("xpath=..").click()  # the label: the big tile the thumb taps
            taps += 1
        elif field.locator("select").count():
            field.locator("select").select_option(value)
            taps += 2
        else:
            field.locator(f'input[name="q-{code}"][inputmode=numeric]').fill(value.translate(KHMER_DIGITS))
            taps += 2
    form.locator("button.primary").click()
    return key, codes, taps


def answer_screens(page, answers, *, js=True, record="skip", stop=lambda key: False, each=lambda: None):
    """Answer screen after screen until the form ends or ``stop(key)`` says to pause on the
    screen of group ``key`` (``each()`` runs on every screen before it is answered); returns
    each screen answered as (key, codes answered)."""
    done = []
    while True:
        if js:
            page.wait_for_selector("#app[data-step=question], #app[data-step=saved], #app[data-step=sending], h1.tier")
            if page.locator("#app[data-step=question]").count() == 0 or page.url.endswith("/result"):
                return done
        elif not re.search(r"/(s/\w+|record)$", page.url):
            return done
        if stop(page.locator("form.answers[data-screen]").get_attribute("data-screen")):
            return done
        each()
        form = page.locator("form.answers[data-screen]").element_handle()
        key, codes, _ = answer_screen(page, answers, record=record)
        done.append((key, codes))
        if js:
            page.wait_for_function("(form) => !form.isConnected", arg=form)
        else:
            page.wait_for_load_state()


def expected_answers(vignette: str, answers: dict | None = None, record: str = "skip") -> dict[str, str]:
    """The answers the server keeps for a vignette: those to the questions the form shows
    (questionnaires.screens: what the skip rule still needs, screen by screen), plus the
    record screen's when saved."""
    import questionnaires
    from questionnaires import screens

    q = questionnaires.load()
    values = answers if answers is not None else VIGNETTES[vignette]["answers"]
    given = {"consent": "yes"}
    while (shown := screens.next_screen(q, given)) is not None:
        for question in screens.screen(q, given, shown.key).questions:
            if question.code not in given:
                value = answer_for(values, question.code)
                given[question.code] = int(value) if question.type == "integer" and value.isdigit() else value
    if record == "save" and (extra := screens.record_screen(q, given)) is not None:
        given.update({question.code: answer_for(values, question.code) for question in extra.questions})
    return {code: str(value) for code, value in questionnaires.effective_answers(q, given).items()}


# Whether Khmer text renders with real glyphs. When no font with Khmer glyphs reaches an
# element, every Khmer character falls back to the same .notdef box ("tofu"). So, for every
# element with Khmer text of its own (buttons do not inherit the page font by default):
# - its text in its own font stack must differ in width from the same text in that stack
#   with every named font taken out (only the generic family left, which has no Khmer here);
# and, for the page's font stack, distinct Khmer consonants must have distinct widths (tofu
# boxes all have one width). Both fail when the Khmer font is missing (see the test that
# blocks it).
KHMER_RENDERING = """async () => {
  const KHMER = /[\u1780-\u17ff]/;
  const probe = (family, text) => {
    const span = document.createElement("span");
    span.textContent = text;
    span.style.fontFamily = family;
    span.style.fontSize = "40px";
    span.style.whiteSpace = "pre";
    span.style.position = "absolute";
    document.body.append(span);
    return span;
  };
  const generic = (stack) => stack.split(",").map((f) => f.trim()).filter((f) => !/["']/.test(f)).pop() || "sans-serif";
  const owners = [...document.querySelectorAll("body *")].filter((el) =>
    el.getClientRects().length && [...el.childNodes].some((n) => n.nodeType === 3 && KHMER.test(n.textContent)));
  const pairs = owners.map((el) => {
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
    const stack = getComputedStyle(el).fontFamily;
    return { el, text, stack, spans: [probe(stack, text), probe(generic(stack), text)] };
  });
  const pageStack = getComputedStyle(document.body).fontFamily;
  const consonants = ["ក", "ខ", "គ", "ង", "ច", "ញ", "ណ", "ម", "ស", "អ"].map((c) => probe(pageStack, c));
  await document.fonts.ready;
  const width = (span) => span.getBoundingClientRect().width;
  const tofu = pairs.filter((p) => Math.abs(width(p.spans[0]) - width(p.spans[1])) <= 1)
    .map((p) => p.el.tagName.toLowerCase() + (p.el.className ? "." + p.el.className : "") + ": " + p.text + " [" + p.stack + "]");
  const distinct = new Set(consonants.map((s) => width(s).toFixed(1))).size;
  pairs.forEach((p) => p.spans.forEach((s) => s.remove()));
  consonants.forEach((s) => s.remove());
  return {
    elements: pairs.length, tofu: tofu, distinctGlyphWidths: distinct,
    loadedFaces: [...document.fonts].filter((f) => f.status === "loaded").map((f) => f.family),
  };
}"""


def khmer_renders(report: dict) -> bool:
    return report["elements"] > 0 and not report["tofu"] and report["distinctGlyphWidths"] >= 4
