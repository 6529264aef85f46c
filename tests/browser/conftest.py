"""A live server on a temporary SQLite database, and Debian's Chromium driven by Playwright.

The browser tests build their own app (not the session ``app`` fixture) so they run once,
on SQLite, whatever TEST_DATABASE_URL says: a real browser is slow, and the database layer
is covered by the other tests on both backends.
In CI (CI=true) a missing Chromium or Playwright fails the tests; elsewhere they are skipped.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_config, serving

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")  # Debian's; Playwright downloads none
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"


def unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests need {reason} in CI", pytrace=False)
    pytest.skip(f"browser tests need {reason}")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.demo import seed_users
    from webapp.extensions import db

    path = tmp_path_factory.mktemp("browser") / "browser.db"
    # No settle between screens (static/js/screen.js) but in the one test of it, which
    # puts the real default back: a browser test then waits for nothing.
    app = create_app(make_config(f"sqlite:///{path}", screen_settle_ms=0))
    with app.app_context():
        upgrade()
        seed_users()  # the synthetic demo users, one per role (webapp/demo.py)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app):
    with serving(live_app) as url:
        yield url


@pytest.fixture
def server(live_server, live_app):
    """The live server's URL, with the demo users and nothing else left from an earlier test."""
    from webapp.extensions import db

    with live_app.app_context():
        users = db.metadata.tables["users"]
        keep = {users} | {fk.column.table for fk in users.foreign_keys}
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                if table not in keep:
                    conn.execute(table.delete())
    return live_server


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def has_system_khmer_font() -> bool:
    """Whether fontconfig knows a Khmer font (then a missing web font would not show tofu)."""
    if not shutil.which("fc-list"):
        return False
    import subprocess

    out = subprocess.run(["fc-list", ":lang=km", "family"], capture_output=True, text=True).stdout
    return bool(out.strip())
