"""The figures dashboard and the exports (supervisors, within their scope)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user

from ..audit.operations import record
from ..core.digits import local_digits
from ..extensions import db
from ..review import operations as review
from . import operations as figures
from .presenters import TITLES, bar_chart, label

bp = Blueprint("figures", __name__, url_prefix="/figures")


@bp.get("/")
def dashboard():
    screenings = figures.screenings_in(review.scope_clause(current_user))
    shown = []
    for figure in figures.dashboard(screenings):
        rows = [(label(figure.key, k), v) for k, v in figure.rows]
        shown.append({"key": figure.key, "title": str(TITLES[figure.key]), "rows": rows,
                      "chart": bar_chart(f"chart-{figure.key}", str(TITLES[figure.key]), rows,
                                          number=local_digits) if rows else None})
    median = figures.median_hours_to_answer([s.id for s in screenings])
    record("view.figures", user=current_user, count=len(screenings))
    db.session.commit()
    return render_template("figures/dashboard.html", figures=shown, total=len(screenings), median_hours=median)


@bp.get("/export/screenings.csv")
def export_screenings():
    """Every screening in the supervisor's scope, with answers: recorded in the audit trail."""
    screenings = figures.screenings_in(review.scope_clause(current_user))
    body = figures.screenings_csv(screenings)
    record("export.screenings", user=current_user, count=len(screenings), detail={"format": "csv"})
    db.session.commit()
    return download(body, "screenings.csv", "text/csv")


@bp.get("/export/aggregate.<fmt>")
def export_aggregate(fmt: str):
    if fmt not in ("csv", "json"):
        abort(404)
    rows = figures.aggregate(figures.screenings_in(review.scope_clause(current_user)))
    record("export.aggregate", user=current_user, count=len(rows), detail={"format": fmt})
    db.session.commit()
    return download(figures.render_aggregate(rows, fmt), f"aggregate.{fmt}", "text/csv" if fmt == "csv" else "application/json")


def download(body: str, name: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
