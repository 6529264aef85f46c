"""Segment counting: GSM-7 with its extension table, UCS-2 with surrogate pairs."""
from __future__ import annotations

from webapp.outbox.segments import cost, fits_sms, fits_ussd, segments


def test_gsm7_single_and_multipart():
    assert cost("a" * 160) == cost("a" * 160).__class__("GSM-7", 160, 1)
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3


def test_gsm7_extension_characters_count_twice_and_are_not_split():
    assert cost("€" * 80).units == 160 and segments("€" * 80) == 1
    assert segments("€" * 81) == 2
    # 152 plain septets then an escape pair: the pair moves whole to the next segment.
    assert segments("a" * 152 + "[" + "a" * 152) == 3


def test_ucs2_single_and_multipart():
    assert cost("ក" * 70) == cost("ក" * 70).__class__("UCS-2", 70, 1)
    assert segments("ក" * 71) == 2
    assert segments("ក" * 134) == 2
    assert segments("ក" * 135) == 3


def test_one_non_gsm_character_makes_the_whole_message_ucs2():
    assert cost("a" * 100 + "’").encoding == "UCS-2"
    assert segments("a" * 100 + "’") == 2


def test_emoji_are_surrogate_pairs_never_split():
    assert cost("🙂").units == 2
    assert segments("🙂" * 35) == 1
    assert segments("a" + "🙂" * 34) == 1  # 69 units
    # 134 units, but the pair cannot straddle segments 1 and 2: three segments, not two.
    assert segments("a" * 66 + "🙂" + "a" * 66) == 3


def test_budgets():
    assert fits_sms("ក" * 134, "km") and not fits_sms("ក" * 135, "km")
    assert fits_sms("a" * 160, "en") and not fits_sms("a" * 161, "en")
    assert not fits_sms("curly ’ quote", "en")  # English must stay GSM-7
    assert fits_ussd("a" * 182) and not fits_ussd("a" * 183)
    assert fits_ussd("ក" * 80) and not fits_ussd("ក" * 81)
