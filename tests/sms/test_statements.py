"""What one inbound SMS costs the database: a handful of statements, whatever the question.

A behaviour test, not a timed one: the session, its owner, the MessageSid look-up and the
screening with its answers come in one statement, then the writes (the answers, the session,
the handled message: a draft's result is not rewritten per answer), one statement on
PostgreSQL however many answers the reply holds. A retry of a handled
MessageSid reads and writes nothing more than that look-up. (bench/sms_load.py measures the
time; this keeps the count from creeping back: issue 13 found thirteen.)"""
from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import event, func, select

import questionnaires as Q
from sms.models import InboundMessage
from tests.conftest import serving
from tests.sms.conftest import STAFF_PHONE, new_sid, post_sms, sign
from tests.sms.helpers import asked_codes_in_sms, group_reply
from webapp.extensions import db as database
from webapp.screening.models import Answer, Screening

# Reading: the locked session with its owner, the MessageSid and the screening with its
# answers (sms.dialogue.open_known_session). Writing: the session, the answers and the
# handled message, in one statement on PostgreSQL (sms.channels.write_turn).
ANSWER_STATEMENTS = 2
# SQLite has no row lock: one write first takes its database write lock instead; and no
# data-modifying WITH: the three writes go one by one.
SQLITE_LOCK = 1
SQLITE_WRITES = 2


@contextmanager
def counting(app):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = database.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def on_sqlite(app) -> bool:
    with app.app_context():
        return database.engine.dialect.name != "postgresql"


def test_each_answer_costs_a_handful_of_statements(channel_app, channel_client, staff, vignettes):
    answers = next(v for v in vignettes if v["expected"]["tier"] == "likely_victim")["answers"]
    limit = ANSWER_STATEMENTS + (SQLITE_LOCK + SQLITE_WRITES if on_sqlite(channel_app) else 0)
    post_sms(channel_client, "ពិនិត្យ")
    response, texts = post_sms(channel_client, "១")  # consent: the screening starts
    codes = asked_codes_in_sms(texts)
    answers = {**{c: ("unknown" if c == "return_mode" else "no") for c in Q.load().codes}, **answers}
    costs = []
    turn = 0
    while codes and turn < 80:
        with counting(channel_app) as statements:
            response, texts = post_sms(channel_client, group_reply(codes, answers, turn))
        assert response.status_code == 200
        turn += 1
        codes = asked_codes_in_sms(texts)
        if codes:  # the last answer also finishes the screening (referrals, audit)
            costs.append(len(statements))
            assert len(statements) <= limit, "\n".join(statements)
    assert len(costs) >= 8
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening)).one()
        assert screening.status == "complete"


def test_a_retried_message_costs_one_look_up_and_changes_nothing(channel_app, channel_client, staff):
    post_sms(channel_client, "SCREEN")
    sid = new_sid()
    _, texts = post_sms(channel_client, "1", sid=sid)
    with channel_app.app_context():
        before = (database.session.scalar(select(func.count()).select_from(Answer)),
                  database.session.scalar(select(func.count()).select_from(InboundMessage)))
    with counting(channel_app) as statements:
        again, again_texts = post_sms(channel_client, "1", sid=sid)
    assert again.status_code == 200 and again_texts == texts
    assert len(statements) <= 1 + (SQLITE_LOCK if on_sqlite(channel_app) else 0), "\n".join(statements)
    with channel_app.app_context():
        after = (database.session.scalar(select(func.count()).select_from(Answer)),
                 database.session.scalar(select(func.count()).select_from(InboundMessage)))
    assert after == before


def test_a_retry_racing_its_original_is_answered_as_the_original(channel_app, channel_client, staff, database_url):
    """The MessageSid is looked up once, with the session lock; retries let loose at the
    same moment as the original all get the original's reply, and it counts once."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL row locks and concurrent writers")
    post_sms(channel_client, "SCREEN")
    post_sms(channel_client, "1")
    data = {"MessageSid": new_sid(), "From": STAFF_PHONE, "Body": "30"}  # the age
    headers = {"X-Twilio-Signature": sign("/sms/twilio", data)}
    racers = 8
    barrier = threading.Barrier(racers)
    replies: list = []

    with serving(channel_app) as url:
        def racer():
            barrier.wait()
            response = requests.post(url + "/sms/twilio", data=data, headers=headers, timeout=60)
            messages = ET.fromstring(response.text).iter("Message") if response.status_code == 200 else []
            replies.append((response.status_code, tuple(message.text or "" for message in messages)))

        threads = [threading.Thread(target=racer) for _ in range(racers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert len(replies) == racers
    assert {status for status, _ in replies} == {200}
    assert len({texts for _, texts in replies}) == 1 and replies[0][1]
    with channel_app.app_context():
        assert database.session.scalar(
            select(func.count()).select_from(InboundMessage).where(InboundMessage.message_sid == data["MessageSid"])
        ) == 1
        codes = [answer.code for answer in database.session.scalars(select(Answer))]
        assert len(codes) == len(set(codes))  # nothing answered twice
