"""Catalogs: complete, placeholders matching, no HTML, not stale; switching language works."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from tests.conftest import ROOT

LOCALES = ROOT / "locales"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def catalog(lang):
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def messages(lang):
    return [m for m in catalog(lang) if m.id]


@pytest.mark.parametrize("lang", ["km", "en"])
def test_catalog_complete(lang):
    missing = [m.id for m in messages(lang) if not m.string or "fuzzy" in m.flags]
    assert missing == []


@pytest.mark.parametrize("lang", ["km", "en"])
def test_placeholders_match_and_no_html(lang):
    for message in messages(lang):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert sorted(PLACEHOLDER.findall(ids[0])) == sorted(PLACEHOLDER.findall(strings[0])), message.id
        if "<" not in ids[0]:
            assert "<" not in strings[0], f"HTML in translation of {message.id!r}"


def test_khmer_catalog_is_really_khmer():
    for message in messages("km"):
        text = message.string if isinstance(message.string, str) else message.string[0]
        if re.search(r"[A-Za-z]{4,}", PLACEHOLDER.sub("", message.id)):
            assert any("\u1780" <= ch <= "\u17ff" for ch in text), f"untranslated: {message.id!r}"


def test_no_khmer_translation_carries_english_left_by_a_merge():
    """A merge of two catalogs once glued the next entry's English to a Khmer translation
    (shown in Khmer mode); no Khmer string may run into English words of its own."""
    for message in messages("km"):
        text = message.string if isinstance(message.string, str) else message.string[0]
        source = message.id if isinstance(message.id, str) else message.id[0]
        english = [w for w in re.findall(r"[A-Za-z]{3,}", PLACEHOLDER.sub("", text)) if w not in source]
        assert len(english) < 3, f"English in the Khmer of {source!r}: {english}"


def test_pot_is_not_stale(tmp_path):
    out = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
         "-o", str(out), "--no-location", "--sort-output", "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with out.open("rb") as handle:
        fresh = {m.id for m in read_po(handle) if m.id}
    with (LOCALES / "messages.pot").open("rb") as handle:
        committed = {m.id for m in read_po(handle) if m.id}
    assert fresh == committed, "run: python scripts/i18n.py extract && python scripts/i18n.py update"
    for lang in ("km", "en"):
        assert {m.id for m in messages(lang)} == fresh, f"{lang} catalog not updated"


def test_landing_is_khmer_by_default_and_switches_to_english(client):
    page = client.get("/").get_data(as_text=True)
    assert 'lang="km"' in page
    assert "ការពិនិត្យកំណត់អត្តសញ្ញាណជនរងគ្រោះ" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/language", data={"lang": "en", "next": "/", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page and "Victim identification screening" in page
    assert "ការពិនិត្យកំណត់អត្តសញ្ញាណជនរងគ្រោះ" not in page


def test_python_strings_are_translated(app):
    from flask_babel import force_locale, gettext

    with app.test_request_context():
        with force_locale("km"):
            assert gettext("Log in") == "ចូលប្រើ"
        with force_locale("en"):
            assert gettext("Log in") == "Log in"


def test_language_switch_refuses_offsite_redirect(client):
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/language", data={"lang": "en", "next": "//evil.example/", "csrf_token": token})
    assert response.headers["Location"] == "/"
