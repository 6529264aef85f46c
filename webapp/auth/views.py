"""Log-in, log-out and password change."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..core.types import utcnow
from ..core.views import _safe_next
from ..audit.operations import record
from ..extensions import db, limiter
from . import operations
from .forms import ChangePasswordForm, LoginForm

bp = Blueprint("auth", __name__)

LOGIN_MESSAGES = {
    "bad_credentials": lambda: _("Wrong username or password."),
    "locked": lambda: _("Too many failed attempts. Try again in a few minutes."),
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
            max_attempts=config.login_attempts, lock_minutes=config.login_lock_minutes,
        )
        if outcome.user is None:
            from ..core import crypto

            # Which account was tried, as a keyed hash: brute force shows, the name does not.
            record("login.failed", detail={"reason": outcome.reason},
                   subject_hash=crypto.keyed_hash(form.identifier.data.strip().lower(), "login"))
            db.session.commit()
            flash(LOGIN_MESSAGES[outcome.reason](), "error")
            return render_template("auth/login.html", form=form), 401
        record("login", user=outcome.user)
        db.session.commit()
        next_url = _safe_next(request.args.get("next"))
        session.clear()  # a fresh session at every log-in
        login_user(outcome.user)
        session["lang"] = outcome.user.language
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
        from .passwords import verify

        if not verify(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
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
    }.get(problem, problem)
