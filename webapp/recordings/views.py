"""Administrators record the person-facing texts, language by language; every logged-in
user's phone fetches the recordings (the hand-over mode plays them, the service worker keeps
them for offline use)."""
from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

import questionnaires

from ..core import inputs, security
from ..extensions import db
from . import operations
from .forms import ReviewForm, UploadForm

bp = Blueprint("recordings", __name__)
YEAR = 365 * 24 * 3600


# A recording may be larger than MAX_CONTENT_LENGTH.
inputs.allow_large_upload(bp, "recordings.text")


def language_or_404(lang: str):
    language = questionnaires.load().language(lang)
    return language or abort(404)


@bp.get("/admin/recordings")
def index():
    q = questionnaires.load()
    rows = [(language, operations.coverage(language.code, q)) for language in q.languages.values()]
    return render_template("recordings/index.html", rows=rows)


@bp.get("/admin/recordings/<lang>")
def language(lang: str):
    language = language_or_404(lang)
    rows = operations.text_rows(lang)
    return render_template("recordings/language.html", language=language, rows=rows,
                           coverage=operations.coverage(lang, rows=rows), only_missing=request.args.get("missing") == "1")


@bp.route("/admin/recordings/<lang>/<text_key>", methods=["GET", "POST"])
def text(lang: str, text_key: str):
    language = language_or_404(lang)
    person_text = operations.person_text(text_key) or abort(404)
    form = UploadForm()
    errors: list[str] = []
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                _recording, replaced = operations.save(lang, text_key, form.file.data.read(), current_user)
            except operations.RecordingError as exc:
                db.session.rollback()
                errors.append(str(exc))
            else:
                db.session.commit()
                flash(_("Recording replaced: a draft until a native speaker checks it.") if replaced
                      else _("Recording saved: a draft until a native speaker checks it."), "ok")
                return redirect(url_for(".text", lang=lang, text_key=text_key), code=303)
        else:
            errors += [str(e) for e in form.file.errors] or [_("Choose a sound file.")]
    recording = operations.find(lang, text_key)
    page = render_template(
        "recordings/text.html", language=language, person_text=person_text, recording=recording, form=form,
        review_form=ReviewForm(), errors=errors,
        audio_url=operations.versioned_url(lang, text_key, recording.digest) if recording else None,
        outdated=recording is not None and operations.is_outdated(recording, person_text),
        max_bytes=current_app.config["APP_CONFIG"].max_upload_length,
    )
    response = make_response(page, 422 if errors else 200)
    # recorder.js: the microphone on this page only, and the take played back from a blob: URL.
    response.headers["Permissions-Policy"] = "camera=(), microphone=(self), geolocation=()"
    response.headers["Content-Security-Policy"] = security.CSP + "; media-src 'self' blob:"
    return response


@bp.post("/admin/recordings/<lang>/<text_key>/review")
def review(lang: str, text_key: str):
    language_or_404(lang)
    recording = operations.find(lang, text_key) or abort(404)
    if not ReviewForm().validate_on_submit():
        abort(400)
    operations.mark_reviewed(recording, current_user)
    db.session.commit()
    flash(_("Marked as checked by a native speaker."), "ok")
    return redirect(url_for(".text", lang=lang, text_key=text_key), code=303)


@bp.get("/audio/<lang>/<text_key>")
def audio(lang: str, text_key: str):
    """The recording, cached for a year under its versioned URL (``?v=`` its content's hash,
    as operations.audio_url writes it); an old or missing ``v`` is revalidated on each use."""
    recording = operations.find(lang, text_key) or abort(404)
    response = send_file(io.BytesIO(recording.audio), mimetype=recording.mimetype, conditional=True,
                         etag=recording.digest, max_age=0, download_name=f"{lang}-{text_key}")
    if request.args.get("v") == recording.digest[:16]:
        response.headers["Cache-Control"] = f"private, max-age={YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "private, no-cache"
    return security.keep_cache_control(response)


@bp.get("/audio/<lang>/")
def manifest(lang: str):
    """The current URLs of every recording of ``lang``: the service worker keeps them for
    offline use (sw.js, message ``cache-audio``) and drops the older versions."""
    language_or_404(lang)
    return jsonify({"lang": lang, "urls": sorted(operations.audio_urls(lang).values())})
