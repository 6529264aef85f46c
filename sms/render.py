"""Turning what the dialogue wants to say into SMS texts and USSD screens, within budget.

The dialogue speaks in :class:`Say` items (a message key, a question to ask, its help);
this module picks the words (questionnaire texts for questions, ``messages.yaml`` for the
frame) and fits them: an SMS in Khmer at most 2 UCS-2 segments, in English one GSM-7
segment; a USSD screen at most 182 GSM-7 or 80 UCS-2 characters, long menus paged.
"""
from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from questionnaires import ByIdentity, Question, Questionnaire, replies
from webapp.core import digits
from webapp.outbox.segments import cost, fits_sms, fits_ussd, is_gsm7

from . import messages

log = logging.getLogger("sms.render")


@dataclass(frozen=True)
class Say:
    """One thing to tell the staff member.

    kind: ``text`` (a messages.yaml ``key`` with ``params``), ``question`` / ``help`` (of
    question ``code``), ``unclear`` (a reply not understood; ``key`` is the question's
    type), ``result`` (params case, tier, flags), ``choose`` (USSD: continue the open
    screening ``params['case']`` or start a new one), ``share`` (a finished screening's
    referral and the consent question; params case, tier, flags, services, missing,
    supervisor), ``shared`` (the reply to that consent; params of ``share`` plus consent,
    notified). ``optional`` items are
    dropped rather than sent as a message of their own (a repeated question after an
    error, when it does not fit beside the error).
    """

    kind: str
    key: str | None = None
    code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    optional: bool = False


# --- answer keys -------------------------------------------------------------------------


def option_label(q: Questionnaire, question: Question, value: str, language: str, short: bool = False) -> str:
    if question.type in ("indicator", "consent"):
        return q.answer_short[value].get(language)
    if short and messages.has(f"short_options.{question.code}.{value}"):
        return messages.text(f"short_options.{question.code}.{value}", language)
    if question.type == "country" and messages.has(f"countries.{value}"):
        return messages.text(f"countries.{value}", language)
    if question.type == "province":
        province = q.places.province(value)
        if province is not None:
            return province.name.get(language)
    option = next((o for o in question.options if o.value == value), None)
    return option.label.get(language) if option else value


def menu_items(q: Questionnaire, question: Question, language: str, short: bool = False) -> list[str]:
    """Numbered answers: ``["1 Yes", "2 No", ...]`` (empty for free answers). Short Khmer
    lists join the number to its label ("1ស្រី"), as the yes/no key does: Khmer script
    beside a Latin digit reads apart without the space."""
    gap = "" if short and language == "km" else " "
    return [
        f"{number}{gap}{option_label(q, question, value, language, short)}"
        for number, value in replies.numbered_values(q, question)
    ]


def yes_no_items(q: Questionnaire, language: str) -> list[str]:
    """``["1 Yes", "2 No"]``: the key of a yes/no the dialogue asks itself, not the
    checklist (the consent to share), in the checklist's words; replies.parse_yes_no reads
    the reply."""
    return [f"{number} {q.answer_labels[value].get(language)}" for number, value in replies.YES_NO_NUMBERS.items()]


def answer_key(q: Questionnaire, question: Question, language: str, short: bool = False) -> str:
    """The key appended to an SMS question."""
    if question.type == "integer":
        return messages.text("keys.integer_short" if short else "keys.integer", language)
    if question.type == "province":
        return messages.text("keys.province_short" if short else "keys.province", language)
    items = menu_items(q, question, language, short)
    if question.type == "country" and short:
        # The first country of the list (Cambodia), the question's own answers (unknown,
        # none), and the 2-letter code for any other; 9 (help) still lists the codes.
        extras = len(question.options)
        items = items[:1] + items[len(items) - extras:] if extras else items[:1]
    key = " ".join(items)
    if question.type == "country":
        key += " " + messages.text("keys.country_other_short" if short else "keys.country_other", language)
    return key


# --- SMS ----------------------------------------------------------------------------------


