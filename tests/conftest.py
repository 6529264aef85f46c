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
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from tests import netguard
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
    # libpq opens its own sockets, which the Python-level guard (tests/netguard.py) never sees.
    netguard.check_host(urlsplit(url).hostname)
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


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Any connection outside loopback fails the test (see tests/netguard.py)."""
    netguard.install(monkeypatch)


@event.listens_for(Engine, "connect")
def _fast_sqlite(dbapi_connection, _record):
    """Test databases are thrown away: SQLite need not wait for the disk at every commit."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA journal_mode = MEMORY")
        cursor.close()


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
    tables = list(reversed(db.metadata.sorted_tables))
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


@pytest.fixture
def definitions(monkeypatch):
    """Point the questionnaire loader at another definitions directory (a variant, or the
    files as they were before version 2) for one test, then back."""
    import questionnaires
    from questionnaires import loader

    def use(directory):
        monkeypatch.setattr(loader, "DEFINITIONS", directory)
        questionnaires.load.cache_clear()

    yield use
    monkeypatch.undo()
    questionnaires.load.cache_clear()


@pytest.fixture
def before_version_2(tmp_path):
    """A definitions directory as it was before version 2 came: v1.yaml and places.yaml."""
    import shutil

    from questionnaires import loader

    directory = tmp_path / "definitions-v1"
    directory.mkdir()
    for name in ("v1.yaml", "places.yaml"):
        shutil.copy(loader.DEFINITIONS / name, directory / name)
    return directory


def as_current(answers: dict) -> dict:
    """A version-1 example's answers as the current questionnaire asks them: a question of
    version 2 they do not answer (U3, return_mode, P10, C7 for a child) gets "no" or
    "unknown", which changes no tier."""
    import questionnaires

    q = questionnaires.load()
    answers = dict(answers)
    if answers.get("consent") != "yes":
        return answers
    for question in q.questions:
        if question.code not in answers and questionnaires.is_asked(q, question, answers):
            answers[question.code] = "no" if question.is_indicator else "unknown"
    return {question.code: answers[question.code] for question in q.questions if question.code in answers}


@pytest.fixture(scope="session")
def vignettes():
    """The public examples of version 1, as the current questionnaire asks them."""
    import json

    examples = json.loads((SHARED / "vignettes" / "examples.json").read_text(encoding="utf-8"))
    for example in examples:
        example["answers"] = as_current(example["answers"])
    return examples


@contextmanager
def app_with(database_url, **overrides):
    """Another app on the test database, with its own settings; the rate limiter (one
    extension object for every app) is put back afterwards."""
    from webapp.extensions import db, limiter

    enabled = limiter.enabled
    app = create_app(make_config(database_url, **overrides))
    try:
        yield app
    finally:
        if limiter.enabled:  # a disabled limiter has no storage
            limiter.reset()
        limiter.enabled = enabled
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


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
