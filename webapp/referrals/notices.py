"""The referral texts the outbox sends (``notices.yaml``), in the recipient's language and
within the SMS budget: a Khmer text at most 2 UCS-2 segments, an English one 1 GSM-7 segment,
counted as the carrier counts them (webapp.outbox.segments). Plain values in, text out: no
database, no request, so every variant can be rendered by the tests."""
from __future__ import annotations

import logging
from pathlib import Path

from ..core import digits
from ..core.texts import TextCatalog, language_of
from ..outbox.segments import fits_sms

log = logging.getLogger(__name__)
CATALOG = TextCatalog(Path(__file__).with_name("notices.yaml"))
NOTICE_VARIANTS = ("full", "no_tier", "no_link", "bare")


def _word(group: str, key: str | None, language: str, fallback: str = "unknown") -> str:
    if key is not None and CATALOG.has(f"{group}.{key}"):
        return CATALOG.text(f"{group}.{key}", language)
    if CATALOG.has(f"{group}.{fallback}"):
        return CATALOG.text(f"{group}.{fallback}", language)
    log.warning("referral texts: no %s word for %r", group, key)
    return (key or "").replace("_", " ")


def age_words(band: str, language: str) -> str:
    """An age band (``18-24``, ``50+``; in Khmer digits in a Khmer text), or ``minor?`` /
    ``unknown`` (see referrals.operations.age_band) in words."""
    if band == "minor?":
        return CATALOG.text("ages.minor", language)
    if band == "unknown" or not band[:1].isdigit():
        return CATALOG.text("ages.unknown", language)
    return digits.in_language(band, language_of(language))


def service_notice(language: str | None, *, referral_id: int, case: str, tier: str, sex: str | None, age: str,
                   need: str, urgent: bool, link: str) -> str:
    """The notice to a service: the first variant that fits the budget (full, without the
    tier, without the link, without both). ``age``: a band of referrals.operations.age_band."""
    language = language_of(language)
    params = dict(
        id=referral_id, case=case, link=link,
        urgent=CATALOG.text("urgent", language) if urgent else "",
        tier=_word("tiers", tier, language, fallback=""),
        sex=_word("sexes", sex, language),
        age=age_words(age, language),
        need=_word("needs", need, language, fallback=""),
    )
    texts = [CATALOG.text(f"notice.{variant}", language, **params) for variant in NOTICE_VARIANTS]
    for text in texts:
        if fits_sms(text, language):
            return text
    log.warning("referral %s: no %s notice fits one message's budget", referral_id, language)
    return texts[-1]


def supervisor_alert(language: str | None, *, referral_id: int, case: str, why: str, offered_next: bool) -> str:
    """To a supervisor: a referral was ``why`` (``declined`` / ``expired``), and whether the
    case went to the next service."""
    return CATALOG.text("alert", language, id=referral_id, case=case, why=_word("why", why, language, fallback=""),
                        outcome=CATALOG.text("outcome.next" if offered_next else "outcome.none", language))


def service_reply(language: str | None, key: str, *, referral_id: int, state: str | None = None) -> str:
    """The reply to a service's YES/NO: ``accepted``, ``declined``, ``not_yours`` or ``already``
    (then ``state`` is the referral's state)."""
    params = {"id": referral_id}
    if key == "already":
        params["state"] = _word("states", state, language, fallback="")
    return CATALOG.text(f"reply.{key}", language, **params)
