"""Fixtures of the SMS/USSD tests: channel configuration, a synthetic staff member, signed
Twilio posts. Synthetic data only: fake names, +855 12 000 0xx numbers."""
from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from twilio.request_validator import RequestValidator

AUTH_TOKEN = "test-twilio-auth-token"
ACCOUNT_SID = "AC" + "0" * 32
USSD_SECRET = "test-ussd-secret"
STAFF_PHONE = "+85512000001"
OTHER_STAFF_PHONE = "+85512000002"
STRANGER_PHONE = "+85512000099"
PUBLIC_BASE = "https://screening.example.org"

_sids = itertools.count(1)


@pytest.fixture
def channel_app(app):
    """The test app with the SMS channel configured (and restored afterwards)."""
    original = app.config["APP_CONFIG"]
    app.config["APP_CONFIG"] = replace(
        original,
        public_base_url=PUBLIC_BASE,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number="+15005550006",
        ussd_shared_secret=USSD_SECRET,
    )
    yield app
    app.config["APP_CONFIG"] = original


@pytest.fixture
def channel_client(channel_app):
    return channel_app.test_client()


def make_staff(app, phone=STAFF_PHONE, *, role="border", language="km", post_code="POIPET", username=None):
    from webapp.auth.operations import create_user
    from webapp.extensions import db

    with app.app_context():
        user, _ = create_user(
            role=role,
            name=f"Synthetic Screener {phone[-2:]}",
            phone=phone,
            username=username,
            post_code=post_code,
            province_code="BMC" if post_code else None,
            language=language,
            password="correct horse battery staple 1",
        )
        user.must_change_password = False
        db.session.commit()
        return user.id


@pytest.fixture
def staff(channel_app):
    return make_staff(channel_app)


def new_sid() -> str:
    return f"SM{next(_sids):032x}"


def sign(path: str, data: dict, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(PUBLIC_BASE + path, data)


def post_sms(client, body: str, *, phone: str = STAFF_PHONE, sid: str | None = None):
    """A signed Twilio inbound message; returns (response, list of reply texts)."""
    data = {"MessageSid": sid or new_sid(), "AccountSid": ACCOUNT_SID, "From": phone, "To": "+15005550006", "Body": body}
    response = client.post("/sms/twilio", data=data, headers={"X-Twilio-Signature": sign("/sms/twilio", data)})
    return response, twiml_messages(response)


def twiml_messages(response) -> list[str]:
    import xml.etree.ElementTree as ET

    if response.status_code != 200:
        return []
    root = ET.fromstring(response.get_data(as_text=True))
    return [(message.text or "") for message in root.iter("Message")]


def post_ussd(client, session_id: str, text: str, *, phone: str = STAFF_PHONE, lang: str | None = None, token=USSD_SECRET):
    query = f"?token={token}" + (f"&lang={lang}" if lang else "")
    data = {"sessionId": session_id, "serviceCode": "*384*7#", "phoneNumber": phone, "text": text}
    return client.post("/ussd" + query, data=data)
