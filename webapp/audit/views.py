"""The audit trail for national supervisors: search and export; never edit."""
from __future__ import annotations

import io
from datetime import UTC, datetime, time

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from ..auth.forms import ROLE_LABELS
from ..core import csvsafe
from ..extensions import db
from .models import AuditEvent
from .operations import record
from .words import action_words, object_words

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE = 200


@bp.before_request
def national_only():
    # The matrix lets supervisors through; the audit trail is for national ones.
    if not current_user.national:
        abort(403)


def search():
    args = request.args
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if args.get("action"):
        query = query.where(AuditEvent.action.startswith(args["action"].strip()))
    if args.get("object_id"):
        query = query.where(AuditEvent.object_id == args["object_id"].strip())
    if args.get("user_id", "").isdigit():
        query = query.where(AuditEvent.user_id == int(args["user_id"]))
    for name, op, bound in (("since", "ge", time.min), ("until", "le", time.max)):
        try:
            day = datetime.strptime(args.get(name, ""), "%Y-%m-%d").replace(tzinfo=UTC).date()
        except ValueError:
            continue
        moment = datetime.combine(day, bound, tzinfo=UTC)
        query = query.where(AuditEvent.at >= moment if op == "ge" else AuditEvent.at <= moment)
    return query


@bp.get("/")
def index():
    events = db.session.scalars(search().limit(PAGE)).all()
    record("view.audit", user=current_user, count=len(events))
    db.session.commit()
    return render_template("audit/index.html", events=events, args=request.args,
                           action_words=action_words, object_words=object_words, roles=ROLE_LABELS)


@bp.get("/export.csv")
def export():
    events = db.session.scalars(search()).all()
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(["id", "at", "user_id", "role", "action", "object_type", "object_id", "count", "detail"])
    for e in events:
        writer.writerow([e.id, e.at.isoformat(), e.user_id or "", e.role or "", e.action, e.object_type or "",
                         e.object_id or "", "" if e.count is None else e.count, e.detail or ""])
    record("export.audit", user=current_user, count=len(events))
    db.session.commit()
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response
