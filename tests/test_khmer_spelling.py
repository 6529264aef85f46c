"""Khmer, consistently: one spelling per word in every text of the app, unambiguous terms
for "domestic work" and the legal "means", Khmer digits inside Khmer text, and no Latin X
asked of a Khmer screener."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

import questionnaires as Q
from questionnaires import khmer

ROOT = Path(__file__).resolve().parent.parent
YAML_FILES = ["questionnaires/definitions/v1.yaml", "questionnaires/definitions/v2.yaml", "sms/messages.yaml",
              "webapp/referrals/notices.yaml",
              "questionnaires/definitions/places.yaml"]


def khmer_strings_of(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "km" and isinstance(item, str):
                yield item
            else:
                yield from khmer_strings_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from khmer_strings_of(item)


def catalog():
    with open(ROOT / "locales/km/LC_MESSAGES/messages.po", "rb") as handle:
        return read_po(handle)


def every_khmer_text():
    for message in catalog():
        if message.id and message.string:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in strings:
                yield "messages.po", text
    for name in YAML_FILES:
        for text in khmer_strings_of(yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))):
            yield name, text


def test_the_spelling_table_is_consistent():
    for word in khmer.WITH_DA:
        assert khmer.COENG_DA in word and khmer.COENG_TA not in word, word
    for word in khmer.WITH_TA:
        assert khmer.COENG_TA in word, word
    assert not set(khmer.wrong_forms()) & set(khmer.WITH_DA + khmer.WITH_TA)


def test_every_khmer_text_uses_the_standard_spelling():
    wrong = khmer.wrong_forms()
    found = [(name, form, right) for name, text in every_khmer_text() for form, right in wrong.items() if form in text]
    assert found == []


def test_domestic_work_is_domestic_service_everywhere():
    for version in (1, 2):
        label = next(o.label.km for o in Q.load(version).by_role("sector").options if o.value == "domestic")
        assert label == "ការងារបម្រើតាមផ្ទះ"
    messages = yaml.safe_load((ROOT / "sms/messages.yaml").read_text(encoding="utf-8"))
    assert messages["short_options"]["sector"]["domestic"]["km"] == "បម្រើតាមផ្ទះ"


def test_channel_and_the_legal_means_have_different_words():
    strings = {m.id: m.string for m in catalog() if m.id}
    means = strings["Deception, force or control (means)"]
    assert strings["Channel"] and strings["Channel"] not in means


def test_no_latin_x_asked_of_a_khmer_screener():
    messages = yaml.safe_load((ROOT / "sms/messages.yaml").read_text(encoding="utf-8"))
    for text in khmer_strings_of(messages):
        assert not re.search(r"(^|[\s(])X([\s)]|$)", text), text
    assert "មិនដឹង" in messages["keys"]["integer"]["km"]


@pytest.mark.parametrize("question", Q.load(2).questions, ids=lambda question: question.code)
def test_numbers_inside_khmer_questions_are_khmer_digits(question):
    texts = [question.text.km, question.sms.km, question.ussd.km] + ([question.help.km] if question.help else [])
    for text in texts:
        assert not re.search(r"[0-9]", text), text
