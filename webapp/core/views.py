"""Public pages: the landing page and the language switch."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from . import digits
from .inputs import safe_next
from .security import keep_cache_control

bp = Blueprint("core", __name__)


@bp.get("/")
def landing():
    wanted = "screening.start" if current_user.is_authenticated else "auth.login"
    next_url = url_for(wanted) if wanted in current_app.view_functions else None
    return render_template("landing.html", next_url=next_url)


@bp.post("/language")
def set_language():
    config = current_app.config["APP_CONFIG"]
    lang = request.form.get("lang", "")
    if lang in config.locales:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.language = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("core.landing"))


# Where each role lands after log-in; features register their endpoint here when they exist.
HOME_BY_ROLE = {
    "border": "screening.mine",
    "consular": "screening.mine",
    "hotline": "screening.mine",
    "supervisor": "review.queue",
    "service": "referrals.mine",
    "admin": "admin.users",
}


@bp.get("/home")
def home():
    endpoint = HOME_BY_ROLE.get(current_user.role)
    if endpoint in current_app.view_functions:
        return redirect(url_for(endpoint))
    return render_template("home.html")


@bp.app_context_processor
def template_helpers():
    return {
        "current_locale": lambda: str(get_locale() or "km"),
        "nav_endpoints": lambda: current_app.view_functions,
    }


# Numbers inside Khmer text in Khmer digits ("សំណួរទី ៣ នៃ ៤២"), as in the static texts.
bp.add_app_template_filter(digits.local_digits, "local_digits")


@bp.get("/sw.js")
def service_worker():
    """Served from the root so its scope covers the whole app.

    The files it precaches are named by their versioned URLs, so the worker's own bytes
    change whenever one of them does: the browser then installs it again and fetches them.
    The browser checks it on every page load (no-cache): an ETag of its bytes lets that
    check cost a 304 and no body on a slow line.
    """
    text = (Path(current_app.static_folder) / "js" / "sw.js").read_text(encoding="utf-8")
    text = re.sub(r'"/static/([^"?]+)"', lambda m: json.dumps(url_for("static", filename=m.group(1))), text)
    response = Response(text, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    response.set_etag(hashlib.sha256(text.encode("utf-8")).hexdigest()[:16])
    # No case data in it: revalidated (no-cache) rather than the default no-store, which
    # would make every check download it whole.
    return keep_cache_control(response.make_conditional(request))


@bp.get("/manifest.webmanifest")
def manifest():
    response = jsonify({
        "name": _("Victim identification screening"),
        "short_name": _("Screening"),
        "start_url": url_for("screening.mine"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#fafafa",
        "theme_color": "#0b5cad",
        "lang": str(template_helpers()["current_locale"]()),
        "icons": [
            {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            # Full-bleed, its rings inside the central 80% circle: launchers may crop it to any shape.
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
            {"src": url_for("static", filename="icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    })
    response.mimetype = "application/manifest+json"
    return response
