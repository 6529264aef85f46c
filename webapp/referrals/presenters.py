"""Words for needs, referral states and reasons a service was passed over."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..screening.presenters import FLAG_WORDS, TIER_WORDS

NEED_WORDS = {
    "shelter": _l("Shelter"),
    "transit_centre": _l("Transit centre"),
    "child_protection": _l("Child protection"),
    "medical": _l("Medical care"),
    "psychosocial": _l("Psychosocial support"),
    "legal_aid": _l("Legal aid"),
    "repatriation": _l("Repatriation support"),
    "labour_rights": _l("Labour rights"),
    "registration": _l("Registration with DoSVY"),
    "safe_migration": _l("Safe migration information"),
    "hotline": _l("Hotline"),
}
STATE_WORDS = {
    "proposed": _l("proposed"),
    "notified": _l("sent to the service, waiting for an answer"),
    "accepted": _l("accepted"),
    "declined": _l("declined"),
    "expired": _l("no answer in time"),
    "arrived": _l("arrived"),
    "closed": _l("closed"),
    "cancelled": _l("cancelled"),
}
REFUSAL_WORDS = {
    "inactive": _l("not active"),
    "wrong_type": _l("does not offer this help"),
    "sex": _l("does not take this sex"),
    "age": _l("does not take this age"),
    "nationality": _l("does not take this nationality"),
    "full": _l("no place available"),
}
# The distance bands a stored match keeps (matching.DISTANCE_BANDS).
BAND_WORDS = {
    "lt5": _l("less than 5 km away"),
    "5-25": _l("5 to 25 km away"),
    "25-100": _l("25 to 100 km away"),
    "gt100": _l("more than 100 km away"),
}
SEX_WORDS = {"female": _l("female"), "male": _l("male"), "other": _l("other"), "unknown": _l("not stated")}


def words() -> dict:
    return {"need_words": NEED_WORDS, "state_words": STATE_WORDS, "refusal_words": REFUSAL_WORDS,
            "sex_words": SEX_WORDS, "band_words": BAND_WORDS, "tier_words": TIER_WORDS, "flag_words": FLAG_WORDS}
