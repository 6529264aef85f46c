"""Every character of each person-facing language's texts is drawn by a font the app serves.

fonttools reads the cmap of the committed woff2 files (brotli decompresses them); the texts
come from the questionnaire model (every version), not from the subsetting script.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import questionnaires
from questionnaires.loader import available_versions

pytest.importorskip("brotli")
TTFont = pytest.importorskip("fontTools.ttLib").TTFont

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "webapp" / "static" / "fonts"
CSS = (ROOT / "webapp" / "static" / "css" / "fonts.css").read_text(encoding="utf-8")
APP_CSS = (ROOT / "webapp" / "static" / "css" / "app.css").read_text(encoding="utf-8")

# The files behind each language's font stack in fonts.css (:lang rules).
SERVED = {
    "vi": ["noto-sans-latin-400-normal.woff2", "noto-sans-vietnamese-400-normal.woff2"],
    "th": ["noto-sans-thai-thai-400-normal.woff2", "noto-sans-latin-400-normal.woff2"],
    "zh-Hans": ["noto-sans-sc-subset-400-normal.woff2"],
}


def texts(lang: str) -> list[str]:
    found = []
    for version in available_versions():
        q = questionnaires.load(version)
        if q.language(lang):
            found.append(q.language(lang).name)
        for question in q.questions:
            found.append(question.text.get(lang))
            found += [option.label.get(lang) for option in question.options]
        found += [label.get(lang) for label in q.answer_labels.values()]
        found += [q.result_sentence(tier, lang) for tier in q.result_sentences]
    return found


def cmap(name: str) -> set[str]:
    return {chr(c) for c in TTFont(FONTS / name).getBestCmap()}


@pytest.mark.parametrize("lang", sorted(SERVED))
def test_every_character_of_the_texts_is_in_the_served_fonts(lang):
    assert questionnaires.load().language(lang) is not None, f"{lang} is not a language of the questionnaire"
    covered = set().union(*(cmap(name) for name in SERVED[lang]))
    used = {c for text in texts(lang) for c in text if not c.isspace()}
    missing = sorted(used - covered)
    assert not missing, (f"{lang}: {''.join(missing)} not in {SERVED[lang]}"
                         + (" (run scripts/subset_fonts.py)" if lang == "zh-Hans" else ""))


def test_khmer_script_of_the_khmer_texts_is_in_the_khmer_font():
    covered = cmap("noto-sans-khmer-khmer-400-normal.woff2")
    used = {c for text in texts("km") for c in text if "\u1780" <= c <= "\u17ff"}
    assert used and not used - covered


def test_the_chinese_font_is_a_subset_not_the_megabyte_slice():
    path = FONTS / "noto-sans-sc-subset-400-normal.woff2"
    assert path.stat().st_size < 100 * 1024
    assert len(cmap(path.name)) < 1000


@pytest.mark.parametrize("family, lang", [("PersonLatin", "vi"), ("PersonThai", "th"), ("PersonSC", "zh-Hans")])
def test_each_face_is_local_first_with_a_range_and_used_only_under_its_language(family, lang):
    faces = re.findall(r"@font-face\s*\{([^}]*)\}", CSS)
    mine = [face for face in faces if f'"{family}"' in face]
    assert mine
    for face in mine:
        src = re.search(r"src:\s*([^;]+);", face).group(1)
        assert src.strip().startswith("local("), face
        assert re.search(r'url\("\.\./fonts/[^"]+\.woff2"\)', src)
        assert "unicode-range" in face
        name = re.search(r'url\("\.\./fonts/([^"]+)"\)', src).group(1)
        assert (FONTS / name).exists()
    # The family is named in no rule but its language's: a Khmer page never asks for it.
    css = re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)
    rules = re.finditer(rf'([^{{}}]+)\{{[^}}]*font-family:[^;}}]*"{family}"', css)
    selectors = {rule.group(1).strip() for rule in rules} - {"@font-face"}
    assert selectors and all(s.startswith(":lang(") for s in selectors), selectors
    assert family not in APP_CSS  # every page links app.css; only pages with a person's language link fonts.css


def test_every_served_font_comes_with_its_licence_and_a_readme_line():
    readme = (FONTS / "README.md").read_text(encoding="utf-8")
    for name in {n for names in SERVED.values() for n in names}:
        assert f"`{name}`" in readme
    for licence in ("OFL-NotoSans.txt", "OFL-NotoSansThai.txt", "OFL-NotoSansSC.txt"):
        assert "SIL Open Font License" in (FONTS / licence).read_text(encoding="utf-8")
