"""Segment counting: GSM-7 with its extension table, UCS-2 with surrogate pairs."""
from __future__ import annotations

import pytest

from webapp.outbox.segments import clusters, cost, fits_sms, fits_ussd, segments


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


# Three Khmer texts of exactly 134 UTF-16 units that Twilio's segment calculator counts as 3
# segments (../shared/reviews/cross-checks.md section 3a): a 2-unit cluster straddles the end
# of part 1 (67 units), moves whole to part 2, and the last unit spills into a third part.
TWILIO_THREE = {
    "error:M14": "សូមទោស មិនយល់ចម្លើយទេ។ សូមឆ្លើយលេខ 1 2 3 ឬ 4។\n"
                 "មានគេហាមមិនឱ្យអ្នកទាក់ទងក្រុមគ្រួសារ ឬប្រើទូរស័ព្ទទេ?\n1 បាទ/ចាស 2 ទេ 3 មិនដឹង 4 មិនឆ្លើយ",
    "started:M4": "ករណី KH-ABR-2026-999999។ 0=ថយ 9=ជំនួយ\n"
                  "គេសន្យាធ្វើឯកសារស្របច្បាប់ ឬប័ណ្ណការងារឱ្យអ្នក តែមិនដែលបានទេ?\n1 បាទ/ចាស 2 ទេ 3 មិនដឹង 4 មិនឆ្លើយ",
    "started:M12": "ករណី KH-ABR-2026-999999។ 0=ថយ 9=ជំនួយ\n"
                   "មានគេគំរាមហៅប៉ូលិស ឬអន្តោប្រវេសន៍ បើអ្នកត្អូញត្អែរ ឬចង់ចេញទេ?\n1 បាទ/ចាស 2 ទេ 3 មិនដឹង 4 មិនឆ្លើយ",
}


@pytest.mark.parametrize("name", sorted(TWILIO_THREE))
def test_a_khmer_cluster_is_never_split_across_segments(name):
    text = TWILIO_THREE[name]
    assert cost(text).units == 134  # 2 x 67: two parts if one could cut anywhere
    assert segments(text) == 3
    assert not fits_sms(text, "km")


def test_cluster_packing():
    # 66 single-unit characters, then ក់ (KA + BANTOC, 2 units, one cluster): it cannot end part 1.
    assert segments("ក" * 66 + "ក់" + "ក" * 65) == 2  # 133 units: 66 | 67
    assert segments("ក" * 66 + "ក់" + "ក" * 66) == 3  # 134 units: 66 | 67 | 1
    assert segments("ក" * 67 + "ក់" + "ក" * 65) == 2  # 134 units, boundary between clusters
    # A consonant with COENG and its subscript (ស្រ្តី, 6 units) moves whole too.
    assert segments("ក" * 64 + "ស្រ្តី" + "ក" * 64) == 3
    assert segments("ក" * 61 + "ស្រ្តី" + "ក" * 67) == 2
    # An emoji with a skin tone is two surrogate pairs but one cluster (4 units): it moves whole.
    assert segments("a" * 65 + "👍🏽" + "a" * 65) == 3
    # Within one segment, clusters do not matter: 70 units is one segment.
    assert segments("ក់" * 35) == 1 and segments("ក់" * 36) == 2


def test_clusters():
    assert clusters("ទាក់ទង") == ["ទា", "ក់", "ទ", "ង"]
    assert clusters("a🙂\n") == ["a", "🙂", "\n"]
