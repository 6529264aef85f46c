"""Protection: nothing identifying in clear in the database, key rotation, no personal data
in logs, retention, an audit trail nobody can edit, rate limits."""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect, select, text

from tests.conftest import TEST_KEY, make_config
from tests.referrals.test_flow import setup_directory, share
from tests.sms.conftest import channel_app, post_sms  # noqa: F401  (fixture)
from tests.test_screening_api import payload, post, token
from tests.web import csrf, login, make_user
from webapp import create_app
from webapp.audit.models import AuditEvent, AuditImmutable
from webapp.core import crypto, keys
from webapp.core.types import utcnow
from webapp.extensions import db as database
from webapp.figures import operations as figures
from webapp.screening.models import Screening

NOTE = "Synthetic note: Sophea asked us to call her sister"
INITIALS = "SK"
SCREENER_PHONE = "+85512000001"
SUPERVISOR_PHONE = "+85512000071"


def web_screening(app, client, gps=False):
    """A likely victim screened on the web, with a note and initials recorded."""
    make_user(app, "border", phone=SCREENER_PHONE)
    login(client, "border")
    body = payload("e01")
    if gps:
        body["context"] = {"kind": "gps", "lat": 13.6612, "lon": 102.5566}
    result = post(client, body, token(client)).get_json()
    page = client.get(result["result_url"]).get_data(as_text=True)
    client.post(f"/screenings/{result['uuid']}/note", data={"note": NOTE, "initials": INITIALS, "csrf_token": csrf(page)})
    return result


def every_text_value(db) -> list[str]:
    values = []
    for table in database.metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        rows = db.session.execute(text(f'SELECT * FROM "{table.name}"')).all()
        values += [str(v) for row in rows for v in row if v is not None]
    return values


def test_no_identifying_field_in_clear_text(app, client, db):
    setup_directory(app)
    result = web_screening(app, client, gps=True)
    share(client, result)  # a referral SMS to the service goes to the outbox
    stored = "\n".join(every_text_value(db))
    for secret in (NOTE, "Sophea", SCREENER_PHONE, "+85512000101", "13.6612", "102.5566"):
        assert secret not in stored, secret
    assert not re.search(r"\+855\d{8,9}", stored)
    assert f'"{INITIALS}"' not in stored and f"|{INITIALS}|" not in stored
    # ... and it all reads back through the app.
    screening = db.session.scalar(select(Screening))
    assert screening.note == NOTE and screening.initials == INITIALS and screening.gps.startswith("13.6612")


def test_key_rotation_keeps_everything_readable(app, client, db, database_url):
    setup_directory(app)
    result = web_screening(app, client)
    share(client, result)
    new_key = Fernet.generate_key().decode()
    rotated = create_app(make_config(database_url, encryption_keys=f"t2:{new_key},t1:{TEST_KEY}"))
    try:
        with rotated.app_context():
            changed = keys.rotate_keys()
            database.session.commit()
            assert changed["screenings.note"] == 1 and changed["users.phone"] >= 1
            assert keys.rotate_keys()["screenings.note"] == 0  # nothing left on the old key
        only_new = create_app(make_config(database_url, encryption_keys=f"t2:{new_key}"))
        with only_new.app_context():
            screening = database.session.scalar(select(Screening))
            assert screening.note == NOTE
            for table, column in keys.encrypted_columns():
                query = f'SELECT "{column.name}" FROM "{table.name}" WHERE "{column.name}" IS NOT NULL'
                raw = database.session.execute(text(query)).scalars().all()
                assert all(value.startswith("t2:") for value in raw), f"{table.name}.{column.name}"
    finally:
        crypto.configure(f"t1:{TEST_KEY}", "test-hash-key")  # the session app's keys again


def test_no_personal_data_in_any_log_line(channel_app, client, db, caplog):
    caplog.set_level(logging.DEBUG)
    setup_directory(channel_app)
    make_user(channel_app, "supervisor", username="sup", phone=SUPERVISOR_PHONE, national=True)
    result = web_screening(channel_app, client)
    share(client, result)
    sms = channel_app.test_client()
    for reply in ("SCREEN", "1", "2", "2", "១៧", "2", "VN", "TH", "1", "BMC", "1"):
        post_sms(sms, reply, phone=SCREENER_PHONE)
    post_sms(sms, "hello", phone="+85512000099")  # a stranger
    supervisor = channel_app.test_client()
    login(supervisor, "sup")
    supervisor.get("/figures/export/screenings.csv")
    supervisor.get("/figures/export/aggregate.json")
    with channel_app.app_context():
        logging.getLogger("probe").warning("probe %s %s", SCREENER_PHONE, "token=abc123")
        try:
            raise ValueError(f"row for {SCREENER_PHONE} with note {NOTE}")
        except ValueError:
            logging.getLogger("probe").exception("failed")
    lines = [record.getMessage() + (record.exc_text or "") for record in caplog.records]
    assert any("probe [phone]" in line for line in lines)  # the probe went through and was redacted
    everything = "\n".join(lines)
    for secret in (SCREENER_PHONE, SUPERVISOR_PHONE, "+85512000099", "85512000", NOTE, "Sophea", "Synthetic",
                   "abc123", "១៧"):
        assert secret not in everything, secret


