"""The outbox: written with the change, sent after commit through the real twilio client
(against a stand-in server on 127.0.0.1), retried on 429/5xx/timeouts, never after an
opt-out, moved forward by signed status callbacks."""
from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from tests.sms.conftest import ACCOUNT_SID, sign
from webapp.core.types import utcnow
from webapp.extensions import db as database
from webapp.outbox import operations as outbox
from webapp.outbox.models import OutboxMessage
from webapp.outbox.providers import SendError, provider_for

RECIPIENT = "+85512000003"


class StandIn:
    """A stand-in for api.twilio.com (or an HTTP gateway) answering a scripted list of
    (status, JSON body) replies, and recording what it was sent."""

    def __init__(self, script):
        self.script = list(script)
        self.requests: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                stand_in.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "raw": raw}
                )
                status, body = stand_in.script.pop(0) if stand_in.script else (500, {"message": "script ended"})
                payload = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def twilio_error(status, code, message):
    return status, {"code": code, "message": message, "more_info": "", "status": status}


def twilio_created(sid):
    return 201, {"sid": sid, "status": "queued", "account_sid": ACCOUNT_SID, "to": RECIPIENT, "body": "x"}


def queue(app, body="Screening KH-BMC-2026-000001 is waiting for your answer.", purpose="reminder"):
    with app.app_context():
        message = outbox.enqueue(RECIPIENT, body, purpose)
        database.session.commit()
        return message.id


def load(app, message_id):
    with app.app_context():
        message = database.session.get(OutboxMessage, message_id)
        database.session.expunge(message)
        return message


def test_twilio_500_then_429_then_201_sends_once_and_reaches_delivered(channel_app, channel_client):
    sid = "SM" + "a" * 32
    script = [twilio_error(500, 20500, "Internal Server Error"), twilio_error(429, 20429, "Too Many Requests"), twilio_created(sid)]
    with StandIn(script) as server:
        config = replace(channel_app.config["APP_CONFIG"], sms_provider="twilio", twilio_api_base=server.url)
        channel_app.config["APP_CONFIG"] = config
        message_id = queue(channel_app)
        start = utcnow()
        with channel_app.app_context():
            provider = provider_for(config)
            first = outbox.run_once(provider, now=start)
            assert (first.claimed, first.retrying) == (1, 1)
            assert outbox.run_once(provider, now=start + timedelta(minutes=4)).claimed == 0  # backing off
            second = outbox.run_once(provider, now=start + timedelta(minutes=5))
            assert second.retrying == 1
            assert outbox.run_once(provider, now=start + timedelta(minutes=14)).claimed == 0
            third = outbox.run_once(provider, now=start + timedelta(minutes=15))
            assert third.sent == 1
            assert outbox.run_once(provider, now=start + timedelta(hours=2)).claimed == 0  # never again
        requests = server.requests
    assert len(requests) == 3  # two refused, exactly one accepted: one message sent
    assert all(r["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json" for r in requests)
    form = parse_qs(requests[-1]["raw"])
    assert form["To"] == [RECIPIENT] and form["From"] == ["+15005550006"]
    assert form["StatusCallback"] == ["https://screening.example.org/sms/twilio/status"]
    assert requests[-1]["headers"]["Authorization"].startswith("Basic ")
    message = load(channel_app, message_id)
    assert (message.status, message.provider_id, message.attempts, message.provider) == ("queued", sid, 3, "twilio")

    for status in ("sent", "delivered", "sent"):  # a late "sent" does not move it back
        data = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID}
        response = channel_client.post(
            "/sms/twilio/status", data=data, headers={"X-Twilio-Signature": sign("/sms/twilio/status", data)}
        )
        assert response.status_code == 204
    assert load(channel_app, message_id).status == "delivered"


def test_status_callback_needs_a_signature(channel_app, channel_client):
    data = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered"}
    assert channel_client.post("/sms/twilio/status", data=data).status_code == 403
    bad = {"X-Twilio-Signature": sign("/sms/twilio/status", data, token="other")}
    assert channel_client.post("/sms/twilio/status", data=data, headers=bad).status_code == 403


