"""Retention: ``purge`` clears every identifying column of every case, drafts included.

The list of columns is read from the models here, independently of ``purge``: a new
encrypted column (or one marked identifying) that this scenario does not fill, or that
purge leaves behind, fails the test until somebody decides what happens to it."""
from __future__ import annotations

import uuid as uuidlib
from datetime import timedelta

from sqlalchemy import select, text, update

from tests.referrals.test_flow import setup_directory
from tests.sms.conftest import channel_app, make_staff, post_sms  # noqa: F401  (fixture)
from tests.test_screening_api import VIGNETTES
from tests.web import csrf, login, make_user
from webapp.auth.models import User
from webapp.core import crypto
from webapp.core.types import EncryptedText, utcnow
from webapp.extensions import db as database
from webapp.figures import operations as figures
from webapp.referrals.models import Referral
from webapp.review import operations as review
from webapp.screening import linkage, operations
from webapp.screening.models import Answer, Screening
from webapp.screening.retention import PURGED

# Encrypted columns that are not case data, each with where it is dealt with.
NOT_CASE_DATA = {
    "users.phone": "a staff member's work phone, kept while the account exists",
    "services.phone": "an organisation's desk phone in the directory",
    "sms_sessions.phone": "removed with the whole session after --session-days (checked below)",
    "sms_inbound.reply": "removed with its session after --session-days (checked below)",
    "sms_outbox.recipient": "sent messages removed after --session-days (checked below)",
    "sms_outbox.body": "sent messages removed after --session-days (checked below)",
    "sms_simulator_transcripts.state": "a supervisor's training chat, removed after a day unused (checked below)",
}
SECRET = "PURGE-SECRET"


def identifying_columns():
    for table in database.metadata.sorted_tables:
        for column in table.columns:
            name = f"{table.name}.{column.name}"
            if (isinstance(column.type, EncryptedText) or column.info.get("identifying")) and name not in NOT_CASE_DATA:
                yield table, column


def finished(user, context, vignette="e01"):
    values = {code: {"value": value} for code, value in VIGNETTES[vignette]["answers"].items()}
    screening, _ = operations.submit_complete(screener=user, uuid=str(uuidlib.uuid4()), context=context,
                                              answers=values, language="en", client_started_at=None)
    screening.note = f"{SECRET} note"
    screening.initials = "SK"
    linkage.update(screening)
    return screening


def age(screening, days):
    past = utcnow() - timedelta(days=days)
    database.session.execute(update(Screening).where(Screening.id == screening.id).values(
        created_at=past, updated_at=past, completed_at=past if screening.status == "complete" else None))
    database.session.execute(update(Answer).where(Answer.screening_id == screening.id).values(answered_at=past))


def build_cases(app):
    """Closed cases abroad and with GPS (reviewed, asked about, referred and declined),
    an old web draft and an old SMS draft, and a recent draft of each that must stay."""
    setup_directory(app)
    make_user(app, "consular")
    make_user(app, "border", username="border")
    make_user(app, "supervisor", username="sup", national=True)
    make_user(app, "hotline")
    with app.app_context():
        consular, border, sup, hotline = (database.session.scalar(select(User).where(User.username == name))
                                          for name in ("consular", "border", "sup", "hotline"))
        abroad = finished(consular, operations.Context("abroad", country_code="TH", city=f"{SECRET} Soi 5, room 12"))
        gps = finished(border, operations.Context("gps", lat=13.6612, lon=102.5566))
        call = finished(hotline, operations.Context("caller", province_code="BMC", city=f"{SECRET} Poipet",
                                                    callback_phone="012 000 999"))
        for case in (abroad, gps, call):
            review.decide(case, sup, "override", "possible_victim", f"{SECRET} the uncle sold her")
            request = review.request_info(case, sup, f"{SECRET} who is the uncle?")
            review.answer_info(request, f"{SECRET} a neighbour")
            for referral in database.session.scalars(select(Referral).where(Referral.screening_id == case.id)):
                referral.state, referral.decline_reason = "declined", f"{SECRET} no beds"
            age(case, 400)
        drafts = {}
        for channel, days in (("web", 4), ("sms", 2), ("web", 1), ("sms", 1 / 24)):
            draft = operations.start_screening(screener=border, channel=channel,
                                               context=operations.Context("gps", lat=13.65, lon=102.56))
            draft.note, draft.initials = f"{SECRET} draft note", "EF"
            database.session.flush()
            age(draft, days)
            drafts[(channel, days)] = draft.id
        database.session.commit()
        return ([abroad.id, gps.id, call.id, drafts[("web", 4)], drafts[("sms", 2)]],
                [drafts[("web", 1)], drafts[("sms", 1 / 24)]])


def stored(table, column, case_ids):
    """The raw stored values of one column for the given screenings (decrypted)."""
    key = "id" if table.name == "screenings" else "screening_id"
    ids = ",".join(str(i) for i in case_ids)
    rows = database.session.execute(text(
        f'SELECT "{column.name}" FROM "{table.name}" WHERE "{key}" IN ({ids}) AND "{column.name}" IS NOT NULL')).scalars()
    return [crypto.decrypt(v) if isinstance(column.type, EncryptedText) else v for v in rows]


