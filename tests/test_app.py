"""The factory, configuration that fails closed, and headers."""
from __future__ import annotations

import pytest

from tests.conftest import make_config
from webapp import create_app
from webapp.config import Config, ConfigError


def test_production_without_secrets_refuses_to_start():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Config.from_env({"APP_ENV": "production", "DATABASE_URL": "sqlite://"})


def test_default_environment_is_production():
    with pytest.raises(ConfigError):
        Config.from_env({})


def test_short_secret_refused():
    env = {"APP_ENV": "production", "SECRET_KEY": "short", "DATABASE_URL": "sqlite://",
           "ENCRYPTION_KEYS": "k:x", "HASH_KEY": "h"}
    with pytest.raises(ConfigError, match="at least 32"):
        Config.from_env(env)


def test_unknown_environment_refused():
    with pytest.raises(ConfigError, match="APP_ENV"):
        Config.from_env({"APP_ENV": "staging"})


def test_development_makes_its_own_keys(tmp_path):
    config = Config.from_env({"APP_ENV": "development", "INSTANCE_DIR": str(tmp_path)})
    again = Config.from_env({"APP_ENV": "development", "INSTANCE_DIR": str(tmp_path)})
    assert config.secret_key and config.secret_key == again.secret_key
    assert config.database_url.startswith("sqlite:///")
    assert not config.secure_cookies


def test_missing_catalog_refuses_to_start(tmp_path):
    with pytest.raises(ConfigError, match="no compiled catalog"):
        create_app(make_config("sqlite://", translations_dir=str(tmp_path)))


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_language_switch_needs_csrf(client):
    response = client.post("/language", data={"lang": "en"})
    assert response.status_code == 400


def test_error_pages_say_nothing_about_records(app, client):
    from tests.web import login, make_user

    make_user(app, "border")
    login(client, "border")
    page = client.get("/screenings/00000000-0000-0000-0000-000000000000").get_data(as_text=True)
    assert "ទំព័រនេះមិនមានទេ" in page and "00000000" not in page.split("<main>")[1]
    api = client.post("/api/screenings", json={"uuid": "x"}, headers={"X-CSRFToken": "bad"})
    assert api.status_code == 400 and api.is_json
