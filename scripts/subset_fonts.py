"""The Simplified Chinese font the app serves, cut down to the characters its texts use.

    python scripts/subset_fonts.py                 # npm pack @fontsource/noto-sans-sc, subset, write
    python scripts/subset_fonts.py --package DIR   # from an unpacked package (DIR/files/...)
    python scripts/subset_fonts.py --check         # is every character covered? (no npm needed)

Noto Sans SC's Simplified Chinese slice holds about 8,000 characters (1.1 MB); the person-
facing zh-Hans texts of the questionnaires use a few hundred. The subset keeps those, the
CJK punctuation and printable ASCII (digits and Latin inside Chinese text), with the
OpenType layout tables pyftsubset keeps by default. Run it again whenever a zh-Hans text
changes: tests/test_fonts.py fails while a character of the texts is missing.

Thai and Vietnamese need no script: the @fontsource Thai and Vietnamese/Latin slices are
small and are served as they come (webapp/static/fonts/README.md).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PACKAGE = "@fontsource/noto-sans-sc@5.3.0"
SOURCE = "files/noto-sans-sc-chinese-simplified-400-normal.woff2"
TARGET = ROOT / "webapp" / "static" / "fonts" / "noto-sans-sc-subset-400-normal.woff2"
LANG = "zh-Hans"
# Always kept: CJK punctuation and full-width forms a translator may use, and printable ASCII.
ALWAYS = (
    {chr(c) for c in range(0x20, 0x7F)}
    | {chr(c) for c in range(0x3000, 0x3020)}
    | set("！（），．：；？～“”‘’…—·")
)


def person_texts(lang: str) -> list[str]:
    """Every person-facing text in ``lang``: each questionnaire version's questions, options,
    answer labels, result sentences and the language's own name, and the app's catalog for
    ``lang`` when there is one (locales/<lang>/LC_MESSAGES/messages.po)."""
    import questionnaires
    from questionnaires.loader import available_versions

    texts: list[str] = []
    for version in available_versions():
        q = questionnaires.load(version)
        if q.language(lang):
            texts.append(q.language(lang).name)
        for question in q.questions:
            texts.append(question.text.others.get(lang, ""))
            texts += [option.label.others.get(lang, "") for option in question.options]
        texts += [label.others.get(lang, "") for label in q.answer_labels.values()]
        texts += [sentence.others.get(lang, "") for sentence in q.result_sentences.values()]
    catalog = ROOT / "locales" / lang.replace("-", "_") / "LC_MESSAGES" / "messages.po"
    if catalog.exists():
        from babel.messages.pofile import read_po

        with catalog.open("rb") as handle:
            texts += [m.string for m in read_po(handle) if isinstance(m.string, str)]
    return [t for t in texts if t]


def characters(lang: str) -> set[str]:
    return {c for text in person_texts(lang) for c in text if not c.isspace()}


def covered(font: Path) -> set[str]:
    from fontTools.ttLib import TTFont

    return {chr(c) for c in TTFont(font).getBestCmap()}


def unpacked_package(workdir: Path) -> Path:
    """``npm pack`` the package into ``workdir`` and unpack it (npm is needed only here)."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is not installed: pass --package DIR (an unpacked @fontsource/noto-sans-sc)")
    name = subprocess.run([npm, "pack", PACKAGE, "--silent"], cwd=workdir, check=True, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1]
    with tarfile.open(workdir / name) as archive:
        archive.extractall(workdir, filter="data")
    return workdir / "package"


def subset(source: Path, target: Path, chars: set[str]) -> set[str]:
    from fontTools import subset as ft

    wanted = chars | ALWAYS
    available = covered(source)
    missing = {c for c in chars if c not in available}
    options = ft.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keep the copyright and licence names (OFL)
    options.notdef_outline = True
    font = ft.load_font(str(source), options)
    subsetter = ft.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in wanted if c in available])
    subsetter.subset(font)
    ft.save_font(font, str(target), options)
    return missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", type=Path, help="an unpacked @fontsource/noto-sans-sc package")
    parser.add_argument("--check", action="store_true", help="only check that the served subset covers the texts")
    args = parser.parse_args()
    chars = characters(LANG)
    if args.check:
        missing = sorted(chars - covered(TARGET))
        print(f"{len(chars)} characters in the {LANG} texts; missing from {TARGET.name}: {''.join(missing) or 'none'}")
        return 1 if missing else 0
    with tempfile.TemporaryDirectory(prefix="fonts-") as workdir:
        package = args.package or unpacked_package(Path(workdir))
        missing = subset(package / SOURCE, TARGET, chars)
    print(f"{TARGET.relative_to(ROOT)}: {len(chars)} characters of the {LANG} texts, {TARGET.stat().st_size} bytes")
    if missing:
        print(f"not in Noto Sans SC's Simplified Chinese slice: {''.join(sorted(missing))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
