"""Bar charts drawn on the server as SVG: no script, no library, nothing from outside.

Every chart has the same numbers as an accessible table beneath it in the template.
"""
from __future__ import annotations

from markupsafe import Markup, escape

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
    return Markup("".join(parts))