def sms_prompt(q: Questionnaire, question: Question, language: str) -> str:
    """The question with its answer key, in one message within budget: the SMS text with
    full labels if it fits, else shorter labels, else the shorter USSD wording. A yes/no
    question takes the shorter wording and key where that saves a segment: they are the
    ones its questions asked together show. Never the consent, nor a list of answers: what
    the person is told, and the numbered choices, stay whole."""
    candidates = [
        (header, short)
        for header in (question.sms.get(language), question.ussd.get(language))
        for short in (False, True)
    ]
    texts = [f"{header}\n{answer_key(q, question, language, short)}" for header, short in candidates]
    fitting = [text for text in texts if fits_sms(text, language)]
    if fitting:
        # min keeps the first of equals: the fullest wording of those in the fewest segments.
        return min(fitting, key=lambda text: cost(text).segments) if question.is_indicator else fitting[0]
    # Tests render every shipped question within budget; an edited file that breaks it
    # costs an extra segment rather than the screener's reply.
    log.warning("question %s: no %s SMS prompt fits the budget", question.code, language)
    return min(texts, key=len)


# --- questions asked together ----------------------------------------------------------

def shares_key(questions: list[Question]) -> bool:
    """Whether questions asked together share one answer key (all yes/no), shown once."""
    return all(question.is_indicator for question in questions)


def group_variants(
    q: Questionnaire, questions: list[Question], language: str, *, ussd: bool = False, brief: bool = False
) -> list[str]:
    """The group as one text, longest wording first: a letter and the question per line,
    then the answer key once (indicators), or each line with its own short list.

    ``brief``: the screener has already been shown the yes/no key in this screening (it is
    the same for every indicator), so the closing line only says how many digits to reply.
    """
    letters = messages.text("group.letters", language)
    shared_key = shares_key(questions)
    closing_key = ("group.key_brief" if brief else "group.key") if shared_key else "group.answers"
    closing = messages.text(closing_key, language, n=digits.in_language(len(questions), language))
    # Khmer script after "ក)" reads apart without a space: one UCS-2 unit a line saved.
    gap = "" if language == "km" else " "
    variants = []
    for wording in ("ussd",) if ussd else ("sms", "ussd"):
        lines = []
        for letter, question in zip(letters, questions, strict=False):
            line = f"{letter}){gap}{getattr(question, wording).get(language)}"
            if not shared_key:
                line += " " + answer_key(q, question, language, short=True)
            lines.append(line)
        variants.append("\n".join(lines + [closing]))
    return variants


def sms_group_prompt(q: Questionnaire, questions: list[Question], language: str, *, brief: bool = False) -> str:
    if len(questions) == 1:
        return sms_prompt(q, questions[0], language)
    variants = group_variants(q, questions, language, brief=brief)
    return next((text for text in variants if fits_sms(text, language)), variants[-1])


def group_fits(
    q: Questionnaire, questions, language: str, channel: str, notice: str | None = None, *, brief: bool = False
) -> bool:
    """Whether ``questions`` can be asked together in one message (SMS, beside ``notice``
    when given) or on one USSD screen."""
    questions = list(questions)
    if len(questions) == 1:
        return True
    return _remembered_fits(ByIdentity(q), tuple(question.code for question in questions), language, channel, notice,
                            brief)


@lru_cache(maxsize=8192)
def _remembered_fits(same: ByIdentity, codes: tuple[str, ...], language: str, channel: str, notice: str | None,
                     brief: bool) -> bool:
    # Filling a group tries a text for each candidate, on every message, and the same groups
    # come back in every screening: the verdict is kept per process.
    q = same.q
    questions = [q.question(code) for code in codes]
    if channel == "ussd":
        # A keypad types digits only: one digit per question, the same list for each.
        screen = group_variants(q, questions, language, ussd=True, brief=brief)[-1]
        return shares_key(questions) and fits_ussd(f"{notice}\n{screen}" if notice else screen)
    text = group_variants(q, questions, language, brief=brief)[-1]
    return fits_sms(f"{notice}\n{text}" if notice else text, language)


