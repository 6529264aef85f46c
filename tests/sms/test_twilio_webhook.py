"""POST /sms/twilio: signed posts only, strangers get nothing, retries change nothing, and a
complete Khmer screening lands every answer once."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from sms.models import InboundMessage, SmsSession
from tests.sms.conftest import (
    ACCOUNT_SID,
    PUBLIC_BASE,
    STAFF_PHONE,
    STRANGER_PHONE,
    make_staff,
    new_sid,
    post_sms,
    sign,
)
from tests.sms.helpers import CASE_NUMBER, asked_codes_in_sms, asked_in_sms, group_reply, stored_counts
from webapp.extensions import db as database
from webapp.outbox.segments import fits_sms
from webapp.screening.models import Screening


def likely_victim(vignettes):
    return next(v for v in vignettes if v["expected"]["tier"] == "likely_victim")


def test_complete_khmer_screening_lands_every_answer_once(channel_app, channel_client, staff, vignettes):
    answers = likely_victim(vignettes)["answers"]
    response, texts = post_sms(channel_client, "ពិនិត្យ")
    codes = asked_codes_in_sms(texts)
    assert codes == ["consent"]
    sent: dict = {}
    posts = 1
    while codes and "ទំនងជាជនរងគ្រោះ" not in "\n".join(texts):
        # Questions the example leaves out (asked together with needed ones) are answered no.
        given = {code: answers.get(code, "no") for code in codes}
        response, texts = post_sms(channel_client, group_reply(codes, given, posts))
        posts += 1
        assert response.status_code == 200
        assert all(fits_sms(text, "km") for text in texts), texts
        sent.update(given)
        codes = asked_codes_in_sms(texts)
    result = "\n".join(texts)
    assert "ទំនងជាជនរងគ្រោះ" in result
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening)).one()
        assert screening.status == "complete" and screening.tier == "likely_victim"
        assert screening.channel == "sms" and screening.language == "km" and screening.training is False
        assert screening.post_code == "POIPET" and screening.case_province == "BMC"
        assert CASE_NUMBER.search(result).group() == screening.case_number
        stored = [(answer.code, answer.typed_value()) for answer in screening.answers]
        assert sorted(code for code, _ in stored) == sorted(sent)  # each answer exactly once
        assert dict(stored) == sent
        assert len(database.session.scalars(select(InboundMessage)).all()) == posts
        session = database.session.scalars(select(SmsSession)).one()
        # Complete; its referral waits for the person's consent (test_referral_dialogue.py).
        assert session.state == "share" and session.screening_id == screening.id
    # Skipping left questions out, but never the profile questions referral needs.
    assert {"age", "sex", "nationality", "exploitation_country", "sector", "home_province"} <= set(sent)
    assert len(sent) < len(answers)


def test_english_speaker_gets_english_prompts(channel_app, channel_client):
    make_staff(channel_app, language="en")
    _, texts = post_sms(channel_client, "screen")
    assert asked_in_sms(texts, "en") == "consent"
    _, texts = post_sms(channel_client, "yes")
    assert texts[0].startswith("Case KH-BMC-") and asked_in_sms(texts, "en") == "U1"
    _, texts = post_sms(channel_client, "ខ្មែរ")
    assert texts[0].startswith("ភាសា៖ ខ្មែរ។") and asked_in_sms(texts, "km") == "U1"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": "not-a-signature"},
        "wrong token",
        "wrong url",
    ],
    ids=["unsigned", "garbage signature", "signed with another token", "signed for another URL"],
)
def test_unsigned_or_wrongly_signed_posts_get_403_and_store_nothing(channel_app, channel_client, staff, headers):
    data = {"MessageSid": new_sid(), "AccountSid": ACCOUNT_SID, "From": STAFF_PHONE, "Body": "SCREEN"}
    if headers == "wrong token":
        headers = {"X-Twilio-Signature": sign("/sms/twilio", data, token="another-token")}
    elif headers == "wrong url":
        from twilio.request_validator import RequestValidator

        signature = RequestValidator("test-twilio-auth-token").compute_signature("http://localhost/sms/twilio", data)
        headers = {"X-Twilio-Signature": signature}
    response = channel_client.post("/sms/twilio", data=data, headers=headers)
    assert response.status_code == 403
    with channel_app.app_context():
        assert set(stored_counts(database).values()) == {0}


def test_a_signature_over_other_parameters_is_refused(channel_app, channel_client, staff):
    data = {"MessageSid": new_sid(), "From": STAFF_PHONE, "Body": "SCREEN"}
    signature = sign("/sms/twilio", data)
    data["Body"] = "1"  # tampered after signing
    assert channel_client.post("/sms/twilio", data=data, headers={"X-Twilio-Signature": signature}).status_code == 403


def test_no_auth_token_configured_refuses_everything(channel_app, channel_client, staff):
    from dataclasses import replace

    channel_app.config["APP_CONFIG"] = replace(channel_app.config["APP_CONFIG"], twilio_auth_token="")
    response, _ = post_sms(channel_client, "SCREEN")
    assert response.status_code == 403


def test_unregistered_phone_gets_the_neutral_reply_and_nothing_is_stored(channel_app, channel_client, staff):
    for body in ("SCREEN", "1", "ពិនិត្យ POIPET", ""):
        response, texts = post_sms(channel_client, body, phone=STRANGER_PHONE)
        assert response.status_code == 200
        assert texts == ["សូមទោស យើងមិនអាចឆ្លើយតបលេខនេះបានទេ។ Sorry, we cannot reply to this number."]
    response, texts = post_sms(channel_client, "SCREEN", phone="whatsapp:+85512000001")
    assert len(texts) == 1 and "Sorry" in texts[0]
    with channel_app.app_context():
        assert set(stored_counts(database).values()) == {0}


def test_an_inactive_staff_phone_is_a_stranger(channel_app, channel_client, staff):
    from webapp.auth.models import User

    with channel_app.app_context():
        database.session.get(User, staff).active = False
        database.session.commit()
    _, texts = post_sms(channel_client, "SCREEN")
    assert "Sorry" in texts[0]
    with channel_app.app_context():
        assert stored_counts(database)["sms_sessions"] == 0


def test_the_same_message_sid_five_times_changes_state_once(channel_app, channel_client, staff):
    post_sms(channel_client, "SCREEN")
    consent_sid = new_sid()
    replies = [post_sms(channel_client, "1", sid=consent_sid)[1] for _ in range(5)]
    assert all(reply == replies[0] for reply in replies) and asked_in_sms(replies[0]) == "U1"
    answer_sid = new_sid()
    replies = [post_sms(channel_client, "2", sid=answer_sid)[1] for _ in range(5)]
    assert all(reply == replies[0] for reply in replies) and asked_in_sms(replies[0]) == "U2"
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening)).one()  # one screening, not five
        assert [a.code for a in screening.answers] == ["consent", "U1"]
        assert database.session.scalars(select(SmsSession)).one().question == "U2"
        assert len(database.session.scalars(select(InboundMessage)).all()) == 3


@pytest.mark.parametrize("word", ["STOP", "stop", "END", "Cancel", "QUIT", "UNSUBSCRIBE", "START"])
def test_opt_out_words_are_never_commands(channel_app, channel_client, staff, word):
    post_sms(channel_client, "SCREEN")
    post_sms(channel_client, "1")
    response, texts = post_sms(channel_client, word)
    assert response.status_code == 200 and texts == []
    with channel_app.app_context():
        session = database.session.scalars(select(SmsSession)).one()
        assert session.state == "asking" and session.question == "U1"


def test_twiml_reply_is_xml(channel_client, staff):
    response, _ = post_sms(channel_client, "hello")
    assert response.mimetype == "application/xml"
    assert response.get_data(as_text=True).startswith("<?xml")


def test_query_string_is_part_of_the_signed_url(channel_app, channel_client, staff):
    data = {"MessageSid": new_sid(), "From": STAFF_PHONE, "Body": "hello"}
    from twilio.request_validator import RequestValidator

    signature = RequestValidator("test-twilio-auth-token").compute_signature(PUBLIC_BASE + "/sms/twilio?x=1", data)
    ok = channel_client.post("/sms/twilio?x=1", data=data, headers={"X-Twilio-Signature": signature})
    assert ok.status_code == 200
    data["MessageSid"] = new_sid()
    wrong = channel_client.post("/sms/twilio?x=2", data=data, headers={"X-Twilio-Signature": signature})
    assert wrong.status_code == 403
