"""Referral pages: the service's own referrals; the screener's consent and confirmation."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..screening import operations as screenings
from . import operations
from .forms import AnswerForm
from .models import Referral

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


def own_referral(referral_id: int) -> Referral:
    """A service user sees only its own service's referrals (404 for any other)."""
    referral = db.session.get(Referral, referral_id)
    if (referral is None or current_user.role != "service" or current_user.service_id is None
            or referral.service_id != current_user.service_id):
        abort(404)
    return referral


@bp.get("/")
def mine():
    referrals = operations.open_for_service(current_user.service_id) if current_user.service_id else []
    return render_template("referrals/mine.html", referrals=referrals)


@bp.route("/<int:referral_id>", methods=["GET", "POST"])
def show(referral_id: int):
    referral = own_referral(referral_id)
    form = AnswerForm()
    if form.validate_on_submit():
        action = request.form.get("action")
        try:
            if action in ("accept", "decline"):
                operations.answer(referral, action == "accept", actor=current_user, kind="user",
                                  reason=form.reason.data)
            elif action in ("arrived", "closed"):
                operations.transition(referral, action, current_user)
            else:
                abort(400)
        except operations.ReferralError:
            db.session.rollback()
            flash(_("This referral cannot change that way now."), "error")
        else:
            db.session.commit()
            flash(_("Saved."), "ok")
        return redirect(url_for(".show", referral_id=referral.id))
    return render_template("referrals/show.html", referral=referral, form=form,
                           age_band=operations.age_band(referral.screening))


@bp.post("/screening/<uuid>/consent")
def consent(uuid):
    """The screener records whether the person agrees to share their case."""
    screening = screenings.get_own(current_user, uuid) or abort(404)
    form = AnswerForm()
    if not form.validate_on_submit() or request.form.get("share") not in ("yes", "no"):
        abort(400)
    operations.set_consent(screening, request.form["share"] == "yes", current_user)
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
    from .presenters import words

    return words()
