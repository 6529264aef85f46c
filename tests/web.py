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


def screen_codes(page: str) -> list[str]:
    """The question codes on a screen, in order."""
    return re.findall(r'<fieldset class="q" data-code="([^"]+)"', page)


def answer_all(client, location: str, answers: dict, default="no", record="skip"):
    """Follow the redirects screen by screen, answering each question shown from
    ``answers`` (``default`` for the others; "unknown" for return_mode, a choice without
    "no"). The record screen at the end is skipped (``record="skip"``) or answered
    (``record="save"``). Returns the result page's location and the codes answered."""
    seen = []
    while "/result" not in location:
        response = client.get(location)
        if response.status_code == 302:
            location = response.headers["Location"]
            continue
        assert response.status_code == 200, (location, response.status_code)
        page = response.get_data(as_text=True)
        on_record = location.endswith("/record")
        data = {"csrf_token": csrf(page)}
        if on_record:
            data["action"] = record
        for code in screen_codes(page):
            if on_record and record == "skip":
                break
            seen.append(code)
            data[f"q-{code}"] = str(answers.get(code, "unknown" if code == "return_mode" else default))
        response = client.post(location, data=data)
        assert response.status_code == 302, (location, response.status_code, response.get_data(as_text=True)[-2000:])
        location = response.headers["Location"]
    return location, seen
