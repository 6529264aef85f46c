"""The figures dashboard and the exports (supervisors)."""
from __future__ import annotations

import io

from flask import Blueprint, Response, abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

import questionnaires

from ..audit.operations import record
from ..core import csvsafe, places
from ..extensions import db
from ..referrals.presenters import SEX_WORDS, STATE_WORDS
from ..screening.presenters import FLAG_WORDS, TIER_WORDS
from . import charts, figures, operations

bp = Blueprint("figures", __name__, url_prefix="/figures")

TITLES = {
    "month": _l("Screenings by month"),
    "week": _l("Screenings by week (last 12)"),
    "tier": _l("Result of the engine"),
    "confirmed_tier": _l("Result confirmed by a supervisor"),
    "channel": _l("Channel"),
    "person_language": _l("The person's language"),
    "post": _l("Border post"),
    "province": _l("Province"),
    "sex": _l("Sex"),
    "age_band": _l("Age group"),
    "sector": _l("Sector of work"),
    "return_mode": _l("How the person came back"),
    "trafficking_type": _l("Type of trafficking"),
    "referral_outcome": _l("Referral outcomes"),
}


def label(key: str, value: str) -> str:
    if key in ("tier", "confirmed_tier"):
        return str(TIER_WORDS.get(value, value))
    if key == "sex":
        return str(SEX_WORDS.get(value, value))
    if key == "referral_outcome":
        return str(STATE_WORDS.get(value, value))
    if key in ("sector", "return_mode"):
        # The labels of the newest version that has the role (versions only add options).
        for version in reversed(questionnaires.available_versions()):
            question = questionnaires.load(version).by_role(key)
            option = next((o for o in question.options if o.value == value), None) if question else None
            if option:
                return option.label.get(places.lang())
        return str(_l("Unknown")) if value == "unknown" else value
    if key == "person_language":
        return language_name(value)
    if key == "channel":
        return {"web": "Web", "sms": "SMS", "ussd": "USSD"}.get(value, value)
    if key == "trafficking_type":
        return str(FLAG_WORDS.get(value, value))
    if key == "province":
        return places.province_name(value) if value != "ABR" else str(_l("Abroad"))
    if key == "post":
        return places.post_name(value)
    return value


def language_name(code: str) -> str:
    """A language by its own name (as the questionnaire declares it), with its code."""
    if code == "unknown":
        return str(_l("Unknown"))
    for version in reversed(questionnaires.available_versions()):
        language = questionnaires.load(version).language(code)
        if language is not None:
            return f"{language.name} ({code})"
    return code


@bp.get("/")
def dashboard():
    screenings = figures.screenings_in(operations.scope_clause(current_user))
    shown = []
    for figure in figures.dashboard(screenings):
        rows = [(label(figure.key, k), v) for k, v in figure.rows]
        shown.append({"key": figure.key, "title": str(TITLES[figure.key]), "rows": rows,
                      "chart": charts.bar_chart(f"chart-{figure.key}", str(TITLES[figure.key]), rows) if rows else None})
    median = figures.median_hours_to_answer([s.id for s in screenings])
    record("view.figures", user=current_user, count=len(screenings))
    db.session.commit()
    return render_template("review/dashboard.html", figures=shown, total=len(screenings), median_hours=median)


@bp.get("/export/screenings.csv")
def export_screenings():
    """Every screening in the supervisor's scope, with answers: recorded in the audit trail."""
    screenings = figures.screenings_in(operations.scope_clause(current_user))
    # Every code of every version, in asking order (version 2 adds questions to version 1's).
    codes: list[str] = []
    for version in questionnaires.available_versions():
        codes += [question.code for question in questionnaires.load(version).questions if question.code not in codes]
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(["case_number", "created", "channel", "person_language", "post", "province", "tier",
                     "confirmed_tier", "flags", "questionnaire_version", *codes])
    for s in screenings:
        answers = s.answer_map()
        writer.writerow([s.case_number, s.created_at.date().isoformat(), s.channel, s.person_language or "", s.post_code or "",
                         s.case_province, s.tier, s.confirmed_tier or "", ";".join(s.flags or []),
                         s.questionnaire_version, *[answers.get(code, "") for code in codes]])
    record("export.screenings", user=current_user, count=len(screenings), detail={"format": "csv"})
    db.session.commit()
    return download(out.getvalue(), "screenings.csv", "text/csv")


@bp.get("/export/aggregate.<fmt>")
def export_aggregate(fmt: str):
    if fmt not in ("csv", "json"):
        abort(404)
    rows = figures.aggregate(figures.screenings_in(operations.scope_clause(current_user)))
    record("export.aggregate", user=current_user, count=len(rows), detail={"format": fmt})
    db.session.commit()
    return download(figures.render_aggregate(rows, fmt), f"aggregate.{fmt}", "text/csv" if fmt == "csv" else "application/json")


def download(body: str, name: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
