"""PostgreSQL roles: an owner migrates, the app runs as a role that can only add to and read
the audit trail (and cannot switch its triggers off), and the app still works as that role."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.conftest import make_config, postgres_url, with_search_path
from webapp import create_app

pytestmark = pytest.mark.postgres


def as_role(base: str, role: str, schema: str) -> str:
    url = make_url(base).set(username=role, password="role-test-password")
    return with_search_path(url.render_as_string(hide_password=False), schema)


@pytest.fixture
def roles():
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("database roles are PostgreSQL's (set TEST_DATABASE_URL)")
    base = postgres_url()
    tag = uuid.uuid4().hex[:10]
    owner, runtime, schema = f"owner_{tag}", f"app_{tag}", f"roles_{tag}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for role in (owner, runtime):
            conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'role-test-password'"))
        conn.execute(text(f"CREATE SCHEMA {schema} AUTHORIZATION {owner}"))
    try:
        yield as_role(base, owner, schema), as_role(base, runtime, schema), runtime
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            for role in (runtime, owner):
                conn.execute(text(f"DROP OWNED BY {role}"))
                conn.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


def refused(conn, statement):
    """Run ``statement`` in a savepoint; True when PostgreSQL refuses it."""
    savepoint = conn.begin_nested()
    try:
        conn.execute(text(statement))
    except DBAPIError:
        savepoint.rollback()
        return True
    savepoint.rollback()
    return False


def test_runtime_role_can_only_add_to_and_read_the_audit_trail(roles):
    from flask_migrate import upgrade

    owner_url, app_url, runtime = roles
    app = create_app(make_config(app_url, migration_database_url=owner_url))
    with app.app_context():
        upgrade()  # as the owner: the runtime role has no right to create anything
        result = app.test_cli_runner().invoke(args=["grant-app-role", runtime])
        assert result.exit_code == 0, result.output

        from webapp.audit.models import AuditEvent
        from webapp.audit.operations import record
        from webapp.auth import operations as accounts
        from webapp.extensions import db
        from webapp.screening import operations

        assert db.session.execute(text("SELECT current_user")).scalar_one() == runtime
        owners = set(db.session.execute(text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = current_schema()")).scalars())
        assert runtime not in owners and len(owners) == 1

        # The app works as the runtime role: an account, a screening, an audit record.
        user, _ = accounts.create_user(role="border", name="Synthetic border", username="border", phone=None,
                                       password="correct-horse-battery", province_code="BMC", post_code="POIPET")
        db.session.flush()
        screening = operations.start_screening(screener=user, channel="web",
                                               context=operations.Context("post", post_code="POIPET"))
        record("view", user=user, object_type="screening", object_id=screening.case_number)
        db.session.commit()
        assert db.session.scalar(select(AuditEvent.object_id).where(AuditEvent.action == "view")) == screening.case_number
        db.session.remove()

    engine = create_engine(app_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() >= 1
            assert not refused(conn, "INSERT INTO audit_events (at, action) VALUES (now(), 'probe')")
            for statement in (
                "UPDATE audit_events SET action = 'tampered'",
                "DELETE FROM audit_events",
                "TRUNCATE audit_events",
                "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
                "ALTER TABLE audit_events DISABLE TRIGGER ALL",
                "DROP TRIGGER audit_events_append_only ON audit_events",
                "DROP TRIGGER audit_events_no_truncate ON audit_events",
                "DROP TABLE audit_events",
            ):
                assert refused(conn, statement), statement
    finally:
        engine.dispose()

    owner = create_engine(owner_url)
    try:
        with owner.connect() as conn:  # the owner's TRUNCATE meets the statement trigger
            assert refused(conn, "TRUNCATE audit_events")
    finally:
        owner.dispose()
    with app.app_context():
        from webapp.extensions import db

        db.session.remove()
        db.engine.dispose()
