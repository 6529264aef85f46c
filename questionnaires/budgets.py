"""Text budgets of the phone channels, checked by the loader for every question.

An SMS text must leave room for its answer key; a USSD label for its menu. The numbers are
those the SMS and USSD renderers were designed around (questionnaires/README.md, Budgets).
"""
from __future__ import annotations

GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXT = frozenset("^{}\\[~]|€")
# (field, language): (unit, limit)
BUDGETS = {
    ("sms", "km"): ("ucs2", 134),
    ("sms", "en"): ("gsm7", 160),
    ("ussd", "km"): ("ucs2", 80),
    ("ussd", "en"): ("gsm7", 182),
}


def gsm7_length(text: str) -> int | None:
    """Septets needed in GSM-7, or None when the text needs UCS-2."""
    length = 0
    for char in text:
        if char in GSM7:
            length += 1
        elif char in GSM7_EXT:
            length += 2
        else:
            return None
    return length


def ucs2_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def over_budget(field: str, language: str, text: str) -> str | None:
    """Why ``text`` does not fit the budget of ``field.language``, or None when it does."""
    unit, limit = BUDGETS[(field, language)]
    if unit == "ucs2":
        used = ucs2_units(text)
        return f"{used} UTF-16 units, over the budget of {limit}" if used > limit else None
    used = gsm7_length(text)
    if used is None:
        bad = next(ch for ch in text if ch not in GSM7 and ch not in GSM7_EXT)
        return f"uses {bad!r}, which is not a GSM-7 character"
    return f"{used} GSM-7 characters, over the budget of {limit}" if used > limit else None
