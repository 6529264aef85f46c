"""Numbers written in the user's language: Khmer digits (០-៩) inside Khmer text."""
from __future__ import annotations

from flask_babel import get_locale

KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def in_language(text, language: str | None) -> str:
    """``text`` with its ASCII digits as Khmer digits when ``language`` is Khmer: the one
    rule for the web pages, the SMS/USSD texts and the notices to services."""
    return str(text).translate(KHMER_DIGITS) if language == "km" else str(text)


def local_digits(text) -> str:
    """``text`` with its ASCII digits as Khmer digits when the page is in Khmer."""
    return in_language(text, str(get_locale() or "km"))
