"""The audit trail's actions and record kinds in words (the codes stay in the data and the CSV)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_WORDS = {
    "login": _l("Logged in"),
    "login.failed": _l("Failed log-in"),
    "logout": _l("Logged out"),
    "password.failed": _l("Wrong password when changing it"),
    "view": _l("Opened"),
    "view.audit": _l("Opened the audit trail"),
    "view.figures": _l("Opened the figures"),
    "view.referrals": _l("Opened the referrals"),
    "change.discard": _l("Discarded an unfinished screening"),
    "change.note": _l("Changed a note"),
    "change.service": _l("Changed a service"),
    "change.service.import": _l("Imported the service directory"),
    "change.user.create": _l("Created a user"),
    "change.user.edit": _l("Changed a user"),
    "change.user.reset_password": _l("Reset a password"),
    "export.aggregate": _l("Exported de-identified figures"),
    "export.audit": _l("Exported the audit trail"),
    "export.screenings": _l("Exported screenings"),
    "keys.rotate": _l("Rotated the encryption keys"),
    "purge": _l("Removed identifying data of old cases"),
    "review.ask": _l("Asked the screener"),
    "review.confirm": _l("Confirmed a result"),
    "review.override": _l("Overrode a result"),
}
# Referral transitions: "referral.<state>".
REFERRAL_WORDS = {
    "proposed": _l("Referral proposed"),
    "notified": _l("Referral sent to the service"),
    "accepted": _l("Referral accepted"),
    "declined": _l("Referral declined"),
    "expired": _l("Referral not answered in time"),
    "arrived": _l("Person arrived at the service"),
    "closed": _l("Referral closed"),
    "cancelled": _l("Referral cancelled"),
}
OBJECT_WORDS = {
    "screening": _l("Screening"),
    "referral": _l("Referral"),
    "service": _l("Service"),
    "user": _l("User"),
}


def action_words(action: str) -> str:
    if action.startswith("referral."):
        return str(REFERRAL_WORDS.get(action.split(".", 1)[1], action))
    return str(ACTION_WORDS.get(action, action))


def object_words(kind: str | None) -> str:
    return str(OBJECT_WORDS.get(kind, kind)) if kind else ""
