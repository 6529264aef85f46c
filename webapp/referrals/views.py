"""Referral pages: the service's own referrals; the screener's consent and confirmation."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..audit.operations import record
from ..extensions import db
from ..screening import operations as screenings
from . import operations
from .forms import AnswerForm, DeclineForm
from .models import Referral
from .presenters import words

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


def own_referral(referral_id: int) -> Referral:
    """A service user sees only the referrals sent to its service (404 for any other,
    including its own that were never sent: not consented, awaiting, or refused)."""
    if current_user.role != "service" or current_user.service_id is None:
        abort(404)
    return operations.sent_referral(current_user.service_id, referral_id) or abort(404)


@bp.get("/")
def mine():
    referrals = operations.sent_referrals(current_user.service_id) if current_user.service_id else []
    record("view.referrals", user=current_user, count=len(referrals))
    db.session.commit()
    return render_template("referrals/mine.html", referrals=referrals)


@bp.route("/<int:referral_id>", methods=["GET", "POST"])
def show(referral_id: int):
    referral = own_referral(referral_id)
    form, decline_form = AnswerForm(), DeclineForm()
    if form.validate_on_submit():
        action = request.form.get("action")
        if action == "decline":  # first step: ask why, and say what follows
            return page(referral, form, decline_form, confirming=True)
        if action == "decline_confirmed" and not decline_form.validate():
            return page(referral, form, decline_form, confirming=True)
        try:
            if action == "accept":
                operations.answer(referral, True, actor=current_user, kind="user")
            elif action == "decline_confirmed":
                operations.decline(referral, decline_form.reason.data, decline_form.detail.data, current_user)
            elif action in ("arrived", "closed"):
                operations.advance_by_service(referral, action, current_user)
            else:
                abort(400)
        except operations.ReferralError:
            db.session.rollback()
            flash(_("This referral cannot change that way now."), "error")
        else:
            db.session.commit()
            flash(_("Saved."), "ok")
        return redirect(url_for(".show", referral_id=referral.id))
    return page(referral, form, decline_form)


def page(referral: Referral, form, decline_form, confirming: bool = False):
    """The referral as the service sees it; every showing is in the audit trail."""
    record("view", user=current_user, object_type="referral", object_id=referral.id)
    db.session.commit()
    return render_template("referrals/show.html", referral=referral, form=form, decline_form=decline_form,
                           confirming=confirming and referral.state == "notified",
                           age_band=operations.age_band(referral.screening))


@bp.post("/screening/<uuid>/consent")
def consent(uuid):
    """The screener records whether the person agrees to share their case."""
    screening = screenings.get_own(current_user, uuid) or abort(404)
    form = AnswerForm()
    if not form.validate_on_submit() or request.form.get("share") not in ("yes", "no"):
        abort(400)
    operations.share(screening, request.form["share"] == "yes", current_user)
    db.session.commit()
    return redirect(url_for("screening.result", uuid=uuid))


@bp.post("/screening/<uuid>/confirm/<int:referral_id>")
def confirm(uuid, referral_id: int):
    """The screener confirms a proposed labour-rights referral (exploited migrant)."""
    screening = screenings.get_own(current_user, uuid) or abort(404)
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.screening_id != screening.id or referral.awaiting != "screener":
        abort(404)
    if not AnswerForm().validate_on_submit():
        abort(400)
    operations.confirm(referral, current_user)
    db.session.commit()
    return redirect(url_for("screening.result", uuid=uuid))


@bp.app_context_processor
def referral_words():
    return words()
