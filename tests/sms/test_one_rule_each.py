"""One rule, one place: each business rule the web and the phone channels share is decided
once (in the feature's operations, or the engine for pure rules) and every channel obeys
it. Each test drives the channels themselves (signed Twilio posts, USSD posts, web pages)
and checks they agree. Synthetic data only."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import questionnaires as Q
from sms import dialogue
from sms.models import SmsSession
from tests.referrals.test_flow import setup_directory
from tests.sms.conftest import make_staff, post_sms, post_ussd
from tests.sms.helpers import asked_codes_in_sms, asked_in_sms, group_reply, keypad_reply
from tests.sms.test_referral_dialogue import (
    LABOUR_PHONE,
    answers_of,
    outbox,
    referrals,
    screen_by_sms,
    screen_by_ussd,
    ussd,
)
from tests.web import csrf, login, make_user
from webapp.core.types import utcnow
from webapp.extensions import db as database
from webapp.referrals import operations as referral_ops
from webapp.referrals.models import ReferralEvent
from webapp.screening.models import Screening

PASSWORD = "correct horse battery staple 1"  # make_staff's


@pytest.fixture
def screener(channel_app):
    """One staff member on both channels: the phone and a web log-in."""
    return make_staff(channel_app, username="both-channels")


def web_client(app):
    client = app.test_client()
    login(client, "both-channels", PASSWORD)
    return client


def the_screening(db) -> Screening:
    db.session.expire_all()
    return db.session.scalars(select(Screening)).one()


def asks_consent_on_the_web(client, screening) -> bool:
    page = client.get(f"/screenings/{screening.uuid}/result").get_data(as_text=True)
    return f"/referrals/screening/{screening.uuid}/consent" in page


def share_on_the_web(client, screening, answer: str):
    page = client.get(f"/screenings/{screening.uuid}/result").get_data(as_text=True)
    response = client.post(f"/referrals/screening/{screening.uuid}/consent",
                           data={"share": answer, "csrf_token": csrf(page)})
    assert response.status_code == 302


# --- which referrals still wait for the person's consent --------------------------------------


def test_both_channels_ask_for_consent_exactly_while_a_referral_awaits_it(
    channel_app, channel_client, screener, vignettes, db
):
    setup_directory(channel_app)
    web = web_client(channel_app)
    # A possible victim: the referral waits for the person, then (after yes) for a supervisor.
    _, last = screen_by_sms(channel_client, answers_of(vignettes, "e06"))
    screening = the_screening(db)
    with channel_app.app_context():
        assert len(referral_ops.awaiting_consent(database.session.merge(screening))) == 1
    assert last[-1].endswith("1 បាទ/ចាស 2 ទេ")  # SMS asks
    assert asks_consent_on_the_web(web, screening)  # and so does the web
    share_on_the_web(web, screening, "yes")
    # Still proposed (a supervisor confirms), but no longer waiting for the person: neither
    # channel asks again.
    assert [(r.state, r.consent_to_share, r.awaiting) for r in referrals(db)] == [("proposed", True, "supervisor")]
    assert not asks_consent_on_the_web(web, screening)
    _, texts = post_sms(channel_client, "1")
    assert texts == [f"ការបញ្ជូនសម្រាប់ករណី {screening.case_number} បានសម្រេចរួចហើយនៅលើទំព័រលទ្ធផល។"]
    assert [(r.state, r.consent_to_share) for r in referrals(db)] == [("proposed", True)]


# --- what a "yes" does to a labour-rights referral waiting for the screener -------------------


@pytest.mark.parametrize("channel", ["web", "sms"])
def test_a_yes_sends_the_labour_rights_referral_on_every_channel(
    channel_app, channel_client, screener, vignettes, db, channel
):
    setup_directory(channel_app)
    screen_by_sms(channel_client, answers_of(vignettes, "e03"))
    screening = the_screening(db)
    ((need, state, awaiting),) = [(r.need, r.state, r.awaiting) for r in referrals(db)]
    assert (need, state, awaiting) == ("labour_rights", "proposed", "screener")
    if channel == "web":
        share_on_the_web(web_client(channel_app), screening, "yes")
    else:
        post_sms(channel_client, "1")
    (referral,) = referrals(db)
    assert (referral.state, referral.awaiting, referral.consent_to_share) == ("notified", None, True)
    assert [m.recipient for m in outbox(db)] == [LABOUR_PHONE]
    events = db.session.scalars(select(ReferralEvent).order_by(ReferralEvent.id)).all()
    # The same trail either way: proposed, confirmed by the screener, notified by the screener.
    assert [(e.from_state, e.to_state, e.actor_id) for e in events] == [
        (None, "proposed", None), ("proposed", "proposed", screener), ("proposed", "notified", screener)]


# --- where Back goes ---------------------------------------------------------------------------

def test_back_goes_to_the_question_the_engine_says_by_sms(channel_app, channel_client, screener, vignettes, db):
    """The screener answers up to P1 (age 30), goes back to the age and changes it to
    "unknown": the follow-up question (age_maybe_minor) is now asked, unanswered, before
    everything answered after it. Back from there goes to the age
    (questionnaires.previous_question). The web form goes back by screen
    (questionnaires.screens.previous_screen, pinned to the browser's by test_engine_parity):
    the same rule of answers that still count, never consent, a screen at a time."""
    answers = answers_of(vignettes, "e01")
    expected = Q.previous_question(Q.load(), {**answers, "age": "unknown"}, "age_maybe_minor")
    assert expected is not None and expected.code == "age"

    _, texts = post_sms(channel_client, "ពិនិត្យ")
    codes, turn = asked_codes_in_sms(texts), 1
    for _ in range(60):  # answered as asked: one question or a group in one reply
        if "P1" in codes:
            break
        _, texts = post_sms(channel_client, group_reply(codes, answers, turn))
        codes, turn = asked_codes_in_sms(texts), turn + 1
    else:
        pytest.fail("P1 never asked")
    for _ in range(60):  # Back, one question at a time
        if codes == ["age"]:
            break
        _, texts = post_sms(channel_client, "0")
        codes = asked_codes_in_sms(texts)
    else:
        pytest.fail("Back never reached the age")
    _, texts = post_sms(channel_client, "មិនដឹង")
    assert asked_in_sms(texts) == "age_maybe_minor"
    _, texts = post_sms(channel_client, "0")
    assert asked_in_sms(texts) == "age"


# --- the tier a case ends with -----------------------------------------------------------------


def test_a_supervisors_tier_is_the_one_every_channel_shows(channel_app, channel_client, screener, vignettes, db):
    """A possible victim (e06) screened by USSD waits at the share question (its screens
    head with the result); a supervisor overrides the tier to likely victim. The web result
    page and the next USSD dial then both show the supervisor's tier
    (Screening.final_tier), not the engine's."""
    setup_directory(channel_app)
    _, pages = screen_by_ussd(channel_client, answers_of(vignettes, "e06"), "en")
    assert "POSSIBLE VICTIM" in pages[0]
    screening = the_screening(db)
    make_user(channel_app, "supervisor", username="sup-bmc", province_code="BMC")
    supervisor = channel_app.test_client()
    login(supervisor, "sup-bmc")
    page = supervisor.get(f"/review/{screening.uuid}").get_data(as_text=True)
    supervisor.post(f"/review/{screening.uuid}", data={
        "action": "override", "tier": "likely_victim", "reason": "Synthetic: second interview", "csrf_token": csrf(page)})
    screening = the_screening(db)
    assert (screening.tier, screening.final_tier) == ("possible_victim", "likely_victim")

    page = web_client(channel_app).get(f"/screenings/{screening.uuid}/result").get_data(as_text=True)
    assert 'class="tier tier-likely_victim"' in page
    screen = ussd(channel_client, "gw-after-review", [], "en")  # a new dial: the share question again
    assert "LIKELY VICTIM" in screen and "POSSIBLE VICTIM" not in screen


# --- back to idle --------------------------------------------------------------------------------


def idle_fields(app, channel: str) -> dict:
    with app.app_context():
        row = database.session.scalars(select(SmsSession).where(SmsSession.channel == channel)).one()
        return {name: getattr(row, name) for name in dialogue.IDLE}


def test_every_way_back_to_idle_leaves_the_same_session(channel_app, channel_client, screener, vignettes, db):
    """A declined consent (the dialogue), a draft taken over by the other channel, and the
    24-hour expiry tick all leave a session exactly as dialogue.IDLE says (one of the three
    copies used to keep the screening's place)."""
    # The dialogue: SCREEN sets the place, a "no" to consent lets it go.
    post_sms(channel_client, "SCREEN POIPET")
    assert idle_fields(channel_app, "sms")["context"]["post_code"] == "POIPET"
    post_sms(channel_client, "2")
    assert idle_fields(channel_app, "sms") == dialogue.IDLE

    # The other channel: a USSD screening under way, resumed by SMS.
    answers = answers_of(vignettes, "e01")
    assert post_ussd(channel_client, "gw-idle", "1").status_code == 200  # consent yes
    assert post_ussd(channel_client, "gw-idle", "1*" + keypad_reply("U1", answers["U1"])).status_code == 200
    assert idle_fields(channel_app, "ussd")["state"] == "asking"
    post_sms(channel_client, "RESUME")
    assert idle_fields(channel_app, "ussd") == dialogue.IDLE
    assert idle_fields(channel_app, "sms")["state"] == "asking"

    # The expiry tick, a day later, from the middle of a screening.
    with channel_app.app_context():
        assert dialogue.expire_stale(utcnow() + timedelta(hours=25)) == 1
        database.session.commit()
    assert idle_fields(channel_app, "sms") == dialogue.IDLE
