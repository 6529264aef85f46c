"""The server decides: where a role may screen, the case-number year, the training series."""
from __future__ import annotations

import uuid as uuidlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.test_screening_api import payload, post, token
from tests.web import csrf, login, make_user
from webapp.auth.models import User
from webapp.core.types import utcnow
from webapp.extensions import db as database
from webapp.screening import operations
from webapp.screening.models import CaseCounter, Screening


def post_consent(client, **context):
    page = client.get("/screenings/new").get_data(as_text=True)
    data = {"csrf_token": csrf(page), "answer": "yes", "uuid": str(uuidlib.uuid4()), **context}
    return client.post("/screenings/consent", data=data)


def test_web_form_refuses_a_place_the_role_does_not_screen(app, client, db):
    make_user(app, "hotline", language="en")
    login(client, "hotline")
    response = post_consent(client, kind="post", post_code="POIPET")
    assert response.status_code == 422
    assert "does not screen in this place" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Screening.id))) == 0
    assert post_consent(client, kind="caller", province_code="PNP").status_code == 302  # its own place works


def test_offline_api_refuses_a_place_the_role_does_not_screen(app, client, db):
    make_user(app, "hotline")
    login(client, "hotline")
    body = payload(context={"kind": "abroad", "country_code": "MY"})
    response = post(client, body, token(client))
    assert response.status_code == 422
    assert response.get_json()["field"] == "context_role" and "hotline" in response.get_json()["error"]
    assert db.session.scalar(select(func.count(Screening.id))) == 0


def test_case_year_and_creation_time_come_from_the_server(app, client, db):
    make_user(app, "border")
    login(client, "border")
    year = utcnow().year
    far = post(client, payload(started_at="9999-12-31T23:59:59+00:00"), token(client)).get_json()
    assert far["case_number"] == f"KH-BMC-{year}-000001"
    plausible = (utcnow() - timedelta(hours=3)).replace(microsecond=0)
    near = post(client, payload(started_at=plausible.isoformat()), token(client)).get_json()
    rows = {s.uuid: s for s in db.session.scalars(select(Screening))}
    assert rows[far["uuid"]].client_started_at is None  # implausible: not kept at all
    assert rows[near["uuid"]].client_started_at == plausible  # kept apart ...
    assert abs(rows[near["uuid"]].created_at - utcnow()) < timedelta(minutes=1)  # ... from the server's time
    assert db.session.scalar(select(CaseCounter.year)) == year


def test_another_screeners_uuid_is_a_clean_refusal(app, client, db):
    make_user(app, "border")
    make_user(app, "hotline")
    login(client, "border")
    taken = post(client, payload(), token(client)).get_json()["uuid"]
    other = app.test_client()
    login(other, "hotline")
    page = other.get("/screenings/new").get_data(as_text=True)
    response = other.post("/screenings/consent", data={"csrf_token": csrf(page), "answer": "yes", "uuid": taken,
                                                       "kind": "caller", "province_code": "PNP"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Screening.id))) == 1


def test_training_screenings_have_their_own_series(app, db):
    make_user(app, "border")
    with app.app_context():
        border = database.session.scalar(select(User))
        place = operations.Context("post", post_code="POIPET")
        training = operations.start_screening(screener=border, channel="sms", context=place, training=True)
        real = operations.start_screening(screener=border, channel="web", context=place)
        database.session.commit()
        year = utcnow().year
        assert training.case_number == f"TRN-{year}-000001"
        assert real.case_number == f"KH-BMC-{year}-000001"  # the real counter did not move
        assert database.session.get(CaseCounter, ("BMC", year)).last == 1


def test_answers_given_together_are_stored_whole_or_not_at_all(app, db):
    """One reply to a group (a phone channel): one bad or no-longer-asked answer stores none."""
    make_user(app, "border")
    with app.app_context():
        border = database.session.scalar(select(User))
        screening = operations.start_screening(screener=border, channel="sms",
                                               context=operations.Context("post", post_code="POIPET"))
        operations.record_answers(screening, {"U1": "no", "U2": "yes"}, channel="sms")
        for values in ({"U3": "no", "age": "old"},  # an invalid age
                       {"U3": "no", "age_maybe_minor": "yes"},  # asked only when the age is unknown
                       {"U3": "no", "age": "unknown", "age_maybe_minor": "yes"}):  # not asked before this reply
            with pytest.raises(operations.ScreeningError):
                operations.record_answers(screening, values, channel="sms")
            assert screening.answer_map() == {"consent": "yes", "U1": "no", "U2": "yes"}
        stored = operations.record_answers(screening, {"U3": "yes", "age": "17"}, channel="sms")
        assert stored == {"U3": "yes", "age": 17}
        assert screening.answer_map() == {"consent": "yes", "U1": "no", "U2": "yes", "U3": "yes", "age": 17}


def test_answers_read_as_values_give_way_to_the_rows_once_loaded(app, db):
    """The SMS dialogue reads a screening's answers as values only (Screening.know_answers).
    A new answer is stored beside them without loading the rows; once anything loads the
    rows, they are what counts, also after they are expired again: values read earlier never
    come back over a later change."""
    make_user(app, "border")
    place = operations.Context("post", post_code="POIPET")
    with app.app_context():
        border = database.session.scalar(select(User))
        screening_id = operations.start_screening(screener=border, channel="sms", context=place).id
        database.session.commit()
    with app.app_context():
        screening = database.session.get(Screening, screening_id)
        screening.know_answers([["consent", "yes"]])
        operations.record_answers(screening, {"U1": "no", "age": 15}, channel="sms")
        assert "answers" not in screening.__dict__  # stored without loading the rows
        assert screening.answer_map() == {"consent": "yes", "U1": "no", "age": 15}
        database.session.flush()
        assert {a.code for a in screening.answers} == {"consent", "U1", "age"}  # the rows now
        next(a for a in screening.answers if a.code == "age").value = "16"  # a later change, on the rows
        database.session.flush()
        database.session.expire(screening, ["answers"])
        assert screening.answer_map()["age"] == 16
        database.session.commit()
