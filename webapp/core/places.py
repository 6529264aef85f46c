"""Choice lists of provinces, border posts and countries, in the user's language."""
from __future__ import annotations

from babel import Locale
from flask_babel import get_locale

import questionnaires
from questionnaires.loader import country_codes

# Countries where Cambodians are most often screened or exploited come first in pickers.
# Cambodia first: almost everyone screened is Cambodian (as the SMS list, questionnaires/replies.py).
COMMON_COUNTRIES = ("KH", "TH", "VN", "MY", "LA", "MM", "CN", "KR", "JP", "SG", "ID", "PH", "TW", "SA")


def lang() -> str:
    return str(get_locale() or "km")


def province_choices() -> list[tuple[str, str]]:
    places = questionnaires.load_places()
    language = lang()
    return [(p.code, p.name.get(language)) for p in sorted(places.provinces, key=lambda p: p.name.en)]


def post_choices() -> list[tuple[str, str]]:
    places = questionnaires.load_places()
    language = lang()
    return [(c.code, c.name.get(language)) for c in places.crossings]


def country_name(code: str, language: str | None = None) -> str:
    locale = Locale.parse((language or lang()).replace("-", "_"))  # BCP-47 "zh-Hans" too
    return locale.territories.get(code) or Locale.parse("en").territories.get(code, code)


def country_choices(exclude: tuple[str, ...] = (), language: str | None = None) -> list[tuple[str, str]]:
    """Countries named in ``language`` (default: the user's), common ones first."""
    language = language or lang()
    common = [(c, country_name(c, language)) for c in COMMON_COUNTRIES if c not in exclude]
    rest = sorted(
        ((c, country_name(c, language)) for c in country_codes() if c not in COMMON_COUNTRIES and c not in exclude),
        key=lambda item: item[1],
    )
    return common + rest


def province_name(code: str | None) -> str:
    if not code:
        return ""
    province = questionnaires.load_places().province(code)
    return province.name.get(lang()) if province else code


def post_name(code: str | None) -> str:
    if not code:
        return ""
    crossing = questionnaires.load_places().crossing(code)
    return crossing.name.get(lang()) if crossing else code
