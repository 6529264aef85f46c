"""Numbers written in the user's language: Khmer digits (០-៩) inside Khmer text."""
from __future__ import annotations

from flask_babel import get_locale

KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def local_digits(text) -> str:
    """``text`` with its ASCII digits as Khmer digits when the page is in Khmer."""
    return str(text).translate(KHMER_DIGITS) if str(get_locale() or "km") == "km" else str(text)
