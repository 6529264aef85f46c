"""POST /ussd: the gateway form (sessionId, serviceCode, phoneNumber, text joined by '*'),
CON/END replies within budget, answers kept by session across drops and channels."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from sms.models import SmsSession
from tests.sms.conftest import STRANGER_PHONE, post_sms, post_ussd
from tests.sms.helpers import (
    CASE_NUMBER,
    asked_codes_in_sms,
    asked_codes_in_ussd,
    asked_in_ussd,
    group_reply,
    stored_counts,
)
from webapp.extensions import db as database
from webapp.outbox.segments import fits_ussd
from webapp.screening.models import DeclinedScreening, Screening


def vignette_answers(vignettes, tier="likely_victim"):
    return next(v for v in vignettes if v["expected"]["tier"] == tier)["answers"]


def dial(client, session_id, inputs, **kwargs):
    response = post_ussd(client, session_id, "*".join(inputs), **kwargs)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    screen = response.get_data(as_text=True)
    assert screen.startswith(("CON ", "END ")) and fits_ussd(screen[4:]), screen
    return screen


@pytest.mark.parametrize("language", ["en", "km"])
def test_complete_ussd_screening_lands_every_answer_once(channel_app, channel_client, staff, vignettes, language):
    answers = vignette_answers(vignettes)
    lang = "km" if language == "km" else None
    inputs: list[str] = []
    screen = dial(channel_client, "gw-1", inputs, lang=lang)
    sent = {}
    while codes := asked_codes_in_ussd(screen, language):
        given = {code: answers.get(code, "no") for code in codes}  # asked with needed ones
        inputs.append(group_reply(codes, given, 0, keypad=True))
        sent.update(given)
        screen = dial(channel_client, "gw-1", inputs, lang=lang)
    # The result, then the referral's consent question (tests/sms/test_referral_dialogue.py).
    assert screen.startswith("CON ") and CASE_NUMBER.search(screen)
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening)).one()
        assert screening.status == "complete" and screening.tier == "likely_victim" and screening.channel == "ussd"
        assert screening.case_number in screen
        stored = [(a.code, a.typed_value()) for a in screening.answers]
        assert sorted(code for code, _ in stored) == sorted(sent) and dict(stored) == sent
        assert {a.channel for a in screening.answers} == {"ussd"}


def test_a_gateway_retry_changes_nothing(channel_app, channel_client, staff):
    dial(channel_client, "gw-2", [])
    first = dial(channel_client, "gw-2", ["1"])
    again = [dial(channel_client, "gw-2", ["1"]) for _ in range(3)]
    assert first.startswith("CON Case KH-")  # the notice is shown once; the question again
    assert [asked_in_ussd(screen) for screen in again] == [asked_in_ussd(first)] * 3 == ["U1"] * 3
    after = dial(channel_client, "gw-2", ["1", "2"])
    assert asked_in_ussd(after) == "U2"
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening)).one()
        assert [a.code for a in screening.answers] == ["consent", "U1"]


def test_a_dropped_session_resumes_on_a_new_dial(channel_app, channel_client, staff):
    dial(channel_client, "gw-3", [])
    screen = dial(channel_client, "gw-3", ["1", "2", "22"])  # consent, U1, then U2 and U3 together
    assert asked_in_ussd(screen) == "age"
    screen = dial(channel_client, "gw-4", [])  # the line dropped; the screener dials again
    assert "Unfinished screening KH-BMC-" in screen and "1 Continue" in screen
    screen = dial(channel_client, "gw-4", ["1"])
    assert asked_in_ussd(screen) == "age" and "Continuing case" in screen
    screen = dial(channel_client, "gw-4", ["1", "25"])
    assert asked_in_ussd(screen) == "sex"
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening)).one()
        assert screening.answer_map()["age"] == 25


def test_new_screening_instead_of_the_open_one(channel_app, channel_client, staff):
    dial(channel_client, "gw-5", [])
    dial(channel_client, "gw-5", ["1", "2"])
    dial(channel_client, "gw-6", [])
    screen = dial(channel_client, "gw-6", ["2"])
    assert asked_in_ussd(screen) == "consent"
    dial(channel_client, "gw-6", ["2", "1"])
    with channel_app.app_context():
        screenings = database.session.scalars(select(Screening).order_by(Screening.id)).all()
        assert len(screenings) == 2 and all(s.status == "draft" for s in screenings)


def test_started_on_ussd_finished_over_sms(channel_app, channel_client, staff, vignettes):
    answers = vignette_answers(vignettes)
    inputs: list[str] = []
    screen = dial(channel_client, "gw-7", inputs)
    while asked_in_ussd(screen) != "sex":  # consent, U1, U2 and U3, age
        codes = asked_codes_in_ussd(screen)
        inputs.append(group_reply(codes, answers, 0, keypad=True))
        screen = dial(channel_client, "gw-7", inputs)
    # The USSD line drops. The screener goes on by SMS.
    _, texts = post_sms(channel_client, "បន្ត")
    case = CASE_NUMBER.search(texts[0]).group()
    codes = asked_codes_in_sms(texts)
    assert codes == ["sex", "nationality"]  # asked together by SMS (one reply)
    turn = 0
    while codes:
        _, texts = post_sms(channel_client, group_reply(codes, {c: answers.get(c, "no") for c in codes}, turn))
        turn += 1
        codes = asked_codes_in_sms(texts)
    assert case in texts[0] and "ទំនងជាជនរងគ្រោះ" in texts[0]
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening)).one()
        assert screening.case_number == case and screening.status == "complete" and screening.tier == "likely_victim"
        channels = {a.code: a.channel for a in screening.answers}
        assert {channels[c] for c in ("consent", "U1", "U2", "U3", "age")} == {"ussd"}
        assert channels["sex"] == "sms" and channels["home_province"] == "sms"
        assert len(channels) == len(screening.answers)
        ussd = database.session.scalars(select(SmsSession).where(SmsSession.channel == "ussd")).one()
        assert ussd.screening_id is None  # handed over: the USSD session no longer holds it


def test_decline_on_ussd_keeps_only_the_count(channel_app, channel_client, staff):
    dial(channel_client, "gw-8", [])
    screen = dial(channel_client, "gw-8", ["2"])
    assert screen.startswith("END ") and "No answers were recorded" in screen
    with channel_app.app_context():
        assert stored_counts(database)["screenings"] == 0
        declined = database.session.scalars(select(DeclinedScreening)).one()
        assert declined.channel == "ussd" and declined.province_code == "BMC"


def test_long_lists_are_paged_and_any_number_is_accepted(channel_app, channel_client, staff):
    inputs = ["1", "2", "22", "30", "1", "1", "2", "2"]  # up to the sector question (U2 and U3 together)
    dial(channel_client, "gw-9", [])
    screen = dial(channel_client, "gw-9", inputs)
    assert asked_in_ussd(screen) == "home_province" and "99 More" in screen
    second = dial(channel_client, "gw-9", inputs + ["99"])
    assert second != screen and "Home province" in second
    screen = dial(channel_client, "gw-9", inputs + ["99", "21"])  # Siem Reap, on the second page
    with channel_app.app_context():
        assert database.session.scalars(select(Screening)).one().answer_map()["home_province"] == "SRP"


def test_zero_goes_back(channel_app, channel_client, staff):
    dial(channel_client, "gw-10", [])
    screen = dial(channel_client, "gw-10", ["1", "2", "0"])
    assert asked_in_ussd(screen) == "U1"
    screen = dial(channel_client, "gw-10", ["1", "2", "0", "1"])
    assert asked_in_ussd(screen) == "U2"
    with channel_app.app_context():
        assert database.session.scalars(select(Screening)).one().answer_map()["U1"] == "yes"


@pytest.mark.parametrize("token", [None, "", "wrong-secret", "test-ussd-secre"])
def test_wrong_or_missing_token_is_refused_and_stores_nothing(channel_app, channel_client, staff, token):
    data = {"sessionId": "gw-x", "serviceCode": "*384*7#", "phoneNumber": "+85512000001", "text": ""}
    url = "/ussd" if token is None else f"/ussd?token={token}"
    assert channel_client.post(url, data=data).status_code == 403
    with channel_app.app_context():
        assert set(stored_counts(database).values()) == {0}


def test_no_secret_configured_refuses_everything(channel_app, channel_client, staff):
    channel_app.config["APP_CONFIG"] = replace(channel_app.config["APP_CONFIG"], ussd_shared_secret="")
    assert post_ussd(channel_client, "gw-y", "", token="").status_code == 403


def test_address_allow_list(channel_app, channel_client, staff):
    channel_app.config["APP_CONFIG"] = replace(channel_app.config["APP_CONFIG"], ussd_allowed_ips=("10.0.0.0/8",))
    assert post_ussd(channel_client, "gw-z", "").status_code == 403  # from 127.0.0.1
    data = {"sessionId": "gw-z", "serviceCode": "*384*7#", "phoneNumber": "+85512000001", "text": ""}
    allowed = channel_client.post(
        "/ussd?token=test-ussd-secret", data=data, environ_base={"REMOTE_ADDR": "10.20.30.40"}
    )
    assert allowed.status_code == 200


def test_unregistered_phone_gets_the_neutral_end_and_nothing_is_stored(channel_app, channel_client, staff):
    response = post_ussd(channel_client, "gw-s", "", phone=STRANGER_PHONE)
    assert response.get_data(as_text=True) == "END Sorry, we cannot reply to this number."
    response = post_ussd(channel_client, "gw-s", "1*1", phone=STRANGER_PHONE)
    assert response.get_data(as_text=True).startswith("END ")
    with channel_app.app_context():
        assert set(stored_counts(database).values()) == {0}


def _to_the_offer(channel_client, answers, session_id, lang):
    """A USSD screening to its result, the referral declined: the screen after it."""
    language = lang or "en"
    inputs: list[str] = []
    screen = dial(channel_client, session_id, inputs, lang=lang)
    while codes := asked_codes_in_ussd(screen, language):
        inputs.append(group_reply(codes, {code: answers.get(code, "no") for code in codes}, 0, keypad=True))
        screen = dial(channel_client, session_id, inputs, lang=lang)
    inputs.append("2")  # the person declines the referral
    return inputs, dial(channel_client, session_id, inputs, lang=lang)


@pytest.mark.parametrize("language", ["en", "km"])
def test_ussd_offers_the_questions_kept_for_the_record_after_the_result(
    channel_app, channel_client, staff, vignettes, language
):
    """The screen after the result offers the questions the skip rule left out (1), or to end
    (0); the groups that follow store answers on USSD and change neither tier nor flags."""
    lang = "km" if language == "km" else None
    inputs, screen = _to_the_offer(channel_client, vignette_answers(vignettes), f"gw-rec-{language}", lang)
    end = " 0=ចប់" if language == "km" else " 0=end"
    assert screen.startswith("CON ") and screen.endswith(end) and screen.split("\n")[-1].startswith("1=")
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening)).one()
        before = (screening.tier, sorted(screening.flags), dict(screening.answer_map()))
    inputs.append("1")
    screen = dial(channel_client, f"gw-rec-{language}", inputs, lang=lang)
    recorded: dict = {}
    while codes := asked_codes_in_ussd(screen, language):
        assert not set(codes) & set(before[2])  # only questions never asked
        given = dict.fromkeys(codes, "unknown")
        inputs.append(group_reply(codes, given, 0, keypad=True))
        recorded.update(given)
        screen = dial(channel_client, f"gw-rec-{language}", inputs, lang=lang)
    assert screen.startswith("END ") and recorded
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening)).one()
        assert (screening.tier, sorted(screening.flags)) == before[:2]
        assert screening.answer_map() == {**before[2], **recorded}
        assert {a.channel for a in screening.answers if a.code in recorded} == {"ussd"}


def test_ussd_record_offer_ended_with_0_stores_nothing_more(channel_app, channel_client, staff, vignettes):
    inputs, screen = _to_the_offer(channel_client, vignette_answers(vignettes), "gw-rec-0", None)
    with channel_app.app_context():
        before = database.session.scalars(select(Screening)).one().answer_map()
    again = dial(channel_client, "gw-rec-0", inputs + ["7"])  # not understood: the result and offer again
    assert again.startswith("CON ") and again.split("\n")[-1] == screen.split("\n")[-1]
    assert CASE_NUMBER.search(again) and "LIKELY VICTIM" in again
    done = dial(channel_client, "gw-rec-0", inputs + ["7", "0"])
    assert done.startswith("END ") and "left unanswered" in done
    with channel_app.app_context():
        assert database.session.scalars(select(Screening)).one().answer_map() == before


def test_a_khmer_result_too_long_for_the_offer_pages_to_it(channel_app, channel_client, staff, vignettes):
    """A child in danger with no sign of trafficking (no referral to consent to): case, tier
    and both flags fill a Khmer screen; "99" shows the offer."""
    answers = {"consent": "yes", "U1": "yes", "U2": "no", "U3": "no", "age": 15, "sex": "female", "nationality": "KH",
               "exploitation_country": "none", "sector": "none", "home_province": "BMC", "return_mode": "returned_alone"}
    inputs: list[str] = []
    screen = dial(channel_client, "gw-rec-99", inputs, lang="km")
    while (codes := asked_codes_in_ussd(screen, "km")) and len(inputs) < 60:
        inputs.append(group_reply(codes, {code: answers.get(code, "no") for code in codes}, 0, keypad=True))
        screen = dial(channel_client, "gw-rec-99", inputs, lang="km")
    assert screen.startswith("CON ") and "បន្ទាន់!" in screen and "កុមារ!" in screen and "1=" not in screen
    offer = dial(channel_client, "gw-rec-99", inputs + ["99"], lang="km")
    assert offer.startswith("CON ") and offer.split("\n")[-1].startswith("1=")
    first = dial(channel_client, "gw-rec-99", inputs + ["99", "1"], lang="km")
    assert asked_codes_in_ussd(first, "km")


def test_a_dropped_line_in_the_record_step_comes_back_on_the_next_dial(channel_app, channel_client, staff, vignettes):
    inputs, _ = _to_the_offer(channel_client, vignette_answers(vignettes), "gw-rec-drop", None)
    first = dial(channel_client, "gw-rec-drop", inputs + ["1"])
    codes = asked_codes_in_ussd(first, "en")
    assert codes
    again = dial(channel_client, "gw-rec-drop-2", [])  # the line dropped; a new dial
    assert asked_codes_in_ussd(again, "en") == codes
    ended = dial(channel_client, "gw-rec-drop-2", ["0"])
    assert ended.startswith("END ") and "left unanswered" in ended
    fresh = dial(channel_client, "gw-rec-drop-3", [])
    assert fresh.startswith("CON ") and asked_codes_in_ussd(fresh, "en") == ["consent"]
