"""JSON endpoints for the in-browser screening (static/js/screen.js).

The browser runs the questionnaire with answers kept on the phone and sends each finished
screening once the network is there. The client makes the UUID, so a resend (a dropped
reply, a retry after reconnecting) returns the stored screening and creates nothing new.
The engine on the server re-validates everything and is the only judge of the result.
"""
from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

import questionnaires
from questionnaires import engine, screens

from ..core import places
from ..extensions import db
from . import audio, operations
from .forms import CONTEXT_LABELS
from .operations import CONTEXTS_BY_ROLE
from .person import PersonTexts
from .presenters import CONTEXT_ERRORS, SCREEN_TITLES

bp = Blueprint("screening_api", __name__)


@bp.get("/screenings/app")
def shell():
    """The app shell the service worker keeps, so a screening can start with no signal."""
    return render_template(
        "screening/app.html", kinds=CONTEXTS_BY_ROLE[current_user.role], strings=ui_strings(),
        settle_ms=current_app.config["APP_CONFIG"].screen_settle_ms,
    )


def ui_strings() -> dict[str, str]:
    """The words of screen.js, translated here so they live in the catalogs.

    Placeholders such as ``%(n)d`` are left unfilled (gettext without variables) and
    filled in the browser.
    """
    return {
        "new_screening": _("New screening"),
        "where": _("Where are you?"),
        **{f"kind_{kind}": str(label) for kind, label in CONTEXT_LABELS.items()},
        **{f"error_{field}": str(message) for field, message in CONTEXT_ERRORS.items()},
        "post": _("Border post"),
        "province": _("Province"),
        "country": _("Country"),
        "city": _("City"),
        "continue": _("Continue"),
        "locate": _("Find this phone's location"),
        "locating": _("Finding the location…"),
        "located": _("Location found."),
        "read_aloud": _("Read this aloud"),
        "consent_yes": _("Yes, agrees to answer"),
        "consent_no": _("No, does not agree"),
        "progress": _("Part %(n)d of %(total)d"),
        **{f"screen_{key}": str(title) for key, title in SCREEN_TITLES.items()},
        "missing": _("Answer this question."),
        "some_missing": _("Some answers are missing or not valid: see below."),
        "record_note": _("These answers cannot change the result. Ask them if there is time; they help the statistics. "
                         "A question left blank stays unanswered."),
        "record_save": _("Save these answers and finish"),
        "record_skip": _("Skip these questions and finish"),
        "unneeded_hint": _("A question that fades can no longer change the result: it needs no answer now and comes back at the end."),
        "back": _("Back"),
        "help": _("Help"),
        "number": _("Number"),
        "choose": _("Choose"),
        "next": _("Next"),
        "number_error": _("Enter a number from %(low)d to %(high)d."),
        "choice_error": _("Choose one of the answers."),
        "ended": _("Screening ended"),
        "declined": _("The person did not agree. Nothing about them was kept; only the count of screenings not done."),
        "another": _("Start another screening"),
        "sending": _("Sending…"),
        "saved": _("Saved on this phone. It will be sent when the phone is online."),
        "discard": _("Discard this screening"),
        "discard_confirm": _("Discard the answers of this screening? They will not be kept."),
        "load_failed": _("The questions could not be loaded. Check the connection and try again."),
        "standard_form": _("Use the standard form"),
        # Hand-over mode (static/js/handover.js): the screener's words; the person's come
        # from the questionnaire in the person's language.
        "person_language": _("The person's language"),
        "draft_badge": _("Draft translation"),
        "draft": _("draft"),
        "beside": _("The same in your language (the translation above is not checked yet):"),
        "handover_yes": _("Yes: hand the phone to the person to answer privately"),
        "give_back": _("Give the phone back to the staff member"),
        "take_back": _("Staff: hold 2 seconds to take the phone back"),
        "take_back_confirm": _("Take the phone back from the person?"),
        "hand_over": _("Hand the phone to the person"),
        "listen": _("Listen"),
        "headphones": _("Hand-over: with headphones if there are any, so nobody nearby hears the questions."),
    }