def test_purge_clears_every_identifying_column_of_old_cases_and_expired_drafts(channel_app, db):
    app = channel_app
    purged, kept = build_cases(app)
    # SMS: a session with its stored replies, and a sent message, all older than 30 days.
    make_staff(app, "+85512000005", username="smsuser")
    sms = app.test_client()
    post_sms(sms, "SCREEN", phone="+85512000005")
    with app.app_context():
        from sms import transcripts
        from sms.models import InboundMessage, SimulatorTranscript, SmsSession
        from webapp.outbox.models import OutboxMessage
        from webapp.outbox.operations import enqueue

        enqueue("+85512000006", f"{SECRET} referral text", "referral").status = "sent"
        database.session.flush()
        long_ago = utcnow() - timedelta(days=40)
        database.session.execute(update(SmsSession).values(last_activity_at=long_ago))
        database.session.execute(update(OutboxMessage).values(updated_at=long_ago))
        transcripts.save(database.session.scalar(select(User.id).where(User.username == "smsuser")),
                         {"lines": [f"{SECRET} simulator line"]})
        database.session.flush()
        database.session.execute(update(SimulatorTranscript).values(updated_at=long_ago))
        database.session.commit()
        before = figures.aggregate(figures.screenings_in(True))
        columns = list(identifying_columns())
        names = {f"{t.name}.{c.name}" for t, c in columns}
        assert {"screenings.city", "screenings.gps", "screenings.note", "screenings.initials", "screenings.callback_phone",
                "screenings.linkage_key", "reviews.reason", "info_requests.message", "info_requests.answer",
                "referrals.match", "referrals.decline_reason"} <= names
        for table, column in columns:  # the scenario fills every one of them, or the test says which
            assert stored(table, column, purged), f"{table.name}.{column.name} is not filled by this test"
        assert database.session.scalar(select(InboundMessage.id)) and database.session.scalar(select(OutboxMessage.id))

    out = app.test_cli_runner().invoke(args=["purge"])
    assert "closed cases de-identified: 3" in out.output and "unfinished screenings de-identified: 2" in out.output

    with app.app_context():
        for table, column in columns:
            left = [v for v in stored(table, column, purged) if v != PURGED]
            assert left == [], f"{table.name}.{column.name} kept {left!r}"
        assert stored(Screening.__table__, Screening.__table__.c.note, kept) == [f"{SECRET} draft note"] * 2  # recent drafts stay
        assert database.session.scalar(select(SmsSession.id)) is None
        assert database.session.scalar(select(InboundMessage.id)) is None
        assert database.session.scalar(select(SimulatorTranscript.user_id)) is None
        assert database.session.scalar(select(OutboxMessage.id).where(OutboxMessage.status == "sent")) is None
        assert figures.aggregate(figures.screenings_in(True)) == before  # the figures do not change
        cases = database.session.scalars(select(Screening).where(Screening.id.in_(purged))).all()
        assert all(s.answers and s.case_number for s in cases)  # de-identified, not deleted
    again = app.test_cli_runner().invoke(args=["purge"])
    assert "closed cases de-identified: 0" in again.output and "unfinished screenings de-identified: 0" in again.output


def test_no_note_on_an_unfinished_screening(app, client, db):
    make_user(app, "border")
    login(client, "border")
    with app.app_context():
        border = database.session.scalar(select(User))
        draft = operations.start_screening(screener=border, channel="web", context=operations.Context("province", province_code="BMC"))
        database.session.commit()
        uuid = draft.uuid
    page = client.get("/screenings/").get_data(as_text=True)
    response = client.post(f"/screenings/{uuid}/note", data={"note": f"{SECRET} note", "initials": "AB",
                                                            "csrf_token": csrf(page)})
    assert response.status_code == 409
    assert db.session.scalar(select(Screening.note)) is None


def test_city_is_encrypted_at_rest_and_the_migration_encrypts_stored_cities(app, db):
    from flask_migrate import downgrade, upgrade

    make_user(app, "consular")
    with app.app_context():
        consular = database.session.scalar(select(User))
        operations.start_screening(screener=consular, channel="web",
                                   context=operations.Context("abroad", country_code="TH", city=f"{SECRET} Soi 5"))
        database.session.commit()
    raw = lambda: db.session.execute(text("SELECT city FROM screenings")).scalar_one()  # noqa: E731
    assert SECRET not in raw() and crypto.decrypt(raw()) == f"{SECRET} Soi 5"
    db.session.remove()
    downgrade(revision="0005")  # the city in clear, as before
    assert raw() == f"{SECRET} Soi 5"
    db.session.remove()
    upgrade()
    assert SECRET not in raw() and raw().startswith("t1:")
    assert db.session.scalar(select(Screening.city)) == f"{SECRET} Soi 5"
