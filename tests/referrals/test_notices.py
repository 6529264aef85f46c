"""Referral texts in the reader's language and within budget: the notice to a service, its
reply to YES/NO and the alert to supervisors, Khmer by default, English when chosen. Every
variant is counted like the dialogue's messages (a Khmer text 2 UCS-2 segments, an English
one 1 GSM-7 segment, clusters never split), and the real outbox sends them through the real
twilio client to a stand-in on 127.0.0.1."""
from __future__ import annotations

import itertools
import re
from dataclasses import replace
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

import questionnaires as Q
from tests.referrals.test_flow import screen, setup_directory, share
from tests.sms.conftest import channel_app, post_sms  # noqa: F401  (fixture)
from tests.sms.test_outbox import StandIn, twilio_created
from tests.web import make_user
from webapp.core.types import utcnow
from webapp.extensions import db as database
from webapp.outbox import operations as outbox
from webapp.outbox.providers import provider_for
from webapp.outbox.segments import cost, fits_sms, is_gsm7
from webapp.referrals import notices, operations
from webapp.referrals.matching import SERVICE_TYPES, SEXES
from webapp.referrals.models import REFERRAL_STATES, Referral, Service

SERVICE_PHONE = "+85512000101"  # DEMO Poipet Transit Centre
CASE = "KH-ABR-2026-999999"  # the longest case number
BASES = ("http://127.0.0.1:5000", "https://screening.example.gov.kh")  # the default; a 32-character one
IDS = (7, 123, 12345)
AGES = [band for *_, band in operations.AGE_BANDS] + ["minor?", "unknown"]
REFERRED_TIERS = ("likely_victim", "possible_victim", "exploited_migrant")


def is_khmer(text: str) -> bool:
    return any("\u1780" <= ch <= "\u17ff" for ch in text)


def assert_fits(text: str, language: str) -> None:
    if language == "en":
        assert is_gsm7(text) and not is_khmer(text), text
    else:
        assert is_khmer(text), text
    assert fits_sms(text, language), f"{language} over budget ({cost(text)}): {text!r}"


# --- the texts, every variant ------------------------------------------------------------


def test_every_word_the_texts_use_is_there_in_both_languages():
    keys = set(notices.CATALOG.keys())
    for group, names in (("needs", SERVICE_TYPES), ("tiers", Q.TIERS), ("sexes", SEXES + ("unknown",)),
                         ("states", REFERRAL_STATES), ("why", ("declined", "expired")), ("outcome", ("next", "none"))):
        for name in names:
            assert f"{group}.{name}" in keys, f"{group}.{name}"
    for key in keys:
        assert is_khmer(notices.CATALOG.text(key, "km")) or key == "urgent", key


@pytest.mark.parametrize("language", ["km", "en"])
@pytest.mark.parametrize("base", BASES)
def test_every_notice_fits_one_message_in_its_language(language, base):
    kept_link = 0
    for rid, tier, need, sex, age, urgent in itertools.product(
            IDS, REFERRED_TIERS, SERVICE_TYPES, SEXES + ("unknown", None), AGES, (False, True)):
        link = f"{base}/referrals/{rid}"
        text = notices.service_notice(language, referral_id=rid, case=CASE, tier=tier, sex=sex, age=age, need=need,
                                      urgent=urgent, link=link)
        assert_fits(text, language)
        assert CASE in text and str(rid) in text
        assert notices.CATALOG.text(f"needs.{need}", language) in text
        assert (notices.CATALOG.text("urgent", language) in text) == urgent
        kept_link += link in text
    # The link goes when it does not fit, but not always: short ids keep it in both languages.
    assert kept_link > 0


def test_a_notice_drops_the_tier_then_the_link_only_when_they_do_not_fit():
    short = notices.service_notice("en", referral_id=7, case=CASE, tier="likely_victim", sex="female", age="18-24",
                                   need="shelter", urgent=False, link=f"{BASES[0]}/referrals/7")
    assert short == (f"Referral 7: case {CASE}, likely victim, female, age 18-24, needs shelter. "
                     f"Reply YES 7 or NO 7 {BASES[0]}/referrals/7")
    long_link = "https://screening.example.gov.kh/" + "x" * 60
    longest = notices.service_notice("en", referral_id=12345, case=CASE, tier="likely_victim", sex="unknown",
                                     age="minor?", need="registration", urgent=True, link=long_link)
    assert long_link not in longest and "URGENT" in longest and "YES 12345" in longest
    khmer = notices.service_notice("km", referral_id=12, case=CASE, tier="possible_victim", sex="male", age="25-34",
                                   need="shelter", urgent=False, link=f"{BASES[0]}/referrals/12")
    assert "ភេទប្រុស" in khmer and "អាយុ ២៥-៣៤" in khmer and "ទីជម្រក" in khmer and "ទេ 12" in khmer


