"""Health endpoints for load balancers and deploy scripts."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers. Touches nothing else."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Readiness: the database answers and every migration has been applied."""
    # Lazy: Alembic's script machinery is loaded only by this probe, not by every worker.
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415 - see above
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - see above

    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception:  # noqa: BLE001 - any database failure means not ready
        return jsonify(status="unavailable", database="unreachable"), 503
    migrate = current_app.extensions["migrate"]
    script = ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))
    heads = set(script.get_heads())
    if current != heads:
        return jsonify(status="unavailable", database="ok", migrations="pending"), 503
    return jsonify(status="ok", database="ok", migrations="ok")
