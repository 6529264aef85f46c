"""Supervisor pages: the review queue, one screening's review, requests for information."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import questionnaires

from ..audit.operations import record
from ..core import places
from ..core.forms import options
from ..extensions import db
from ..referrals import operations as referrals
from ..screening.models import Screening
from ..screening.presenters import CHANNEL_WORDS, ResultView, answered
from . import operations
from .forms import ACTION_WORDS, DecisionForm, InfoAnswerForm, InfoRequestForm, QueueFilterForm
from .models import InfoRequest

bp = Blueprint("review", __name__, url_prefix="/review")


def screening_in_scope(uuid: str) -> Screening:
    screening = db.session.scalar(db.select(Screening).where(Screening.uuid == uuid))
    if screening is None or not operations.in_scope(current_user, screening) or screening.status != "complete":
        abort(404)
    return screening


@bp.get("/")
def queue():
    form = QueueFilterForm(request.args)
    blank = [("", "—")]
    form.post.choices = options(blank + places.post_choices())
    form.province.choices = options(blank + places.province_choices())
    form.validate()
    filters = operations.QueueFilter(
        post=form.post.data or None, province=form.province.data or None, channel=form.channel.data or None,
        tier=form.tier.data or None, since=form.since.data, until=form.until.data,
        pending_only=(form.state.data or "pending") == "pending",
    )
    rows = operations.queue(current_user, filters)
    return render_template("review/queue.html", form=form, screenings=rows)


@bp.route("/<uuid>", methods=["GET", "POST"])
def show(uuid):
    screening = screening_in_scope(uuid)
    form = DecisionForm(tier=screening.final_tier)  # the engine's, until someone decides
    if request.method == "POST":
        action = request.form.get("action")
        if form.validate_on_submit():
            try:
                operations.decide(screening, current_user, action, form.tier.data, form.reason.data)
            except operations.ReviewError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                record("review." + action, user=current_user, object_type="screening", object_id=screening.case_number,
                       detail={"engine_tier": screening.tier, "tier": screening.confirmed_tier})
                db.session.commit()
                flash(_("Saved."), "ok")
                return redirect(url_for(".show", uuid=uuid))
        else:
            flash(_("Write the reason for your decision."), "error")
    else:
        record("view", user=current_user, object_type="screening", object_id=screening.case_number)
        db.session.commit()

    q = questionnaires.load(screening.questionnaire_version)
    return render_template(
        "review/show.html", screening=screening, view=ResultView(screening), form=form,
        answers=answered(q, screening.answer_map()),
        channel_words=CHANNEL_WORDS, action_words=ACTION_WORDS,
        reviews=operations.reviews_of(screening), referrals=referrals.of_screening(screening),
        requests=operations.requests_of(screening), info_form=InfoRequestForm(),
        matches=operations.possible_matches(screening, current_user),
    ), (422 if request.method == "POST" else 200)


@bp.post("/<uuid>/ask")
def ask(uuid):
    screening = screening_in_scope(uuid)
    form = InfoRequestForm()
    if form.validate_on_submit():
        operations.request_info(screening, current_user, form.message.data)
        record("review.ask", user=current_user, object_type="screening", object_id=screening.case_number)
        db.session.commit()
        flash(_("The screener will see your question."), "ok")
    return redirect(url_for(".show", uuid=uuid))


@bp.post("/requests/<int:request_id>")
def answer_request(request_id: int):
    """The screener answers a supervisor's question about their own screening."""
    info = db.session.get(InfoRequest, request_id)
    screening = db.session.get(Screening, info.screening_id) if info else None
    if info is None or screening is None or screening.screener_id != current_user.id:
        abort(404)
    form = InfoAnswerForm()
    if form.validate_on_submit():
        operations.answer_info(info, form.answer.data)
        db.session.commit()
        flash(_("Answer sent to the supervisor."), "ok")
    return redirect(url_for("screening.result", uuid=screening.uuid))
