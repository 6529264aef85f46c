"""The linkage key: a keyed hash of birth year, sex, home province and (when the screener
records them) name initials. Two screenings of one person share it, so a supervisor can be
warned of a possible repeat without anyone seeing who the person is."""
from __future__ import annotations

import unicodedata

from ..core import crypto
from .models import Screening


def normalise_initials(raw: str | None) -> str:
    letters = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in letters.upper() if ch.isalpha())


def birth_year(screening: Screening) -> int | None:
    age = screening.answer_map().get("age")
    return screening.created_at.year - age if isinstance(age, int) else None


def keys_for(sex: str | None, province: str | None, year: int | None, initials: str) -> list[str]:
    """The key for a birth year, then its neighbours': an age told a year apart still links."""
    if not sex or sex == "unknown" or not province or province == "unknown" or year is None:
        return []
    return [crypto.keyed_hash(f"{y}|{sex}|{province}|{initials}", "linkage") for y in (year, year - 1, year + 1)]


def keys_of(screening: Screening) -> list[str]:
    answers = screening.answer_map()
    return keys_for(answers.get("sex"), answers.get("home_province"), birth_year(screening),
                    normalise_initials(screening.initials))


def update(screening: Screening) -> None:
    keys = keys_of(screening)
    screening.linkage_key = keys[0] if keys else None
