"""Two database roles on PostgreSQL: an owner that migrates, and the app's runtime role.

The runtime role owns nothing. It reads and writes the tables it works with, but on the
audit trail it may only add and read rows: no UPDATE, DELETE or TRUNCATE, and, owning no
table, it cannot ALTER a table or disable or drop the append-only triggers either.
``flask grant-app-role ROLE`` (run as the owner, after every ``flask db upgrade``)
grants exactly this; running it again changes nothing.
"""
from __future__ import annotations

import re

from sqlalchemy import Connection, text

APPEND_ONLY = ("audit_events",)
ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def grant_statements(role: str, schema: str, tables: list[str]) -> list[str]:
    if not ROLE_NAME.match(role):
        raise ValueError("a role name is letters, digits and _ (not starting with a digit)")
    quote = lambda name: '"' + name.replace('"', '""') + '"'  # noqa: E731
    who, where = quote(role), quote(schema)
    statements = [
        f"GRANT USAGE ON SCHEMA {where} TO {who}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}",
        f"GRANT SELECT ON {where}.alembic_version TO {who}",  # /readyz compares revisions
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
    ]
    for table in tables:
        rights = "SELECT, INSERT" if table in APPEND_ONLY else "SELECT, INSERT, UPDATE, DELETE"
        statements.append(f"GRANT {rights} ON {where}.{quote(table)} TO {who}")
    return statements


def grant_app_role(connection: Connection, role: str, tables: list[str]) -> list[str]:
    """Grant ``role`` what the running app needs on the current schema; returns the SQL."""
    if connection.dialect.name != "postgresql":
        raise RuntimeError("database roles are PostgreSQL's; SQLite has none")
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    if role == connection.execute(text("SELECT current_user")).scalar_one():
        raise RuntimeError("the runtime role must not be the owner that migrates")
    statements = grant_statements(role, schema, tables)
    for statement in statements:
        connection.execute(text(statement))
    return statements
