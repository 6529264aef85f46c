"""Translation workflow: extract, update, fill the English catalog, compile.

    python scripts/i18n.py extract   # webapp/ and sms/ -> locales/messages.pot
    python scripts/i18n.py update    # merge the .pot into every catalog
    python scripts/i18n.py compile   # .po -> .mo (run by scripts/run and scripts/test)

The English catalog mirrors the source strings (English is the source language), so the
"every catalog is complete" test holds for it by construction; Khmer is translated by hand
in locales/km/LC_MESSAGES/messages.po.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"


def run(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def extract() -> None:
    run("extract", "-F", "babel.cfg", "-k", "_l", "-o", str(POT), "--no-location", "--sort-output",
        "--project", "screening", "--copyright-holder", "screening project", ".")


def update() -> None:
    run("update", "-i", str(POT), "-d", str(LOCALES), "--no-fuzzy-matching", "--ignore-obsolete")
    fill_english()


def fill_english() -> None:
    path = LOCALES / "en" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if message.id and not message.string:
            message.string = message.id
        message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, no_location=True, sort_output=True)


def compile_() -> None:
    run("compile", "-d", str(LOCALES), "--statistics")


if __name__ == "__main__":
    commands = {"extract": extract, "update": update, "compile": compile_, "fill-english": fill_english}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(commands)}")
    commands[sys.argv[1]]()
