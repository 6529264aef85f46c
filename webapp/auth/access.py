"""Who may use which endpoint: the access matrix, in one place.

Every request is checked against it before any view runs (``authorize``), and a test walks
every registered endpoint with every role: an endpoint without a rule is refused to
everybody and fails that test. Views still check *which* record (their own screening, their
province, their service's referral); this matrix says *which kind* of user may ask at all.
"""
from __future__ import annotations

from collections.abc import Iterable

from .models import ROLES, SCREENER_ROLES

PUBLIC = "public"  # no log-in needed (the view authenticates by other means where needed)
ANY = "any"  # any logged-in user

SCREENERS = frozenset(SCREENER_ROLES)
SUPERVISORS = frozenset({"supervisor"})

# endpoint (or "blueprint.*") -> PUBLIC, ANY, or the roles allowed.
MATRIX: dict[str, object] = {
    "static": PUBLIC,
    "core.landing": PUBLIC,
    "core.set_language": PUBLIC,
    "core.manifest": PUBLIC,
    "core.service_worker": PUBLIC,
    "core.home": ANY,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.change_password": PUBLIC,  # the view itself sends anonymous users to log in
    "health.*": PUBLIC,
    # Gateways authenticate with a Twilio signature or the USSD token instead.
    "webhooks.*": PUBLIC,
    "screening.*": SCREENERS,
    "screening_api.*": SCREENERS,
    "handover.*": SCREENERS,
    "referrals.mine": frozenset({"service"}),
    "referrals.show": frozenset({"service"}),
    "referrals.consent": SCREENERS,
    "referrals.confirm": SCREENERS,
    "review.answer_request": SCREENERS,
    "review.*": SUPERVISORS,
    "figures.*": SUPERVISORS,
    "audit.*": SUPERVISORS,  # national supervisors only: checked in the view
    "simulator.*": frozenset({"supervisor", "admin"}),
    "admin.*": frozenset({"admin"}),
    "recordings.*": frozenset({"admin"}),
    # The recordings themselves: any phone in use may play them (and keep them for offline use).
    "recordings.audio": ANY,
    "recordings.manifest": ANY,
}


def rule_for(endpoint: str | None):
    """The rule of ``endpoint``: its own, else its blueprint's, else None (refused)."""
    if endpoint is None:
        return PUBLIC  # no route matched: Flask answers 404/405
    if endpoint in MATRIX:
        return MATRIX[endpoint]
    blueprint = endpoint.rsplit(".", 1)[0] + ".*" if "." in endpoint else None
    return MATRIX.get(blueprint) if blueprint else None


def allowed(endpoint: str | None, role: str | None) -> bool:
    """May a user of ``role`` (None: anonymous) use ``endpoint``?"""
    rule = rule_for(endpoint)
    if rule is None:
        return False
    if rule == PUBLIC:
        return True
    if role is None:
        return False
    return rule == ANY or role in rule


def roles_allowed(endpoint: str) -> set[str | None]:
    return {role for role in (None, *ROLES) if allowed(endpoint, role)}


def undeclared(endpoints: Iterable[str]) -> list[str]:
    return sorted(e for e in endpoints if rule_for(e) is None)
