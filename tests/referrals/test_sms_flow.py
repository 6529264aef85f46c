"""End to end: a likely victim is referred, the service's phone gets an SMS through a local
stand-in gateway with no name in it, the service answers YES by SMS, the screener sees it."""
from __future__ import annotations

import json
import re
import threading
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from sqlalchemy import select

from tests.referrals.test_flow import screen, setup_directory, share
from tests.sms.conftest import channel_app, post_sms  # noqa: F401  (fixture)
from webapp.core.types import utcnow
from webapp.extensions import db as database
from webapp.outbox import operations as outbox
from webapp.outbox.providers import provider_for
from webapp.referrals import operations
from webapp.referrals.models import Referral

SERVICE_PHONE = "+85512000101"  # DEMO Poipet Transit Centre


class Gateway(BaseHTTPRequestHandler):
    """A stand-in SMS gateway on 127.0.0.1: records what it is asked to send."""

    received: ClassVar[list[dict]] = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"id": f"gw-{len(self.received)}"}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    Gateway.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/send"
    server.shutdown()
    server.server_close()


@pytest.fixture
def sms_app(channel_app, gateway):
    original = channel_app.config["APP_CONFIG"]
    channel_app.config["APP_CONFIG"] = replace(original, sms_provider="http", sms_gateway_url=gateway,
                                               sms_gateway_token="test-gateway-token")
    yield channel_app
    channel_app.config["APP_CONFIG"] = original


def deliver(app) -> None:
    with app.app_context():
        outbox.run_once(provider_for(app.config["APP_CONFIG"]))


def test_service_gets_an_sms_answers_yes_and_the_screener_sees_accepted(sms_app, client, db):
    setup_directory(sms_app)
    result = screen(sms_app, client)
    share(client, result)
    deliver(sms_app)
    to_service = [m for m in Gateway.received if m["to"] == SERVICE_PHONE]
    assert to_service, Gateway.received
    text = to_service[0]["body"]
    assert result["case_number"] in text and "Synthetic" not in text and "DEMO" not in text
    referral_id = int(re.search(r"បាទ/ចាស (\d+)", text).group(1))  # the service reads Khmer (the default)
    response, replies = post_sms(sms_app.test_client(), f"yes {referral_id}", phone=SERVICE_PHONE)
    assert response.status_code == 200 and "បានទទួល" in replies[0]
    page = client.get(result["result_url"]).get_data(as_text=True)
    assert f'data-referral="{referral_id}" data-state="accepted"' in page
    # The same answer again (a gateway retry, a double tap) changes nothing.
    post_sms(sms_app.test_client(), f"YES {referral_id}", phone=SERVICE_PHONE)
    assert db.session.get(Referral, referral_id).state == "accepted"


def test_khmer_no_with_khmer_digits_declines(sms_app, client, db):
    setup_directory(sms_app)
    result = screen(sms_app, client)
    share(client, result)
    referral = db.session.scalar(select(Referral).where(Referral.need == "shelter"))
    digits = str(referral.id).translate(str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩"))
    post_sms(sms_app.test_client(), f"ទេ {digits}", phone=SERVICE_PHONE)
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).state == "declined"


def test_deadline_passes_escalates_and_alerts_a_supervisor(sms_app, client, db):
    from tests.web import make_user

    setup_directory(sms_app)
    make_user(sms_app, "supervisor", username="sup", phone="+85512000071")
    result = screen(sms_app, client, U1="yes")  # urgent: one hour to answer
    share(client, result)
    with sms_app.app_context():
        first = database.session.scalar(select(Referral).where(Referral.need == "shelter"))
        assert first.deadline_at - first.created_at <= timedelta(hours=1, minutes=1)
        first.deadline_at = utcnow() - timedelta(seconds=1)
        database.session.commit()
    out = sms_app.test_cli_runner().invoke(args=["referrals", "tick"])
    assert "1 overdue" in out.output
    deliver(sms_app)
    recipients = [m["to"] for m in Gateway.received]
    assert "+85512000071" in recipients  # the supervisor of the region
    referrals = db.session.scalars(select(Referral).where(Referral.need == "shelter").order_by(Referral.id)).all()
    assert [r.state for r in referrals] == ["expired", "notified"]
    page = client.get(result["result_url"]).get_data(as_text=True)
    assert f'data-referral="{referrals[1].id}" data-state="notified"' in page


def test_a_stranger_cannot_answer_a_referral(sms_app, client, db):
    setup_directory(sms_app)
    result = screen(sms_app, client)
    share(client, result)
    referral = db.session.scalar(select(Referral))
    response, _replies = post_sms(sms_app.test_client(), f"YES {referral.id}", phone="+85512000099")
    assert response.status_code == 200
    assert db.session.get(Referral, referral.id).state == "notified"
    assert operations.parse_service_reply("maybe 12") is None


@pytest.mark.parametrize("number", ["¹", "99999999999999999999"])
def test_a_service_reply_with_a_number_no_referral_can_have_gets_an_answer(sms_app, client, db, number):
    """'YES ¹' (a digit int() refuses) or a number past any database id, from the service's
    own phone: the service gets the "not yours" reply, not a server error (which the
    provider would retry), and nothing changes."""
    setup_directory(sms_app)
    share(client, screen(sms_app, client))
    response, replies = post_sms(sms_app.test_client(), f"YES {number}", phone=SERVICE_PHONE)
    assert response.status_code == 200 and replies
    assert [r.state for r in db.session.scalars(select(Referral))] == ["notified", "notified"]
