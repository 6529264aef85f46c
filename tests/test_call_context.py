"""A hotline call's start rules live with the screening's context (plain Python, every
channel's): safe to talk first, a call-back number only with the caller's agreement."""
from __future__ import annotations

import pytest

from webapp.screening.operations import Context, ScreeningError, UnsafeCall

CALL = {"kind": "caller", "safe_to_talk": "yes", "caller_province": "BMC", "district": "Poipet",
        "callback": "yes", "callback_phone": "012 345 678"}


def test_a_caller_who_cannot_talk_safely_starts_no_screening():
    with pytest.raises(UnsafeCall):
        Context.from_start({**CALL, "safe_to_talk": "no"})
    with pytest.raises(ScreeningError) as error:
        Context.from_start({**CALL, "safe_to_talk": ""})
    assert error.value.field == "safe_to_talk"


def test_the_call_back_number_is_kept_only_with_the_callers_agreement():
    agreed = Context.from_start(CALL).validated()
    assert agreed.callback_phone == "+85512345678"
    assert (agreed.province_code, agreed.city) == ("BMC", "Poipet")
    refused = Context.from_start({**CALL, "callback": "no"}).validated()
    assert refused.callback_phone is None
    with pytest.raises(ScreeningError) as error:
        Context.from_start({**CALL, "callback_phone": "  "})
    assert error.value.field == "callback_phone"


def test_other_kinds_pass_through():
    context = Context.from_start({"kind": "province", "province_code": "BMC", "safe_to_talk": "no"}).validated()
    assert (context.kind, context.province_code) == ("province", "BMC")