@pytest.mark.parametrize("language", ["km", "en"])
def test_alerts_and_replies_fit_one_message_in_their_language(language):
    for rid in IDS:
        for why, offered in itertools.product(("declined", "expired"), (True, False)):
            alert = notices.supervisor_alert(language, referral_id=rid, case=CASE, why=why, offered_next=offered)
            assert_fits(alert, language)
            assert CASE in alert and str(rid) in alert
        for key in ("accepted", "declined", "not_yours"):
            assert_fits(notices.service_reply(language, key, referral_id=rid), language)
        for state in REFERRAL_STATES:
            assert_fits(notices.service_reply(language, "already", referral_id=rid, state=state), language)


@pytest.mark.parametrize("language", ["km", "en"])
def test_the_reply_a_notice_asks_for_is_understood(language):
    text = notices.service_notice(language, referral_id=4021, case=CASE, tier="likely_victim", sex="female",
                                  age="18-24", need="shelter", urgent=False, link="")
    yes, no = (("បាទ/ចាស", "ទេ") if language == "km" else ("YES", "NO"))
    assert f"{yes} 4021" in text and f"{no} 4021" in text
    assert operations.parse_service_reply(f"{yes} 4021") == (True, 4021)
    assert operations.parse_service_reply(f"{no} ៤០២១") == (False, 4021)


def test_unknown_language_reads_khmer():
    assert notices.service_reply(None, "accepted", referral_id=3) == notices.service_reply("km", "accepted", referral_id=3)
    assert notices.service_reply("fr", "accepted", referral_id=3) == notices.service_reply("km", "accepted", referral_id=3)


# --- through the outbox, the real twilio client and the signed webhook ----------------------


def set_language(app, service_id: int, language: str) -> None:
    with app.app_context():
        database.session.get(Service, service_id).language = language
        database.session.commit()


def send_all(app) -> list[dict]:
    """Run the outbox once through the twilio client against a stand-in; what it was asked to send."""
    with StandIn([twilio_created(f"SM{n:032x}") for n in range(1, 11)]) as server:
        config = replace(app.config["APP_CONFIG"], sms_provider="twilio", twilio_api_base=server.url)
        with app.app_context():
            outbox.run_once(provider_for(config))
        requests = list(server.requests)
    forms = [parse_qs(request["raw"]) for request in requests]
    return [{"to": form["To"][0], "body": form["Body"][0]} for form in forms]


@pytest.mark.parametrize("language", ["km", "en"])
def test_a_service_gets_its_notice_in_its_language_and_its_reply_too(channel_app, client, db, language):
    ids = setup_directory(channel_app)
    set_language(channel_app, ids["DEMO-001"], language)
    result = screen(channel_app, client)
    share(client, result)
    sent = [m["body"] for m in send_all(channel_app) if m["to"] == SERVICE_PHONE]
    assert len(sent) == 2  # shelter and registration, both to the transit centre
    for body in sent:
        assert_fits(body, language)
        assert result["case_number"] in body and "Synthetic" not in body and "DEMO" not in body
    assert db.session.scalars(select(Referral.state)).all() == ["notified", "notified"]

    yes = "បាទ/ចាស" if language == "km" else "YES"
    referral_id = int(re.search(rf"{re.escape(yes)} (\d+)", sent[0]).group(1))
    response, replies = post_sms(channel_app.test_client(), f"{yes} {referral_id}", phone=SERVICE_PHONE)
    assert response.status_code == 200
    thanks = "អរគុណ" if language == "km" else "Thank you"
    assert replies == [notices.service_reply(language, "accepted", referral_id=referral_id)]
    assert thanks in replies[0]
    db.session.expire_all()
    assert db.session.get(Referral, referral_id).state == "accepted"


def test_a_khmer_and_an_english_supervisor_each_read_the_alert_in_their_language(channel_app, client, db):
    ids = setup_directory(channel_app)
    make_user(channel_app, "supervisor", username="sup_km", phone="+85512000071", language="km")
    make_user(channel_app, "supervisor", username="sup_en", phone="+85512000072", language="en")
    result = screen(channel_app, client)
    share(client, result)
    send_all(channel_app)  # the notices
    with channel_app.app_context():
        first = database.session.scalar(select(Referral).where(Referral.need == "shelter"))
        first.deadline_at = utcnow()
        database.session.commit()
    out = channel_app.test_cli_runner().invoke(args=["referrals", "tick"])
    assert "1 overdue" in out.output
    alerts = {m["to"]: m["body"] for m in send_all(channel_app) if m["to"] in ("+85512000071", "+85512000072")}
    assert set(alerts) == {"+85512000071", "+85512000072"}
    assert_fits(alerts["+85512000071"], "km")
    assert_fits(alerts["+85512000072"], "en")
    for body in alerts.values():
        assert result["case_number"] in body and "Synthetic" not in body
    assert "not answered in time" in alerts["+85512000072"]
    assert ids  # the directory was seeded
