"""The screening form, server-driven: one screen per group of questions (its section),
holding only the questions the skip rule still needs, one POST per screen.

It works with no JavaScript at all. With JavaScript, static/js/screen.js runs the same
questionnaire in the browser, keeps answers on the phone and sends the finished screening
to ``api_submit`` (see api.py); both end on the same result page.
"""
from __future__ import annotations

import uuid as uuidlib

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

import questionnaires
from questionnaires import screens

from ..audit.operations import record
from ..core import places
from ..core.forms import options
from ..extensions import db
from ..referrals import operations as referrals
from ..review import operations as review
from . import linkage, operations, person, presenters
from .forms import ConsentForm, DiscardForm, NoteForm, ScreenForm, StartForm

bp = Blueprint("screening", __name__, url_prefix="/screenings")

CONTEXTS_BY_ROLE = operations.CONTEXTS_BY_ROLE


@bp.get("/")
def mine():
    return render_template(
        "screening/mine.html", screenings=operations.screenings_of(current_user), tier_words=presenters.TIER_WORDS,
        requests=review.open_requests_for(current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
def start():
    form = start_form()
    if form.validate_on_submit():
        try:
            context = operations.Context.from_start(form.data).validated()
        except operations.UnsafeCall:
            return render_template("screening/call_unsafe.html")
        except operations.ScreeningError as exc:
            flash(presenters.context_error(exc.field), "error")
        else:
            consent = ConsentForm(formdata=None, obj=None)
            for name in ("kind", "post_code", "province_code", "country_code", "city", "callback_phone"):
                getattr(consent, name).data = getattr(context, name) or ""
            consent.lat.data = "" if context.lat is None else str(context.lat)
            consent.lon.data = "" if context.lon is None else str(context.lon)
            consent.uuid.data = str(uuidlib.uuid4())
            return consent_page(consent)
    return render_template("screening/start.html", form=form, kinds=CONTEXTS_BY_ROLE[current_user.role])


def start_form() -> StartForm:
    form = StartForm()
    allowed = CONTEXTS_BY_ROLE[current_user.role]
    form.kind.choices = [c for c in form.kind.choices if c.value in allowed]
    if request.method == "GET":
        form.kind.data = allowed[0]
        form.post_code.data = current_user.post_code
        form.province_code.data = current_user.province_code
        form.country_code.data = current_user.country_code
    form.post_code.choices = options(places.post_choices())
    form.province_code.choices = options(places.province_choices())
    form.country_code.choices = options(places.country_choices(exclude=("KH",)))
    form.caller_province.choices = options([("unknown", _("Unknown: the caller did not say"))] + places.province_choices())
    return form


def consent_page(form: ConsentForm, status: int = 200):
    """The consent, in the person's language (a draft one with the screener's beside it)."""
    q = questionnaires.load()
    choices = person.languages(q)
    form.person_language.choices = [(c.code, c.name) for c in choices]
    texts = person.PersonTexts(q, form.person_language.data or None, presenters.lang())
    form.person_language.data = texts.lang
    return render_template("screening/consent.html", form=form, question=q.question("consent"),
                           person=texts, languages=choices), status


@bp.post("/consent")
def consent():
    form = ConsentForm()
    if not form.validate_on_submit():
        abort(400)
    context = operations.Context.from_mapping(form.data)
    answer = request.form.get("answer")
    if answer == "language":  # show the consent in the language the screener chose
        return consent_page(form)
    handover = answer == "handover"
    if handover:
        answer = "yes"
    if answer == "no":
        operations.record_decline(channel="web", context=context)
        db.session.commit()
        return render_template("screening/declined.html")
    if answer != "yes":
        abort(400)
    existing = operations.get_own(current_user, form.uuid.data)
    if existing is not None:  # a double tap or a resend: the screening already exists
        return redirect(url_for(".resume", uuid=existing.uuid))
    try:
        screening = operations.start_screening(
            screener=current_user, channel="web", context=context,
            language=presenters.lang(), uuid=form.uuid.data or None,
            person_language=form.person_language.data or None,
        )
        db.session.commit()
    except operations.ScreeningError as exc:
        db.session.rollback()
        flash(presenters.context_error(exc.field), "error")
        return render_template("screening/start.html", form=start_form(), kinds=CONTEXTS_BY_ROLE[current_user.role]), 422
    except IntegrityError:  # the same uuid sent twice at the same moment
        db.session.rollback()
        existing = operations.get_own(current_user, form.uuid.data)
        if existing is None:
            abort(409)
        screening = existing
    if handover:  # the person answers privately (webapp/screening/handover.py)
        person.hand_over(screening, current_user)
        return redirect(url_for("handover.ask", uuid=screening.uuid))
    return redirect(url_for(".resume", uuid=screening.uuid))


def own_or_404(uuid: str):
    screening = operations.get_own(current_user, uuid)
    if screening is None:
        abort(404)
    return screening


@bp.get("/<uuid>")
def resume(uuid):
    """On to the next screen the skip rule still needs, then the record screen, then the result."""
    screening = own_or_404(uuid)
    if screening.status == "complete":
        return redirect(url_for(".result", uuid=uuid))
    q = operations.questionnaire_of(screening)
    answers = screening.answer_map()
    following = screens.next_screen(q, answers)
    if following is not None:
        return redirect(url_for(".screen", uuid=uuid, key=following.key))
    if screens.record_screen(q, answers) is not None:
        return redirect(url_for(".record_screen", uuid=uuid))
    operations.finish(screening)
    db.session.commit()
    return redirect(url_for(".result", uuid=uuid))


@bp.get("/<uuid>/q/<code>")
def question(uuid, code):
    """A link to one question (older pages, bookmarks): its screen."""
    screening = own_or_404(uuid)
    q = operations.questionnaire_of(screening)
    if not q.has(code) or code == "consent":
        abort(404)
    return redirect(url_for(".screen", uuid=uuid, key=screens.group_of(q.question(code))))


@bp.route("/<uuid>/s/<key>", methods=["GET", "POST"])
def screen(uuid, key):
    """One screen: the questions of one group that the skip rule still needs, posted at once.

    Each answer is named by its question's code, so it lands on the question it was shown
    with whatever was posted before (a double tap, a resend, another tab)."""
    screening = own_or_404(uuid)
    if screening.status == "complete":
        return redirect(url_for(".result", uuid=uuid))
    q = operations.questionnaire_of(screening)
    if key not in screens.groups(q) or key == screens.group_of(q.question("consent")):
        abort(404)
    shown = screens.screen(q, screening.answer_map(), key)
    if not shown.questions:
        return redirect(url_for(".resume", uuid=uuid))
    form = ScreenForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        errors = save_answers(screening, q, key, shown.questions, required=True)
        db.session.commit()
        if not errors:
            return redirect(url_for(".resume", uuid=uuid))
        shown = screens.screen(q, screening.answer_map(), key)
    return render_screen(screening, q, shown, form, errors)


@bp.route("/<uuid>/record", methods=["GET", "POST"])
def record_screen(uuid):
    """The questions left out "for the record", at the end: one button saves what was
    answered, one skips them all; either finishes. Unanswered stays missing, never no."""
    screening = own_or_404(uuid)
    if screening.status == "complete":
        return redirect(url_for(".result", uuid=uuid))
    q = operations.questionnaire_of(screening)
    answers = screening.answer_map()
    if not screens.is_done(q, answers):
        return redirect(url_for(".resume", uuid=uuid))
    shown = screens.record_screen(q, answers)
    form = ScreenForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        if shown is not None and request.form.get("action") != "skip":
            errors = save_answers(screening, q, None, shown.questions, required=False)
        if not errors:
            operations.finish(screening)
            db.session.commit()
            return redirect(url_for(".result", uuid=uuid))
        db.session.commit()
    if shown is None:
        return redirect(url_for(".resume", uuid=uuid))
    return render_screen(screening, q, shown, form, errors)


def save_answers(screening, q, key: str | None, shown, *, required: bool) -> dict[str, str]:
    """Record the posted answers of this screen (operations.record_screen_answers); returns
    the errors by code, as the screener reads them."""
    problems = operations.record_screen_answers(
        screening, q, key, shown, lambda item: presenters.posted_answer(item, request.form),
        required=required, channel="web",
    )
    return {code: presenters.missing_answer() if problem == "missing" else presenters.answer_error(q.question(code))
            for code, problem in problems.items()}


def render_screen(screening, q, shown, form, errors):
    answers = screening.answer_map()
    key = shown.key
    present = [group for group in screens.groups(q)
               if group != screens.group_of(q.question("consent")) and screens.screen(q, answers, group).questions]
    position = present.index(key) + 1 if key in present else len(present) + 1
    total = len(present) + (1 if key == screens.RECORD else 0)
    previous = screens.previous_screen(q, answers, key)
    return render_template(
        "screening/question.html",
        screening=screening, screen=shown, form=form, errors=errors, answers=answers,
        title=presenters.screen_title(key), position=position, total=max(total, position),
        previous=previous, views=[presenters.QuestionView(q, item) for item in shown.questions],
    ), (422 if errors else 200)


@bp.route("/<uuid>/discard", methods=["GET", "POST"])
def discard(uuid):
    """Give up an unfinished screening: a confirmation page, then a POST (works with no JavaScript)."""
    screening = own_or_404(uuid)
    if not operations.discardable(screening):
        abort(404)
    form = DiscardForm()
    if form.validate_on_submit():
        case_number = screening.case_number
        operations.discard_draft(screening, by=current_user)
        db.session.commit()
        flash(_("Screening %(case)s discarded: its answers are deleted.", case=case_number), "ok")
        return redirect(url_for(".mine"))
    return render_template("screening/discard.html", screening=screening, form=form)


@bp.get("/<uuid>/result")
def result(uuid):
    screening = own_or_404(uuid)
    if screening.status != "complete":
        return redirect(url_for(".resume", uuid=uuid))

    record("view", user=current_user, object_type="screening", object_id=screening.case_number)
    db.session.commit()
    form = NoteForm(formdata=None, note=screening.note, initials=screening.initials)
    return render_template(
        "screening/result.html", screening=screening, view=presenters.ResultView(screening), form=form,
        person=person.PersonTexts(operations.questionnaire_of(screening), screening.person_language, presenters.lang())
        if screening.person_language else None,
        referrals=referrals.of_screening(screening), awaiting_consent=referrals.awaiting_consent(screening),
        info_requests=review.requests_of(screening),
        information=referrals.information_for(screening) if screening.final_tier == "not_indicated" else [],
        hotlines=referrals.hotlines() if screening.final_tier == "not_indicated" else [],
    )


@bp.post("/<uuid>/note")
def note(uuid):
    screening = own_or_404(uuid)
    if screening.status != "complete":
        # Notes belong to finished screenings only: an abandoned draft would otherwise
        # keep them until the draft is purged (the form is on the result page).
        abort(409)
    form = NoteForm()
    if form.validate_on_submit():
        screening.note = form.note.data.strip() or None
        screening.initials = linkage.normalise_initials(form.initials.data) or None
        linkage.update(screening)
        record("change.note", user=current_user, object_type="screening", object_id=screening.case_number)
        db.session.commit()
        flash(_("Note saved."), "ok")
    return redirect(url_for(".result", uuid=uuid))
