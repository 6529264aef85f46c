"""Security headers, deny-by-default access and session loading for every request."""
from __future__ import annotations

import time

from flask import Flask, Response, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..extensions import db, login_manager

# Endpoints anyone may open; everything else needs a logged-in user.
PUBLIC_ENDPOINTS = {"static", "core.landing", "core.set_language", "core.manifest", "core.service_worker"}
PUBLIC_PREFIXES = ("auth.", "webhooks.", "health.")

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    app.before_request(require_login)
    app.after_request(set_security_headers)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"


def load_user(user_id: str):
    from ..auth.models import User

    raw_id, _, token = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or not token or token != user.session_token:
        return None
    return user


def is_public(endpoint: str | None) -> bool:
    if endpoint is None:
        return True  # 404s and 405s: let Flask answer them
    return endpoint in PUBLIC_ENDPOINTS or endpoint.startswith(PUBLIC_PREFIXES)


def require_login():
    if is_public(request.endpoint):
        return None
    if current_user.is_authenticated:
        if _idle_too_long():
            logout_user()
            session.clear()
            flash(_("You were logged out after a period of inactivity."), "error")
            return redirect(url_for("auth.login"))
        if current_user.must_change_password and request.endpoint != "core.set_language":
            return redirect(url_for("auth.change_password"))
        return None
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        abort(401)
    if "auth.login" not in _endpoints():
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


def _idle_too_long() -> bool:
    """Shared desk computers: a session unused for a while ends (issue 7)."""
    config = current_app.config["APP_CONFIG"]
    now = int(time.time())
    last = session.get("seen")
    session["seen"] = now
    return isinstance(last, int) and now - last > config.session_idle_minutes * 60


def _endpoints() -> set[str]:
    return set(current_app.view_functions)


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(self)"
    if request.endpoint != "static" and request.endpoint not in ("core.manifest",):
        # Case data must not sit in a shared phone's or proxy's cache.
        headers["Cache-Control"] = "no-store"
    return response
