"""How many SMS segments a text costs, and whether it fits our budgets.

The counting itself lives in ``questionnaires.budgets`` (plain Python, so the questionnaire
loader checks every question's text by the same count): GSM-7 septets with the escape pairs
kept whole, else UCS-2 in 70 units or parts of 67, packed the way Twilio's segment calculator
packs them, whole grapheme clusters per part (a Khmer cluster or an emoji is never split).

Budgets: a Khmer message may take 2 UCS-2 segments (at most 134 units, fewer when a cluster
would straddle the parts); an English message must be one GSM-7 segment (160 septets), so it
never silently doubles in price. A USSD screen: 182 GSM-7 characters, or 80 UTF-16 units.
"""
from __future__ import annotations

from questionnaires.budgets import GSM7 as GSM7_BASIC
from questionnaires.budgets import GSM7_EXT as GSM7_EXTENSION
from questionnaires.budgets import (
    GSM7_PART,
    GSM7_SINGLE,
    SMS_MAX_SEGMENTS,
    UCS2_PART,
    UCS2_SINGLE,
    Cost,
    clusters,
    cost,
    gsm7_length,
    is_gsm7,
    ucs2_units,
)

# Re-exported: the outbox's names for the counting of questionnaires.budgets.
__all__ = [
    "ENGLISH_MAX_SEGMENTS", "GSM7_BASIC", "GSM7_EXTENSION", "GSM7_PART", "GSM7_SINGLE", "KHMER_MAX_SEGMENTS",
    "SMS_MAX_SEGMENTS", "UCS2_PART", "UCS2_SINGLE", "USSD_GSM7_MAX", "USSD_UCS2_MAX", "Cost", "clusters", "cost",
    "fits_sms", "fits_ussd", "gsm7_length", "is_gsm7", "segments", "ucs2_units",
]

KHMER_MAX_SEGMENTS = SMS_MAX_SEGMENTS["km"]
ENGLISH_MAX_SEGMENTS = SMS_MAX_SEGMENTS["en"]
USSD_GSM7_MAX = 182
USSD_UCS2_MAX = 80


def segments(text: str) -> int:
    return cost(text).segments


def fits_sms(text: str, language: str) -> bool:
    """Whether ``text`` fits the budget of one message in ``language``."""
    found = cost(text)
    if language == "en":
        return found.encoding == "GSM-7" and found.segments <= ENGLISH_MAX_SEGMENTS
    return found.segments <= KHMER_MAX_SEGMENTS


def fits_ussd(text: str) -> bool:
    """A USSD screen: 182 GSM-7 characters, or 80 when it needs UCS-2."""
    septets = gsm7_length(text)
    if septets is not None:
        return septets <= USSD_GSM7_MAX
    return ucs2_units(text) <= USSD_UCS2_MAX
