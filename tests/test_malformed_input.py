"""Malformed input never gives a 500 (security review, finding 22: each PoC line is a test)."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import InternalServerError

from tests.referrals.test_admin_directory import FORM, admin
from tests.referrals.test_directory import as_csv, synthetic_rows
from tests.test_screening_api import payload, post, token
from tests.web import csrf, login, make_user
from webapp.auth.models import User
from webapp.referrals.models import Service
from webapp.screening.models import Screening


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_deeply_nested_json_is_a_bad_body(app, client, db):
    make_user(app, "border")
    login(client, "border")
    body = "[" * 5000 + "]" * 5000
    response = client.post("/api/screenings", data=body, content_type="application/json",
                           headers={"X-CSRFToken": token(client)})
    assert response.status_code == 422 and response.get_json()["field"] == "body"
    declined = client.post("/api/declines", data=body, content_type="application/json",
                           headers={"X-CSRFToken": token(client)})
    assert declined.status_code < 500


def test_times_outside_the_calendar_in_utc_are_ignored(app, client, db):
    make_user(app, "border")
    login(client, "border")
    body = payload(started_at="0001-01-01T00:00:00+14:00")
    for entry in body["answers"].values():
        entry["answered_at"] = "0001-01-01T00:00:00+14:00"
    response = post(client, body, token(client))
    assert response.status_code == 201
    assert db.session.scalar(select(Screening.client_started_at)) is None


@pytest.mark.parametrize("city", ["Bang\u0000kok", "\ud800", "Bang\x1bkok"])
def test_nul_surrogate_or_control_character_in_the_city_is_refused(app, client, db, city):
    make_user(app, "consular")
    login(client, "consular")
    body = payload(context={"kind": "abroad", "country_code": "TH", "city": city})
    response = post(client, body, token(client))
    assert response.status_code == 422 and response.get_json()["field"] == "city"
    assert count(db, Screening) == 0


def test_a_huge_latitude_is_refused(app, client, db):
    make_user(app, "border")
    login(client, "border")
    body = payload(context={"kind": "gps", "lat": 10**400, "lon": 102.5})
    response = client.post("/api/screenings", data=__import__("json").dumps(body), content_type="application/json",
                           headers={"X-CSRFToken": token(client)})
    assert response.status_code == 422 and response.get_json()["field"] == "gps"


def test_nul_in_admin_user_and_service_forms_is_a_400(app, client, db):
    token_ = admin(app, client)
    page = client.get("/admin/users/new").get_data(as_text=True)
    user = {"role": "border", "name": "Synthetic user", "username": "synthetic", "language": "en",
            "province_code": "BMC", "post_code": "", "country_code": "", "csrf_token": csrf(page)}
    for field in ("name", "username"):
        response = client.post("/admin/users/new", data={**user, field: "Synth\x00etic"})
        assert response.status_code == 400, field
    for field in ("name_en", "address"):
        response = client.post("/admin/services/new", data={**FORM, field: "DEMO\x00x", "csrf_token": token_})
        assert response.status_code == 400, field
    assert count(db, Service) == 0 and count(db, User) == 1


def test_csv_import_names_over_long_and_nul_fields(app, client, db):
    token_ = admin(app, client)
    rows = synthetic_rows()
    rows[0]["registration_number"] = "R" * 300
    rows[1]["name_en"] = "N" * 201
    rows[2]["address"] = "DEMO\x00"
    data = {"file": (io.BytesIO(as_csv(rows).encode()), "services.csv"), "csrf_token": token_}
    response = client.post("/admin/services/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    errors = re.findall(r'<li class="import-error">([^<]+)</li>', response.get_data(as_text=True))
    assert len(errors) == 3
    assert "registration_number" in errors[0] and "40" in errors[0] and "name_en" in errors[1]
    assert "address" in errors[2]
    assert count(db, Service) == 0


@pytest.mark.parametrize("role, method, path", [
    ("admin", "get", "/admin/users/99999999999999999999"),
    ("admin", "get", "/admin/services/3000000000"),
    ("admin", "post", "/admin/users/2147483648/reset"),
    ("service", "get", "/referrals/99999999999999999999"),
    ("supervisor", "post", "/review/requests/99999999999"),
])
def test_route_ids_beyond_the_database_integer_are_404(app, client, db, role, method, path):
    make_user(app, role)
    login(client, role)
    page = client.get("/").get_data(as_text=True)
    data = {"csrf_token": csrf(page)} if 'name="csrf_token"' in page else {}
    response = getattr(client, method)(path, data=data)
    assert response.status_code == 404


def test_error_page_survives_a_failed_database_session(app, db):
    """A flush fails (here: a duplicate username) and the view raises: the error page reads
    the user (language, menu) from a session that must be rolled back first."""
    from flask_login import login_user
    from sqlalchemy.exc import IntegrityError

    from webapp.core import errors
    from webapp.extensions import db as database

    make_user(app, "border", language="en")
    with app.test_request_context("/screenings/"):
        user = database.session.scalar(select(User))
        login_user(user)
        database.session.add(User(username="border", name="Duplicate", role="border", password_hash="x"))
        with pytest.raises(IntegrityError):
            database.session.flush()
        database.session.expire(user)  # as after any commit earlier in the request
        response = errors.handle(InternalServerError())
        body, code = response[0], response[1]
        assert code == 500 and "Something went wrong on our side" in body
