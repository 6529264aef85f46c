"""HTTP endpoints of the SMS/USSD channel.

``webhooks`` (public: providers call it; exempt from CSRF) authenticates every request
itself: Twilio's signature on ``/sms/twilio`` and ``/sms/twilio/status``, a shared token
(and optionally an address allow-list) on ``/ussd``. Anything unauthenticated gets 403
(429 when its address sends many) and is never counted against the phone it names; only
then is the sending phone's rate limit spent. Bodies must be url-encoded forms.

``simulator`` is a page behind log-in for supervisors and admins: the real dialogue,
nothing sent, every screening marked as training.
"""
from __future__ import annotations

import hmac
import ipaddress
import re
import uuid
from functools import lru_cache
from typing import NoReturn

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse as parse_limit
from sqlalchemy.exc import IntegrityError
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from webapp.config import Config
from webapp.core import crypto
from webapp.extensions import csrf, db, limiter
from webapp.outbox import operations as outbox
from webapp.outbox import segments

from . import channels, transcripts
from .dialogue import simulator_caller

webhooks = Blueprint("webhooks", __name__)
csrf.exempt(webhooks)

simulator = Blueprint("simulator", __name__, template_folder="templates")


def _config() -> Config:
    return current_app.config["APP_CONFIG"]


# --- Bodies and abuse resistance ---------------------------------------------------------
# Gateways post small url-encoded forms. Anything else (multipart above all, which Werkzeug
# spools to disk) is refused before a byte of it is parsed; MAX_CONTENT_LENGTH bounds the rest.
FORM_MIMETYPE = "application/x-www-form-urlencoded"
# Authenticate first, then count. A request that fails the signature or token check spends
# only this allowance of its address; it never touches the limit of the phone it claims, so
# nobody can silence a staff phone by posting its number.
UNAUTHENTICATED_LIMIT = "10 per minute"


def read_form():
    """The posted form: 415 for any body but a url-encoded form, 413 (from Werkzeug, which
    checks the length first) for one over MAX_CONTENT_LENGTH."""
    if request.mimetype != FORM_MIMETYPE:
        abort(415)
    return request.form


def refuse_unauthenticated() -> NoReturn:
    """403; 429 once this address has sent too many unauthenticated requests."""
    if not spend(UNAUTHENTICATED_LIMIT, "unauthenticated", "ip:" + (get_remote_address() or "")):
        abort(429)
    abort(403)


def count_sender(limit: str) -> None:
    """Count an authenticated request against its sending phone (429 when used up). The
    phone is only a key here as a keyed hash; without one, the address is the key."""
    phone = request.form.get("From") or request.form.get("phoneNumber")
    key = "phone:" + crypto.keyed_hash(phone, "ratelimit") if phone else "ip:" + (get_remote_address() or "")
    if not spend(limit, request.endpoint or "", key):
        abort(429)


def spend(limit: str, scope: str, key: str) -> bool:
    """One hit on ``limit`` for ``key`` in the limiter's storage; False when it is used up."""
    if not limiter.enabled:
        return True
    return limiter.limiter.hit(_parsed(limit), "webhooks", scope, key)


@lru_cache(maxsize=16)
def _parsed(limit: str):
    """A limit string parsed once (the configured limits are a handful of strings)."""
    return parse_limit(limit)


@limiter.request_filter
def _counted_by_the_view() -> bool:
    """The webhooks spend their limits themselves (above), after authenticating; the
    limiter's own per-request check, which finds no limit on them, is skipped."""
    return request.blueprint == webhooks.name


