"""The browser simulator's transcript stays on the server: whoever holds the session cookie
(it is signed, not encrypted) reads nothing of what was typed or answered."""
from __future__ import annotations

import json
import zlib
from datetime import timedelta

from itsdangerous import base64_decode
from sqlalchemy import select, text

from sms import transcripts
from sms.models import SimulatorTranscript
from tests.sms.conftest import channel_app, make_staff  # noqa: F401  (fixture)
from tests.web import csrf, login
from webapp.core.types import utcnow
from webapp.extensions import db as database

PASSWORD = "correct horse battery staple 1"  # make_staff's


def read_cookie(value: str) -> str:
    """What an attacker reads from a Flask session cookie without the key."""
    payload = value.split(".")[1] if value.startswith(".") else value.split(".")[0]
    raw = base64_decode(payload)
    return (zlib.decompress(raw) if value.startswith(".") else raw).decode("utf-8")


def simulate(client, token, *steps):
    for channel, action, typed in steps:
        data = {"channel": channel, "action": action, "text": typed, "csrf_token": token}
        assert client.post("/sms/simulator", data=data).status_code == 302


def test_the_session_cookie_holds_no_transcript(channel_app):
    make_staff(channel_app, "+85512000005", role="supervisor", username="super1", language="en")
    client = channel_app.test_client()
    login(client, "super1", PASSWORD)
    token = csrf(client.get("/sms/simulator").get_data(as_text=True))
    simulate(client, token, ("sms", "send", "SCREEN POIPET"), ("sms", "send", "yes"), ("ussd", "dial", ""))
    page = client.get("/sms/simulator").get_data(as_text=True)
    assert "SCREEN POIPET" in page and "Case TRN-" in page and "Unfinished screening" in page
    cookie = read_cookie(client.get_cookie("session").value)
    assert "_user_id" in json.loads(cookie)  # the decoding works: this is the session
    for secret in ("SCREEN", "POIPET", "TRN-", "Agree", "Unfinished", "sms_simulator"):
        assert secret not in cookie
    with channel_app.app_context():  # and at rest it is encrypted
        stored = database.session.execute(text("SELECT state FROM sms_simulator_transcripts")).scalar_one()
        assert "SCREEN" not in stored and "KH-BMC" not in stored


def test_each_user_sees_their_own_transcript_until_cleared_or_idle_for_a_day(channel_app):
    make_staff(channel_app, "+85512000005", role="supervisor", username="super1", language="en")
    make_staff(channel_app, "+85512000006", role="admin", username="admin1", language="en", post_code=None)
    first, second = channel_app.test_client(), channel_app.test_client()
    login(first, "super1", PASSWORD)
    login(second, "admin1", PASSWORD)
    token = csrf(first.get("/sms/simulator").get_data(as_text=True))
    simulate(first, token, ("sms", "send", "SCREEN POIPET"))
    assert "SCREEN POIPET" in first.get("/sms/simulator").get_data(as_text=True)
    assert "SCREEN POIPET" not in second.get("/sms/simulator").get_data(as_text=True)
    simulate(first, token, ("sms", "reset", ""))
    assert "SCREEN POIPET" not in first.get("/sms/simulator").get_data(as_text=True)
    simulate(first, token, ("sms", "send", "SCREEN POIPET"))
    with channel_app.app_context():
        assert transcripts.forget_idle(utcnow() + timedelta(hours=23)) == 0
        assert transcripts.forget_idle(utcnow() + timedelta(hours=25)) == 1
        database.session.commit()
        assert database.session.scalars(select(SimulatorTranscript)).all() == []
