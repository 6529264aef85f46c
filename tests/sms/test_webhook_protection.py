"""The webhooks against an attacker who knows a staff phone number, or who captured one
signed request: the rate limit is spent only after authentication, a re-cut replay is
refused, only url-encoded forms are read. Rate limits are on (an app of its own)."""
from __future__ import annotations

from io import BytesIO

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from tests.conftest import make_config
from tests.sms.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE,
    STAFF_PHONE,
    USSD_SECRET,
    channel_app,  # noqa: F401  (fixture)
    make_staff,
    new_sid,
    post_sms,
    post_ussd,
    sign,
    twiml_messages,
)
from tests.sms.helpers import asked_in_sms, stored_counts
from webapp import create_app
from webapp.extensions import db as database
from webapp.outbox.models import OutboxMessage
from webapp.screening.models import Answer


@pytest.fixture
def limited_app(database_url, app):
    """The SMS channel configured, with the limits on (5 a minute per phone). Flask-Limiter
    keeps its switch and its memory on the one extension object: both are put back."""
    from webapp.extensions import limiter

    enabled = limiter.enabled
    limited = create_app(make_config(
        database_url, ratelimit_enabled=True, public_base_url=PUBLIC_BASE, twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN, ussd_shared_secret=USSD_SECRET,
        sms_rate_limit="5 per minute", ussd_rate_limit="5 per minute",
    ))
    limiter.reset()
    yield limited
    limiter.reset()
    limiter.enabled = enabled


def unsigned_sms(client, phone, **environ):
    data = {"MessageSid": new_sid(), "AccountSid": ACCOUNT_SID, "From": phone, "Body": "SCREEN"}
    return client.post("/sms/twilio", data=data, environ_base=environ).status_code


def test_unsigned_posts_naming_a_staff_phone_do_not_use_up_its_limit(limited_app):
    make_staff(limited_app)
    client = limited_app.test_client()
    codes = [unsigned_sms(client, STAFF_PHONE) for _ in range(30)]
    assert set(codes) <= {403, 429} and codes[0] == 403
    response, texts = post_sms(client, "SCREEN")  # the staff member's genuine message
    assert response.status_code == 200 and asked_in_sms(texts) == "consent"


def test_tokenless_ussd_naming_a_staff_phone_does_not_use_up_its_limit(limited_app):
    make_staff(limited_app)
    client = limited_app.test_client()
    codes = [post_ussd(client, "gw-1", "", token="wrong").status_code for _ in range(30)]
    assert set(codes) <= {403, 429} and codes[0] == 403
    response = post_ussd(client, "gw-1", "")
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("CON ")


