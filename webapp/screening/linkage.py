"""The linkage key: a keyed hash of birth year, sex, home province and (when the screener
records them) name initials. Two screenings of one person share it, so a supervisor can be
warned of a possible repeat without anyone seeing who the person is.

The fields are the answers of the questions the screening's questionnaire tags for the
linkage key (roles age, sex, home_province), whatever their codes: a person screened once
with version 1 and once with version 2 gets the same key."""
from __future__ import annotations

import unicodedata

import questionnaires
from questionnaires import meaning

from ..core import crypto
from .models import Screening


def normalise_initials(raw: str | None) -> str:
    letters = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in letters.upper() if ch.isalpha())


def fields_of(screening: Screening) -> dict:
    q = questionnaires.load(screening.questionnaire_version)
    return meaning.linkage_fields(q, screening.answer_map())


def birth_year(screening: Screening) -> int | None:
    age = fields_of(screening).get("age")
    return screening.created_at.year - age if isinstance(age, int) else None


def keys_for(sex: str | None, province: str | None, year: int | None, initials: str) -> list[str]:
    """The key for a birth year, then its neighbours': an age told a year apart still links."""
    if not sex or sex == "unknown" or not province or province == "unknown" or year is None:
        return []
    return [crypto.keyed_hash(f"{y}|{sex}|{province}|{initials}", "linkage") for y in (year, year - 1, year + 1)]


def keys_of(screening: Screening) -> list[str]:
    fields = fields_of(screening)
    age = fields.get("age")
    year = screening.created_at.year - age if isinstance(age, int) else None
    return keys_for(fields.get("sex"), fields.get("home_province"), year, normalise_initials(screening.initials))


def update(screening: Screening) -> None:
    keys = keys_of(screening)
    screening.linkage_key = keys[0] if keys else None
