"""Every text the SMS and USSD channels can send fits its budget: a Khmer SMS 2 UCS-2
segments, an English SMS 1 GSM-7 segment, a USSD screen 182 GSM-7 / 80 UCS-2 characters."""
from __future__ import annotations

import pytest

import questionnaires as Q
from sms import messages, render
from sms.channels import neutral_reply
from sms.render import Say
from webapp.outbox.segments import cost, fits_sms, fits_ussd, is_gsm7

q = Q.load()
LANGUAGES = ("km", "en")
LONGEST_CASE = "KH-ABR-2026-999999"
SAMPLE = {"case": LONGEST_CASE, "code": "X" * 20, "tier": "-", "n": "8",
          "service": "DEMO Women's Shelter Banteay Meanchey", "phone": "+85512000102", "hours": "08:00-17:00"}


def assert_sms_fits(text: str, language: str) -> None:
    found = cost(text)
    if language == "en":
        assert is_gsm7(text), f"English SMS not GSM-7: {text!r}"
    assert fits_sms(text, language), f"{language} SMS over budget ({found}): {text!r}"


def message_keys(node=None, prefix=""):
    node = messages.catalog() if node is None else node
    if set(node) == {"km", "en"}:
        yield prefix
        return
    for key, value in node.items():
        yield from message_keys(value, f"{prefix}.{key}" if prefix else key)


def test_every_message_has_khmer_and_english():
    keys = list(message_keys())
    assert len(keys) > 40
    for key in keys:
        khmer = messages.text(key, "km", **SAMPLE)
        assert any("\u1780" <= ch <= "\u17ff" for ch in khmer), f"{key}: the Khmer text has no Khmer"


def test_no_text_uses_an_opt_out_word_as_a_command():
    forbidden = ("STOP", "END", "CANCEL", "QUIT", "UNSUBSCRIBE", "START")
    for key in message_keys():
        for language in LANGUAGES:
            words = messages.text(key, language, **SAMPLE).replace(".", " ").replace(",", " ").split()
            assert not set(words) & set(forbidden), f"{key}: {language}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_text_fits(language):
    for key in message_keys():
        if key.startswith("ussd."):
            continue
        assert_sms_fits(messages.text(key, language, **SAMPLE), language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("question", q.questions, ids=lambda question: question.code)
def test_every_question_prompt_fits(question, language):
    assert_sms_fits(render.sms_prompt(q, question, language), language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("question", q.questions, ids=lambda question: question.code)
def test_help_and_error_replies_fit(question, language):
    for text in render.sms_texts(q, [Say("help", code=question.code)], language):
        assert_sms_fits(text, language)
    error = [Say("unclear", key=question.type), Say("question", code=question.code, optional=True)]
    for text in render.sms_texts(q, error, language):
        assert_sms_fits(text, language)
    started = [Say("text", "started", params=SAMPLE), Say("question", code=question.code)]
    for text in render.sms_texts(q, started, language):
        assert_sms_fits(text, language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("tier", Q.TIERS)
def test_results_fit_with_every_flag(tier, language):
    result = Say("result", params={"case": LONGEST_CASE, "tier": tier, "flags": ["urgent", "minor", "outflow"]})
    texts = render.sms_texts(q, [result], language)
    for text in texts:
        assert_sms_fits(text, language)
    assert LONGEST_CASE in texts[0]
    without_flags = render.sms_texts(q, [Say("result", params={"case": LONGEST_CASE, "tier": tier})], language)
    assert len(without_flags) == 1


def test_neutral_reply_is_one_short_message_in_both_languages():
    text = neutral_reply()
    assert fits_sms(text, "km") and cost(text).segments <= 2


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("question", q.questions, ids=lambda question: question.code)
def test_every_ussd_screen_fits(question, language):
    pages = render._question_pages(q, question, language, None)
    help_screens = [
        render.ussd_screen(q, [], language=language, question=question.code, showing_help=True, page=page)[0]
        for page in range(6)
    ]
    noticed = render._question_pages(q, question, language, messages.text("started", language, **SAMPLE))
    for screen in pages + help_screens + noticed:
        assert fits_ussd(screen), f"{question.code} {language}: {screen!r}"
    # Every answer in the list is shown on some page.
    shown = "\n".join(pages)
    for item in render.menu_items(q, question, language):
        assert item in shown.split("\n"), item


@pytest.mark.parametrize("language", LANGUAGES)
def test_ussd_end_and_choose_screens_fit(language):
    assert fits_ussd(render.ussd_choose(LONGEST_CASE, language))
    for tier in Q.TIERS:
        # The engine sorts flags by name: "minor" before "urgent". Urgent is never the one left out.
        result = Say("result", params={"case": LONGEST_CASE, "tier": tier, "flags": ["minor", "urgent"]})
        screen, end = render.ussd_screen(q, [result], language=language, question=None)
        assert end and fits_ussd(screen) and LONGEST_CASE in screen
        for flag in ("urgent", "minor"):
            assert any(messages.text(key, language) in screen for key in (f"flags.{flag}", f"ussd.flags.{flag}")), screen


@pytest.mark.parametrize("question", q.questions, ids=lambda question: question.code)
def test_khmer_prompt_keeps_the_sms_wording_unless_a_shorter_one_saves_a_segment(question):
    """Counting segments as the carrier does (a Khmer cluster never split across parts) must
    not silently swap a question's SMS wording for the shorter USSD one: every question whose
    SMS text and short answer key fit in 134 UTF-16 units also fits in 2 segments by cluster.
    A yes/no question alone takes the shorter wording and key (those its grouped questions
    show) only where that costs a segment less; the consent and the lists of answers never."""
    text = f"{question.sms.km}\n{render.answer_key(q, question, 'km', short=True)}"
    if cost(text).units > 134:
        pytest.skip("too long even by units: the renderer's fallback is by design")
    assert fits_sms(text, "km"), text  # 134 units or fewer: 2 segments by cluster too
    prompt = render.sms_prompt(q, question, "km")
    if not prompt.startswith(question.sms.km + "\n"):
        assert question.is_indicator, prompt
        assert cost(prompt).segments < cost(text).segments, prompt


def test_a_yes_no_question_alone_costs_no_more_than_its_shortest_wording():
    """X5 asked alone at the end: one segment (the short wording and key), not two."""
    prompt = render.sms_prompt(q, q.question("X5"), "km")
    assert prompt.startswith(q.question("X5").ussd.km + "\n") and cost(prompt).segments == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_ussd_result_with_the_record_offer_fits_and_keeps_case_and_tier(language):
    """After the result a USSD screen offers the questions kept for the record: the case
    number, the tier and the offer (1 / 0) all on one screen, for every tier and flag."""
    for tier in Q.TIERS:
        if tier == "not_screened":
            continue
        result = Say("result", params={"case": LONGEST_CASE, "tier": tier, "flags": ["urgent", "minor"]})
        offer = Say("record_offer", params={"n": 30})
        pages = [render.ussd_screen(q, [result, offer], language=language, question=None, page=page)
                 for page in range(2)]
        assert all(not end and fits_ussd(screen) for screen, end in pages), pages
        first = pages[0][0]
        assert LONGEST_CASE in first and messages.text(f"tiers.{tier}", language) in first
        # The offer beside the result, or on the next page ("99 More") when they do not fit.
        offered = first if first.split("\n")[-1].startswith("1=") else pages[1][0]
        assert offered.split("\n")[-1].startswith("1=")
        for flag in ("urgent", "minor"):  # never left out for the offer
            assert messages.text(f"flags.{flag}", language) in first or messages.text(f"ussd.flags.{flag}", language) in first
