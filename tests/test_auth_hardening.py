"""Protection, second pass, accounts side (security review findings 3, 4, 9, 10, 11, 14, 16, 21):
log-in throttling that cannot lock anyone out, client addresses behind a proxy, demo data
kept out of production, administrators kept out of case data, local redirects only,
session lifetimes, password changes, HSTS."""
from __future__ import annotations

import os
import re
import subprocess
import time
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import argon2
import pytest
from sqlalchemy import func, select, update

from tests.conftest import ROOT, app_with
from tests.web import PASSWORD, csrf, login, make_user
from webapp.audit.models import AuditEvent
from webapp.auth.models import User
from webapp.core.types import utcnow

ADDRESS_A, ADDRESS_B = "198.51.100.10", "198.51.100.20"


def client_at(app, address):
    """A browser at ``address`` (the TCP peer the server sees)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def wait_out_the_delay(db):
    """What waiting does: every address may try again."""
    from webapp.auth.models import LoginThrottle

    db.session.execute(update(LoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()


# --- f3: throttle per account and address, same answer and work for everyone ---------------


def test_wrong_passwords_from_one_address_do_not_lock_the_staff_member_out_elsewhere(app):
    make_user(app, "border")
    attacker, staff = client_at(app, ADDRESS_A), client_at(app, ADDRESS_B)
    for _ in range(8):
        assert login(attacker, "border", "wrong-password").status_code == 401
    # The attacker's address now waits, even with the right password ...
    assert login(attacker, "border", PASSWORD).status_code == 401
    # ... the staff member at their own desk does not.
    response = login(staff, "border", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/home"


def test_many_addresses_cannot_lock_the_account_either(app, database_url):
    make_user(app, "border")
    with app_with(database_url, login_account_cap=3) as capped:  # 20 by default
        for n in range(4):
            assert login(client_at(capped, f"203.0.113.{n}"), "border", "wrong-password").status_code == 401
        # Under attack, an address waits after its first failure ...
        typo = client_at(capped, "192.0.2.1")
        assert login(typo, "border", "wrong-password").status_code == 401
        assert login(typo, "border", PASSWORD).status_code == 401
        # ... but an address without failures still gets in with the right password.
        assert login(client_at(capped, "192.0.2.2"), "border", PASSWORD).status_code == 302


def test_delays_grow_and_end(app, db):
    from webapp.auth.models import LoginThrottle

    make_user(app, "border")
    client = client_at(app, ADDRESS_A)
    for _ in range(5):
        login(client, "border", "wrong-password")
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.blocked_until.is_not(None)))
    assert row.blocked_until - row.last_failure_at == timedelta(minutes=1)
    wait_out_the_delay(db)
    login(client, "border", "wrong-password")
    db.session.expire_all()
    row = db.session.get(LoginThrottle, row.key)
    assert row.blocked_until - row.last_failure_at == timedelta(minutes=2)
    assert login(client, "border", PASSWORD).status_code == 401  # still waiting
    wait_out_the_delay(db)
    assert login(client, "border", PASSWORD).status_code == 302


def test_the_delay_doubles_up_to_an_hour():
    from webapp.auth.throttle import Policy

    policy = Policy()
    assert [policy.delay(n, False) for n in (1, 4)] == [None, None]
    assert [policy.delay(n, False).total_seconds() for n in (5, 6, 7, 10, 11, 50, 10_000)] == [
        60, 120, 240, 1920, 3600, 3600, 3600]
    assert policy.delay(1, True) == timedelta(minutes=1)


def test_throttled_known_and_unknown_names_get_the_same_answer_after_the_same_work(app, monkeypatch):
    make_user(app, "border", phone="+85512000031")
    verifications = []
    real_verify = argon2.PasswordHasher.verify

    def counting_verify(self, stored_hash, password):
        verifications.append(stored_hash)
        return real_verify(self, stored_hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)

    def attempt(identifier, password):
        client = client_at(app, ADDRESS_A)
        page = client.get("/login").get_data(as_text=True)
        before = len(verifications)
        response = client.post("/login", data={"identifier": identifier, "password": password, "csrf_token": csrf(page)})
        body = re.sub(r'value="[^"]*"', 'value=""', response.get_data(as_text=True))  # CSRF token, name typed
        return response.status_code, body, len(verifications) - before

    unknown = attempt("nobody", "wrong-password")
    known = attempt("border", "wrong-password")
    by_phone = attempt("012 000 031", "wrong-password")
    for _ in range(4):  # five failures each, with the ones above
        attempt("border", "wrong-password")
        attempt("nobody", "wrong-password")
    throttled_right_password = attempt("border", PASSWORD)
    throttled_unknown = attempt("nobody", "wrong-password")
    assert unknown[0] == known[0] == by_phone[0] == throttled_right_password[0] == throttled_unknown[0] == 401
    assert unknown[1] == known[1] == by_phone[1] == throttled_right_password[1] == throttled_unknown[1]
    assert "Too many" not in known[1]
    # One argon2 verification in every case: the time taken does not tell them apart either.
    assert [r[2] for r in (unknown, known, by_phone, throttled_right_password, throttled_unknown)] == [1] * 5


# --- f4: the client address behind a trusted proxy --------------------------------------------


def login_from(client, forwarded_for, password="wrong-password", identifier="border"):
    page = client.get("/login", headers={"X-Forwarded-For": forwarded_for}).get_data(as_text=True)
    return client.post("/login", data={"identifier": identifier, "password": password, "csrf_token": csrf(page)},
                       headers={"X-Forwarded-For": forwarded_for}).status_code


def test_behind_one_proxy_each_client_has_its_own_login_buckets(app, database_url):
    make_user(app, "border")
    with app_with(database_url, trusted_proxy_hops=1, ratelimit_enabled=True) as proxied:
        balancer = proxied.test_client()  # every request comes from the balancer's address
        codes = [login_from(balancer, "203.0.113.1") for _ in range(21)]
        assert codes[:20] == [401] * 20 and codes[20] == 429
        # Another client behind the same balancer has its own rate-limit bucket ...
        assert login_from(balancer, "203.0.113.2", identifier="nobody") == 401
        # ... and its own throttle: the right password gets in.
        assert login_from(balancer, "203.0.113.2", password=PASSWORD) == 302


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(app, database_url):
    from webapp.extensions import limiter

    make_user(app, "border")
    with app_with(database_url, ratelimit_enabled=True) as direct:
        client = direct.test_client()
        codes = [login_from(client, f"203.0.113.{n}") for n in range(21)]
        assert codes[:20] == [401] * 20 and codes[20] == 429
        # The throttle is the peer's too: a forged header does not buy fresh attempts.
        limiter.reset()
        assert login_from(client, "203.0.113.100", password=PASSWORD) == 401


def test_ussd_allowed_ips_see_the_client_behind_the_proxy(app, database_url):
    with app_with(database_url, trusted_proxy_hops=1, ussd_shared_secret="s",
                  ussd_allowed_ips=("203.0.113.7",)) as proxied:
        client = proxied.test_client()
        data = {"sessionId": "x", "phoneNumber": "+85512000099", "text": ""}
        assert client.post("/ussd?token=s", data=data, headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 200
        assert client.post("/ussd?token=s", data=data, headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 403


def test_trusted_proxy_hops_comes_from_the_environment():
    from webapp.config import Config, ConfigError

    env = {"APP_ENV": "testing"}
    assert Config.from_env(env).trusted_proxy_hops == 0
    assert Config.from_env({**env, "TRUSTED_PROXY_HOPS": "2"}).trusted_proxy_hops == 2
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_HOPS"):
        Config.from_env({**env, "TRUSTED_PROXY_HOPS": "yes"})


# --- f9: demo accounts only in development -------------------------------------------------------


def count_users(app) -> int:
    from webapp.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize("env", ["testing", "production"])
def test_demo_seed_refuses_outside_development(app, database_url, env):
    with app_with(database_url, env=env) as other:
        result = other.test_cli_runner().invoke(args=["demo", "seed"])
        assert count_users(other) == 0
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: demo seed runs only with APP_ENV=development (this is {env}): its accounts share a published password"]


def test_demo_seed_works_in_development(app, database_url):
    with app_with(database_url, env="development") as development:
        result = development.test_cli_runner().invoke(args=["demo", "seed"])
        assert result.exit_code == 0, result.output
        assert count_users(development) == 7


def test_scripts_run_refuses_a_production_shell():
    env = dict(os.environ, APP_ENV="production")
    out = subprocess.run([str(ROOT / "scripts" / "run")], capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 2 and "development only" in out.stderr
    env = dict(os.environ, DATABASE_URL="postgresql+psycopg://somewhere/production")
    env.pop("APP_ENV", None)
    out = subprocess.run([str(ROOT / "scripts" / "run")], capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 2 and "DATABASE_URL" in out.stderr


# --- f10: administrators do not give themselves access to cases -----------------------------


def edit(client, db, user_id, **changes):
    """Post the admin's user form as the page shows it, with ``changes`` (None: unticked)."""
    db.session.expire_all()
    user = db.session.get(User, user_id)
    fields = {"name": user.name, "role": user.role, "phone": user.phone or "", "language": user.language,
              "province_code": user.province_code or "", "post_code": user.post_code or "",
              "country_code": user.country_code or "", "national": "y" if user.national else None,
              "active": "y" if user.active else None}
    fields.update(changes)
    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    data = {name: value for name, value in fields.items() if value is not None}
    return client.post(f"/admin/users/{user_id}", data={**data, "csrf_token": csrf(page)})


