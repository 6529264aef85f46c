"""The conversation: start words and places, consent, back, help, language, resume, the
30-minute reminder, the 24-hour expiry, and the training simulators."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from sms import dialogue
from sms.models import SmsSession
from tests.sms.conftest import STAFF_PHONE, make_staff, post_sms
from tests.sms.helpers import CASE_NUMBER, asked_codes_in_sms, asked_in_sms, stored_counts
from webapp.core.types import utcnow
from webapp.extensions import db as database
from webapp.outbox.models import OutboxMessage
from webapp.screening.models import Answer, DeclinedScreening, Screening

PASSWORD = "correct horse battery staple 1"


def session_row(app) -> SmsSession:
    with app.app_context():
        row = database.session.scalars(select(SmsSession).where(SmsSession.training.is_(False))).one()
        database.session.expunge(row)
        return row


def screenings(app) -> list[Screening]:
    with app.app_context():
        rows = database.session.scalars(select(Screening).order_by(Screening.id)).all()
        for row in rows:
            row.answer_map()
            database.session.expunge(row)
        return rows


def test_anything_before_a_start_word_gets_the_instructions(channel_app, channel_client, staff):
    _, texts = post_sms(channel_client, "hello")
    assert texts == ["ដើម្បីពិនិត្យមនុស្សម្នាក់ សូមផ្ញើពាក្យ ពិនិត្យ (ឬ SCREEN)។ អាចបន្ថែមកូដច្រកព្រំដែន ឧ. ពិនិត្យ POIPET។"]
    with channel_app.app_context():
        counts = stored_counts(database)
    assert counts["screenings"] == 0 and counts["sms_sessions"] == 1


def test_start_word_with_a_border_post_or_province(channel_app, channel_client, staff):
    post_sms(channel_client, "SCREEN bavet")
    post_sms(channel_client, "1")
    post_sms(channel_client, "ពិនិត្យ ប៉ោយប៉ែត")  # a Khmer place name works too; leaves the first open
    post_sms(channel_client, "1")
    post_sms(channel_client, "check KKG")
    post_sms(channel_client, "1")
    first, second, third = screenings(channel_app)
    assert (first.context_kind, first.post_code, first.case_province) == ("post", "BAVET", "SVR")
    assert (second.post_code, second.case_province) == ("POIPET", "BMC")
    assert (third.context_kind, third.province_code) == ("province", "KKG")


def test_unknown_place_changes_nothing(channel_app, channel_client, staff):
    _, texts = post_sms(channel_client, "SCREEN NOWHERE")
    assert "NOWHERE" in texts[0]
    assert session_row(channel_app).state == "idle"


def test_staff_without_a_place_must_name_one(channel_app, channel_client):
    make_staff(channel_app, post_code=None, language="en")
    _, texts = post_sms(channel_client, "SCREEN")
    assert texts == ["Your account has no border post or province. Send SCREEN with a code, e.g. SCREEN POIPET."]
    _, texts = post_sms(channel_client, "SCREEN POIPET")
    assert asked_in_sms(texts, "en") == "consent"


def test_consular_staff_screen_abroad(channel_app, channel_client):
    from webapp.auth.operations import create_user

    with channel_app.app_context():
        create_user(role="consular", name="Synthetic Consul", phone=STAFF_PHONE, country_code="TH", language="en",
                    password=PASSWORD)
        database.session.commit()
    post_sms(channel_client, "SCREEN")
    post_sms(channel_client, "1")
    (screening,) = screenings(channel_app)
    assert (screening.context_kind, screening.country_code, screening.case_province) == ("abroad", "TH", "ABR")


def test_no_consent_keeps_only_the_count(channel_app, channel_client, staff):
    post_sms(channel_client, "SCREEN")
    _, texts = post_sms(channel_client, "ទេ")
    assert texts == ["សូមអរគុណ។ គ្មានចម្លើយណាត្រូវកត់ត្រាទុកទេ មានតែការរាប់ប៉ុណ្ណោះ។"]
    with channel_app.app_context():
        assert stored_counts(database)["screenings"] == 0
        declined = database.session.scalars(select(DeclinedScreening)).one()
        assert (declined.channel, declined.province_code, declined.training) == ("sms", "BMC", False)
    assert session_row(channel_app).state == "idle"


def test_consent_needs_a_clear_yes_or_no(channel_app, channel_client, staff):
    post_sms(channel_client, "SCREEN")
    _, texts = post_sms(channel_client, "3")
    assert "1 (បាទ/ចាស) ឬ 2 (ទេ)" in texts[0]
    assert session_row(channel_app).state == "consent"


def test_back_help_and_repeat(channel_app, channel_client, staff):
    post_sms(channel_client, "SCREEN")
    _, texts = post_sms(channel_client, "1")
    case = CASE_NUMBER.search(texts[0]).group()
    _, texts = post_sms(channel_client, "០")  # back, in Khmer digits, at the first question
    assert texts[0].startswith("នេះជាសំណួរទីមួយហើយ។") and asked_in_sms(texts) == "U1"
    post_sms(channel_client, "2")
    _, texts = post_sms(channel_client, "0")
    assert asked_in_sms(texts) == "U1"
    _, texts = post_sms(channel_client, "1")  # U1 changed from no to yes
    assert asked_in_sms(texts) == "U2"
    _, texts = post_sms(channel_client, "9")
    assert texts[-2].startswith("0=ថយក្រោយ 9=ជំនួយ") or "0=ថយក្រោយ" in "\n".join(texts)
    assert asked_in_sms(texts) == "U2"
    _, texts = post_sms(channel_client, "បន្ត")  # RESUME repeats the question
    assert texts[0].startswith(f"បន្តករណី {case}") and asked_in_sms(texts) == "U2"
    (screening,) = screenings(channel_app)
    assert screening.answer_map() == {"consent": "yes", "U1": "yes"}


def test_a_changed_answer_records_when_and_where_it_was_changed(channel_app, channel_client, staff):
    """The dialogue reads only the answers' codes and values; one it changes still gets its
    new channel and time."""
    post_sms(channel_client, "SCREEN")
    post_sms(channel_client, "1")
    post_sms(channel_client, "2")  # U1: no
    long_ago = utcnow() - timedelta(hours=2)
    with channel_app.app_context():
        database.session.execute(update(Answer).where(Answer.code == "U1").values(answered_at=long_ago, channel="web"))
        database.session.commit()
    post_sms(channel_client, "0")  # back to U1
    _, texts = post_sms(channel_client, "1")  # U1 changed from no to yes
    assert asked_in_sms(texts) == "U2"
    with channel_app.app_context():
        answer = database.session.scalars(select(Answer).where(Answer.code == "U1")).one()
        assert (answer.value, answer.channel) == ("yes", "sms")
        assert answer.answered_at > long_ago + timedelta(hours=1)



def test_a_replys_answers_are_stored_with_their_channel_and_time(channel_app, channel_client, staff):
    """A usual message's writes (the answers of one reply, the session, the reply kept for a
    retry) go past the unit of work (sms.channels.write_turn): each answer still gets its
    row, channel and time, and the session stands where the reply leaves it."""
    post_sms(channel_client, "SCREEN")
    post_sms(channel_client, "1")
    before = utcnow()
    post_sms(channel_client, "2")  # U1: no
    _, texts = post_sms(channel_client, "៣៤")  # U2 unsure, U3 refused, in one reply
    assert asked_codes_in_sms(texts) == ["age", "sex", "nationality"]
    with channel_app.app_context():
        rows = database.session.scalars(select(Answer).where(Answer.code.in_(["U1", "U2", "U3"]))).all()
        assert {(a.code, a.value, a.channel) for a in rows} == {
            ("U1", "no", "sms"), ("U2", "unknown", "sms"), ("U3", "refused", "sms")}
        assert all(before - timedelta(seconds=1) <= a.answered_at <= utcnow() for a in rows)
        assert all(a.answered_at.utcoffset() == timedelta(0) for a in rows)
    row = session_row(channel_app)
    assert (row.state, row.question, row.group_codes) == ("asking", "age", ["age", "sex", "nationality"])
    assert before - timedelta(seconds=1) <= row.last_activity_at <= utcnow()

def test_province_help_lists_every_province_by_number(channel_app, channel_client, staff):
    # U2 and U3 in one reply; age, sex and nationality in one; then country and sector.
    for body in ["SCREEN", "1", "2", "22", "30 1 1", "2", "2"]:
        _, texts = post_sms(channel_client, body)
    assert asked_codes_in_sms(texts) == ["home_province", "return_mode"]
    _, texts = post_sms(channel_client, "9")
    listing = " ".join(texts)
    assert "1 បន្ទាយមានជ័យ" in listing and "26 ត្បូងឃ្មុំ" in listing and "27 មិនដឹង" in listing
    _, texts = post_sms(channel_client, "២១ ៦")
    assert screenings(channel_app)[0].answer_map()["home_province"] == "SRP"


def test_garbage_gets_a_helpful_reply_and_changes_nothing(channel_app, channel_client, staff):
    post_sms(channel_client, "SCREEN")
    post_sms(channel_client, "1")
    before = session_row(channel_app)
    _, texts = post_sms(channel_client, "🙂 maybe")
    assert texts[0].startswith("សូមទោស មិនយល់ចម្លើយទេ។ សូមឆ្លើយលេខ 1 2 3 ឬ 4។")
    after = session_row(channel_app)
    assert (after.state, after.question, after.last_activity_at) == (before.state, before.question, before.last_activity_at)


def test_one_reminder_after_30_idle_minutes(channel_app, channel_client, staff):
    post_sms(channel_client, "SCREEN")
    _, texts = post_sms(channel_client, "1")
    case = CASE_NUMBER.search(texts[0]).group()
    with channel_app.app_context():
        assert dialogue.send_reminders(utcnow() + timedelta(minutes=29)) == 0
        assert dialogue.send_reminders(utcnow() + timedelta(minutes=31)) == 1
        assert dialogue.send_reminders(utcnow() + timedelta(minutes=45)) == 0  # only one
        database.session.commit()
        message = database.session.scalars(select(OutboxMessage)).one()
        assert (message.recipient, message.purpose, message.status) == (STAFF_PHONE, "reminder", "pending")
        assert case in message.body and message.body.startswith("ការពិនិត្យ")
        assert dialogue.send_reminders(utcnow() + timedelta(hours=25)) == 0  # expired: no reminder
    post_sms(channel_client, "2")  # an answer: the next idle half hour gets its own reminder
    with channel_app.app_context():
        assert dialogue.send_reminders(utcnow() + timedelta(minutes=31)) == 1


def test_the_reminder_tick_command(channel_app, channel_client, staff):
    post_sms(channel_client, "SCREEN")
    post_sms(channel_client, "1")
    with channel_app.app_context():
        database.session.execute(update(SmsSession).values(last_activity_at=utcnow() - timedelta(minutes=40)))
        database.session.commit()
    result = channel_app.test_cli_runner().invoke(args=["sms", "remind"])
    assert result.exit_code == 0 and "reminders queued: 1" in result.output
    with channel_app.app_context():
        assert len(database.session.scalars(select(OutboxMessage)).all()) == 1


def test_after_24_hours_the_screening_expires_and_cannot_be_resumed(channel_app, channel_client, staff):
    post_sms(channel_client, "SCREEN")
    _, texts = post_sms(channel_client, "1")
    case = CASE_NUMBER.search(texts[0]).group()
    post_sms(channel_client, "2")
    long_ago = utcnow() - timedelta(hours=25)
    with channel_app.app_context():
        database.session.execute(update(SmsSession).values(last_activity_at=long_ago))
        database.session.execute(update(Answer).values(answered_at=long_ago))
        database.session.commit()
    _, texts = post_sms(channel_client, "1")
    assert texts[0].startswith(f"ការពិនិត្យ {case} បានផុតកំណត់")
    _, texts = post_sms(channel_client, "RESUME")
    assert texts == ["គ្មានការពិនិត្យដែលមិនទាន់ចប់ទេ។ ផ្ញើ ពិនិត្យ ដើម្បីចាប់ផ្ដើម។"]
    (screening,) = screenings(channel_app)
    assert screening.status == "draft" and screening.answer_map() == {"consent": "yes", "U1": "no"}


def test_resume_within_24_hours_after_starting_another(channel_app, channel_client, staff):
    post_sms(channel_client, "SCREEN")
    _, texts = post_sms(channel_client, "1")
    case = CASE_NUMBER.search(texts[0]).group()
    post_sms(channel_client, "2")
    _, texts = post_sms(channel_client, "SCREEN")
    assert texts[0].startswith(f"ករណី {case} ទុកមិនទាន់ចប់។") and asked_in_sms(texts) == "consent"
    post_sms(channel_client, "2")  # the second person declines
    with channel_app.app_context():
        database.session.execute(update(SmsSession).values(last_activity_at=utcnow() - timedelta(hours=23)))
        database.session.commit()
    _, texts = post_sms(channel_client, "hello")
    assert case in texts[0]  # reminded that the first one is open
    _, texts = post_sms(channel_client, "RESUME")
    assert texts[0].startswith(f"បន្តករណី {case}") and asked_in_sms(texts) == "U2"


def test_resume_typed_with_subscript_da_resumes_too(channel_app, channel_client, staff):
    """បន្ដ (subscript DA) and បន្ត (TA) look the same on a phone; both must resume."""
    post_sms(channel_client, "SCREEN")
    _, texts = post_sms(channel_client, "1")
    case = CASE_NUMBER.search(texts[0]).group()
    post_sms(channel_client, "2")
    post_sms(channel_client, "SCREEN")
    post_sms(channel_client, "2")  # the second person declines
    _, texts = post_sms(channel_client, "បន\u17d2\u178a")
    assert texts[0].startswith(f"បន្តករណី {case}") and asked_in_sms(texts) == "U2"


def test_language_word_switches_and_sticks(channel_app, channel_client, staff):
    _, texts = post_sms(channel_client, "ENGLISH")
    assert texts[0].startswith("Language: English.")
    _, texts = post_sms(channel_client, "screen")
    assert asked_in_sms(texts, "en") == "consent"
    post_sms(channel_client, "yes")
    (screening,) = screenings(channel_app)
    assert screening.language == "en"


def test_phone_number_is_not_stored_in_clear(channel_app, channel_client, staff):
    post_sms(channel_client, "SCREEN")
    with channel_app.app_context():
        raw = database.session.execute(database.text("SELECT phone, phone_hash FROM sms_sessions")).one()
    assert "85512000001" not in raw.phone and "85512000001" not in raw.phone_hash


def test_terminal_simulator_makes_training_screenings_and_sends_nothing(channel_app, staff):
    runner = channel_app.test_cli_runner()
    result = runner.invoke(args=["sms", "simulate", "--phone", STAFF_PHONE], input="SCREEN\n1\n2\n:quit\n")
    assert result.exit_code == 0, result.output
    assert "យល់ព្រម?" in result.output and "segment(s)" in result.output
    result = runner.invoke(args=["sms", "simulate", "--phone", STAFF_PHONE, "--ussd"], input="1\n25\n:quit\n")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("CON Unfinished screening TRN-")  # training series
    with channel_app.app_context():
        (screening,) = database.session.scalars(select(Screening)).all()
        assert screening.training is True and screening.answer_map()["U1"] == "no"
        assert database.session.scalars(select(OutboxMessage)).all() == []
        assert {s.training for s in database.session.scalars(select(SmsSession))} == {True}


def test_terminal_simulator_refuses_a_stranger(channel_app, staff):
    result = channel_app.test_cli_runner().invoke(args=["sms", "simulate", "--phone", "+85512000099"], input="x\n")
    assert result.exit_code == 2 and "Sorry, we cannot reply" in result.output


def test_training_sessions_do_not_touch_the_real_dialogue(channel_app, channel_client, staff):
    post_sms(channel_client, "SCREEN")
    post_sms(channel_client, "1")
    channel_app.test_cli_runner().invoke(args=["sms", "simulate", "--phone", STAFF_PHONE], input="SCREEN\n1\n:quit\n")
    real = session_row(channel_app)
    assert real.state == "asking" and real.question == "U1"
    real_screenings = [s for s in screenings(channel_app) if not s.training]
    assert len(real_screenings) == 1


def test_browser_simulator_for_supervisors_only(channel_app):
    from tests.web import csrf, login

    make_staff(channel_app, "+85512000004", role="border", username="border1", post_code="POIPET")
    make_staff(channel_app, "+85512000005", role="supervisor", username="super1", post_code="POIPET", language="en")
    border = channel_app.test_client()
    login(border, "border1", PASSWORD)
    assert border.get("/sms/simulator").status_code == 403
    anonymous = channel_app.test_client()
    assert anonymous.get("/sms/simulator").status_code in (302, 401)
    supervisor = channel_app.test_client()
    login(supervisor, "super1", PASSWORD)
    page = supervisor.get("/sms/simulator")
    assert page.status_code == 200
    token = csrf(page.get_data(as_text=True))
    assert supervisor.post("/sms/simulator", data={"channel": "sms", "text": "SCREEN"}).status_code == 400  # no CSRF
    for text in ("SCREEN", "yes"):
        response = supervisor.post("/sms/simulator", data={"channel": "sms", "text": text, "csrf_token": token})
        assert response.status_code == 302
    page = supervisor.get("/sms/simulator").get_data(as_text=True)
    assert "Never used to punish you" in page and "Case TRN-" in page  # training series
    response = supervisor.post("/sms/simulator", data={"channel": "ussd", "action": "dial", "csrf_token": token})
    assert response.status_code == 302
    assert "Unfinished screening" in supervisor.get("/sms/simulator").get_data(as_text=True)
    with channel_app.app_context():
        (screening,) = database.session.scalars(select(Screening)).all()
        assert screening.training is True
        assert database.session.scalars(select(OutboxMessage)).all() == []


def test_handled_message_ids_are_forgotten_after_a_week(channel_app, channel_client, staff):
    from sms.models import InboundMessage

    post_sms(channel_client, "SCREEN")
    with channel_app.app_context():
        assert dialogue.forget_old_inbound(utcnow() + timedelta(days=6)) == 0
        assert dialogue.forget_old_inbound(utcnow() + timedelta(days=8)) == 1
        database.session.commit()
        assert database.session.scalars(select(InboundMessage)).all() == []


def test_resume_during_a_pending_consent_reopens_the_unfinished_screening(channel_app, channel_client, staff):
    post_sms(channel_client, "SCREEN")
    _, texts = post_sms(channel_client, "1")
    case = CASE_NUMBER.search(texts[0]).group()
    _, texts = post_sms(channel_client, "SCREEN")  # by mistake
    assert asked_in_sms(texts) == "consent"
    _, texts = post_sms(channel_client, "RESUME")
    assert texts[0].startswith(f"បន្តករណី {case}") and asked_in_sms(texts) == "U1"
    assert len(screenings(channel_app)) == 1


def test_browser_simulator_transcript_keeps_the_cookie_small(channel_app):
    from tests.web import csrf, login

    make_staff(channel_app, "+85512000006", role="supervisor", username="super2", post_code="POIPET")
    client = channel_app.test_client()
    login(client, "super2", PASSWORD)
    token = csrf(client.get("/sms/simulator").get_data(as_text=True))
    for text in ["SCREEN", "1", "9", "9", "9", "2", "9", "9", "9", "9"]:  # long Khmer help texts
        client.post("/sms/simulator", data={"channel": "sms", "text": text, "csrf_token": token})
    cookie = client.get_cookie("session")
    assert cookie is not None and len(cookie.value) < 3500
    assert client.get("/sms/simulator").status_code == 200  # still logged in
