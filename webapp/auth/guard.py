"""Deny by default: every request is checked against the access matrix before any view
runs; sessions are loaded from their token and end after idle and absolute limits."""
from __future__ import annotations

import time

from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..extensions import db, login_manager
from . import access
from . import operations as accounts
from .models import User


def init_app(app: Flask) -> None:
    app.before_request(require_login)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"


def load_user(user_id: str):
    raw_id, _, token = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or not token or token != user.session_token:
        return None
    return user


def require_login():
    """Deny by default: the access matrix decides; anonymous users are sent to log in."""
    endpoint = request.endpoint
    rule = access.rule_for(endpoint)
    if rule == access.PUBLIC:
        return None
    if not current_user.is_authenticated:
        if request.accept_mimetypes.best == "application/json" or request.is_json:
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    if _session_expired():
        # Rotating the token ends the session for every copy of its cookie, not just this one.
        accounts.end_sessions(current_user)
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You were logged out after a period of inactivity."), "error")
        return redirect(url_for("auth.login"))
    if current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    if not access.allowed(endpoint, current_user.role):
        abort(403)
    return None


def _session_expired() -> bool:
    """Shared desk computers: a session unused for a while ends (issue 7), and every session
    ends some hours after its log-in. Both count from the log-in view, which sets the two
    times; a session without them (a cookie from before this rule) counts as expired."""
    config = current_app.config["APP_CONFIG"]
    now = int(time.time())
    last, login_at = session.get("seen"), session.get("login_at")
    if not isinstance(last, int) or not isinstance(login_at, int):
        return True
    if now - last > config.session_idle_minutes * 60 or now - login_at > config.session_max_hours * 3600:
        return True
    session["seen"] = now
    return False
