"""Arbitrary bodies sent to a live session: never a 5xx, never a change, always a helpful
reply. (SQLite only: the property is about parsing, not the database.)

Two layers. The parser, the one step of the dialogue whose path depends on what was typed,
gets 2,000 bodies. The whole webhook (form decoding, the Twilio signature over the body,
the parser, the dialogue, the stored reply) gets 400 of the same bodies: past the parser
every unclear body takes the same branch (``Dialogue._unclear``), so more draws there
would repeat the same path at about 25 ms of CPU each."""
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
# After consent and U1 the live session asks U2 and U3 together (one reply, two answers).
GROUP = [q.question("U2"), q.question("U3")]
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
    """The session as it stands before any garbage arrives (asking U2 and U3 together)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("parsing property: run once, on SQLite")
    for body in ("SCREEN", "1", "2"):
        post_sms(channel_client, body)
    before = snapshot(channel_app)
    assert before[1] == QUESTION
    return before


def snapshot(app):
    with app.app_context():
        session = database.session.scalars(select(SmsSession)).one()
        screening = database.session.scalars(select(Screening)).one()
        return (
            session.state, session.question, session.group_codes, session.language, session.page, session.showing_help,
            session.last_activity_at, session.screening_id, screening.answer_map(), screening.tier,
        )


@settings(max_examples=2000, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
def test_the_parser_reads_any_garbage_as_one_kind_of_reply(body):
    question = q.question(QUESTION)
    reply = replies.parse(body, q, question)
    assert isinstance(reply, (replies.Answer, replies.Command, replies.OptOut, replies.Unclear))
    if isinstance(reply, replies.Answer):
        assert reply.value in question.option_values(), reply
    assert replies.parse(body, q, question) == reply
    values = replies.parse_group(body, q, GROUP)
    assert values is None or (list(values) == ["U2", "U3"] and set(values.values()) <= set(question.option_values()))


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(body=bodies)
def test_garbage_never_breaks_or_changes_a_live_session(channel_app, channel_client, live_session, body):
    assume(isinstance(replies.parse(body, q, None), replies.Unclear) and replies.parse_group(body, q, GROUP) is None)
    response, texts = post_sms(channel_client, body)
    assert response.status_code == 200
    assert texts and texts[0].startswith("សូមទោស មិនយល់ចម្លើយទេ។ សូមឆ្លើយ ២ លេខ")
    assert snapshot(channel_app) == live_session
