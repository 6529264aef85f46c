"""The reply parser (questionnaires.replies): Khmer digits, yes/no words, numbered lists,
zero-width characters, commands, and words that must never be commands."""
from __future__ import annotations

import pytest

import questionnaires as Q
from questionnaires import replies as R

q = Q.load()


def parse(text, code=None):
    return R.parse(text, q, q.question(code) if code else None)



@pytest.mark.parametrize(
    "text,reply",
    [
        ("1", R.Answer("yes")), ("១", R.Answer("yes")), ("បាទ/ចាស", R.Answer("yes")), ("yes", R.Answer("yes")),
        ("2", R.Answer("no")), ("២", R.Answer("no")), ("ទេ", R.Answer("no")), ("No!", R.Answer("no")),
        # Not a yes/no: the checklist's "unsure" and "refused" keys and words are no answer here.
        ("3", R.Unclear()), ("4", R.Unclear()), ("មិនដឹង", R.Unclear()), ("12", R.Unclear()),
        ("9", R.Command("help")), ("០", R.Command("back")), ("99", R.Command("more")), ("STOP", R.OptOut("stop")),
        ("", R.Unclear(empty=True)),
    ],
)
def test_a_yes_no_the_dialogue_asks_itself(text, reply):
    """The consent to share and the offer of the record questions are read as yes/no on
    their own, not through the checklist's consent question (whose options may change)."""
    assert R.parse_yes_no(text) == reply

@pytest.mark.parametrize(
    "text,value",
    [
        ("1", "yes"), ("១", "yes"), ("YES", "yes"), ("Yes.", "yes"), ("y", "yes"), ("បាទ", "yes"), ("ចាស", "yes"),
        ("បាទ/ចាស", "yes"), ("\u200bបាទ\u200b", "yes"), ("\ufeff1", "yes"), ("baat", "yes"), ("មែន", "yes"),
        ("2", "no"), ("២", "no"), ("No", "no"), ("NO!", "no"), ("ទេ", "no"), ("អត់", "no"), ("ot te", "no"),
        ("3", "unknown"), ("៣", "unknown"), ("don’t know", "unknown"), ("DK", "unknown"), ("មិនដឹង", "unknown"),
        ("មិន\u200bដឹង", "unknown"),
        ("4", "refused"), ("៤", "refused"), ("refused", "refused"), ("មិនចង់ឆ្លើយ", "refused"), ("មិនឆ្លើយ", "refused"),
    ],
)
def test_indicator_answers(text, value):
    assert parse(text, "M1") == R.Answer(value)


@pytest.mark.parametrize("text", ["5", "12", "yes no", "maybe", "1 2", "🙂", "ក", "11"])
def test_indicator_garbage_is_unclear(text):
    assert isinstance(parse(text, "M1"), R.Unclear)


def test_consent_takes_only_yes_and_no():
    assert parse("១", "consent") == R.Answer("yes")
    assert parse("ទេ", "consent") == R.Answer("no")
    assert isinstance(parse("3", "consent"), R.Unclear)


@pytest.mark.parametrize(
    "text,value",
    [("17", 17), ("១៧", 17), ("9", 9), ("៩", 9), ("120", 120), ("x", "unknown"), ("មិនដឹង", "unknown"), ("999", "unknown")],
)
def test_age_by_number_or_unknown_word(text, value):
    assert parse(text, "age") == R.Answer(value)


def test_age_out_of_range_and_zero():
    assert isinstance(parse("121", "age"), R.Unclear)
    assert parse("0", "age") == R.Command("back")  # 0 is always back; no one screened is 0


def test_nine_is_help_except_in_the_age_question():
    assert parse("9", "M1") == R.Command("help")
    assert parse("?", "age") == R.Command("help")


