"""Hand-over mode: after consent the screener hands the phone to the person, who answers
privately, one question per screen, in their own language (issue 16, item 1).

Without JavaScript it runs here, one POST per answer. While a screening is handed over the
session is held to these pages (any other page of the app sends back to the question), so
the person sees no earlier answer, no result and no other case; handing back needs the
screener's password, after which the screener sees the result, never a replay of answers.
With JavaScript, static/js/handover.js runs the same mode inside the offline app.

The questions asked are the phone channels' (``next_question(..., skip_unneeded=True)``):
only those that can still change the tier or a flag (``questionnaires.can_change``), the
opening, urgent and profile questions always.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..audit.operations import record
from ..auth import operations as auth_operations
from ..auth import throttle
from ..extensions import db
from . import operations, presenters
from .forms import AnswerForm, HandBackForm, HandOverForm
from .person import HANDED_OVER, PersonTexts, hand_over, languages, skip_value

bp = Blueprint("handover", __name__, url_prefix="/screenings")

# Pages the person may still reach while the phone is handed over.
# The recordings of the texts (recordings.audio) play on the person's page.
OPEN_ENDPOINTS = ("static", "core.service_worker", "core.manifest", "auth.logout", "auth.login", "recordings.audio")


@bp.before_app_request
def hold_to_handover():
    """While the phone is handed over, every other page of the app leads back to the question."""
    uuid = session.get(HANDED_OVER)
    if not uuid:
        return None
    if not current_user.is_authenticated:
        session.pop(HANDED_OVER, None)
        return None
    endpoint = request.endpoint or ""
    if endpoint.startswith("handover.") or endpoint in OPEN_ENDPOINTS:
        return None
    if request.path.startswith("/api/"):
        return {"error": "the phone is handed over to the person", "field": "handover"}, 423
    return redirect(url_for("handover.ask", uuid=uuid))


def own_draft_or_404(uuid: str):
    screening = operations.get_own(current_user, uuid)
    if screening is None:
        session.pop(HANDED_OVER, None)
        abort(404)
    return screening


def texts_of(screening) -> PersonTexts:
    return PersonTexts(operations.questionnaire_of(screening), screening.person_language, presenters.lang())


def next_for_person(screening):
    """The next question the person is asked: the phone channels' skip rule."""
    return operations.next_question(screening, skip_unneeded=True)


@bp.route("/<uuid>/handover/begin", methods=["GET", "POST"])
def begin(uuid):
    """The screener chooses the person's language and hands the phone over."""
    screening = own_draft_or_404(uuid)
    if screening.status != "draft":
        return redirect(url_for("screening.result", uuid=uuid))
    q = operations.questionnaire_of(screening)
    form = HandOverForm()
    form.person_language.choices = [(choice.code, choice.name) for choice in languages(q)]
    if request.method == "GET":
        form.person_language.data = screening.person_language or screening.language
    if form.validate_on_submit():
        screening.person_language = operations.valid_person_language(q, form.person_language.data, default=screening.language)
        hand_over(screening, current_user)
        return redirect(url_for(".ask", uuid=uuid))
    return render_template("screening/handover_begin.html", screening=screening, form=form, languages=languages(q))


@bp.get("/<uuid>/handover")
def ask(uuid):
    screening = own_draft_or_404(uuid)
    if screening.status != "draft":
        session.pop(HANDED_OVER, None)
        return redirect(url_for("screening.result", uuid=uuid))
    session[HANDED_OVER] = screening.uuid
    question = next_for_person(screening)
    if question is None:
        return redirect(url_for(".hand_back", uuid=uuid))
    return page(screening, question, AnswerForm(formdata=None), None)


def page(screening, question, form, error, status=200):
    texts = texts_of(screening)
    return render_template(
        "screening/handover.html", screening=screening, question=question, form=form, error=error,
        person=texts, skip=skip_value(question),
    ), status


@bp.post("/<uuid>/handover/<code>")
def answer(uuid, code):
    screening = own_draft_or_404(uuid)
    if screening.status != "draft":
        return redirect(url_for(".ask", uuid=uuid))
    question = next_for_person(screening)
    form = AnswerForm()
    # Only the question on screen takes an answer: a second tap of a double tap, or a page
    # kept from before, never answers the next question unseen.
    if question is None or question.code != code or not form.validate_on_submit():
        return redirect(url_for(".ask", uuid=uuid))
    raw = presenters.raw_answer(question, request.form)
    try:
        operations.record_answer(screening, code, raw, channel="web")
    except operations.ScreeningError:
        return page(screening, question, form, presenters.answer_error(question), 422)
    db.session.commit()
    return redirect(url_for(".ask", uuid=uuid))


@bp.route("/<uuid>/handover/back", methods=["GET", "POST"])
def hand_back(uuid):
    """The person gives the phone back; the screener's password takes it back."""
    screening = own_draft_or_404(uuid)
    if screening.status != "draft":
        session.pop(HANDED_OVER, None)
        return redirect(url_for("screening.result", uuid=uuid))
    form = HandBackForm()
    error = None
    if form.validate_on_submit():
        config = current_app.config["APP_CONFIG"]
        user = current_user._get_current_object()
        if auth_operations.check_current_password(
            user, form.password.data, address=request.remote_addr or "", policy=throttle.Policy.from_config(config),
        ):
            session.pop(HANDED_OVER, None)
            done = next_for_person(screening) is None
            if done:
                operations.finish(screening)
            record("change.handback", user=user, object_type="screening", object_id=screening.case_number)
            db.session.commit()
            return redirect(url_for("screening.result" if done else "screening.resume", uuid=uuid))
        record("password.failed", user=user)
        db.session.commit()
        error = _("That is not your password. After several failed attempts, this phone waits a few minutes.")
    finished = next_for_person(screening) is None
    return render_template("screening/handback.html", screening=screening, form=form, error=error,
                           person=texts_of(screening), finished=finished), (422 if error else 200)
