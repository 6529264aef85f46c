"""Log-in, log-out and password change."""
from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..audit.operations import record
from ..core import crypto
from ..core.inputs import safe_next
from ..extensions import db, limiter
from . import operations, throttle
from .forms import ChangePasswordForm, LoginForm

bp = Blueprint("auth", __name__)


def refused_message() -> str:
    # One answer for an unknown name, a wrong password and a throttled address: it must
    # not tell which accounts exist, and still tell the staff member what to do.
    return _("Wrong username or password. After several failed attempts, log-in from this device waits a few minutes.")


LOGIN_MESSAGES = {
    "bad_credentials": refused_message,
    "throttled": refused_message,
    "inactive": lambda: _("This account is deactivated."),
}


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.landing"))
    form = LoginForm()
    if form.validate_on_submit():
        config = current_app.config["APP_CONFIG"]
        outcome = operations.authenticate(
            form.identifier.data, form.password.data,
            address=request.remote_addr or "", policy=throttle.Policy.from_config(config),
        )
        if outcome.user is None:
            # Which account was tried, as a keyed hash: brute force shows, the name does not.
            record("login.failed", detail={"reason": outcome.reason},
                   subject_hash=crypto.keyed_hash(form.identifier.data.strip().lower(), "login"))
            db.session.commit()
            flash(LOGIN_MESSAGES[outcome.reason](), "error")
            return render_template("auth/login.html", form=form), 401
        record("login", user=outcome.user)
        db.session.commit()
        next_url = safe_next(request.args.get("next"))
        session.clear()  # a fresh session at every log-in
        login_user(outcome.user)
        session["lang"] = outcome.user.language
        # The idle and absolute limits (auth.guard) count from here, for this very cookie.
        session["login_at"] = session["seen"] = int(time.time())
        if outcome.user.must_change_password:
            return redirect(url_for("auth.change_password"))
        return redirect(next_url or url_for("core.home"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        operations.end_sessions(current_user)
        record("logout", user=current_user)
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    form = ChangePasswordForm()
    if form.validate_on_submit():
        config = current_app.config["APP_CONFIG"]
        user = current_user._get_current_object()
        if not operations.check_current_password(
            user, form.current_password.data,
            address=request.remote_addr or "", policy=throttle.Policy.from_config(config),
        ):
            record("password.failed", user=user)
            db.session.commit()
            form.current_password.errors.append(
                _("The current password is wrong. After several failed attempts, this device waits a few minutes.")
            )
        else:
            try:
                operations.change_password(current_user, form.new_password.data)
            except operations.AccountError as exc:
                form.new_password.errors.append(password_message(str(exc)))
            else:
                db.session.commit()
                login_user(current_user._get_current_object())  # the session token changed
                flash(_("Password changed."), "ok")
                return redirect(url_for("core.home"))
    return render_template("auth/password.html", form=form)


def password_message(problem: str) -> str:
    return {
        "too_short": _("Use at least 10 characters."),
        "contains_username": _("Do not use your username in the password."),
        "too_simple": _("Use more different characters."),
        "too_common": _("This password is too easy to guess. Use a longer one, for example a few unrelated words."),
        "same_as_current": _("Choose a new password, not the one you have now."),
    }.get(problem, problem)
