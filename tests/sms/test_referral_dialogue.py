"""The referral at the end of an SMS or USSD screening, in short form (issue 5, item 7):
the service chosen with its phone, the person's consent to share asked by the staff
member, the service notified on yes, its phone to pass on after no. Synthetic data only:
the DEMO services of webapp.demo, +855 12 000 xxx numbers."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

import questionnaires as Q
from sms import dialogue, render
from sms.messages import text as message_text
from sms.models import SmsSession
from sms.render import Say
from tests.referrals.test_flow import setup_directory
from tests.sms.conftest import make_staff, post_sms, post_ussd
from tests.sms.helpers import CASE_NUMBER, asked_codes_in_sms, asked_codes_in_ussd, asked_in_sms, group_reply
from webapp.core.types import utcnow
from webapp.extensions import db as database
from webapp.outbox.models import OutboxMessage
from webapp.outbox.segments import fits_sms, fits_ussd, is_gsm7, segments
from webapp.referrals import operations
from webapp.referrals.models import Referral, ReferralEvent
from webapp.screening.models import Screening

q = Q.load()
SERVICE_PHONE = "+85512000101"  # DEMO Poipet Transit Centre, next to the POIPET border post
SERVICE_KM = "មណ្ឌលឆ្លងកាត់ប៉ោយប៉ែត (សាកល្បង)"
SERVICE_EN = "DEMO Poipet Transit Centre"
LABOUR_PHONE = "+85512000106"  # DEMO Migrant Workers' Rights Centre
KHMER_KEY = "1 បាទ/ចាស 2 ទេ"
LONGEST_CASE = "KH-ABR-2026-999999"


def answers_of(vignettes, vignette_id):
    return next(v for v in vignettes if v["id"] == vignette_id)["answers"]


def screen_by_sms(client, answers, language="km"):
    """A whole screening by signed Twilio posts, typed as a screener would; returns every
    reply text and the replies to the last answer."""
    _, texts = post_sms(client, "ពិនិត្យ" if language == "km" else "SCREEN")
    every = list(texts)
    codes, turn = asked_codes_in_sms(texts, language), 1
    while codes and not any("0=" in text and ("រំលង" in text or "skip" in text) for text in texts):  # the result
        given = {code: answers.get(code, "no") for code in codes}  # asked with needed ones
        _, texts = post_sms(client, group_reply(codes, given, turn, keypad=language != "km"))
        every += texts
        codes, turn = asked_codes_in_sms(texts, language), turn + 1
    return every, texts


def assert_sms_budget(texts, language):
    for text in texts:
        if language == "en":
            assert is_gsm7(text), text
        assert fits_sms(text, language), f"over budget: {text!r}"


def session_row(app, channel="sms") -> SmsSession:
    with app.app_context():
        row = database.session.scalars(select(SmsSession).where(SmsSession.channel == channel)).one()
        database.session.expunge(row)
        return row


def referrals(db) -> list[Referral]:
    db.session.expire_all()
    return db.session.scalars(select(Referral).order_by(Referral.id)).all()


def outbox(db) -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "referral")).all()


# --- SMS --------------------------------------------------------------------------------------


def test_khmer_sms_screening_ends_with_the_service_its_phone_and_the_share_question(
    channel_app, channel_client, staff, vignettes, db
):
    setup_directory(channel_app)
    every, last = screen_by_sms(channel_client, answers_of(vignettes, "e01"))
    assert_sms_budget(every, "km")
    screening = db.session.scalars(select(Screening)).one()
    assert screening.tier == "likely_victim" and screening.case_number in last[0]
    ending = "\n".join(last)
    assert "ទំនងជាជនរងគ្រោះ" in ending  # the result comes first
    assert SERVICE_KM in ending and SERVICE_PHONE in ending and "08:00-17:00" in ending
    assert ending.count(SERVICE_PHONE) == 1  # shelter and registration: the same service, named once
    assert last[-1].endswith(KHMER_KEY) and "ចែករំលែក" in last[-1] and "ឈ្មោះ" in last[-1]
    session = session_row(channel_app)
    assert (session.state, session.screening_id) == ("share", screening.id)
    assert [(r.state, r.consent_to_share) for r in referrals(db)] == [("proposed", None)] * 2
    assert outbox(db) == []  # nothing leaves before the person agrees


def test_khmer_yes_notifies_the_service_without_a_name(channel_app, channel_client, staff, vignettes, db):
    setup_directory(channel_app)
    screen_by_sms(channel_client, answers_of(vignettes, "e01"))
    _, texts = post_sms(channel_client, "១")
    assert_sms_budget(texts, "km")
    screening = db.session.scalars(select(Screening)).one()
    assert texts[0].startswith(f"អរគុណ។ ករណី {screening.case_number} បានចែករំលែកជាមួយសេវាហើយ។ សេវានឹងឆ្លើយតប។")
    assert "សម្រាប់កំណត់ត្រា (0=រំលង)" in "\n".join(texts)  # then the questions kept for the record
    assert [(r.need, r.state, r.consent_to_share) for r in referrals(db)] == [
        ("shelter", "notified", True), ("registration", "notified", True)]
    messages = outbox(db)
    assert {m.recipient for m in messages} == {SERVICE_PHONE}
    for message in messages:
        assert screening.case_number in message.body and "Synthetic" not in message.body
    notified = db.session.scalars(select(ReferralEvent).where(ReferralEvent.to_state == "notified")).all()
    assert {event.actor_id for event in notified} == {staff}  # recorded as the staff member's act
    session = session_row(channel_app)
    assert (session.state, session.screening_id) == ("record", screening.id)
    post_sms(channel_client, "០")  # the record step skipped
    session = session_row(channel_app)
    assert (session.state, session.screening_id) == ("idle", None)
    # A second "1" is not a consent any more: the instructions, nothing sent again.
    _, texts = post_sms(channel_client, "1")
    assert "SCREEN" in texts[0] and len(outbox(db)) == len(messages)


def test_yes_words_and_a_provider_retry(channel_app, channel_client, staff, vignettes, db):
    setup_directory(channel_app)
    screen_by_sms(channel_client, answers_of(vignettes, "e01"))
    _, first = post_sms(channel_client, "\u200bបាទ", sid="SM" + "a" * 32)
    _, again = post_sms(channel_client, "\u200bបាទ", sid="SM" + "a" * 32)
    assert first == again and "បានចែករំលែក" in first[0]
    assert len(outbox(db)) == 2  # one per referral, once


def test_no_closes_the_referral_and_gives_the_service_phone(channel_app, channel_client, staff, vignettes, db):
    setup_directory(channel_app)
    screen_by_sms(channel_client, answers_of(vignettes, "e01"))
    _, texts = post_sms(channel_client, "2")
    assert_sms_budget(texts, "km")
    reply = "\n".join(texts)
    assert SERVICE_PHONE in reply and SERVICE_KM in reply and "មិនបានចែករំលែក" in reply
    assert [(r.state, r.consent_to_share) for r in referrals(db)] == [("closed", False)] * 2
    assert outbox(db) == []
    assert session_row(channel_app).state == "record"  # the questions kept for the record follow


def test_english_staff_member(channel_app, channel_client, vignettes, db):
    make_staff(channel_app, language="en")
    setup_directory(channel_app)
    every, last = screen_by_sms(channel_client, answers_of(vignettes, "e01"), "en")
    assert_sms_budget(every, "en")
    ending = "\n".join(last)
    assert f"{SERVICE_EN}, tel {SERVICE_PHONE}, open 08:00-17:00" in ending
    assert last[-1].startswith("Ask the person: May we share your case") and last[-1].endswith("1 Yes 2 No")
    _, texts = post_sms(channel_client, "no")
    assert_sms_budget(texts, "en")
    assert texts[0].startswith("Nothing was shared for case") and SERVICE_PHONE in "\n".join(texts)


def test_not_indicated_gets_no_share_question(channel_app, channel_client, staff, vignettes, db):
    setup_directory(channel_app)
    every, last = screen_by_sms(channel_client, answers_of(vignettes, "e02"))
    assert_sms_budget(every, "km")
    assert "មិនឃើញសញ្ញា" in "\n".join(last) and "ចែករំលែក" not in "\n".join(last)
    assert referrals(db) == []
    assert session_row(channel_app).state == "record"  # no share question: the record step next


def test_possible_victim_waits_for_a_supervisor_after_consent(channel_app, channel_client, staff, vignettes, db):
    setup_directory(channel_app)
    every, last = screen_by_sms(channel_client, answers_of(vignettes, "e06"))
    assert_sms_budget(every, "km")
    ending = "\n".join(last)
    assert "អ្នកត្រួតពិនិត្យបញ្ជាក់សិន" in ending and last[-1].endswith(KHMER_KEY)
    _, texts = post_sms(channel_client, "បាទ")
    assert "បានកត់ត្រាការយល់ព្រម" in texts[0] and "អ្នកត្រួតពិនិត្យ" in texts[0]
    assert [(r.state, r.consent_to_share, r.awaiting) for r in referrals(db)] == [("proposed", True, "supervisor")]
    assert outbox(db) == []  # the supervisor confirms first


def test_exploited_migrant_yes_sends_the_labour_rights_referral(channel_app, channel_client, staff, vignettes, db):
    setup_directory(channel_app)
    _, last = screen_by_sms(channel_client, answers_of(vignettes, "e03"))
    assert LABOUR_PHONE in "\n".join(last)
    post_sms(channel_client, "1")
    (referral,) = referrals(db)
    assert (referral.need, referral.state, referral.awaiting, referral.consent_to_share) == (
        "labour_rights", "notified", None, True)
    assert [m.recipient for m in outbox(db)] == [LABOUR_PHONE]


def test_no_fitting_service_says_a_supervisor_will_find_one(channel_app, channel_client, staff, vignettes, db):
    # No directory at all: nothing fits.
    every, last = screen_by_sms(channel_client, answers_of(vignettes, "e01"))
    assert_sms_budget(every, "km")
    ending = "\n".join(last)
    assert "គ្មានសេវាសមស្រប។ អ្នកត្រួតពិនិត្យនឹងរកសេវា។" in ending and "ទូរស័ព្ទ" not in ending
    # The result and the note in one message of at most 2 segments, then the question.
    case = db.session.scalars(select(Screening)).one().case_number
    result, question = last
    assert case in result and "ទំនងជាជនរងគ្រោះ" in result and "គ្មានសេវាសមស្រប" in result
    assert segments(result) <= 2 and question.endswith(KHMER_KEY) and "ចែករំលែក" in question
    _, texts = post_sms(channel_client, "1")
    assert "បានកត់ត្រាការយល់ព្រម" in texts[0]
    assert [(r.state, r.consent_to_share) for r in referrals(db)] == [("proposed", True)] * 2
    assert outbox(db) == []


def test_other_replies_repeat_the_question_and_commands_keep_working(
    channel_app, channel_client, staff, vignettes, db
):
    setup_directory(channel_app)
    screen_by_sms(channel_client, answers_of(vignettes, "e01"))
    for garbage in ("maybe", "3", "0", "9", "🙂"):
        _, texts = post_sms(channel_client, garbage)
        assert_sms_budget(texts, "km")
        assert texts[-1].endswith(KHMER_KEY) and SERVICE_PHONE in "\n".join(texts), garbage
    assert texts[0].startswith("សូមទោស មិនយល់ចម្លើយទេ។")
    _, texts = post_sms(channel_client, "បន្ត")  # RESUME: nothing unfinished, the question again
    assert texts[-1].endswith(KHMER_KEY)
    _, texts = post_sms(channel_client, "ENGLISH")
    assert_sms_budget(texts, "en")
    assert texts[0].startswith("Language: English.") and texts[-1].endswith("1 Yes 2 No")
    assert session_row(channel_app).state == "share"
    assert {r.state for r in referrals(db)} == {"proposed"} and outbox(db) == []
    _, texts = post_sms(channel_client, "SCREEN")  # the next person: the referral waits on the web page
    assert asked_in_sms(texts, "en") == "consent"
    assert [(r.state, r.consent_to_share) for r in referrals(db)] == [("proposed", None)] * 2


def test_stop_word_stays_silent_and_changes_nothing(channel_app, channel_client, staff, vignettes, db):
    setup_directory(channel_app)
    screen_by_sms(channel_client, answers_of(vignettes, "e01"))
    _, texts = post_sms(channel_client, "STOP")
    assert texts == [] and session_row(channel_app).state == "share"


def test_decided_on_the_web_meanwhile(channel_app, channel_client, staff, vignettes, db):
    setup_directory(channel_app)
    screen_by_sms(channel_client, answers_of(vignettes, "e01"))
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening)).one()
        operations.share(screening, False, actor=None)
        database.session.commit()
        case = screening.case_number
    _, texts = post_sms(channel_client, "1")
    assert texts == [f"ការបញ្ជូនសម្រាប់ករណី {case} បានសម្រេចរួចហើយនៅលើទំព័រលទ្ធផល។"]
    assert {r.state for r in referrals(db)} == {"closed"} and outbox(db) == []


def test_an_unanswered_share_question_expires_quietly(channel_app, channel_client, staff, vignettes, db):
    setup_directory(channel_app)
    screen_by_sms(channel_client, answers_of(vignettes, "e01"))
    with channel_app.app_context():
        database.session.execute(update(SmsSession).values(last_activity_at=utcnow() - timedelta(hours=25)))
        database.session.commit()
        assert dialogue.send_reminders(utcnow()) == 0  # not a draft: no reminder either
    _, texts = post_sms(channel_client, "1")
    assert "ផុតកំណត់" not in texts[0] and "ពិនិត្យ" in texts[0]  # the instructions, no expiry notice
    assert {(r.state, r.consent_to_share) for r in referrals(db)} == {("proposed", None)}
    assert session_row(channel_app).state == "idle"
    assert outbox(db) == []


def test_the_expiry_tick_lets_a_share_question_go(channel_app, channel_client, staff, vignettes, db):
    setup_directory(channel_app)
    screen_by_sms(channel_client, answers_of(vignettes, "e01"))
    with channel_app.app_context():
        assert dialogue.expire_stale(utcnow() + timedelta(hours=23)) == 0
        assert dialogue.expire_stale(utcnow() + timedelta(hours=25)) == 1
        database.session.commit()
    assert session_row(channel_app).state == "idle"
    assert {r.state for r in referrals(db)} == {"proposed"}


# --- USSD -------------------------------------------------------------------------------------


def ussd(client, session_id, inputs, language):
    response = post_ussd(client, session_id, "*".join(inputs), lang="km" if language == "km" else None)
    assert response.status_code == 200
    screen = response.get_data(as_text=True)
    assert screen.startswith(("CON ", "END ")) and fits_ussd(screen[4:]), screen
    return screen


def offers_the_record(screen: str) -> bool:
    """The last line offers the questions kept for the record: "1=... 0=end"."""
    last = screen.split("\n")[-1]
    return screen.startswith("CON ") and last.startswith("1=") and (" 0=end" in last or " 0=ចប់" in last)


def screen_by_ussd(client, answers, language, session_id="gw-ref-1"):
    """Every answer keyed in; then "99" through the share pages until 1 / 2 show. Returns
    the inputs so far and every screen after the last answer."""
    inputs: list[str] = []
    screen = ussd(client, session_id, inputs, language)
    while codes := asked_codes_in_ussd(screen, language):
        inputs.append(group_reply(codes, {code: answers.get(code, "no") for code in codes}, 0, keypad=True))
        screen = ussd(client, session_id, inputs, language)
    pages = [screen]
    yes = "1 បាទ/ចាស" if language == "km" else "1 Yes"
    while (screen.startswith("CON ") and yes not in screen.split("\n") and not offers_the_record(screen)
           and len(pages) < 10):
        inputs.append("99")
        screen = ussd(client, session_id, inputs, language)
        pages.append(screen)
    return inputs, pages


@pytest.mark.parametrize("language", ["km", "en"])
def test_ussd_screening_asks_to_share_and_yes_notifies(channel_app, channel_client, staff, vignettes, db, language):
    setup_directory(channel_app)
    inputs, pages = screen_by_ussd(channel_client, answers_of(vignettes, "e01"), language)
    screening = db.session.scalars(select(Screening)).one()
    assert all(page.startswith("CON ") for page in pages)
    assert screening.case_number in pages[0]  # the result first
    shown = "\n".join(pages)
    assert SERVICE_PHONE in shown and (SERVICE_KM if language == "km" else SERVICE_EN) in shown
    assert session_row(channel_app, "ussd").state == "share"
    screen = ussd(channel_client, "gw-ref-1", inputs + ["1"], language)
    # Shared; then the questions kept for the record are offered (1 answer them, 0 end).
    assert ("បានចែករំលែកជាមួយសេវា" if language == "km" else "shared with the service") in screen.lower()
    assert offers_the_record(screen)
    assert {r.state for r in referrals(db)} == {"notified"}
    messages = outbox(db)
    assert {m.recipient for m in messages} == {SERVICE_PHONE}
    assert all(screening.case_number in m.body and "Synthetic" not in m.body for m in messages)
    assert session_row(channel_app, "ussd").state == "record"
    done = ussd(channel_client, "gw-ref-1", inputs + ["1", "0"], language)
    assert done.startswith("END ") and session_row(channel_app, "ussd").state == "idle"


@pytest.mark.parametrize("language", ["km", "en"])
def test_ussd_no_closes_and_shows_the_phone(channel_app, channel_client, staff, vignettes, db, language):
    setup_directory(channel_app)
    inputs, _ = screen_by_ussd(channel_client, answers_of(vignettes, "e01"), language)
    screen = ussd(channel_client, "gw-ref-1", inputs + ["2"], language)
    assert SERVICE_PHONE in screen and offers_the_record(screen)
    assert {(r.state, r.consent_to_share) for r in referrals(db)} == {("closed", False)}
    assert outbox(db) == []


def test_ussd_dropped_at_the_share_question_asks_it_again_on_the_next_dial(
    channel_app, channel_client, staff, vignettes, db
):
    setup_directory(channel_app)
    screen_by_ussd(channel_client, answers_of(vignettes, "e01"), "en")
    first = ussd(channel_client, "gw-ref-2", [], "en")  # the line dropped; a new dial
    assert first.startswith("CON ") and CASE_NUMBER.search(first)
    screen = ussd(channel_client, "gw-ref-2", ["1"], "en")
    assert offers_the_record(screen) and {r.state for r in referrals(db)} == {"notified"}


def test_ussd_not_indicated_ends_with_the_result(channel_app, channel_client, staff, vignettes, db):
    """No referral to consent to: the result, with the offer of the questions kept for the
    record; 0 ends the session."""
    setup_directory(channel_app)
    inputs, pages = screen_by_ussd(channel_client, answers_of(vignettes, "e02"), "en")
    assert len(pages) == 1 and "No sign of trafficking" in pages[0] and offers_the_record(pages[0])
    assert referrals(db) == []
    done = ussd(channel_client, "gw-ref-1", inputs + ["0"], "en")
    assert done.startswith("END ") and "left unanswered" in done


# --- every rendered text within budget ----------------------------------------------------------

LONG_SERVICES = [
    {"id": 1, "km": "ទីជម្រកស្ត្រី និងកុមារ សម្រាប់ជនរងគ្រោះពីការជួញដូរមនុស្ស ខេត្តបន្ទាយមានជ័យ (សាកល្បង)",
     "en": "DEMO Women\u2019s and Children\u2019s Shelter for Survivors of Trafficking \u2013 Banteay Meanchey",
     "phone": "+85512000102", "hours": "08:00-17:00"},
    {"id": 2, "km": "មណ្ឌលឆ្លងកាត់ប៉ោយប៉ែត (សាកល្បង)", "en": "DEMO Poipet Transit Centre",
     "phone": "+85512000101", "hours": "Mon-Fri 07:30-11:30 and 14:00-17:30, Sat 08:00-11:00"},
    {"id": 3, "km": "មន្ទីរសង្គមកិច្ច បន្ទាយមានជ័យ (សាកល្បង)", "en": "DEMO DoSVY Banteay Meanchey focal point",
     "phone": "", "hours": ""},
    {"id": 4, "km": "មន្ទីរពេទ្យបង្អែក ប៉ោយប៉ែត (សាកល្បង)", "en": "DEMO Referral Hospital Poipet",
     "phone": "+85512000105", "hours": "24/7"},
]


def share_cases():
    for tier in ("likely_victim", "possible_victim", "exploited_migrant"):
        for count in (0, 1, 2, 3, 4):
            for missing in (False, True):
                if count == 0 and not missing:
                    continue
                yield {"case": LONGEST_CASE, "tier": tier, "flags": ["urgent", "minor"],
                       "services": LONG_SERVICES[:count], "missing": missing,
                       "supervisor": tier == "possible_victim"}


@pytest.mark.parametrize("language", ["km", "en"])
def test_every_share_text_fits(language):
    for params in share_cases():
        result = Say("result", params=params)
        texts = render.sms_texts(q, [result, Say("share", params=params)], language)
        assert_sms_budget(texts, language)
        assert texts[-1].endswith(render.answer_key(q, q.question("consent"), language))
        for service in params["services"]:
            assert service["phone"] in "\n".join(texts)
        for consent in (True, False):
            for notified in (True, False):
                shared = dict(params, consent=consent, notified=notified and bool(params["services"]))
                texts = render.sms_texts(q, [Say("shared", params=shared)], language)
                assert_sms_budget(texts, language)
                if not consent:
                    for service in params["services"]:
                        assert service["phone"] in "\n".join(texts)
        already = render.sms_texts(q, [Say("text", "share.already", params={"case": LONGEST_CASE})], language)
        assert_sms_budget(already, language)


# Where the result and the no-service note share a message (the exploited migrant's Khmer
# result and note are 136 UTF-16 units together: over the budget, two messages).
MERGED_NOTE = [("likely_victim", "km"), ("possible_victim", "km"),
               ("likely_victim", "en"), ("possible_victim", "en"), ("exploited_migrant", "en")]


@pytest.mark.parametrize("tier,language", MERGED_NOTE)
def test_the_result_and_the_no_service_note_arrive_in_one_message(tier, language):
    params = {"case": LONGEST_CASE, "tier": tier, "flags": [], "services": [], "missing": True,
              "supervisor": tier == "possible_victim"}
    texts = render.sms_texts(q, [Say("result", params=params), Say("share", params=params)], language)
    assert_sms_budget(texts, language)
    first = texts[0]
    assert LONGEST_CASE in first and message_text(f"tiers.{tier}", language) in first
    assert message_text("share.missing_all", language) in first
    assert segments(first) <= (2 if language == "km" else 1)
    # Then what the supervisor does (possible victims), then the question alone.
    assert len(texts) == (3 if params["supervisor"] else 2)
    assert texts[-1] == render.share_question(q, params, language)


@pytest.mark.parametrize("language", ["km", "en"])
def test_every_share_screen_fits(language):
    items = render.menu_items(q, q.question("consent"), language)
    for params in share_cases():
        pages = render.ussd_share_pages(q, params, language)
        for page in pages:
            assert fits_ussd(page), page
        lines = "\n".join(pages).split("\n")
        assert all(item in lines for item in items) and LONGEST_CASE in pages[0]
        for service in params["services"]:
            assert service["phone"] in "\n".join(pages)
        for page in range(len(pages) + 1):
            screen, end = render.ussd_screen(q, [Say("share", params=params)], language=language, question=None,
                                             page=page)
            assert not end and fits_ussd(screen)
        for consent in (True, False):
            notified = consent and bool(params["services"]) and not params["supervisor"]
            shared = dict(params, consent=consent, notified=notified)
            screen, end = render.ussd_screen(q, [Say("shared", params=shared)], language=language, question=None)
            assert end and fits_ussd(screen), screen
            if notified:
                assert LONGEST_CASE in screen  # shared: the case number beside it
            elif consent and params["supervisor"]:
                assert "\n" in screen  # consent noted, and what the supervisor does
            elif not consent:
                for service in params["services"][:2]:  # two phones always fit beside the notice
                    assert service["phone"] in screen
        screen, end = render.ussd_screen(q, [Say("text", "share.already", params={"case": LONGEST_CASE})],
                                         language=language, question=None)
        assert end and fits_ussd(screen)


def test_english_texts_stay_gsm7_whatever_the_directory_holds():
    line = render.service_line(LONG_SERVICES[0], "en", lambda text: fits_sms(text, "en"))
    assert is_gsm7(line) and "Women's and Children's" in line and "Trafficking - Banteay" in line
    # Long opening hours are left to the web page; a service without a phone says so.
    assert "Mon-Fri" not in render.service_line(LONG_SERVICES[1], "en", lambda text: True)
    assert render.service_line(LONG_SERVICES[2], "en", lambda text: True).endswith("(no phone)")