def test_an_admin_cannot_change_their_own_role_or_scope_or_deactivate_themselves(app, client, db):
    admin_id = make_user(app, "admin")
    login(client, "admin")
    for changes in ({"role": "supervisor"}, {"national": "y"}, {"province_code": "BMC"}, {"active": None}):
        response = edit(client, db, admin_id, **changes)
        assert response.status_code == 200, changes
        assert "ask another administrator" in response.get_data(as_text=True) or "អ្នកគ្រប់គ្រងប្រព័ន្ធម្នាក់ទៀត" in response.get_data(as_text=True)
    db.session.expire_all()
    me = db.session.get(User, admin_id)
    assert (me.role, me.national, me.province_code, me.active) == ("admin", False, None, True)
    assert client.get("/review/").status_code == 403
    # Their own name and language are theirs to change.
    assert edit(client, db, admin_id, name="Synthetic Admin Renamed", language="en").status_code == 302


def test_national_scope_is_given_on_the_server_only(app, client, db):
    make_user(app, "admin")
    supervisor_id = make_user(app, "supervisor")
    login(client, "admin")
    assert edit(client, db, supervisor_id, national="y").status_code == 200
    page = client.get("/admin/users/new").get_data(as_text=True)
    response = client.post("/admin/users/new", data={
        "name": "Synthetic Nat", "role": "supervisor", "national": "y", "language": "km", "csrf_token": csrf(page)})
    assert response.status_code == 200 and 'class="secret"' not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(User).where(User.national.is_(True))) == 0
    # On the server it works.
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--role", "supervisor", "--national", "--name", "Synthetic Nat", "--phone", "012000062"])
    assert result.exit_code == 0, result.output
    national = db.session.scalar(select(User).where(User.national.is_(True)))
    one_time_hash = national.password_hash
    # An administrator cannot take it over with a one-time password either.
    page = client.get(f"/admin/users/{national.id}").get_data(as_text=True)
    response = client.post(f"/admin/users/{national.id}/reset", data={"csrf_token": csrf(page)})
    assert response.status_code == 302 and 'class="secret"' not in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, national.id).password_hash == one_time_hash