# --- Twilio -------------------------------------------------------------------------------
# A signature covers the concatenated names and values without separators, so a captured
# request can be re-cut ("MessageSid=SMx" -> "Me=ssageSidSMx") and still verify. The one
# thing a replay must not lose is the id de-duplication is keyed on: it must be present,
# once, in Twilio's exact format, and the older copies of it must agree. Any such id a
# re-cut can carve out of a genuine request is that request's own id (short of a body that
# itself spells out "MessageSidSM" and 32 hex digits), so a re-cut replay is de-duplicated
# exactly like a retry. Unknown parameter names are let through: Twilio adds
# parameters without notice, and the signature still covers them.
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
DELIVERY_STATUSES = frozenset(
    {"accepted", "scheduled", "canceled", "queued", "sending", "sent", "failed", "delivered", "undelivered",
     "receiving", "received", "read", "partially_delivered"}
)


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


def message_sid(form) -> str | None:
    """The message id of a signed Twilio request, or None when the request is not whole:
    a name given twice, the id missing or malformed, or its older copies different."""
    if any(len(values) > 1 for values in form.listvalues()):
        return None
    sid = form.get("MessageSid", "")
    if not MESSAGE_SID.fullmatch(sid):
        return None
    if any(form.get(name, sid) != sid for name in ("SmsSid", "SmsMessageSid")):
        return None
    return sid


@webhooks.post("/sms/twilio")
def twilio_inbound():
    form = read_form()
    if not twilio_signed():
        refuse_unauthenticated()
    sid = message_sid(form)
    if sid is None:
        abort(400)
    count_sender(_config().sms_rate_limit)
    try:
        # A MessageSid handled before is answered as it was (the one look-up is in sms_reply).
        texts = channels.sms_reply(form.get("From"), form.get("Body"), message_sid=sid)
        commit_without_expiring()
    except IntegrityError:
        # The same MessageSid committed by a racing retry: answer as it was answered.
        # Any other conflict is an error (500: Twilio sends the message again).
        db.session.rollback()
        texts = channels.stored_reply(sid)
        if texts is None:
            raise
    return twiml(texts)


def commit_without_expiring() -> None:
    """Commit; nothing is read from the loaded rows afterwards (the reply is already
    written), so expiring every one of them would be work for nothing."""
    session = db.session()
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


def twiml(texts: list[str]) -> Response:
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return Response(str(response), mimetype="application/xml")


@webhooks.post("/sms/twilio/status")
def twilio_status():
    form = read_form()
    if not twilio_signed():
        refuse_unauthenticated()
    sid = message_sid(form)
    status = form.get("MessageStatus", "").lower()
    error_code = form.get("ErrorCode") or None
    if sid is None or status not in DELIVERY_STATUSES or (error_code is not None and not error_code.isdigit()):
        abort(400)
    outbox.record_status(sid, status, error_code)
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
def ussd():
    form = read_form()
    if not ussd_allowed():
        refuse_unauthenticated()
    count_sender(_config().ussd_rate_limit)
    # Khmer screens only for gateways whose phones show Khmer: ?lang=km in their URL.
    language = "km" if request.args.get("lang") == "km" else "en"
    reply = channels.ussd_reply(form.get("sessionId"), form.get("phoneNumber"), form.get("text"), language=language)
    db.session.commit()
    return Response(reply.body, mimetype="text/plain")


# --- the training simulator in the browser --------------------------------------------------


@simulator.route("/sms/simulator", methods=["GET", "POST"])
def page():
    # The transcript is kept server-side (sms/transcripts.py); drop what older versions
    # of this page left in the readable cookie.
    session.pop("sms_simulator", None)
    state = transcripts.load(current_user.id)
    if request.method == "POST":
        action = request.form.get("action", "send")
        if action == "reset":
            transcripts.clear(current_user.id)
            db.session.commit()
            return redirect(url_for("simulator.page"))
        state["channel"] = "ussd" if request.form.get("channel") == "ussd" else "sms"
        text = (request.form.get("text") or "")[:500]
        if state["channel"] == "ussd":
            _simulate_ussd(state, text, action == "dial")
        else:
            _simulate_sms(state, text)
        transcripts.save(current_user.id, state)
        db.session.commit()
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