def sms_texts(q: Questionnaire, says: Iterable[Say], language: str) -> list[str]:
    """Every message to send for ``says``, adjacent ones merged while they fit."""
    parts: list[tuple[str, bool]] = []
    for say in says:
        parts.extend((text, say.optional) for text in _sms_parts(q, say, language))
    return merge(parts, lambda text: fits_sms(text, language))


def _sms_parts(q: Questionnaire, say: Say, language: str) -> list[str]:
    if say.kind == "text":
        return [messages.text(say.key, language, **say.params)]
    if say.kind == "question":
        return [sms_group_prompt(q, _group(q, say), language, brief=bool(say.params.get("brief")))]
    if say.kind == "help":
        return _sms_help(q, _group(q, say), language)
    if say.kind == "result":
        # The flags go in a message of their own when they do not fit beside the result.
        return [result_text(say.params, language, flags=False)] + _flag_texts(say.params, language)
    if say.kind == "unclear":
        params = {"n": digits.in_language(say.params["n"], language)} if "n" in say.params else {}
        text = messages.text("unclear", language) + " " + messages.text(f"errors.{say.key}", language, **params)
        if say.params.get("legend"):  # yes/no questions asked together: the key in full
            text += " " + messages.text("group.legend", language)
        return [text]
    if say.kind == "share":
        return share_texts(q, say.params, language, lambda text: fits_sms(text, language))
    if say.kind == "shared":
        return shared_texts(say.params, language, lambda text: fits_sms(text, language))
    raise ValueError(f"unknown say {say.kind!r}")


def _group(q: Questionnaire, say: Say) -> list[Question]:
    return [q.question(code) for code in say.params.get("group") or [say.code]]


def help_lines(questions: list[Question], language: str) -> dict[str, str]:
    """The help of each question that has one, by code, lettered as the group asks them
    (no letter for a question asked alone): the same on SMS and on a USSD screen."""
    letters = messages.text("group.letters", language)
    lettered = len(questions) > 1
    return {question.code: (f"{letter}) " if lettered else "") + question.help.get(language)
            for letter, question in zip(letters, questions, strict=False) if question.help is not None}


def _sms_help(q: Questionnaire, questions: list[Question], language: str) -> list[str]:
    fits = lambda text: fits_sms(text, language)  # noqa: E731
    helps = help_lines(questions, language)
    parts: list[str] = []
    for question in questions:
        if question.code in helps:
            parts.extend(wrap(helps[question.code], fits))
        if question.type == "province":
            parts.extend(pack([messages.text("list_province", language)] + menu_items(q, question, language), fits))
    parts.append(messages.text("commands", language))
    if len(questions) > 1 and shares_key(questions):
        # The key in full, then the group as it is asked (its closing line may be brief).
        parts.append(messages.text("group.legend", language))
        parts.append(sms_group_prompt(q, questions, language, brief=True))
    else:
        parts.append(sms_group_prompt(q, questions, language))
    return parts


def result_text(params: dict[str, Any], language: str, *, flags: bool = True) -> str:
    """The result in plain words with the case number and what to do; never a name."""
    parts = _result_parts(params, language)
    return " ".join(parts + (_flag_texts(params, language) if flags else []))


def _result_parts(params: dict[str, Any], language: str) -> list[str]:
    tier = messages.text(f"tiers.{params['tier']}", language)
    parts = [messages.text("finished", language, case=params["case"], tier=tier)]
    if messages.has(f"actions.{params['tier']}"):
        parts.append(messages.text(f"actions.{params['tier']}", language))
    return parts


def _flag_texts(params: dict[str, Any], language: str) -> list[str]:
    """Only the flags that change what the screener does now (urgent, a child)."""
    return [messages.text(f"flags.{flag}", language) for flag in params.get("flags", ()) if messages.has(f"flags.{flag}")]


def merge(parts: list[tuple[str, bool]], fits: Callable[[str], bool]) -> list[str]:
    """Join neighbouring texts into one message while the result fits; an optional text
    that fits nowhere is dropped."""
    out: list[str] = []
    for text, optional in parts:
        if out and fits(out[-1] + "\n" + text):
            out[-1] = out[-1] + "\n" + text
        elif not optional or not out:
            out.append(text)
    return out


