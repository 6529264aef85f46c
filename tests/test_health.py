"""Liveness and readiness."""
from __future__ import annotations

from flask_migrate import downgrade, upgrade


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_checks_database_and_migrations(app, client):
    assert client.get("/readyz").status_code == 200
    with app.app_context():
        downgrade(revision="-1")
    try:
        response = client.get("/readyz")
        assert response.status_code == 503 and response.get_json()["migrations"] == "pending"
    finally:
        with app.app_context():
            upgrade()
    assert client.get("/readyz").status_code == 200


def test_readyz_when_the_database_is_gone(database_url):
    from tests.conftest import make_config
    from webapp import create_app

    broken = create_app(make_config("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"
