"""20 answers racing on one session through a live server: on PostgreSQL the session row
lock serialises them, so the result equals answering one after another."""
from __future__ import annotations

import threading

import pytest
import requests
from sqlalchemy import select

from sms.models import InboundMessage, SmsSession
from tests.conftest import serving
from tests.sms.conftest import OTHER_STAFF_PHONE, STAFF_PHONE, make_staff, new_sid, post_sms, sign
from webapp.auth.models import User
from webapp.extensions import db as database
from webapp.screening.models import Screening

RACERS = 20


@pytest.fixture
def live_server(channel_app):
    with serving(channel_app) as url:
        yield url


def answers_of(app, phone_user_id):
    with app.app_context():
        screening = database.session.scalars(select(Screening).where(Screening.screener_id == phone_user_id)).one()
        answers = {a.code: a.value for a in screening.answers}
        rows = len(screening.answers)
        session = database.session.scalars(select(SmsSession).where(SmsSession.user_id == phone_user_id)).one()
        inbound = len(database.session.scalars(select(InboundMessage).where(InboundMessage.session_id == session.id)).all())
        return answers, rows, (session.state, session.question), inbound, screening.status


def test_twenty_threads_answering_one_session_lose_and_double_nothing(channel_app, channel_client, staff, live_server, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL row locks (SQLite serialises every writer anyway)")
    other = make_staff(channel_app, OTHER_STAFF_PHONE, username="other.screener")
    for phone in (STAFF_PHONE, OTHER_STAFF_PHONE):
        post_sms(channel_client, "SCREEN", phone=phone)
        post_sms(channel_client, "1", phone=phone)

    barrier = threading.Barrier(RACERS)
    results: list[int] = []

    def racer():
        data = {"MessageSid": new_sid(), "From": STAFF_PHONE, "Body": "2"}
        headers = {"X-Twilio-Signature": sign("/sms/twilio", data)}
        barrier.wait()
        response = requests.post(live_server + "/sms/twilio", data=data, headers=headers, timeout=60)
        results.append(response.status_code)

    threads = [threading.Thread(target=racer) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == [200] * RACERS

    # The same 20 answers one after another, for another staff member: the reference.
    for _ in range(RACERS):
        post_sms(channel_client, "2", phone=OTHER_STAFF_PHONE)
    raced = answers_of(channel_app, staff)
    serial = answers_of(channel_app, other)
    assert raced[0] == serial[0]  # the same answers to the same questions
    assert raced[1] == len(raced[0]) == serial[1]  # one row per answer
    assert raced[2] == serial[2] and raced[4] == serial[4]  # the session stands at the same place
    assert raced[3] == 2 + RACERS  # every message handled, once
    # None lost, none doubled: "2" answers a question asked alone; to questions asked
    # together it is the wrong length, asked again, and stores nothing (both sessions alike).
    assert len(raced[0]) == len(serial[0]) >= 2
    with channel_app.app_context():
        assert database.session.get(User, staff).phone == STAFF_PHONE
