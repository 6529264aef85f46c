"""Helpers for driving the web app like a person: log in, answer questions, read pages."""
from __future__ import annotations

import re

from webapp.auth import operations as accounts
from webapp.extensions import db

PASSWORD = "correct-horse-battery"


def make_user(app, role="border", username=None, **extra):
    defaults = {
        "border": dict(province_code="BMC", post_code="POIPET"),
        "consular": dict(country_code="TH"),
        "hotline": dict(province_code="PNP"),
        "supervisor": dict(province_code="BMC"),
    }.get(role, {})
    defaults.update(extra)
    with app.app_context():
        user, _ = accounts.create_user(
            role=role, name=f"Synthetic {role} {username or ''}".strip(), phone=defaults.pop("phone", None),
            username=username or role, password=PASSWORD, **defaults,
        )
        db.session.commit()
        return user.id


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username, password=PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"identifier": username, "password": password, "csrf_token": csrf(page)})


def start_screening(client, consent="yes", **context):
    page = client.get("/screenings/new").get_data(as_text=True)
    data = {"kind": "post", "post_code": "POIPET", "province_code": "BMC", "csrf_token": csrf(page)}
    data.update(context)
    consent_page = client.post("/screenings/new", data=data).get_data(as_text=True)
    fields = dict(re.findall(r'<input id="(\w+)" name="\w+" type="hidden" value="([^"]*)"', consent_page))
    fields["answer"] = consent
    response = client.post("/screenings/consent", data=fields)
    assert response.status_code != 400, (fields, consent_page[-3000:])
    return response


def answer_all(client, location: str, answers: dict, default="no"):
    """Follow the redirects question by question, answering from ``answers``."""
    seen = []
    while "/q/" in location:
        code = location.rsplit("/q/", 1)[1]
        seen.append(code)
        page = client.get(location).get_data(as_text=True)
        # A choice without "no" among its options (return_mode): the person does not know.
        value = answers.get(code, "unknown" if code == "return_mode" else default)
        field = "answer" if code in ("age", "nationality", "exploitation_country", "home_province") and value != "unknown" else "choice"
        response = client.post(location, data={field: value, "csrf_token": csrf(page)})
        assert response.status_code == 302, (code, value, response.status_code)
        location = client.get(response.headers["Location"]).headers.get("Location", "")
    return location, seen