def test_opted_out_number_is_not_retried(channel_app):
    with StandIn([twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")]) as server:
        config = replace(channel_app.config["APP_CONFIG"], sms_provider="twilio", twilio_api_base=server.url)
        message_id = queue(channel_app)
        with channel_app.app_context():
            result = outbox.run_once(provider_for(config))
            assert result.failed == 1
            assert outbox.run_once(provider_for(config), now=utcnow() + timedelta(hours=1)).claimed == 0
        assert len(server.requests) == 1
    message = load(channel_app, message_id)
    assert message.status == "failed" and "21610" in message.error and message.attempts == 1


class Flaky:
    """A provider that fails temporarily every time."""

    name = "flaky"

    def __init__(self):
        self.calls = 0

    def send(self, to, body, message_id):
        self.calls += 1
        raise SendError("timeout", retry=True)


def test_backoff_5_10_15_minutes_then_failed_and_visible(channel_app):
    message_id = queue(channel_app)
    provider = Flaky()
    start = utcnow()
    with channel_app.app_context():
        times = [start, start + timedelta(minutes=5), start + timedelta(minutes=15), start + timedelta(minutes=30)]
        for moment in times:
            assert outbox.run_once(provider, now=moment).claimed == 1
            assert outbox.run_once(provider, now=moment + timedelta(minutes=4, seconds=59)).claimed == 0
        assert outbox.run_once(provider, now=start + timedelta(days=1)).claimed == 0
        assert outbox.counts() == {"failed": 1}
        assert [m.id for m in outbox.failed()] == [message_id]
    assert provider.calls == 4
    message = load(channel_app, message_id)
    assert message.status == "failed" and message.attempts == 4 and message.error == "timeout"


def test_failed_message_can_be_queued_again(channel_app):
    message_id = queue(channel_app)
    with channel_app.app_context():
        outbox.run_once(Flaky())
        message = database.session.get(OutboxMessage, message_id)
        message.status = "failed"
        database.session.commit()
        assert outbox.retry(message_id)
        database.session.commit()
        assert database.session.get(OutboxMessage, message_id).status == "pending"


def test_nothing_is_queued_when_the_change_rolls_back(channel_app):
    with channel_app.app_context():
        outbox.enqueue(RECIPIENT, "hello", "reminder")
        database.session.rollback()
        assert database.session.scalars(select(OutboxMessage)).all() == []


def test_number_and_body_are_encrypted_at_rest(channel_app):
    message_id = queue(channel_app, body="Case KH-BMC-2026-000007")
    with channel_app.app_context():
        raw = database.session.execute(
            database.text("SELECT recipient, body FROM sms_outbox WHERE id = :id"), {"id": message_id}
        ).one()
    assert "85512000003" not in raw.recipient and "KH-BMC" not in raw.body


def test_two_workers_never_claim_the_same_message(channel_app):
    ids = {queue(channel_app) for _ in range(6)}
    now = utcnow()
    with channel_app.app_context():
        first = outbox.claim(4, now)
        second = outbox.claim(4, now)
    assert set(first) | set(second) == ids and not set(first) & set(second)


def test_a_message_whose_worker_died_is_claimed_again_after_the_lease(channel_app):
    message_id = queue(channel_app)
    now = utcnow()
    with channel_app.app_context():
        assert outbox.claim(10, now) == [message_id]  # the worker dies here
        assert outbox.claim(10, now + timedelta(minutes=4)) == []
        assert outbox.claim(10, now + timedelta(minutes=5)) == [message_id]


def test_http_gateway_provider(channel_app):
    script = [(503, {"error": "busy"}), (200, {"id": "relay-42"})]
    with StandIn(script) as server:
        config = replace(
            channel_app.config["APP_CONFIG"], sms_provider="http", sms_gateway_url=server.url + "/send",
            sms_gateway_token="gateway-token",
        )
        message_id = queue(channel_app, body="ករណី KH-BMC-2026-000001")
        start = utcnow()
        with channel_app.app_context():
            provider = provider_for(config)
            assert outbox.run_once(provider, now=start).retrying == 1
            assert outbox.run_once(provider, now=start + timedelta(minutes=5)).sent == 1
        last = server.requests[-1]
    assert last["headers"]["Authorization"] == "Bearer gateway-token"
    assert json.loads(last["raw"]) == {"to": RECIPIENT, "body": "ករណី KH-BMC-2026-000001", "id": str(message_id)}
    message = load(channel_app, message_id)
    assert (message.status, message.provider_id) == ("sent", "relay-42")


def test_http_gateway_refusal_is_not_retried(channel_app):
    with StandIn([(400, {"error": "bad number"})]) as server:
        config = replace(
            channel_app.config["APP_CONFIG"], sms_provider="http", sms_gateway_url=server.url,
            sms_gateway_token="gateway-token",
        )
        message_id = queue(channel_app)
        with channel_app.app_context():
            assert outbox.run_once(provider_for(config)).failed == 1
    assert load(channel_app, message_id).error == "gateway http 400"


def test_log_provider_sends_nothing_and_logs_no_number(channel_app, caplog):
    message_id = queue(channel_app, body="Screening KH-BMC-2026-000001 is waiting")
    with channel_app.app_context(), caplog.at_level("INFO", logger="sms.outbox"):
        config = replace(channel_app.config["APP_CONFIG"], sms_provider="log")
        assert outbox.run_once(provider_for(config)).sent == 1
    assert "85512000003" not in caplog.text and "KH-BMC" not in caplog.text
    assert load(channel_app, message_id).provider_id == f"log-{message_id}"


def test_provider_configuration_fails_clearly(channel_app):
    from webapp.config import ConfigError

    config = replace(channel_app.config["APP_CONFIG"], sms_provider="twilio", twilio_from_number="")
    with pytest.raises(ConfigError, match="TWILIO_FROM_NUMBER"):
        provider_for(config)
    with pytest.raises(ValueError, match="SMS_PROVIDER"):
        provider_for(replace(config, sms_provider="pigeon"))


