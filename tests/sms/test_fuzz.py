"""Thousands of arbitrary bodies posted to a live session: never a 5xx, never a change,
always a helpful reply. (SQLite only: the property is about parsing, not the database.)"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import questionnaires as Q
from questionnaires import replies
from sms.models import SmsSession
from tests.sms.conftest import post_sms
from webapp.extensions import db as database
from webapp.screening.models import Screening

q = Q.load()
QUESTION = "U2"
PIECES = [
    "🙂", "🇰🇭", "👍🏽", "👨‍👩‍👧", "ក", "ខ្មែរ", "្", "ៗ", "១២", "ไทย", "Tiếng Việt", "中文", "ل", "a", "Z", " ", "\u200b",
    "\u200d", "\ufeff", "\x00", "\x1b", "\n", "\r", "\t", "?!", "%", "&", "=", "<b>", "'", '"', "\\", "*", "#",
]
bodies = st.one_of(
    st.just(""),
    st.text(max_size=40),
    st.text(min_size=1500, max_size=2000),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn"]), max_size=60),
    st.lists(st.sampled_from(PIECES), max_size=80).map("".join),
    st.text(alphabet=st.characters(min_codepoint=0x1780, max_codepoint=0x17FF), max_size=100),
)


@pytest.fixture
def live_session(channel_app, channel_client, staff, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("parsing property: run once, on SQLite")
    for body in ("SCREEN", "1", "2"):
        post_sms(channel_client, body)
    return lambda: snapshot(channel_app)


def snapshot(app):
    with app.app_context():
        session = database.session.scalars(select(SmsSession)).one()
        screening = database.session.scalars(select(Screening)).one()
        return (
            session.state, session.question, session.language, session.page, session.showing_help,
            session.last_activity_at, session.screening_id, screening.answer_map(), screening.tier,
        )


@settings(
    max_examples=2000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(body=bodies)
def test_garbage_never_breaks_or_changes_a_live_session(channel_client, live_session, body):
    assume(isinstance(replies.parse(body, q, q.question(QUESTION)), replies.Unclear))
    before = live_session()
    assert before[1] == QUESTION
    response, texts = post_sms(channel_client, body)
    assert response.status_code == 200
    assert texts and texts[0].startswith("សូមទោស មិនយល់ចម្លើយទេ។ សូមឆ្លើយលេខ 1 2 3 ឬ 4។")
    assert live_session() == before
