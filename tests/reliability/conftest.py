"""Fixtures of the fault drills: staff phones, the app under gunicorn on the test database."""
from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import make_config
from tests.reliability.harness import Gateway, Gunicorn, app_environment
from tests.sms.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE, channel_app, channel_client, make_staff  # noqa: F401  (the SMS tests' fixtures)


def staff_phone(i: int) -> str:
    return f"+85512{100 + i:06d}"  # +855 12 000 1xx: synthetic


@pytest.fixture
def postgres_only(database_url):
    """Drills that race real processes on one database need PostgreSQL's row locks; CI sets
    TEST_DATABASE_URL, so they run there (SQLite serialises every writer anyway)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): SQLite serialises every writer")


@pytest.fixture
def make_phones(channel_app):
    """``make_phones(n)``: n active border-post screeners with phones; returns the numbers."""

    def make(count: int) -> list[str]:
        numbers = [staff_phone(i) for i in range(count)]
        for i, number in enumerate(numbers):
            make_staff(channel_app, number, username=f"drill.{i:03d}")
        return numbers

    return make


@pytest.fixture
def gunicorn(channel_app, tmp_path):
    """``gunicorn(workers=...)``: the app under gunicorn on the test database, production
    settings, started once per call and stopped at the end of the test."""
    servers = []

    def start(workers: int = 2, **env) -> Gunicorn:
        config = channel_app.config["APP_CONFIG"]
        server = Gunicorn(app_environment(config, **env), workers=workers, log_dir=tmp_path / f"gunicorn-{len(servers)}")
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


def gateway_for(server_url: str, **options) -> Gateway:
    return Gateway(server_url, auth_token=AUTH_TOKEN, public_base=PUBLIC_BASE, **options)


def channel_config(database_url: str, **overrides):
    """The tests' configuration with the SMS channel set up as ``channel_app`` has it."""
    return replace(make_config(database_url), public_base_url=PUBLIC_BASE, twilio_account_sid=ACCOUNT_SID,
                   twilio_auth_token=AUTH_TOKEN, twilio_from_number="+15005550006", **overrides)
