"""INSERT ... ON CONFLICT for the database in use: both PostgreSQL and SQLite have it, under
different SQLAlchemy constructs. Case counters, phone sessions and log-in throttles use it
for atomic create-or-update rows under concurrency."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db


def insert(model):
    """An ``insert(model)`` that offers ``on_conflict_do_update`` / ``on_conflict_do_nothing``."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