@bp.get("/api/questionnaire")
def questionnaire():
    """With an ETag: the service worker asks If-None-Match and gets a 304 (~15 KB saved per
    opening of the form) while the questionnaire is unchanged."""
    q = questionnaires.load()
    response = jsonify(questionnaire_document(q))
    response.add_etag()
    return response.make_conditional(request)


def text(t) -> dict[str, str] | None:
    return {"km": t.km, "en": t.en} if t is not None else None


def person_text(t, languages=None) -> dict[str, str] | None:
    """A person-facing text in every language the questionnaire declares (or in ``languages``)."""
    return {lang: t.get(lang) for lang in (languages or t.languages)} if t is not None else None


@bp.get("/api/questionnaire/languages")
def languages():
    """The person-facing texts in the languages beyond Khmer and English, for the hand-over
    mode (static/js/handover.js merges them into the questionnaire); cached by the service
    worker like the questionnaire, with an ETag."""
    q = questionnaires.load()
    response = jsonify({**_once(q)[3], "contact": contact_document(q)})
    response.add_etag()
    return response.make_conditional(request)


def languages_document(q) -> dict[str, Any]:
    """The languages document but its contact (which depends on the app's configuration)."""
    others = [code for code in q.languages if code not in ("km", "en")]
    return {
        "version": q.version,
        "languages": others,
        "questions": {
            item.code: {
                "text": person_text(item.text, others),
                "options": {o.value: person_text(o.label, others) for o in item.options},
            }
            for item in q.questions
        },
        "answer_labels": {value: person_text(label, others) for value, label in q.answer_labels.items()},
        "result_sentences": {tier: person_text(sentence) for tier, sentence in q.result_sentences.items()},
    }


def audio_document(q) -> dict[str, dict[str, str]]:
    """The recordings there are, per language and text key (webapp/screening/audio.py);
    the hand-over mode shows a listen button only for these. Read per request: a
    recording uploaded since shows at once."""
    keys = _once(q)[2]
    found: dict[str, dict[str, str]] = {}
    for lang in q.languages:
        urls = audio.audio_urls(lang, keys)
        if urls:
            found[lang] = urls
    return found


def condition(c) -> dict[str, Any] | None:
    if c is None:
        return None
    if c.kind in ("all", "any"):
        return {c.kind: [condition(part) for part in c.parts]}
    if c.kind == "minor":
        return {"minor": c.minor}
    if c.op == "answered":
        return {"answer": c.code, "answered": True}
    return {"answer": c.code, "in": list(c.values)}


def effects(q, item) -> list[dict[str, Any] | None] | None:
    """What a ``yes`` to an indicator adds, for an adult and for a minor (engine.effect_of):
    the browser's copy of the skip rule adds these up instead of re-deriving the weights."""
    if not item.is_indicator:
        return None
    found = (engine.effect_of(q, item, minor) for minor in (False, True))
    return [dataclasses.asdict(effect) if effect is not None else None for effect in found]


def skip_rule(q) -> dict[str, Any]:
    """What the skip rule (engine.can_change) reads besides the questions."""
    rule = q.scoring.forced_labour
    return {
        "always_asked": list(engine.ALWAYS_ASKED_SECTIONS),
        "met": q.scoring.met,
        "partial": q.scoring.partial,
        "forced_labour": {"work": rule.work, "no_work": list(rule.no_work)} if rule is not None else None,
    }


def questionnaire_document(q) -> dict[str, Any]:
    """The questionnaire as the browser needs it: texts, options, when each is asked, and
    what the skip rule needs to leave out what cannot change the result (issue 14)."""
    return {**questionnaire_static(q), "audio": audio_document(q)}


# The part of the questionnaire document that depends on the questionnaire alone, built once
# per loaded questionnaire (questionnaires.load caches the object) instead of per request.
_static: dict[int, tuple[Any, dict[str, Any], list[str], dict[str, Any]]] = {}


def _once(q) -> tuple[Any, dict[str, Any], list[str], dict[str, Any]]:
    """(q, its static document, its audio keys, its languages document), kept while ``q``
    is the loaded one."""
    entry = _static.get(id(q))
    if entry is None or entry[0] is not q:
        if len(_static) >= 8:  # as many as questionnaires.load keeps
            _static.clear()
        entry = _static[id(q)] = (q, _build_static(q), audio.text_keys(q), languages_document(q))
    return entry