# --- wrapping -------------------------------------------------------------------------------


def pack(items: list[str], fits: Callable[[str], bool]) -> list[str]:
    """Join list entries ("12 Kratie") into as few texts as fit, never splitting an entry."""
    texts: list[str] = []
    for item in items:
        if texts and fits(f"{texts[-1]} {item}"):
            texts[-1] = f"{texts[-1]} {item}"
        else:
            texts.extend(wrap(item, fits))
    return texts


def wrap(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Split ``text`` at spaces into pieces that each fit; a run without spaces (Khmer
    writes words together) is cut between characters, never inside a syllable cluster."""
    pieces: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}" if current else word
        if fits(trial):
            current = trial
            continue
        if current:
            pieces.append(current)
        current = ""
        for chunk in _hard_split(word, fits):
            trial = f"{current} {chunk}" if current else chunk
            if fits(trial):
                current = trial
            else:
                pieces.append(current)
                current = chunk
    if current:
        pieces.append(current)
    return pieces


def _hard_split(word: str, fits: Callable[[str], bool]) -> list[str]:
    chunks: list[str] = []
    start = 0
    while start < len(word):
        end = len(word)
        while end > start + 1 and not fits(word[start:end]):
            end -= 1
        while end < len(word) and end > start + 1 and not _can_break_before(word, end):
            end -= 1
        chunks.append(word[start:end])
        start = end
    return chunks


def _can_break_before(word: str, index: int) -> bool:
    """Not before a combining mark, nor after a Khmer COENG (which joins the next consonant)."""
    return not unicodedata.category(word[index]).startswith("M") and word[index - 1] != "\u17d2"


# --- USSD --------------------------------------------------------------------------------


def ussd_pages(lines: list[str], items: list[str], language: str) -> list[str]:
    """Screens showing ``lines`` (the question) then ``items`` (the menu), each within the
    USSD budget; pages but the last end with "99 More". The question heads every page when
    it leaves room for the menu; otherwise (a long help text) everything flows on."""
    more = f"{replies.MORE} {messages.text('ussd.more', language)}"
    # Pieces short enough to share a screen with "99 More".
    header = [piece for line in lines for piece in wrap(line, lambda text: fits_ussd(f"{text}\n{more}"))]
    if items and all(fits_ussd("\n".join(header + [item, more])) for item in items):
        return _flow(items, more, header)
    return _flow(header + items, more, [])


def _flow(entries: list[str], more: str, header: list[str]) -> list[str]:
    pages: list[str] = []
    index = 0
    while index < len(entries) or not pages:
        screen = list(header)
        while index < len(entries):
            last = index == len(entries) - 1
            trial = screen + [entries[index]] + ([] if last else [more])
            if not fits_ussd("\n".join(trial)) and len(screen) > len(header):
                break
            screen.append(entries[index])
            index += 1
        if index < len(entries):
            screen.append(more)
        pages.append("\n".join(screen))
    return pages


def ussd_screen(
    q: Questionnaire,
    says: list[Say],
    *,
    language: str,
    question: str | None,
    showing_help: bool = False,
    page: int = 0,
    group: list[str] | None = None,
) -> tuple[str, bool]:
    """The one screen a USSD reply shows, and whether the session ends (END) or goes on
    (CON). ``question`` is the code still being asked, if any; ``group`` the codes asked
    together with it (one input answers them all)."""
    choose = next((say for say in says if say.kind == "choose"), None)
    if choose is not None:
        return ussd_choose(choose.params["case"], language), False
    offer = next((say for say in says if say.kind == "record_offer"), None)
    if offer is not None:
        return ussd_record_offer(says, offer.params["n"], language, page)
    share = next((say for say in says if say.kind == "share"), None)
    if share is not None:
        # The result heads these pages; other notices are left out so that "99 More"
        # always pages through the same screens.
        pages = ussd_share_pages(q, share.params, language)
        return pages[page % len(pages)], False
    shared = next((say for say in says if say.kind == "shared"), None)
    if shared is not None:
        return ussd_shared(shared.params, language), True
    notices = plain_texts(says, language)
    if question is None:
        return _first_fitting(notices), True
    asked = q.question(question)
    members = [q.question(code) for code in group] if group and len(group) > 1 else None
    brief = any(say.params.get("brief") for say in says if say.kind in ("question", "help"))
    screen = group_variants(q, members, language, ussd=True, brief=brief)[-1] if members else None
    if showing_help and members:
        # The help of each question asked together, then the group again (one input answers it).
        helps = list(help_lines(members, language).values())
        pages = (ussd_pages(helps, [], language) if helps else []) + [screen]
    elif showing_help:
        pages = ussd_pages(list(help_lines([asked], language).values()) + [asked.ussd.get(language)],
                           menu_items(q, asked, language), language)
    elif members:
        notice = " ".join(notices)
        pages = [f"{notice}\n{screen}" if notice and fits_ussd(f"{notice}\n{screen}") else screen]
    else:
        pages = _question_pages(q, asked, language, " ".join(notices) or None)
    return pages[page % len(pages)], False


def _question_pages(q: Questionnaire, question: Question, language: str, notice: str | None) -> list[str]:
    lines = [question.ussd.get(language)]
    if question.type == "integer":
        lines.append(messages.text("keys.integer_ussd", language))
    items = menu_items(q, question, language)
    plain = ussd_pages(lines, items, language)
    if notice:
        # A notice ("Case KH-...", "not understood") is shown only when it costs no page.
        with_notice = ussd_pages([notice] + lines, items, language)
        if len(with_notice) == len(plain) and all(line in with_notice[0].split("\n") for line in lines):
            return with_notice
    return plain


def _first_fitting(texts: list[str]) -> str:
    screen = ""
    for text in texts:
        trial = f"{screen}\n{text}" if screen else text
        if fits_ussd(trial):
            screen = trial
    if not screen and texts:
        screen = wrap(texts[0], fits_ussd)[0]
    return screen


def _ussd_result(params: dict[str, Any], language: str, tail: str | None = None) -> list[str]:
    """Case and tier first, then every flag that changes what the screener does now
    (urgent first; a full text where there is room, else the short one; with room for
    ``tail`` below them), then what to do, as far as the screen goes."""
    finished, *actions = _result_parts(params, language)
    flags = sorted((flag for flag in params.get("flags", ()) if messages.has(f"flags.{flag}")),
                   key=lambda flag: (flag != "urgent", flag))
    forms = {flag: f"ussd.flags.{flag}" if messages.has(f"ussd.flags.{flag}") else f"flags.{flag}" for flag in flags}

    def lines() -> list[str]:
        return [finished] + [messages.text(forms[flag], language) for flag in flags]

    def fits(candidate: list[str]) -> bool:
        return fits_ussd("\n".join(candidate + ([tail] if tail else [])))

    for flag in flags:
        short, forms[flag] = forms[flag], f"flags.{flag}"
        if not fits(lines()):
            forms[flag] = short
    while flags and not fits(lines()):  # never with the shipped texts (tests): the least urgent goes
        flags.pop()
    return ["\n".join(lines())] + actions


def ussd_record_offer(says: list[Say], n: int, language: str, page: int = 0) -> tuple[str, bool]:
    """The result (or the reply to the share question) with the offer of the questions
    kept for the record (1 answer them, 0 end), and whether the session ends (never). The
    case, tier and flags, or the service's phone, come first: when the offer does not fit
    beside them, they fill the first page and the offer is the second (any input but an
    answer turns the page; "99 More" says so where it fits)."""
    shared = next((say for say in says if say.kind == "shared"), None)
    result = next((say for say in says if say.kind == "result"), None)
    # The result's lines with no tail below them, to tell whether a tail pushed a flag out.
    lines_alone = _ussd_result(result.params, language)[0].count("\n") if result is not None else 0

    def heads(tail: str | None) -> list[str]:
        if shared is not None:
            return [ussd_shared(shared.params, language), ussd_shared(shared.params, language, short=True)]
        if result is None:
            parts = plain_texts(says, language)
        else:
            parts = _ussd_result(result.params, language, tail)
            if tail and parts[0].count("\n") < lines_alone:
                return []  # a flag would give way to the tail: never
        return ["\n".join(parts[:count]) for count in range(len(parts), 0, -1)]

    menus = [messages.text("ussd.record_menu", language, n=digits.in_language(n, language)),
             messages.text("ussd.record_menu_short", language)]
    for menu in menus:
        for head in heads(menu):
            if fits_ussd(f"{head}\n{menu}"):
                return f"{head}\n{menu}", False
    more = f"{replies.MORE} {messages.text('ussd.more', language)}"
    hinted = [head for head in heads(more) if fits_ussd(f"{head}\n{more}")]
    plain = heads(None)
    first = f"{hinted[0]}\n{more}" if hinted else next((head for head in plain if fits_ussd(head)), plain[-1])
    pages = [first, messages.text("record.intro", language) + "\n" + menus[0]]
    return pages[page % len(pages)], False


def ussd_choose(case: str, language: str) -> str:
    return "\n".join(
        [
            messages.text("ussd.open_draft", language, case=case),
            f"1 {messages.text('ussd.continue', language)}",
            f"2 {messages.text('ussd.new', language)}",
        ]
    )


def plain_texts(says: list[Say], language: str) -> list[str]:
    """The texts of notices and results (not questions), for USSD screens."""
    out = []
    for say in says:
        if say.kind == "text":
            out.append(messages.text(say.key, language, **say.params))
        elif say.kind == "result":
            out.extend(_ussd_result(say.params, language))
        elif say.kind == "unclear":
            out.append(messages.text("unclear", language))  # the menu is right below it
    return out


# --- the referral: the person's consent to share their case ------------------------------

# Opening hours longer than this ("Mon-Fri 8-12 and 14-17, Sat 8-11") are left to the web page.
SHORT_HOURS = 20
_PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                        "\u2014": "-", "\u2026": "...", "\u00a0": " "})


def plain_value(text: str | None, language: str) -> str:
    """A directory value (a service's name, its hours) fit for a ``language`` message:
    English messages stay GSM-7, so curly quotes and dashes are made plain and accents
    or other characters outside GSM-7 dropped."""
    text = " ".join((text or "").split())
    if language != "en" or is_gsm7(text):
        return text
    text = unicodedata.normalize("NFKD", text.translate(_PLAIN))
    return " ".join("".join(ch for ch in text if is_gsm7(ch)).split())


def service_line(service: dict[str, Any], language: str, fits: Callable[[str], bool]) -> str:
    """A service as the staff member passes it on: name, desk phone, hours if short."""
    name = plain_value(service.get(language), language) or plain_value(service.get("en"), language)
    phone = service.get("phone") or ""
    hours = plain_value(service.get("hours"), language)
    candidates = []
    if phone and hours and len(hours) <= SHORT_HOURS:
        candidates.append(messages.text("share.service.full", language, service=name, phone=phone, hours=hours))
    key = "share.service.phone" if phone else "share.service.name"
    candidates.append(messages.text(key, language, service=name, phone=phone))
    return next((text for text in candidates if fits(text)), candidates[-1])


def _block(first: str, lines: list[str], fits: Callable[[str], bool]) -> list[str]:
    """``first`` then ``lines`` packed into as few texts as fit, a line never split unless
    it cannot fit on its own (a very long service name)."""
    texts = wrap(first, fits) if first else []
    for line in lines:
        if texts and fits(f"{texts[-1]}\n{line}"):
            texts[-1] = f"{texts[-1]}\n{line}"
        else:
            texts.extend(wrap(line, fits))
    return texts


def _share_notes(params: dict[str, Any], language: str) -> list[str]:
    notes = []
    if params.get("missing"):
        notes.append(messages.text("share.missing_some" if params.get("services") else "share.missing_all", language))
    if params.get("supervisor"):
        notes.append(messages.text("share.supervisor", language))
    return notes


def share_question(q: Questionnaire, params: dict[str, Any], language: str) -> str:
    count = len(params.get("services", ()))
    which = "none" if count == 0 else "one" if count == 1 else "many"
    return f"{messages.text(f'share.ask.{which}', language)}\n{' '.join(yes_no_items(q, language))}"


def share_texts(q: Questionnaire, params: dict[str, Any], language: str, fits: Callable[[str], bool]) -> list[str]:
    """SMS: the proposed service(s) with phone and hours, what a supervisor still does,
    then the question the staff member asks the person, with 1 yes 2 no."""
    services = params.get("services", [])
    lines = [service_line(service, language, fits) for service in services]
    texts = _block(messages.text("share.header", language), lines, fits) if services else []
    for note in _share_notes(params, language):
        texts.extend(wrap(note, fits))
    return texts + [share_question(q, params, language)]


def _agreed_texts(params: dict[str, Any], language: str, noted: str = "share.noted") -> list[str]:
    """Yes: shared (the service will answer), or noted while a supervisor confirms first
    or finds a service."""
    case = params["case"]
    services = params.get("services", [])
    if params.get("notified"):
        texts = [messages.text("share.agreed", language, case=case)]
    elif params.get("supervisor"):
        texts = [messages.text(noted, language, case=case), messages.text("share.supervisor", language)]
    else:
        return [messages.text(noted, language, case=case), messages.text("share.will_find", language)]
    if params.get("missing"):
        texts.append(messages.text("share.missing_some" if services else "share.missing_all", language))
    return texts


def shared_texts(params: dict[str, Any], language: str, fits: Callable[[str], bool]) -> list[str]:
    """SMS: the reply to the person's answer. Yes: shared, the service will answer (or a
    supervisor first). No: nothing sent; the service's phone to give the person."""
    if params.get("consent"):
        texts: list[str] = []
        for text in _agreed_texts(params, language):
            texts.extend(wrap(text, fits))
        return texts
    services = params.get("services", [])
    if not services:
        return [messages.text("share.refused_none", language, case=params["case"])]
    lines = [service_line(service, language, fits) for service in services]
    return _block(messages.text("share.refused", language, case=params["case"]), lines, fits)


def ussd_share_pages(q: Questionnaire, params: dict[str, Any], language: str) -> list[str]:
    """USSD: the result, the proposed service(s), then the consent question and 1 / 2,
    over as many "99 More" pages as it takes. The result's "what to do" is left out (the
    referral is what to do), and a service's hours when they would cost a page."""
    more = f"{replies.MORE} {messages.text('ussd.more', language)}"
    lines = _ussd_result(params, language)[:1]
    services = params.get("services", [])
    if services:
        lines.append(messages.text("ussd.share_header", language))
        lines.extend(service_line(service, language, lambda text: fits_ussd(f"{text}\n{more}")) for service in services)
    lines.extend(_share_notes(params, language))
    lines += [messages.text("ussd.share_what", language), messages.text("ussd.share_ask", language)]
    return ussd_pages(lines, yes_no_items(q, language), language)


def ussd_shared(params: dict[str, Any], language: str, *, short: bool = False) -> str:
    """USSD: the screen after the person's answer. No: the service's phone comes before
    anything else (the name too when it fits). ``short``: without the case number, to
    leave room for the offer of the questions kept for the record."""
    if params.get("consent"):
        texts = _agreed_texts(params, language, noted="ussd.noted")
        if short and params.get("notified"):
            texts = [messages.text("ussd.agreed", language)] + texts[1:]
        return _first_fitting(texts)
    services = params.get("services", [])
    if not services:
        return _first_fitting([messages.text("share.refused_none", language, case=params["case"])])
    notice = _first_fitting([messages.text("ussd.refused", language)])
    # Every phone first (as many as the screen holds); then, service by service, the
    # whole line where it still fits.
    lines: list[str] = []
    for service in services:
        phone = service.get("phone") or ""
        lines.append(phone if phone and fits_ussd("\n".join([notice, *filter(None, lines), phone])) else "")
    for index, service in enumerate(services):
        trial = lines[:index] + [service_line(service, language, fits_ussd)] + lines[index + 1:]
        if fits_ussd("\n".join([notice] + [line for line in trial if line])):
            lines = trial
    return "\n".join([notice] + [line for line in lines if line])
