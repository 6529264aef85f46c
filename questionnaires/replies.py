"""What a person types on a phone, turned into the engine's canonical answers.

Used by the SMS and USSD channels (and free for the web form): Khmer digits ០-៩ count as
0-9, the usual Khmer, romanised Khmer and English yes/no words are understood in any case,
and zero-width characters (Khmer keyboards insert U+200B between words) are ignored. The
subscripts ្ត (TA) and ្ដ (DA) look the same in most fonts and people type either, so they
count as one letter: បន្ត and បន្ដ both resume.

Numbers have fixed meanings on the phone channels: ``0`` goes back and ``9`` asks for help,
so numbered lists skip 9 (1-8, then 10, 11, ...). Only the age question reads ``9`` as an
age: a nine-year-old must be recordable, and its prompt says so. STOP, END, CANCEL, QUIT,
UNSUBSCRIBE, START and their kin are never commands: carriers and Twilio treat them as
opt-out words, so they are reported as :class:`OptOut` and the channel stays silent.

Pure Python, like the rest of the package.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale

from .model import INDICATOR_VALUES, Question, Questionnaire

# Shown first in country lists: where people screened in Cambodia come from or worked.
COMMON_COUNTRIES = ("KH", "TH", "VN", "MY", "LA", "MM", "CN")
BACK = "0"
HELP = "9"
MORE = "99"  # next page of a long USSD menu
# A number standing for "unknown" where a word is awkward (USSD keypads): outside 0-120.
AGE_UNKNOWN_NUMBER = "999"

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
COENG = "\u17d2"
SUBSCRIPT_DA, SUBSCRIPT_TA = COENG + "\u178a", COENG + "\u178f"


def fold_subscripts(text: str) -> str:
    """One form for the subscripts TA and DA (្ដ read as ្ត), to compare what people type."""
    return text.replace(SUBSCRIPT_DA, SUBSCRIPT_TA)


def _words(words: set[str]) -> frozenset[str]:
    return frozenset(fold_subscripts(word) for word in words)

_KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
_QUOTES = str.maketrans("\u2018\u2019\u02bc\u201c\u201d", "''''\"")
# Punctuation people add around a reply ("1.", "yes!", Khmer full stops ។ and ៕).
_TRIM = " .,;:!¡¿'\"()[]-_។៕៖"

YES_WORDS = _words(
    {"yes", "y", "yeah", "yep", "ok", "okay", "bat", "baat", "bah", "jas", "chas", "cha", "ja",
     "បាទ", "ចាស", "ចា៎", "ចា", "បាទ/ចាស", "បាទចាស", "បាទ ចាស", "មែន", "មែនហើយ", "ត្រូវ", "ត្រូវហើយ"}
)
NO_WORDS = _words(
    {"no", "n", "nope", "te", "tey", "ot", "at", "ot te", "min men",
     "ទេ", "អត់", "អត់ទេ", "មិនមែន", "មិនមែនទេ", "ទេ បាទ", "ទេ ចាស", "បាទ ទេ", "ចាស ទេ", "គ្មាន"}
)
UNKNOWN_WORDS = _words(
    {"dk", "d/k", "dunno", "idk", "don't know", "dont know", "do not know", "unknown", "unsure",
     "not sure", "x", "min doeng", "ot doeng", "min deng", "ot deng",
     "មិនដឹង", "មិនដឹងទេ", "អត់ដឹង", "អត់ដឹងទេ", "មិនច្បាស់", "មិនប្រាកដ"}
)
REFUSED_WORDS = _words(
    {"refused", "refuse", "refuses", "no answer", "declined", "decline", "skip",
     "មិនឆ្លើយ", "មិនចង់ឆ្លើយ", "បដិសេធ", "មិនព្រមឆ្លើយ"}
)
WORDS = {"yes": YES_WORDS, "no": NO_WORDS, "unknown": UNKNOWN_WORDS, "refused": REFUSED_WORDS}

BACK_WORDS = _words({BACK, "back", "ថយ", "ថយក្រោយ", "ត្រឡប់"})
# HELP and INFO are carrier keywords too (an automatic reply may also come); harmless here.
HELP_WORDS = _words({HELP, "?", "help", "ជំនួយ"})
START_WORDS = _words({"screen", "screening", "check", "ពិនិត្យ", "pinit"})
RESUME_WORDS = _words({"resume", "continue", "បន្ត", "bont", "bantoh"})
LANGUAGE_WORDS = {
    "english": "en", "en": "en", "eng": "en", "អង់គ្លេស": "en", "ភាសាអង់គ្លេស": "en",
    "khmer": "km", "ខ្មែរ": "km", "ភាសាខ្មែរ": "km",
}
# Carrier and Twilio opt-out / opt-in keywords: never commands (see the module docstring).
OPT_OUT_WORDS = frozenset(
    {"stop", "stopall", "end", "cancel", "quit", "unsubscribe", "start", "unstop", "revoke", "optout"}
)


@dataclass(frozen=True)
class Answer:
    value: str | int


@dataclass(frozen=True)
class Command:
    """``back``, ``help``, ``more``, ``start`` (arg: a place code or name, or None),
    ``resume`` or ``language`` (arg: ``km``/``en``)."""

    name: str
    arg: str | None = None


@dataclass(frozen=True)
class OptOut:
    word: str


@dataclass(frozen=True)
class Unclear:
    """Nothing we understood; ``empty`` when there was nothing at all."""

    empty: bool = False


Reply = Answer | Command | OptOut | Unclear


def clean(text: str | None) -> str:
    """Normalised, case-folded text: NFC, Khmer digits as ASCII, subscript DA as TA, no
    zero-width or control characters, single spaces, surrounding punctuation trimmed."""
    text = unicodedata.normalize("NFC", text or "").translate(_ZERO_WIDTH).translate(_KHMER_DIGITS)
    text = fold_subscripts(text)
    text = text.translate(_QUOTES)
    text = "".join(" " if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") else ch for ch in text)
    return " ".join(text.split()).strip(_TRIM).casefold()


def is_number(text: str) -> bool:
    """ASCII digits only (Khmer digits were converted by :func:`clean`): ``str.isdigit``
    is also true of "¹" and other characters ``int`` refuses."""
    return text.isascii() and text.isdigit()


def option_numbers(count: int) -> list[int]:
    """Numbers for a list of ``count`` entries: 1-8, then 10 onward (0 and 9 are commands)."""
    numbers: list[int] = []
    n = 1
    while len(numbers) < count:
        if n != 9:
            numbers.append(n)
        n += 1
    return numbers


def numbered_values(q: Questionnaire, question: Question) -> list[tuple[int, str]]:
    """The numbered answer list of ``question``, as the phone channels show it."""
    values = list_values(q, question)
    return list(zip(option_numbers(len(values)), values, strict=True))


def list_values(q: Questionnaire, question: Question) -> list[str]:
    if question.type == "indicator":
        return list(INDICATOR_VALUES)
    if question.type == "consent":
        return ["yes", "no"]
    if question.type == "choice":
        return [o.value for o in question.options]
    extra = [o.value for o in question.options]
    if question.type == "country":
        return [c for c in COMMON_COUNTRIES if c in q.countries] + extra
    if question.type == "province":
        return [p.code for p in q.places.provinces] + extra
    return []


def parse(text: str | None, q: Questionnaire | None = None, question: Question | None = None) -> Reply:
    """Read one inbound message, in the context of the question being asked (if any)."""
    cleaned = clean(text)
    if not cleaned:
        return Unclear(empty=True)
    if cleaned in OPT_OUT_WORDS:
        return OptOut(cleaned)
    if question is not None and question.type == "integer" and is_number(cleaned) and cleaned != BACK:
        return _integer(question, cleaned)  # "9" is an age here, not help
    command = parse_command(cleaned)
    if command is not None:
        return command
    if question is None or q is None:
        return Unclear()
    value = parse_answer(q, question, cleaned)
    return Answer(value) if value is not None else Unclear()


# A yes/no the dialogue asks outside the checklist, keyed as everywhere: 1 yes, 2 no.
YES_NO_NUMBERS = {"1": "yes", "2": "no"}


def parse_yes_no(text: str | None) -> Reply:
    """Read a reply to a yes/no the dialogue itself asks, not the checklist (the person's
    consent to share their case; on USSD the offer of the questions kept for the record):
    1 or a yes word is yes, 2 or a no word is no (Khmer digits and words too); commands,
    opt-out words and an empty reply as :func:`parse` reads them."""
    reply = parse(text)
    if not isinstance(reply, Unclear) or reply.empty:
        return reply
    cleaned = clean(text)
    value = YES_NO_NUMBERS.get(cleaned) or _word(cleaned, ("yes", "no"))
    return Answer(value) if value is not None else Unclear()


def parse_group(text: str | None, q: Questionnaire, questions: Sequence[Question]) -> dict[str, str | int] | None:
    """The answers one reply gives to the questions of a group, in their order, or None
    when the reply does not answer each of them (then nothing is stored: all or nothing).

    Either one answer per question separated by spaces or commas ("1 2 3", "BMC 2", "25 ស្រី")
    or, when every answer is a single digit, the digits run together ("1232", "១២៣២")."""
    cleaned = clean(text).replace(",", " ").replace("។", " ")
    tokens = cleaned.split()
    if len(tokens) == 1 and is_number(tokens[0]) and len(questions) > 1:
        tokens = list(tokens[0])
    if len(tokens) != len(questions):
        return None
    found: dict[str, str | int] = {}
    for question, token in zip(questions, tokens, strict=False):
        value = parse_answer(q, question, token)
        if value is None:
            return None
        found[question.code] = value
    return found


def parse_command(cleaned: str) -> Command | None:
    if cleaned in BACK_WORDS:
        return Command("back")
    if cleaned in HELP_WORDS:
        return Command("help")
    if cleaned == MORE:
        return Command("more")
    if cleaned in LANGUAGE_WORDS:
        return Command("language", LANGUAGE_WORDS[cleaned])
    if cleaned in RESUME_WORDS:
        return Command("resume")
    first, _, rest = cleaned.partition(" ")
    if first in START_WORDS:
        return Command("start", rest.strip() or None)
    return None


def parse_answer(q: Questionnaire, question: Question, cleaned: str) -> str | int | None:
    """The canonical answer ``cleaned`` (see :func:`clean`) gives, or None."""
    if question.type == "integer":
        if is_number(cleaned):
            reply = _integer(question, cleaned)
            return reply.value if isinstance(reply, Answer) else None
        return _word(cleaned, ("unknown",)) if question.allow_unknown else None
    numbered = dict(numbered_values(q, question))
    if is_number(cleaned):
        return numbered.get(int(cleaned))
    if question.type in ("indicator", "consent"):
        return _word(cleaned, tuple(numbered.values()))
    if question.type == "choice":
        return _choice(question, cleaned)
    if question.type == "country":
        return _country(q, question, cleaned)
    if question.type == "province":
        return _province(q, question, cleaned)
    return None


def _integer(question: Question, digits: str) -> Answer | Unclear:
    if question.allow_unknown and digits == AGE_UNKNOWN_NUMBER:
        return Answer("unknown")
    number = int(digits)
    if question.minimum is not None and question.maximum is not None and question.minimum <= number <= question.maximum:
        return Answer(number)
    return Unclear()


def _word(cleaned: str, allowed: tuple[str, ...]) -> str | None:
    for value in allowed:
        if cleaned in WORDS.get(value, ()):
            return value
    return None


def _choice(question: Question, cleaned: str) -> str | None:
    for option in question.options:
        names = {option.value.replace("_", " "), option.value, clean(option.label.en), clean(option.label.km)}
        if cleaned in names:
            return option.value
    # Choices with yes/no/unknown values (could the person be under 18?) take the words too.
    return _word(cleaned, tuple(o.value for o in question.options))


def _extra(question: Question, cleaned: str) -> str | None:
    for option in question.options:
        if cleaned in (option.value, clean(option.label.en), clean(option.label.km)):
            return option.value
    if "unknown" in (o.value for o in question.options):
        return _word(cleaned, ("unknown",))
    if "none" in (o.value for o in question.options) and cleaned in NO_WORDS | {"none", "no work"}:
        return "none"
    return None


def _country(q: Questionnaire, question: Question, cleaned: str) -> str | None:
    extra = _extra(question, cleaned)
    if extra is not None:
        return extra
    # "no" is Norway's code and "ok" is not a country: a yes/no word is never read as a code.
    code = cleaned.upper()
    if len(code) == 2 and code in q.countries and cleaned not in YES_WORDS | NO_WORDS:
        return code
    named = country_names().get(cleaned)
    return named if named in q.countries else None


def _province(q: Questionnaire, question: Question, cleaned: str) -> str | None:
    for province in q.places.provinces:
        if cleaned in (province.code.casefold(), clean(province.name.en), clean(province.name.km)):
            return province.code
    return _extra(question, cleaned)


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Country names in English and Khmer (CLDR, via Babel), cleaned -> ISO alpha-2."""
    names: dict[str, str] = {}
    for language in ("en", "km"):
        for code, name in Locale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(clean(name), code)
                names.setdefault(clean(re.sub(r"\s*\(.*\)$", "", name)), code)  # "Myanmar (Burma)"
    return names