def test_numbered_lists_skip_nine():
    assert R.option_numbers(12) == [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13]
    sector = dict(R.numbered_values(q, q.question("sector")))
    assert 9 not in sector and sector[10] == "scam_online" and sector[12] == "none"
    assert parse("១០", "sector") == R.Answer("scam_online")
    assert parse("fishing", "sector") == R.Answer("fishing")
    assert parse("នេសាទ", "sector") == R.Answer("fishing")


@pytest.mark.parametrize(
    "text,code,value",
    [
        ("1", "nationality", "KH"), ("2", "nationality", "TH"), ("th", "nationality", "TH"), ("KR", "nationality", "KR"),
        ("Thailand", "nationality", "TH"), ("ថៃ", "nationality", "TH"), ("8", "nationality", "unknown"),
        ("មិនដឹង", "nationality", "unknown"), ("norway", "nationality", "NO"),
        ("4", "exploitation_country", "MY"), ("8", "exploitation_country", "none"), ("no", "exploitation_country", "none"),
    ],
)
def test_countries(text, code, value):
    assert parse(text, code) == R.Answer(value)


def test_a_yes_no_word_is_never_a_country_code():
    assert isinstance(parse("no", "nationality"), R.Unclear)


@pytest.mark.parametrize(
    "text,value",
    [("BMC", "BMC"), ("btb", "BTB"), ("1", "BMC"), ("10", "KEP"), ("27", "unknown"), ("Battambang", "BTB"),
     ("បាត់ដំបង", "BTB"), ("មិនដឹង", "unknown")],
)
def test_provinces(text, value):
    assert parse(text, "home_province") == R.Answer(value)


@pytest.mark.parametrize("word", ["STOP", "stop", "End", "CANCEL", "quit", "UNSUBSCRIBE", "START", "stopall", "unstop"])
def test_opt_out_words_are_never_commands(word):
    assert parse(word, "M1") == R.OptOut(word.lower())
    assert parse(word) == R.OptOut(word.lower())


@pytest.mark.parametrize(
    "text,command",
    [
        ("SCREEN", R.Command("start")), ("screen poipet", R.Command("start", "poipet")), ("ពិនិត្យ", R.Command("start")),
        ("Check BMC", R.Command("start", "bmc")), ("RESUME", R.Command("resume")), ("បន្ត", R.Command("resume")),
        ("0", R.Command("back")), ("០", R.Command("back")), ("ថយ", R.Command("back")), ("9", R.Command("help")),
        ("៩", R.Command("help")), ("ENGLISH", R.Command("language", "en")), ("ខ្មែរ", R.Command("language", "km")),
        ("99", R.Command("more")),
    ],
)
def test_commands(text, command):
    assert parse(text, "M1") == command


TA, DA = "\u17d2\u178f", "\u17d2\u178a"  # subscript TA and DA: they look the same


@pytest.mark.parametrize("sub", [TA, DA], ids=["TA", "DA"])
def test_subscript_ta_and_da_are_read_as_one(sub):
    assert parse(f"បន{sub}", "M1") == R.Command("resume")
    assert parse(f"ឧត{sub}រមានជ័យ", "home_province") == R.Answer("OMC")  # Oddar Meanchey, spelled ឧត្ដរ
    assert parse(f"កណ{DA if sub == TA else TA}ាល", "home_province") == R.Answer("KDL")  # Kandal, spelled កណ្ដាល


@pytest.mark.parametrize("text", ["¹", "²³", "٣", "๑", "Ⅻ", "①"])
def test_digit_like_characters_are_not_numbers(text):
    """Found by the fuzz test: str.isdigit() is true of "¹", which int() refuses."""
    assert isinstance(parse(text, "age"), R.Unclear)
    assert isinstance(parse(text, "sector"), R.Unclear)


def test_empty_and_invisible_bodies():
    assert parse("") == R.Unclear(empty=True)
    assert parse("\u200b\u200c\u200d\ufeff \n\t") == R.Unclear(empty=True)
    assert parse("\x00\x01") == R.Unclear(empty=True)
