"""Phone numbers: E.164 via ``phonenumbers``, keyed hashes for look-ups, masks for display."""
from __future__ import annotations

import phonenumbers

from . import crypto


class PhoneError(ValueError):
    pass


def normalise(raw: str, region: str = "KH") -> str:
    """E.164 form of ``raw`` (a Cambodian number unless it starts with +), or PhoneError."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise PhoneError("not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise PhoneError("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_hash(e164: str) -> str:
    return crypto.keyed_hash(e164, "phone")


def mask(e164: str | None) -> str:
    """+85512***678: enough for staff to recognise a number, not to read it out."""
    if not e164:
        return ""
    return e164[:6] + "***" + e164[-3:] if len(e164) > 9 else "***"