def questionnaire_static(q) -> dict[str, Any]:
    return _once(q)[1]


def _build_static(q) -> dict[str, Any]:
    place_data = questionnaires.load_places()
    return {
        "version": q.version,
        "minor_age": q.scoring.minor_age,
        "skip": skip_rule(q),
        "answer_labels": {value: text(label) for value, label in q.answer_labels.items()},
        # The person's languages: their names and review status here; their texts in
        # languages_document (fetched by the hand-over mode only, so a Khmer screener's
        # form does not carry them).
        "languages": {code: {"name": language.name, "draft": language.is_draft} for code, language in q.languages.items()},
        "questions": [
            {
                "code": item.code,
                "type": item.type,
                "section": item.section,
                "text": text(item.text),
                "help": text(item.help),
                "when": condition(item.when),
                "options": [{"value": o.value, "label": text(o.label)} for o in item.options],
                "values": list(item.option_values()) if item.type in ("indicator", "consent") else None,
                "min": item.minimum,
                "max": item.maximum,
                "allow_unknown": item.allow_unknown,
                "effects": effects(q, item),
                "flag": item.tags.flag,
                "role": item.tags.role,
                "record": screens.kept_for_the_record(item),
            }
            for item in q.questions
        ],
        "provinces": [{"value": p.code, "label": text(p.name)} for p in place_data.provinces],
        "posts": [{"value": c.code, "label": text(c.name), "province": c.province} for c in place_data.crossings],
        "countries": {lang: [{"value": code, "label": name} for code, name in country_list(lang)] for lang in ("km", "en")},
    }


def contact_document(q) -> dict[str, str] | None:
    """Whom the person can call later, in every language (the service the app is set up with)."""
    config = current_app.config["APP_CONFIG"]
    if q.contact_sentence is None or not config.contact_name or not config.contact_phone:
        return None
    return {lang: PersonTexts(q, lang, lang).contact(config.contact_name, config.contact_phone)
            for lang in q.contact_sentence.languages}


def country_list(lang: str) -> list[tuple[str, str]]:
    with force_locale(lang):
        return places.country_choices()


@bp.post("/api/screenings")
def submit():
    """Receive one finished screening. 201 when stored, 200 when it was already there."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), dict):
        return problem("body", "a JSON object with 'uuid', 'context' and 'answers' is required")
    if not isinstance(payload.get("context"), dict):
        return problem("context", "'context' must be an object")
    version = payload.get("questionnaire_version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        return problem("questionnaire_version", "'questionnaire_version' must be a whole number")
    try:
        context = operations.Context.from_mapping(payload["context"])
        screening, created = operations.submit_complete(
            screener=current_user,
            uuid=str(payload.get("uuid", "")),
            context=context,
            answers=payload["answers"],
            language=str(payload.get("language") or "km"),
            client_started_at=operations.parse_time(payload.get("started_at")),
            version=version,
            person_language=str(payload.get("person_language") or "") or None,
        )
        db.session.commit()
    except operations.ScreeningError as exc:
        db.session.rollback()
        return problem(exc.field, str(exc))
    except IntegrityError:
        # The same screening sent twice at once (two tabs, a retry racing the original):
        # the other request stored it; answer as for any resend.
        db.session.rollback()
        screening = operations.get_own(current_user, str(payload.get("uuid", "")))
        if screening is None:
            raise
        created = False
    body = {
        "uuid": screening.uuid,
        "case_number": screening.case_number,
        "tier": screening.tier,
        "result_url": url_for("screening.result", uuid=screening.uuid),
    }
    return jsonify(body), 201 if created else 200


@bp.post("/api/declines")
def decline():
    """A person who did not consent: only the count is kept."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        payload = {}
    raw = payload.get("context")
    context = None
    with contextlib.suppress(operations.ScreeningError):
        context = operations.Context.from_mapping(raw) if isinstance(raw, dict) else None
    try:
        operations.record_decline(channel="web", context=context, client_uuid=payload.get("uuid") or None)
    except operations.ScreeningError as exc:
        return problem(exc.field, str(exc))
    db.session.commit()
    return jsonify({"ok": True}), 201


def problem(field: str, message: str):
    return jsonify({"error": message, "field": field}), 422
