"""Text budgets of the phone channels, and how a text is counted against them: the one place
that counts SMS segments (webapp.outbox.segments builds on it), checked by the loader for every
question.

An SMS text must leave room for its answer key; a USSD label for its menu. The numbers are
those the SMS and USSD renderers were designed around (questionnaires/README.md, Budgets).

Counting. A message in the GSM 03.38 default alphabet is sent in 7-bit septets: 160 in one
segment, 153 per segment once split (the rest carries the concatenation header).
Extension-table characters (``^{}\\[~]|€``) take two septets. Any other character (all of
Khmer) makes the whole message UCS-2: 70 UTF-16 units in one segment, 67 per segment once
split.

A multipart message is packed the way Twilio's own segment calculator packs it
(``SegmentedMessage`` of TwilioDevEd/message-segment-calculator): whole user-perceived
characters (Unicode extended grapheme clusters) go into each part, and one that does not fit
moves whole to the next part. So a Khmer cluster (consonant, COENG and subscripts, vowel signs,
diacritics), a surrogate pair (emoji) or a GSM-7 escape pair is never split, and a 134-unit
Khmer text with a cluster across the 67th unit takes 3 segments, not 2. The clusters come from
the ``regex`` module's ``\\X``, which follows the current Unicode rules and keeps a COENG with
the consonant it subscripts; Twilio's calculator (an older splitter) may cut there, so this
count is never below the calculator's.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXT = frozenset("^{}\\[~]|€\f")
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
# A Khmer SMS may take 2 UCS-2 segments; an English one must be one GSM-7 segment.
SMS_MAX_SEGMENTS = {"km": 2, "en": 1}
# (field, language): (unit, limit)
BUDGETS = {
    ("sms", "km"): ("ucs2", 134),
    ("sms", "en"): ("gsm7", 160),
    ("ussd", "km"): ("ucs2", 80),
    ("ussd", "en"): ("gsm7", 182),
}


@dataclass(frozen=True)
class Cost:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7 or ch in GSM7_EXT for ch in text)


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


_CLUSTER = regex.compile(r"\X")


def clusters(text: str) -> list[str]:
    """The user-perceived characters of ``text`` (extended grapheme clusters)."""
    return _CLUSTER.findall(text)


@lru_cache(maxsize=4096)
def cost(text: str) -> Cost:
    """Encoding, length in units and number of segments of ``text`` as one SMS."""
    if is_gsm7(text):
        # Every GSM-7 character is its own cluster (the table has no combining marks), so a
        # character's septets are the unit that is never split: an escape pair stays whole.
        weights = [2 if ch in GSM7_EXT else 1 for ch in text]
        return Cost("GSM-7", sum(weights), _segments(weights, GSM7_SINGLE, GSM7_PART))
    weights = [ucs2_units(cluster) for cluster in clusters(text)]
    return Cost("UCS-2", sum(weights), _segments(weights, UCS2_SINGLE, UCS2_PART))


def _segments(weights: list[int], single: int, part: int) -> int:
    """Parts needed for units that may not be split, each ``weights[i]`` long."""
    total = sum(weights)
    if total == 0:
        return 0
    if total <= single:
        return 1
    count, used = 1, 0
    for weight in weights:
        if used + weight > part:  # the whole unit (cluster, escape pair) moves to the next part
            count += 1
            used = 0
        used += weight
    return count


def over_budget(field: str, language: str, text: str) -> str | None:
    """Why ``text`` does not fit the budget of ``field.language``, or None when it does."""
    unit, limit = BUDGETS[(field, language)]
    if unit == "ucs2":
        used = ucs2_units(text)
        if used > limit:
            return f"{used} UTF-16 units, over the budget of {limit}"
        segments = cost(text).segments if field == "sms" else 0
        if segments > SMS_MAX_SEGMENTS[language]:
            return (f"{used} UTF-16 units but {segments} segments (a character cluster straddles "
                    f"two parts), over the budget of {SMS_MAX_SEGMENTS[language]}")
        return None
    used = gsm7_length(text)
    if used is None:
        bad = next(ch for ch in text if ch not in GSM7 and ch not in GSM7_EXT)
        return f"uses {bad!r}, which is not a GSM-7 character"
    return f"{used} GSM-7 characters, over the budget of {limit}" if used > limit else None
