"""HTTP endpoints of the SMS/USSD channel.

``webhooks`` (public: providers call it; exempt from CSRF) authenticates every request
itself: Twilio's signature on ``/sms/twilio`` and ``/sms/twilio/status``, a shared token
(and optionally an address allow-list) on ``/ussd``. Anything unauthenticated gets 403
before anything is read or stored.

``simulator`` is a page behind log-in for supervisors and admins: the real dialogue,
nothing sent, every screening marked as training.
"""
from __future__ import annotations

import hmac
import ipaddress
import uuid

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from webapp.config import Config
from webapp.core import crypto
from webapp.extensions import csrf, db, limiter

from . import channels, outbox, segments
from .dialogue import simulator_caller

webhooks = Blueprint("webhooks", __name__)
csrf.exempt(webhooks)

simulator = Blueprint("simulator", __name__, template_folder="templates")
SIMULATOR_ROLES = ("supervisor", "admin")
# The transcript lives in the (signed) session cookie, which browsers cap at 4 KB: keep
# the last few lines only, or a long Khmer help text would push the log-in out with it.
TRANSCRIPT_LINES = 6
TRANSCRIPT_LINE_CHARS = 320


def _config() -> Config:
    return current_app.config["APP_CONFIG"]


# --- Abuse resistance ---------------------------------------------------------------------
# Gateways call from a few addresses, so limits are per sending phone (as a keyed hash,
# never the number), with the address as a fallback.


def sender_key() -> str:
    phone = request.form.get("From") or request.form.get("phoneNumber")
    return "phone:" + crypto.keyed_hash(phone, "ratelimit") if phone else "ip:" + (request.remote_addr or "")


def sms_limit() -> str:
    return _config().sms_rate_limit


def ussd_limit() -> str:
    return _config().ussd_rate_limit


# --- Twilio -------------------------------------------------------------------------------


def public_url() -> str:
    """The URL Twilio signed: ours as the public sees it, not as a proxy passed it on."""
    url = _config().public_base_url + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


def twilio_signed() -> bool:
    token = _config().twilio_auth_token
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    return RequestValidator(token).validate(public_url(), request.form, signature)


@webhooks.post("/sms/twilio")
@limiter.limit(sms_limit, key_func=sender_key)
def twilio_inbound():
    if not twilio_signed():
        abort(403)
    form = request.form
    message_sid = form.get("MessageSid") or form.get("SmsSid") or None
    texts = channels.stored_reply(message_sid)
    if texts is None:
        texts = channels.sms_reply(form.get("From"), form.get("Body"), message_sid=message_sid)
        try:
            db.session.commit()
        except IntegrityError:
            # The same MessageSid committed by a racing retry: answer as it was answered.
            db.session.rollback()
            texts = channels.stored_reply(message_sid) or []
    return twiml(texts)


def twiml(texts: list[str]) -> Response:
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return Response(str(response), mimetype="application/xml")


@webhooks.post("/sms/twilio/status")
def twilio_status():
    if not twilio_signed():
        abort(403)
    form = request.form
    outbox.record_status(form.get("MessageSid"), form.get("MessageStatus"), form.get("ErrorCode"))
    db.session.commit()
    return Response(status=204)


# --- USSD ---------------------------------------------------------------------------------


def ussd_allowed() -> bool:
    config = _config()
    secret = config.ussd_shared_secret
    token = request.args.get("token", "")
    if not secret or not hmac.compare_digest(token.encode("utf-8"), secret.encode("utf-8")):
        return False
    return not config.ussd_allowed_ips or address_allowed(request.remote_addr, config.ussd_allowed_ips)


def address_allowed(address: str | None, allowed: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


@webhooks.post("/ussd")
@limiter.limit(ussd_limit, key_func=sender_key)
def ussd():
    if not ussd_allowed():
        abort(403)
    form = request.form
    # Khmer screens only for gateways whose phones show Khmer: ?lang=km in their URL.
    language = "km" if request.args.get("lang") == "km" else "en"
    reply = channels.ussd_reply(form.get("sessionId"), form.get("phoneNumber"), form.get("text"), language=language)
    db.session.commit()
    return Response(reply.body, mimetype="text/plain")


# --- the training simulator in the browser --------------------------------------------------


@simulator.before_request
def supervisors_only():
    if not current_user.is_authenticated:
        abort(401)
    if current_user.role not in SIMULATOR_ROLES:
        abort(403)


@simulator.route("/sms/simulator", methods=["GET", "POST"])
def page():
    state = session.setdefault("sms_simulator", {"channel": "sms", "lines": [], "ussd": None, "inputs": []})
    if request.method == "POST":
        action = request.form.get("action", "send")
        if action == "reset":
            session.pop("sms_simulator", None)
            return redirect(url_for("simulator.page"))
        state["channel"] = "ussd" if request.form.get("channel") == "ussd" else "sms"
        text = (request.form.get("text") or "")[:500]
        if state["channel"] == "ussd":
            _simulate_ussd(state, text, action == "dial")
        else:
            _simulate_sms(state, text)
        db.session.commit()
        state["lines"] = [
            {**line, "text": line["text"][:TRANSCRIPT_LINE_CHARS]} for line in state["lines"][-TRANSCRIPT_LINES:]
        ]
        session["sms_simulator"] = state
        return redirect(url_for("simulator.page"))
    return render_template("simulator.html", state=state)


def _simulate_sms(state: dict, text: str) -> None:
    state["lines"].append({"who": "in", "text": text})
    for reply in channels.caller_sms_reply(simulator_caller(current_user), text):
        state["lines"].append({"who": "out", "text": reply, "segments": segments.segments(reply)})


def _simulate_ussd(state: dict, text: str, dial: bool) -> None:
    if dial or not state.get("ussd"):
        state["ussd"], state["inputs"] = uuid.uuid4().hex, []
    else:
        state["inputs"].append(text)
        state["lines"].append({"who": "in", "text": text})
    language = current_user.language if current_user.language in ("km", "en") else "en"
    reply = channels.caller_ussd_reply(
        simulator_caller(current_user), state["ussd"], "*".join(state["inputs"]), language=language
    )
    state["lines"].append({"who": "out", "text": reply.body})
    if reply.end:
        state["ussd"], state["inputs"] = None, []
