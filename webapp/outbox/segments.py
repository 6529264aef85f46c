"""How many SMS segments a text costs, and whether it fits our budgets.

A message in the GSM 03.38 default alphabet is sent in 7-bit septets: 160 in one segment,
153 per segment once split (the rest of each segment carries the concatenation header).
Extension-table characters (``^{}\\[~]|€``) take two septets and are never split across
segments. Any other character (all of Khmer) makes the whole message UCS-2: 70 UTF-16
units in one segment, 67 per segment once split.

A multipart message is packed the way Twilio's own segment calculator packs it
(``SegmentedMessage`` of TwilioDevEd/message-segment-calculator): whole user-perceived
characters (Unicode extended grapheme clusters) go into each part, and one that does not fit
moves whole to the next part. So a Khmer cluster (consonant, COENG and subscripts, vowel signs,
diacritics), a surrogate pair (emoji) or a GSM-7 escape pair is never split, and a 134-unit
Khmer text with a cluster across the 67th unit takes 3 segments, not 2. The clusters come
from the ``regex`` module's ``\\X``, which follows the current Unicode rules and keeps a
COENG with the consonant it subscripts; Twilio's calculator (an older splitter) may cut
there, so our count is never below the calculator's.

Budgets: a Khmer message may take 2 UCS-2 segments (at most 134 units, fewer when a cluster
would straddle the parts); an English message
must be one GSM-7 segment (160 septets), so it never silently doubles in price.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

KHMER_MAX_SEGMENTS = 2
ENGLISH_MAX_SEGMENTS = 1
# USSD screens: characters shown, not segments.
USSD_GSM7_MAX = 182
USSD_UCS2_MAX = 80


@dataclass(frozen=True)
class Cost:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _gsm7_weight(ch: str) -> int:
    return 2 if ch in GSM7_EXTENSION else 1


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
        weights = [_gsm7_weight(ch) for ch in text]
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


def segments(text: str) -> int:
    return cost(text).segments


def ucs2_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fits_sms(text: str, language: str) -> bool:
    """Whether ``text`` fits the budget of one message in ``language``."""
    found = cost(text)
    if language == "en":
        return found.encoding == "GSM-7" and found.segments <= ENGLISH_MAX_SEGMENTS
    return found.segments <= KHMER_MAX_SEGMENTS


def fits_ussd(text: str) -> bool:
    """A USSD screen: 182 GSM-7 characters, or 80 when it needs UCS-2."""
    if is_gsm7(text):
        return sum(_gsm7_weight(ch) for ch in text) <= USSD_GSM7_MAX
    return ucs2_units(text) <= USSD_UCS2_MAX
