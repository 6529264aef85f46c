"""What the figures pages show: each figure's title, its categories in words, and bar
charts drawn on the server as SVG (no script, no library, nothing from outside). Every
chart has the same numbers as an accessible table beneath it in the template.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

import questionnaires

from ..core import places
from ..referrals.presenters import SEX_WORDS, STATE_WORDS
from ..screening.presenters import FLAG_WORDS, TIER_WORDS

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 150
WIDTH = 460


def bar_chart(chart_id: str, title: str, rows: list[tuple[str, int]]) -> Markup:
    top = max((value for _, value in rows), default=0) or 1
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    span = WIDTH - LABEL_WIDTH - 50
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(chart_id)}-title" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for index, (label, value) in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        width = max(1, round(span * value / top)) if value else 0
        parts.append(
            f'<g class="bar" data-label="{escape(label)}" data-value="{value}">'
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 16}" text-anchor="end" font-size="13">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" fill="#0b5cad"></rect>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + 16}" font-size="13">{value}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value in it went through escape() or is a number


TITLES = {
    "month": _l("Screenings by month"),
    "week": _l("Screenings by week (last 12)"),
    "tier": _l("Result of the engine"),
    "confirmed_tier": _l("Result confirmed by a supervisor"),
    "channel": _l("Channel"),
    "post": _l("Border post"),
    "province": _l("Province"),
    "sex": _l("Sex"),
    "age_band": _l("Age group"),
    "sector": _l("Sector of work"),
    "return_mode": _l("How the person came back"),
    "trafficking_type": _l("Type of trafficking"),
    "referral_outcome": _l("Referral outcomes"),
}


def label(key: str, value: str) -> str:
    if key in ("tier", "confirmed_tier"):
        return str(TIER_WORDS.get(value, value))
    if key == "sex":
        return str(SEX_WORDS.get(value, value))
    if key == "referral_outcome":
        return str(STATE_WORDS.get(value, value))
    if key in ("sector", "return_mode"):
        # The labels of the newest version that has the role (versions only add options).
        for version in reversed(questionnaires.available_versions()):
            question = questionnaires.load(version).by_role(key)
            option = next((o for o in question.options if o.value == value), None) if question else None
            if option:
                return option.label.get(places.lang())
        return str(_l("Unknown")) if value == "unknown" else value
    if key == "channel":
        return {"web": "Web", "sms": "SMS", "ussd": "USSD"}.get(value, value)
    if key == "trafficking_type":
        return str(FLAG_WORDS.get(value, value))
    if key == "province":
        return places.province_name(value) if value != "ABR" else str(_l("Abroad"))
    if key == "post":
        return places.post_name(value)
    return value
