"""Shared fixtures.

Every test that touches the database runs once on SQLite and, when TEST_DATABASE_URL is
set, once more on PostgreSQL (a throwaway schema in that database, dropped at the end).
The schema is built by the real migrations (``upgrade head``), and emptied between tests.
"""
from __future__ import annotations

import os
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from webapp import create_app
from webapp.config import Config

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def with_search_path(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["options"] = f"-csearch_path={schema}"
    return urlunsplit(parts._replace(query=urlencode(query)))


def postgres_url() -> str:
    url = os.environ["TEST_DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    base = postgres_url()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield with_search_path(base, schema)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


TEST_KEY = Fernet.generate_key().decode()


def make_config(database_url: str, **overrides) -> Config:
    settings = dict(
        env="testing",
        secret_key="test-secret-key-" + "x" * 32,
        database_url=database_url,
        encryption_keys=f"t1:{TEST_KEY}",
        hash_key="test-hash-key",
        secure_cookies=False,
        public_base_url="http://localhost",
        ratelimit_enabled=False,  # tests of the limits build their own app
    )
    settings.update(overrides)
    return Config(**settings)


@pytest.fixture(scope="session")
def app_session(database_url):
    from flask_migrate import upgrade

    app = create_app(make_config(database_url))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        from webapp.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def reader_app(database_url, app_session):
    """A second app on the same database, for tests to read what requests wrote.

    Flask reuses an already pushed app context for requests of the same app, which would
    share ``g`` (the logged-in user, the CSRF token) between requests; a context of another
    app object keeps the test's own reads apart from the requests it makes.
    """
    app = create_app(make_config(database_url))
    yield app
    with app.app_context():
        from webapp.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(app_session):
    from webapp.extensions import db

    with app_session.app_context():
        empty_tables(db)
    yield app_session
    with app_session.app_context():
        db.session.remove()


def empty_tables(db) -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            # The audit trail refuses TRUNCATE by trigger; the test database's superuser
            # switches triggers off for this transaction only.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app, reader_app):
    from webapp.extensions import db as database

    with reader_app.app_context():
        yield database
        database.session.remove()


@pytest.fixture(scope="session")
def vignettes():
    import json

    return json.loads((SHARED / "vignettes" / "examples.json").read_text(encoding="utf-8"))


@contextmanager
def serving(app):
    """``app`` served on a free 127.0.0.1 port by a threaded Werkzeug server; yields its URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
