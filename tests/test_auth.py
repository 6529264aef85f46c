"""Accounts: log-in, throttling, sessions, forced password change, roles, admin pages, CLI."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import app_with
from tests.web import PASSWORD, csrf, login, make_user
from webapp.auth.models import User


def test_every_page_needs_login_except_the_public_ones(client):
    assert client.get("/").status_code == 200
    assert client.get("/login").status_code == 200
    for path in ("/screenings/", "/screenings/new", "/admin/users", "/home"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_login_by_username_or_phone(app, client):
    make_user(app, "border", phone="+85512000031")
    assert login(client, "border").headers["Location"] == "/home"
    client.post("/logout", data={"csrf_token": csrf(client.get("/screenings/").get_data(as_text=True))})
    assert login(client, "012 000 031").headers["Location"] == "/home"


def test_wrong_password_is_refused_without_saying_which(app, client):
    make_user(app, "border")
    wrong = login(client, "border", "not-the-password")
    unknown = login(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "ឈ្មោះអ្នកប្រើ ឬពាក្យសម្ងាត់មិនត្រឹមត្រូវ" in wrong.get_data(as_text=True)


def test_session_is_regenerated_at_login_and_dead_after_logout(app, client):
    make_user(app, "border")
    client.get("/login")
    before = client.get_cookie("session").value
    login(client, "border")
    after = client.get_cookie("session").value
    assert before != after
    page = client.get("/screenings/").get_data(as_text=True)
    stolen = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": csrf(page)})
    assert client.get("/screenings/").status_code == 302
    # Replaying the old cookie does not bring the session back: the session token rotated.
    client.set_cookie("session", stolen)
    assert client.get("/screenings/").status_code == 302


def test_one_time_password_must_be_changed(app, client):
    with app.app_context():
        from webapp.auth import operations
        from webapp.extensions import db as database

        _user, secret = operations.create_user(role="border", name="Synthetic New", phone=None, username="newbie")
        database.session.commit()
    response = login(client, "newbie", secret)
    assert response.headers["Location"] == "/password"
    assert client.get("/screenings/").headers["Location"] == "/password"
    page = client.get("/password").get_data(as_text=True)
    short = client.post("/password", data={"current_password": secret, "new_password": "short", "confirm": "short",
                                            "csrf_token": csrf(page)})
    assert short.status_code == 200 and "សូមប្រើយ៉ាងហោចណាស់ ១០ តួអក្សរ" in short.get_data(as_text=True)
    new = "a long new passphrase"
    done = client.post("/password", data={"current_password": secret, "new_password": new, "confirm": new,
                                           "csrf_token": csrf(page)})
    assert done.status_code == 302
    assert client.get("/screenings/").status_code == 200


def test_roles_are_kept_apart(app, client):
    make_user(app, "service")
    login(client, "service")
    assert client.get("/screenings/new").status_code == 403
    assert client.get("/admin/users").status_code == 403


def test_csrf_is_required_on_every_form(app, client):
    make_user(app, "border")
    login(client, "border")
    assert client.post("/screenings/new", data={"kind": "post", "post_code": "POIPET"}).status_code == 400
    assert client.post("/logout").status_code == 400
    page = client.get("/login")  # a fresh client would also be refused
    assert client.post("/login", data={"identifier": "border", "password": PASSWORD}).status_code == 400
    assert page.status_code == 302  # already logged in


def test_screening_pages_are_not_cached_and_carry_the_headers(app, client):
    make_user(app, "border")
    login(client, "border")
    response = client.get("/screenings/new")
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.get_data(as_text=True)  # no inline script


def test_session_cookie_flags(app):
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_admin_adds_edits_and_deactivates_a_user(app, client, db):
    make_user(app, "admin")
    login(client, "admin")
    page = client.get("/admin/users/new").get_data(as_text=True)
    response = client.post("/admin/users/new", data={
        "name": "Synthetic Officer", "role": "border", "phone": "012 000 041", "province_code": "BMC",
        "post_code": "POIPET", "country_code": "", "language": "km", "csrf_token": csrf(page),
    })
    body = response.get_data(as_text=True)
    secret = re.search(r'class="secret">([^<]+)<', body).group(1)
    user = db.session.scalar(select(User).where(User.name == "Synthetic Officer"))
    assert user.phone == "+85512000041" and user.must_change_password
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "+85512***041" in listing and "+85512000041" not in listing
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    client.post(f"/admin/users/{user.id}", data={
        "name": "Synthetic Officer", "role": "border", "phone": "+85512000041", "province_code": "BMC",
        "post_code": "POIPET", "country_code": "", "language": "en", "csrf_token": csrf(page),
    })  # 'active' unchecked: deactivated
    db.session.expire_all()
    assert db.session.get(User, user.id).active is False
    other = app.test_client()
    assert login(other, user.username, secret).status_code == 401


def test_phone_numbers_are_e164_and_unique(app, client):
    make_user(app, "admin")
    make_user(app, "border", phone="+85512000051")
    login(client, "admin")
    page = client.get("/admin/users/new").get_data(as_text=True)
    response = client.post("/admin/users/new", data={
        "name": "Synthetic Dup", "role": "border", "phone": "012000051", "language": "km", "csrf_token": csrf(page),
    })
    assert "another user" in response.get_data(as_text=True)
    response = client.post("/admin/users/new", data={
        "name": "Synthetic Bad", "role": "border", "phone": "12", "language": "km", "csrf_token": csrf(page),
    })
    assert "phone number" in response.get_data(as_text=True)


def test_users_create_cli_prints_a_one_time_password_that_logs_in(app, client):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["users", "create", "--role", "border", "--name", "Synthetic Cli", "--phone", "012000061",
                              "--post", "POIPET"])
    assert out.exit_code == 0, out.output
    secret = re.search(r"one-time password: ([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})", out.stdout).group(1)
    response = login(client, "012 000 061", secret)
    assert response.status_code == 302 and response.headers["Location"] == "/password"  # changed at first log-in
    bad = runner.invoke(args=["users", "create", "--role", "border", "--name", "X", "--phone", "not a phone"])
    assert bad.exit_code == 2 and "phone" in bad.stderr


def test_passwords_are_hashed_at_full_cost_outside_tests(app, database_url):
    """The suite hashes cheaply (webapp/auth/passwords.py); a development or production app
    never does: argon2id with argon2-cffi's defaults, RFC 9106's low-memory profile."""
    import argon2

    from webapp.auth.passwords import TESTING_PARAMETERS
    from webapp.extensions import db

    with app_with(database_url, env="development") as development:
        stored = {}
        for name, some_app in (("development", development), ("testing", app)):
            user_id = make_user(some_app, "border", username=f"hash-{name}")
            with some_app.app_context():
                stored[name] = argon2.extract_parameters(db.session.get(User, user_id).password_hash)
    assert stored["development"] == argon2.profiles.RFC_9106_LOW_MEMORY
    assert (stored["testing"].time_cost, stored["testing"].memory_cost, stored["testing"].parallelism) == tuple(
        TESTING_PARAMETERS[k] for k in ("time_cost", "memory_cost", "parallelism"))