def test_role_and_scope_changes_are_audited_with_before_and_after(app, client, db):
    make_user(app, "admin")
    border_id = make_user(app, "border")
    login(client, "admin")
    assert edit(client, db, border_id, role="supervisor", post_code="").status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "change.user.edit"))
    assert event.detail["before"] == {"role": "border", "post_code": "POIPET"}
    assert event.detail["after"] == {"role": "supervisor", "post_code": None}


# --- f11: redirects stay on this site -------------------------------------------------------------


HOSTILE_NEXT = ["/\t/evil.example", "/\r/x", "/\n/x", "//x", "/\\x", "https://x", "/\\/evil.example", " //x",
                "http:/x"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_next_goes_nowhere_else(app, target):
    make_user(app, "border")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login?" + urlencode({"next": target}),
                           data={"identifier": "border", "password": PASSWORD, "csrf_token": csrf(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/home"


@pytest.mark.parametrize("raw", ["next=/%09/evil.example", "next=/\t/evil.example", "next=/%0d/x", "next=/%0a/x"])
def test_login_next_as_sent_in_the_url(app, raw):
    make_user(app, "border")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", query_string=raw,
                           data={"identifier": "border", "password": PASSWORD, "csrf_token": csrf(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/home"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_language_switch_goes_nowhere_else(client, target):
    page = client.get("/").get_data(as_text=True)
    response = client.post("/language", data={"lang": "en", "next": target, "csrf_token": csrf(page)})
    location = response.headers["Location"]
    assert response.status_code == 302 and location == "/" and not urlsplit(location).netloc


def test_a_nul_in_next_is_refused_before_anything_is_done(app, client):
    make_user(app, "border")
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login?" + urlencode({"next": "/\x00/x"}),
                           data={"identifier": "border", "password": PASSWORD, "csrf_token": csrf(page)})
    assert response.status_code == 400 and "Location" not in response.headers
    response = client.post("/language", data={"lang": "en", "next": "/\x00/x", "csrf_token": csrf(page)})
    assert response.status_code == 400 and "Location" not in response.headers


def test_local_next_is_still_followed(app, client):
    make_user(app, "border")
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login?next=/screenings/%3Fpage%3D2",
                           data={"identifier": "border", "password": PASSWORD, "csrf_token": csrf(page)})
    assert response.headers["Location"] == "/screenings/?page=2"
    page = client.get("/screenings/").get_data(as_text=True)
    assert client.post("/language", data={"lang": "en", "next": "/screenings/", "csrf_token": csrf(page)}
                       ).headers["Location"] == "/screenings/"


# --- f14: idle and absolute session limits --------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """Moves the wall clock the session limits read (time.time) without waiting."""
    start = time.time()

    class Clock:
        def set(self, seconds_from_start: float) -> None:
            monkeypatch.setattr(time, "time", lambda: start + seconds_from_start)

    return Clock()


def test_the_cookie_from_the_login_response_expires_when_idle(app, client, clock):
    make_user(app, "border")
    login(client, "border")  # nothing else is requested: this is the cookie the log-in set
    clock.set(31 * 60)
    response = client.get("/screenings/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_an_idle_logout_ends_every_copy_of_the_session(app, client, clock):
    make_user(app, "border")
    login(client, "border")
    assert client.get("/screenings/").status_code == 200
    copied = client.get_cookie("session").value
    clock.set(31 * 60)
    assert client.get("/screenings/").status_code == 302  # logged out: idle
    clock.set(60)  # a copy of the cookie that was used more recently than that
    client.set_cookie("session", copied)
    assert client.get("/screenings/").status_code == 302


def test_a_busy_session_still_ends_after_twelve_hours(app, client, clock):
    make_user(app, "border")
    login(client, "border")
    for minutes in range(20, 12 * 60, 20):  # never idle
        clock.set(minutes * 60)
        assert client.get("/screenings/").status_code == 200, minutes
    clock.set((12 * 60 + 10) * 60)
    assert client.get("/screenings/").status_code == 302


# --- f16: password changes ----------------------------------------------------------------------


def first_login(app, client, username="newbie"):
    with app.app_context():
        from webapp.auth import operations
        from webapp.extensions import db as database

        _, secret = operations.create_user(role="border", name="Synthetic New", phone=None, username=username)
        database.session.commit()
    assert login(client, username, secret).headers["Location"] == "/password"
    return secret


def change(client, current, new):
    page = client.get("/password").get_data(as_text=True)
    return client.post("/password", data={"current_password": current, "new_password": new, "confirm": new,
                                          "csrf_token": csrf(page)})


def test_the_one_time_password_cannot_be_kept(app, client, db):
    secret = first_login(app, client)
    response = change(client, secret, secret)
    assert response.status_code == 200
    assert "សូមជ្រើសរើសពាក្យសម្ងាត់ថ្មី" in response.get_data(as_text=True)
    assert db.session.scalar(select(User.must_change_password).where(User.username == "newbie"))
    assert client.get("/screenings/").headers["Location"] == "/password"


@pytest.mark.parametrize("common", ["password1234", "cambodia123", "qwertyuiop", "1234567890", "iloveyou123"])
def test_common_passwords_are_refused(app, client, common):
    secret = first_login(app, client)
    response = change(client, secret, common)
    assert response.status_code == 200 and "ងាយទាយ" in response.get_data(as_text=True)


def test_guesses_of_the_current_password_are_throttled_like_logins(app, db):
    make_user(app, "border")
    hijacked = client_at(app, ADDRESS_A)
    login(hijacked, "border")
    for _ in range(5):
        assert change(hijacked, "a-wrong-guess", "a long new passphrase").status_code == 200
    # The right current password is refused now too ...
    assert change(hijacked, PASSWORD, "a long new passphrase").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "password.failed")) == 6
    # ... and so is a log-in from that address; not one from elsewhere.
    assert login(client_at(app, ADDRESS_A), "border").status_code == 401
    assert login(client_at(app, ADDRESS_B), "border").status_code == 302


# --- f21: HSTS in production --------------------------------------------------------------------


def test_production_over_https_sends_hsts(database_url, app):
    with app_with(database_url, env="production", secure_cookies=True) as production:
        response = production.test_client().get("/healthz", base_url="https://screening.example.org")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in app.test_client().get("/healthz").headers  # development and tests
