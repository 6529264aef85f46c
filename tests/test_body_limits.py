"""Request bodies are bounded before anything reads them: MAX_CONTENT_LENGTH everywhere,
a larger limit on the administrator's directory CSV import only."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.conftest import make_config
from tests.referrals.test_directory import as_csv, synthetic_rows
from tests.web import csrf, login, make_user
from webapp import create_app
from webapp.referrals.models import Service

OVERSIZE = b"identifier=" + b"x" * (65 * 1024)  # just over the default 64 KiB


@pytest.mark.parametrize("path", ["/login", "/sms/twilio", "/ussd?token=any", "/language"])
def test_oversize_bodies_are_refused_with_413(client, path):
    response = client.post(path, data=OVERSIZE, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_an_oversize_upload_by_anyone_but_an_administrator_is_refused(app, client):
    big = {"file": (io.BytesIO(b"x" * (1024 * 1024)), "services.csv")}
    assert client.post("/admin/services/import", data=big, content_type="multipart/form-data").status_code == 413
    make_user(app, "supervisor")
    login(client, "supervisor")
    big = {"file": (io.BytesIO(b"x" * (1024 * 1024)), "services.csv")}
    assert client.post("/admin/services/import", data=big, content_type="multipart/form-data").status_code == 413


def one_mebibyte_of_services() -> str:
    """A national directory with full addresses: just under 1 MiB of valid rows."""
    rows = []
    for i, row in enumerate(synthetic_rows(6000)):
        row["lat"], row["lon"] = f"{11.0 + (i % 300) * 0.01:.2f}", f"{103.0 + (i // 300) * 0.01:.2f}"
        row["address"] = f"DEMO house {i}, street {i % 97}, DEMO village {i % 31}, DEMO commune, DEMO district"
        rows.append(row)
    text = as_csv(rows)
    while len(text.encode()) > 1024 * 1024:
        del rows[-100:]
        text = as_csv(rows)
    assert len(text.encode()) > 1000 * 1024
    return text


def test_an_administrator_imports_a_one_mebibyte_directory(app, client, db):
    make_user(app, "admin")
    login(client, "admin")
    token = csrf(client.get("/admin/services").get_data(as_text=True))
    text = one_mebibyte_of_services()
    data = {"file": (io.BytesIO(text.encode()), "services.csv"), "csrf_token": token}
    response = client.post("/admin/services/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Service)) == text.count("\n") - 1
    too_big = {"file": (io.BytesIO(b"x" * (2 * 1024 * 1024 + 1)), "services.csv"), "csrf_token": token}
    assert client.post("/admin/services/import", data=too_big, content_type="multipart/form-data").status_code == 413


def test_the_limits_come_from_the_configuration(database_url, app):
    from webapp.config import Config

    config = Config.from_env({"APP_ENV": "testing", "MAX_CONTENT_LENGTH": "1024", "MAX_UPLOAD_LENGTH": "4096"})
    assert (config.max_content_length, config.max_upload_length) == (1024, 4096)
    small = create_app(make_config(database_url, max_content_length=1024)).test_client()
    body = b"identifier=" + b"x" * 2000
    assert small.post("/login", data=body, content_type="application/x-www-form-urlencoded").status_code == 413
