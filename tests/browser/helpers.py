"""Driving the screening pages like a screener, in the browser."""
from __future__ import annotations

import json

from tests.conftest import SHARED, as_current
from webapp.demo import DEMO_PASSWORD

# The public examples, as the current questionnaire (version 2) asks them.
VIGNETTES = {v["id"]: dict(v, answers=as_current(v["answers"]))
             for v in json.loads((SHARED / "vignettes" / "examples.json").read_text(encoding="utf-8"))}
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
NUMBER_SELECTOR = "form.answers input#answer"
SELECT_SELECTOR = "form.answers select#answer"


def log_in(page, base: str, username: str = "border") -> None:
    page.goto(f"{base}/login")
    page.fill("#identifier", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form button.primary")
    page.wait_for_url(f"{base}/screenings/")


def answer_current(page, answers: dict, *, js: bool) -> str:
    """Answer the question on screen from ``answers`` (default "no"); returns its code.

    Ages are typed in Khmer digits, as on a phone with a Khmer keyboard.
    """
    form = page.locator("form.answers[data-code]")
    code = form.get_attribute("data-code")
    value = str(answers.get(code, "no"))
    button = f'button[data-value="{value}"]' if js else f'button[name="choice"][value="{value}"]'
    if form.locator(button).count():
        form.locator(button).click()
    elif form.locator("input#answer").count():
        form.locator("input#answer").fill(value.translate(KHMER_DIGITS))
        form.locator("button.primary[type=submit]").click()
    else:
        form.locator("select#answer").select_option(value)
        form.locator("button.primary[type=submit]").click()
    return code


def expected_answers(vignette: str) -> dict[str, str]:
    """The answers the server keeps for a vignette: those to questions asked of this person."""
    import questionnaires

    q = questionnaires.load()
    values = VIGNETTES[vignette]["answers"]
    return {code: str(value) for code, value in questionnaires.effective_answers(q, values).items()}


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
