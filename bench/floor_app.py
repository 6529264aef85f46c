"""The database floor of bench/sms_load.py: the least a correct SMS turn can do, served by
gunicorn exactly like the real app (same gunicorn.conf.py, same workers).

One signed Twilio webhook per request, as the app receives it: the signature checked by the
app's own check (``sms.views.twilio_signed``, the twilio library's RequestValidator), then
one transaction on PostgreSQL through a
SQLAlchemy Core engine with the app's pool settings (pre-ping): lock the phone's session row
(``SELECT ... FOR UPDATE``), store the MessageSid (unique: the de-duplication) with the
reply, move the session on, commit. No ORM, no questionnaire, no encryption, no templates.
So the app's rate against this floor says what our own code costs, and this floor's p95
says what the database round trips and the commit alone cost at the same load.

    gunicorn -c gunicorn.conf.py 'bench.floor_app:create()'   # FLOOR_DATABASE_URL, TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL
"""
from __future__ import annotations

import os

from flask import Flask, Response, abort, request
from sqlalchemy import create_engine, text

from bench.ceiling_app import REPLY
from sms.views import twilio_signed
from webapp.config import Config

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS floor_sessions (phone text PRIMARY KEY, page integer NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS floor_inbound (message_sid text PRIMARY KEY, phone text NOT NULL, reply text NOT NULL)",
)
LOCK = text("SELECT page FROM floor_sessions WHERE phone = :phone FOR UPDATE")
OPEN = text("INSERT INTO floor_sessions (phone) VALUES (:phone) ON CONFLICT DO NOTHING")
STORE = text("INSERT INTO floor_inbound (message_sid, phone, reply) VALUES (:sid, :phone, :reply)")
MOVE = text("UPDATE floor_sessions SET page = page + 1 WHERE phone = :phone")


def prepare(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in SCHEMA:
            connection.execute(text(statement))
    engine.dispose()


def create() -> Flask:
    app = Flask(__name__)
    # What twilio_signed reads: the public address Twilio signed and the auth token.
    app.config["APP_CONFIG"] = Config(public_base_url=os.environ["PUBLIC_BASE_URL"],
                                      twilio_auth_token=os.environ["TWILIO_AUTH_TOKEN"])
    engine = create_engine(os.environ["FLOOR_DATABASE_URL"], pool_pre_ping=True)

    @app.post("/sms/twilio")
    def reply():
        if not twilio_signed():
            abort(403)
        form = request.form
        phone = form["From"]
        with engine.begin() as connection:
            if connection.execute(LOCK, {"phone": phone}).first() is None:
                connection.execute(OPEN, {"phone": phone})
                connection.execute(LOCK, {"phone": phone})
            connection.execute(STORE, {"sid": form["MessageSid"], "phone": phone, "reply": REPLY})
            connection.execute(MOVE, {"phone": phone})
        return Response(REPLY, mimetype="application/xml")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