def test_purge_removes_identifying_fields_and_keeps_the_figures(app, client, db):
    result = web_screening(app, client, gps=True)
    page = client.get(result["result_url"]).get_data(as_text=True)
    # The person declined the referral: nothing is open any more, the case is closed.
    client.post(f"/referrals/screening/{result['uuid']}/consent", data={"share": "no", "csrf_token": csrf(page)})
    with app.app_context():
        before = figures.aggregate(figures.screenings_in(True))
        screening = database.session.scalar(select(Screening))
        screening.completed_at = utcnow() - timedelta(days=400)
        database.session.commit()
    out = app.test_cli_runner().invoke(args=["purge"])
    assert "closed cases de-identified: 1" in out.output
    db.session.expire_all()
    screening = db.session.scalar(select(Screening))
    assert (screening.note, screening.initials, screening.gps, screening.linkage_key) == (None, None, None, None)
    assert screening.case_number == result["case_number"] and screening.answer_map()["M9"] == "yes"
    with app.app_context():
        assert figures.aggregate(figures.screenings_in(True)) == before
    again = app.test_cli_runner().invoke(args=["purge"])
    assert "closed cases de-identified: 0" in again.output


def test_recent_cases_are_not_purged(app, client, db):
    web_screening(app, client)
    app.test_cli_runner().invoke(args=["purge"])
    assert db.session.scalar(select(Screening.note)) == NOTE


def test_audit_records_cannot_be_changed_through_the_app(app, client, db):
    make_user(app, "border")
    login(client, "border")
    with app.app_context():
        event = database.session.scalar(select(AuditEvent).where(AuditEvent.action == "login"))
        event.action = "nothing happened"
        with pytest.raises(AuditImmutable):
            database.session.commit()
        database.session.rollback()
        event = database.session.scalar(select(AuditEvent).where(AuditEvent.action == "login"))
        database.session.delete(event)
        with pytest.raises(AuditImmutable):
            database.session.commit()
        database.session.rollback()
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "login")) == "login"


def test_the_database_refuses_audit_changes_too(app, client, db, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the append-only trigger is PostgreSQL's")
    from sqlalchemy.exc import DBAPIError

    make_user(app, "border")
    login(client, "border")
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("UPDATE audit_events SET action = 'x'"))
    db.session.rollback()


def test_failed_logins_are_audited_without_the_name_tried(app, client, db):
    login(client, "someone.else", "wrong-password")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login.failed"))
    assert event.subject_hash and "someone" not in str(event.detail)


@pytest.fixture
def limited_app(database_url, app):
    """An app with the limits on. Flask-Limiter keeps its switch on the one extension
    object, so it is put back for the other tests afterwards."""
    from webapp.extensions import limiter

    enabled = limiter.enabled
    yield create_app(make_config(database_url, ratelimit_enabled=True))
    limiter.reset()
    limiter.enabled = enabled


def test_login_is_rate_limited(limited_app):
    client = limited_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    codes = [client.post("/login", data={"identifier": f"nobody{i}", "password": "x", "csrf_token": csrf(page)}).status_code
             for i in range(22)]
    assert codes[:20] == [401] * 20 and codes[-1] == 429


def test_schema_has_no_plain_phone_or_name_of_a_person(db):
    """The only name columns are of staff and services; people screened have none."""
    columns = {(t, c["name"]) for t in inspect(db.engine).get_table_names() for c in inspect(db.engine).get_columns(t)}
    person_tables = {"screenings", "answers", "declined_screenings", "referrals", "reviews", "info_requests"}
    assert not {(t, c) for t, c in columns if t in person_tables and c in ("name", "full_name", "dob", "date_of_birth")}


def test_sms_and_ussd_are_rate_limited_per_phone(limited_app):
    from tests.sms.conftest import ACCOUNT_SID, PUBLIC_BASE, sign

    config = limited_app.config["APP_CONFIG"]
    limited_app.config["APP_CONFIG"] = replace(config, public_base_url=PUBLIC_BASE, twilio_auth_token="test-twilio-auth-token",
                                               sms_rate_limit="5 per minute", ussd_rate_limit="5 per minute",
                                               ussd_shared_secret="s")
    client = limited_app.test_client()

    def sms(phone, n):
        data = {"MessageSid": f"SM{phone[-3:]}{n:029d}", "AccountSid": ACCOUNT_SID, "From": phone, "Body": "hello"}
        return client.post("/sms/twilio", data=data, headers={"X-Twilio-Signature": sign("/sms/twilio", data)}).status_code

    assert [sms("+85512000051", n) for n in range(6)] == [200] * 5 + [429]
    assert sms("+85512000052", 0) == 200  # another phone is not held back
    ussd = [client.post("/ussd?token=s", data={"sessionId": "x", "phoneNumber": "+85512000053", "text": ""}).status_code
            for _ in range(6)]
    assert ussd == [200] * 5 + [429]
