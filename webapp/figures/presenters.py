"""What the figures pages show: each figure's title, its categories in words, and bar
charts drawn on the server as SVG (no script, no library, nothing from outside). Every
chart has the same numbers as an accessible table beneath it in the template.

Sized for a phone (issue 14 item 7): the chart is about as wide as a 360 px screen, so its
text is drawn near its real size, and each label sits on its own lines above its bar,
wrapped (between words, or inside a long Khmer word between letter clusters) so that no
label is ever clipped.
"""
from __future__ import annotations

import unicodedata

from babel import Locale, UnknownLocaleError
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

import questionnaires
from questionnaires.budgets import clusters  # grapheme clusters (regex \X): a Khmer conjunct stays whole

from ..core import places
from ..referrals.presenters import SEX_WORDS, STATE_WORDS
from ..screening.presenters import CHANNEL_WORDS, FLAG_WORDS, TIER_WORDS

WIDTH = 320
FONT = 14
LINE = 19  # label line height
BAR_HEIGHT = 16
GAP = 10
VALUE_ROOM = 52  # right of the longest bar: its number
# Upper bounds of a glyph's advance in ems: overestimated on purpose, so that a label
# wraps a little early rather than runs past the edge.
KHMER_EM, WIDE_EM, NARROW_EM = 0.85, 0.9, 0.62


def advance(cluster: str) -> float:
    """The widest a cluster can be drawn, in px at FONT size."""
    base = cluster[0]
    if "\u1780" <= base <= "\u17ff":
        return FONT * KHMER_EM
    if base.isupper() or unicodedata.east_asian_width(base) in ("W", "F"):
        return FONT * WIDE_EM
    return FONT * NARROW_EM


def wrap(label: str, width: float = WIDTH) -> list[str]:
    """The label in lines no wider than ``width``: breaks between words, else between clusters."""
    lines: list[str] = []
    line, used = "", 0.0
    for word in label.split(" "):
        pieces = clusters(word)
        size = sum(advance(p) for p in pieces)
        space = advance(" ") if line else 0.0
        if line and used + space + size <= width:
            line, used = f"{line} {word}", used + space + size
            continue
        if line:
            lines.append(line)
            line, used = "", 0.0
        for piece in pieces:  # a word wider than a line is cut between clusters
            if used + advance(piece) > width and line:
                lines.append(line)
                line, used = "", 0.0
            line, used = line + piece, used + advance(piece)
    if line or not lines:
        lines.append(line)
    return lines


def bar_chart(chart_id: str, title: str, rows: list[tuple[str, int]], number=str) -> Markup:
    """``number``: how a count is written (Khmer digits in Khmer)."""
    top = max((value for _, value in rows), default=0) or 1
    span = WIDTH - VALUE_ROOM
    body: list[str] = []
    y = GAP
    for label, value in rows:
        lines = wrap(label)
        text = "".join(f'<tspan x="0" dy="{FONT if i == 0 else LINE}">{escape(line)}</tspan>'
                       for i, line in enumerate(lines))
        bar_y = y + FONT + (len(lines) - 1) * LINE + 6
        width = max(1, round(span * value / top)) if value else 0
        body.append(
            f'<g class="bar" data-label="{escape(label)}" data-value="{value}">'
            f'<text x="0" y="{y}" font-size="{FONT}">{text}</text>'
            f'<rect x="0" y="{bar_y}" width="{width}" height="{BAR_HEIGHT}" fill="#0b5cad"></rect>'
            f'<text x="{width + 6}" y="{bar_y + BAR_HEIGHT - 3}" font-size="{FONT}">{escape(number(value))}</text></g>'
        )
        y = bar_y + BAR_HEIGHT + GAP
    head = (f'<svg class="chart" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(chart_id)}-title" '
            f'viewBox="0 0 {WIDTH} {y}" width="100%" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>')
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every value in it went through escape() or is a number


TITLES = {
    "month": _l("Screenings by month"),
    "week": _l("Screenings by week (last 12)"),
    "tier": _l("Result of the engine"),
    "confirmed_tier": _l("Result confirmed by a supervisor"),
    "channel": _l("Channel"),
    "person_language": _l("The person's language"),
    "post": _l("Border post"),
    "province": _l("Province"),
    "sex": _l("Sex"),
    "age_band": _l("Age group"),
    "sector": _l("Sector of work"),
    "return_mode": _l("How the person came back"),
    "trafficking_type": _l("Type of trafficking"),
    "referral_outcome": _l("Referral outcomes"),
}


def language_name(code: str) -> str:
    """A person's language named in the reader's language (CLDR's names, through Babel:
    "វៀតណាម" for vi in Khmer, "Vietnamese" in English); no raw code in a Khmer page."""
    if code == "unknown":
        return str(_l("Unknown"))
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(places.lang()) or code
    except (ValueError, UnknownLocaleError):
        return code


def label(key: str, value: str) -> str:
    if key == "person_language":
        return language_name(value)
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
        return str(CHANNEL_WORDS.get(value, value))
    if key == "trafficking_type":
        return str(FLAG_WORDS.get(value, value))
    if key == "province":
        if value == "UNK":  # a hotline caller who did not say where they are
            return str(_l("Unknown"))
        return places.province_name(value) if value != "ABR" else str(_l("Abroad"))
    if key == "post":
        return places.post_name(value)
    return value
