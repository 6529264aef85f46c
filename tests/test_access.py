"""Every registered endpoint, walked with every role and anonymously, against the matrix."""
from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter, Rule

from tests.conftest import make_config
from tests.web import login, make_user
from webapp import create_app
from webapp.auth import access
from webapp.auth.models import ROLES

PLACEHOLDERS = {"int": "999999", "default": "00000000-0000-0000-0000-000000000000", "string": "00000000-0000-0000-0000-000000000000"}


@pytest.fixture(scope="module")
def walk_app(app_session, database_url):
    """The same database, with CSRF off so every request reaches the access check (one app
    for the module: tests that log in also ask for ``app``, which empties the tables)."""
    from webapp.extensions import db

    other = create_app(make_config(database_url, extra={"WTF_CSRF_ENABLED": False}))
    yield other
    with other.app_context():
        db.engine.dispose()


def url_for_rule(rule: Rule) -> str:
    url = rule.rule
    for converter, name in [("integer" if isinstance(c, IntegerConverter) else type(c).__name__.replace("Converter", "").lower(), n)
                            for n, c in rule._converters.items()]:
        value = PLACEHOLDERS["int"] if converter == "integer" else ("csv" if name == "fmt" else PLACEHOLDERS["default"])
        url = url.replace(f"<{'int:' if converter == 'integer' else ''}{name}>", value).replace(f"<{name}>", value)
    return url


def rules(app):
    # Log-out is walked by its own test: walking it here would end the walkers' sessions.
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint not in ("static", "auth.logout")]


def request_as(client, rule: Rule):
    url = url_for_rule(rule)
    if "GET" in rule.methods:
        return client.get(url)
    return client.post(url, data={})


def outcome(response) -> str:
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 401 or (response.status_code == 302 and "/login" in response.headers.get("Location", "")):
        return "login"
    return "allowed"


def walk(app, clients) -> list[str]:
    problems = []
    for rule in rules(app):
        expected = access.roles_allowed(rule.endpoint)
        public = access.rule_for(rule.endpoint) == access.PUBLIC
        for role, client in clients.items():
            got = outcome(request_as(client, rule))
            if public:
                ok = True  # the matrix lets it through; the view authenticates its own way
            elif role in expected:
                ok = got == "allowed"
            elif role is None:
                ok = got == "login"
            else:
                ok = got == "forbidden"
            if not ok:
                problems.append(f"{rule.endpoint} {sorted(rule.methods - {'HEAD', 'OPTIONS'})} as {role or 'anonymous'}: {got}")
    return problems


def logged_in(walk_app, role):
    make_user(walk_app, role, username=f"walk-{role}", national=role == "supervisor")
    client = walk_app.test_client()
    login(client, f"walk-{role}")
    return client


@pytest.fixture
def clients(app, walk_app):
    return {None: walk_app.test_client(), **{role: logged_in(walk_app, role) for role in ROLES}}


def test_every_endpoint_has_a_rule(walk_app):
    assert access.undeclared(r.endpoint for r in rules(walk_app)) == []


def test_every_endpoint_with_every_role(walk_app, clients):
    problems = walk(walk_app, clients)
    print("\n".join(problems))
    assert problems == []


def test_removing_a_rule_makes_the_walk_fail(app, walk_app, monkeypatch):
    """The matrix is what the app enforces: take a rule out and the walk notices."""
    supervisor = logged_in(walk_app, "supervisor")
    assert supervisor.get("/figures/").status_code == 200
    monkeypatch.delitem(access.MATRIX, "figures.*")
    assert access.undeclared(r.endpoint for r in rules(walk_app)) == [
        "figures.dashboard", "figures.export_aggregate", "figures.export_screenings"]
    # Deny by default: without its rule the page is refused even to the supervisors it is for.
    assert supervisor.get("/figures/").status_code == 403


# The product's rules, written out independently of the matrix: widening the matrix (say,
# letting an admin read case content) fails here.
EXPECTED = {
    "admin.users": {"admin"},
    "screening.result": {"border", "consular", "hotline"},
    "screening_api.submit": {"border", "consular", "hotline"},
    "review.show": {"supervisor"},
    "figures.export_screenings": {"supervisor"},
    "referrals.show": {"service"},
    "core.home": set(ROLES),
    "webhooks.twilio_inbound": {None, *ROLES},
}


@pytest.mark.parametrize("endpoint,roles", EXPECTED.items(), ids=list(EXPECTED))
def test_matrix_matches_the_product_rules(walk_app, endpoint, roles):
    assert endpoint in walk_app.view_functions
    assert access.roles_allowed(endpoint) == roles