def test_an_unauthenticated_flood_is_limited_by_its_address_only(limited_app):
    client = limited_app.test_client()
    # A different phone each time: no per-phone limit could ever stop this.
    codes = [unsigned_sms(client, f"+855120001{n:02d}", REMOTE_ADDR="192.0.2.7") for n in range(12)]
    assert codes[:10] == [403] * 10 and codes[10:] == [429, 429]
    assert unsigned_sms(client, "+85512000150", REMOTE_ADDR="192.0.2.8") == 403  # another address
    ussd = client.post("/ussd?token=wrong", data={"sessionId": "x", "phoneNumber": "+85512000151", "text": ""},
                       environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert ussd.status_code == 429


# --- a captured signed request, re-cut ------------------------------------------------------


def signed_post(client, path, data, signature=None):
    signature = signature or sign(path, data)
    return client.post(path, data=data, headers={"X-Twilio-Signature": signature})


def test_a_re_cut_replay_of_a_signed_message_is_refused(channel_app, channel_client):
    make_staff(channel_app)
    post_sms(channel_client, "SCREEN")
    sid = new_sid()
    captured = {"AccountSid": ACCOUNT_SID, "Body": "1", "From": STAFF_PHONE, "MessageSid": sid, "SmsSid": sid,
                "To": "+15005550006"}
    signature = sign("/sms/twilio", captured)
    response = signed_post(channel_client, "/sms/twilio", captured, signature)
    assert asked_in_sms(twiml_messages(response)) == "U1"  # the genuine consent
    with channel_app.app_context():
        before = stored_counts(database)
    recut = {"AccountSid": ACCOUNT_SID, "Body": "1", "From": STAFF_PHONE, "Me": "ssageSid" + sid,
             "SmsS": "idSM" + sid[2:], "To": "+15005550006"}
    # Twilio's own validator accepts the re-cut: the names and values concatenate the same.
    assert RequestValidator(AUTH_TOKEN).validate(PUBLIC_BASE + "/sms/twilio", recut, signature)
    for _ in range(3):
        assert signed_post(channel_client, "/sms/twilio", recut, signature).status_code == 400
    with channel_app.app_context():
        assert stored_counts(database) == before
        assert [a.code for a in database.session.scalars(select(Answer))] == ["consent"]
    # What the check asks is only the id: MMS ids, and parameters Twilio adds without
    # notice, still pass.
    data = {"AccountSid": ACCOUNT_SID, "Body": "2", "From": STAFF_PHONE, "MessageSid": "MM" + "c" * 32,
            "NumMedia": "0", "SomeFutureParameter": "x"}
    response = signed_post(channel_client, "/sms/twilio", data)
    assert response.status_code == 200 and asked_in_sms(twiml_messages(response)) == "U2"


@pytest.mark.parametrize(
    "ids",
    [
        {},
        {"MessageSid": "SM123"},
        {"MessageSid": "SM" + "A" * 32},  # Twilio's ids are lower-case hex
        {"MessageSid": "XX" + "a" * 32},
        {"SmsSid": "SM" + "a" * 32},  # only the deprecated copy
        {"MessageSid": "SM" + "a" * 32, "SmsSid": "SM" + "b" * 32},
        {"MessageSid": ["SM" + "a" * 32, "SM" + "b" * 32]},
    ],
    ids=["missing", "short", "upper case", "other prefix", "SmsSid only", "copies differ", "twice"],
)
def test_a_signed_message_without_one_well_formed_id_is_refused(channel_app, channel_client, ids):
    make_staff(channel_app)
    data = MultiDict({"AccountSid": ACCOUNT_SID, "From": STAFF_PHONE, "Body": "SCREEN"})
    for name, value in ids.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    assert signed_post(channel_client, "/sms/twilio", data).status_code == 400
    with channel_app.app_context():
        assert set(stored_counts(database).values()) == {0}


def queued_message(app, sid):
    with app.app_context():
        message = OutboxMessage(recipient=STAFF_PHONE, body="x", purpose="reply", status="queued", provider_id=sid)
        database.session.add(message)
        database.session.commit()
        return message.id


def status_of(app, message_id):
    with app.app_context():
        return database.session.get(OutboxMessage, message_id).status


def test_a_re_cut_status_callback_is_refused(channel_app, channel_client):
    sid = "SM" + "d" * 32
    message_id = queued_message(channel_app, sid)
    captured = {"AccountSid": ACCOUNT_SID, "MessageSid": sid, "MessageStatus": "delivered", "SmsSid": sid}
    signature = sign("/sms/twilio/status", captured)
    recut = {"AccountSid": ACCOUNT_SID, "Me": "ssageSid" + sid, "MessageStatus": "delivered", "SmsSid": sid}
    assert RequestValidator(AUTH_TOKEN).validate(PUBLIC_BASE + "/sms/twilio/status", recut, signature)
    assert signed_post(channel_client, "/sms/twilio/status", recut, signature).status_code == 400
    assert status_of(channel_app, message_id) == "queued"
    for bad in ({"MessageStatus": "teleported"}, {"MessageStatus": "failed", "ErrorCode": "300x"}):
        data = {"AccountSid": ACCOUNT_SID, "MessageSid": sid, **bad}
        assert signed_post(channel_client, "/sms/twilio/status", data).status_code == 400
    assert status_of(channel_app, message_id) == "queued"
    assert signed_post(channel_client, "/sms/twilio/status", captured, signature).status_code == 204
    assert status_of(channel_app, message_id) == "delivered"


# --- bodies ---------------------------------------------------------------------------------


def test_multipart_webhooks_are_refused_even_when_signed(channel_app, channel_client):
    make_staff(channel_app)
    fields = {"MessageSid": new_sid(), "AccountSid": ACCOUNT_SID, "From": STAFF_PHONE, "Body": "SCREEN"}
    response = channel_client.post(
        "/sms/twilio", data={**fields, "upload": (BytesIO(b"x" * 1000), "x.bin")},
        headers={"X-Twilio-Signature": sign("/sms/twilio", fields)},
    )
    assert response.status_code == 415
    ussd = channel_client.post(f"/ussd?token={USSD_SECRET}", content_type="multipart/form-data; boundary=b",
                               data=b"--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n\r\n--b--\r\n")
    assert ussd.status_code == 415
    with channel_app.app_context():
        assert set(stored_counts(database).values()) == {0}
