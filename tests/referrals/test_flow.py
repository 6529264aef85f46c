"""A positive screening becomes a referral: consent to share, notify, answer, escalate."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.test_screening_api import payload, post, token
from tests.web import csrf, login, make_user
from webapp.auth.models import User
from webapp.core.types import utcnow
from webapp.demo import seed_services
from webapp.extensions import db as database
from webapp.outbox.models import OutboxMessage
from webapp.referrals import operations
from webapp.referrals.models import Referral, ReferralEvent, Service


def setup_directory(app):
    with app.app_context():
        ids = seed_services()
        database.session.commit()
        return ids


def screen(app, client, vignette="e01", **answers):
    make_user(app, "border")
    login(client, "border")
    body = payload(vignette)
    for code, value in answers.items():
        body["answers"][code] = {"value": value}
    response = post(client, body, token(client))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def share(client, result):
    page = client.get(result["result_url"]).get_data(as_text=True)
    return client.post(f"/referrals/screening/{result['uuid']}/consent", data={"share": "yes", "csrf_token": csrf(page)})


def test_likely_victim_is_referred_once_the_person_agrees(app, client, db):
    ids = setup_directory(app)
    result = screen(app, client)
    page = client.get(result["result_url"]).get_data(as_text=True)
    assert 'data-state="proposed"' in page and "/consent" in page
    assert db.session.scalar(select(OutboxMessage.id)) is None  # nothing sent before consent
    share(client, result)
    referrals = db.session.scalars(select(Referral).order_by(Referral.id)).all()
    assert [(r.need, r.state) for r in referrals] == [("shelter", "notified"), ("registration", "notified")]
    assert referrals[0].service_id == ids["DEMO-001"]  # Poipet transit centre, a few hundred metres away
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert {m.recipient for m in messages} == {"+85512000101"}
    body = messages[0].body
    # The service reads Khmer (the default): sex, age band in Khmer digits, and the reply to send.
    assert result["case_number"] in body and "ភេទប្រុស" in body and "អាយុ ២៥-៣៤" in body
    assert f"បាទ/ចាស {referrals[0].id}" in body
    assert "Synthetic" not in body  # no name (our synthetic screener's name) in an SMS


def test_no_consent_sends_nothing_and_shows_the_service(app, client, db):
    setup_directory(app)
    result = screen(app, client)
    page = client.get(result["result_url"]).get_data(as_text=True)
    client.post(f"/referrals/screening/{result['uuid']}/consent", data={"share": "no", "csrf_token": csrf(page)})
    assert db.session.scalar(select(OutboxMessage.id)) is None
    page = client.get(result["result_url"]).get_data(as_text=True)
    assert "+85512000101" in page  # the service's contact details to give the person
    assert all(r.state == "closed" for r in db.session.scalars(select(Referral)))


def test_service_accepts_on_its_page_and_the_screener_sees_it(app, client, db):
    ids = setup_directory(app)
    result = screen(app, client)
    share(client, result)
    make_user(app, "service", username="svc", service_id=ids["DEMO-001"])
    service = app.test_client()
    login(service, "svc")
    referral = db.session.scalar(select(Referral).where(Referral.need == "shelter"))
    page = service.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert result["case_number"] in page
    service.post(f"/referrals/{referral.id}", data={"action": "accept", "csrf_token": csrf(page)})
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).state == "accepted"
    screener_page = client.get(result["result_url"]).get_data(as_text=True)
    assert f'data-referral="{referral.id}" data-state="accepted"' in screener_page
    events = db.session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)).all()
    assert [e.to_state for e in events] == ["proposed", "notified", "accepted"]
    assert events[-1].actor_id is not None


def test_a_service_sees_only_its_own_referrals(app, client, db):
    ids = setup_directory(app)
    result = screen(app, client)
    share(client, result)
    make_user(app, "service", username="other", service_id=ids["DEMO-009"])
    other = app.test_client()
    login(other, "other")
    referral = db.session.scalar(select(Referral.id))
    assert other.get(f"/referrals/{referral}").status_code == 404


def test_unanswered_referral_escalates_to_the_next_service_and_alerts_supervisors(app, client, db):
    setup_directory(app)
    make_user(app, "supervisor", username="sup", phone="+85512000071")
    result = screen(app, client)
    share(client, result)
    with app.app_context():
        first = database.session.scalar(select(Referral).where(Referral.need == "shelter"))
        first.deadline_at = utcnow() - timedelta(minutes=1)
        database.session.commit()
        assert operations.expire_overdue() == 1
        database.session.commit()
    referrals = db.session.scalars(select(Referral).where(Referral.need == "shelter").order_by(Referral.id)).all()
    assert [(r.state, r.attempt) for r in referrals] == [("expired", 1), ("notified", 2)]
    assert referrals[1].service_id != referrals[0].service_id
    alerts = db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "alert")).all()
    assert [a.recipient for a in alerts] == ["+85512000071"]


def test_a_decline_goes_to_the_next_service(app, client, db):
    ids = setup_directory(app)
    result = screen(app, client)
    share(client, result)
    referral = db.session.scalar(select(Referral).where(Referral.need == "shelter"))
    with app.app_context():
        referral = database.session.get(Referral, referral.id)
        operations.answer(referral, False, actor=None, kind="sms", reason="full tonight")
        database.session.commit()
    states = [(r.state, r.service_id) for r in db.session.scalars(
        select(Referral).where(Referral.need == "shelter").order_by(Referral.id))]
    assert states[0] == ("declined", ids["DEMO-001"]) and states[1][0] == "notified"


def test_exploited_migrant_yes_is_the_screeners_confirmation(app, client, db):
    """The screener records the person's yes, so the labour-rights referral waiting for the
    screener goes out with it (as by SMS: referrals.operations.share decides for both)."""
    setup_directory(app)
    result = screen(app, client, vignette="e03")
    referral = db.session.scalar(select(Referral))
    assert (referral.need, referral.state, referral.awaiting) == ("labour_rights", "proposed", "screener")
    share(client, result)
    db.session.expire_all()
    referral = db.session.get(Referral, referral.id)
    assert (referral.state, referral.awaiting, referral.consent_to_share) == ("notified", None, True)


def test_exploited_migrant_confirmed_before_the_person_answers(app, client, db):
    setup_directory(app)
    result = screen(app, client, vignette="e03")
    referral = db.session.scalar(select(Referral))
    page = client.get(result["result_url"]).get_data(as_text=True)
    client.post(f"/referrals/screening/{result['uuid']}/confirm/{referral.id}", data={"csrf_token": csrf(page)})
    db.session.expire_all()
    referral = db.session.get(Referral, referral.id)
    assert (referral.state, referral.awaiting) == ("proposed", None)  # nothing leaves before the yes
    share(client, result)
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).state == "notified"


def test_possible_victim_waits_for_a_supervisor_unless_urgent(app, client, db):
    setup_directory(app)
    result = screen(app, client, vignette="e06")
    share(client, result)
    referral = db.session.scalar(select(Referral))
    assert referral.awaiting == "supervisor" and referral.state == "proposed"


def test_an_answer_read_before_the_deadline_tick_does_not_undo_its_escalation(app, client, db):
    """The service's page (or its SMS) has read the referral as notified; meanwhile the
    deadline passes and the case goes to the next service. The late yes must be refused,
    not turn the expired referral into an accepted one (two services taking one person)."""
    setup_directory(app)
    result = screen(app, client)
    share(client, result)
    with app.app_context():  # the service's request, which read the referral first
        referral = database.session.scalar(select(Referral).where(Referral.need == "shelter"))
        assert referral.state == "notified"
        with app.app_context():  # the deadline tick, in another worker
            overdue = database.session.get(Referral, referral.id)
            overdue.deadline_at = utcnow() - timedelta(minutes=1)
            database.session.commit()
            assert operations.expire_overdue() == 1
            database.session.commit()
        with pytest.raises(operations.ReferralError):
            operations.answer(referral, True, actor=None, kind="sms")
        database.session.rollback()
    states = [(r.state, r.attempt) for r in db.session.scalars(
        select(Referral).where(Referral.need == "shelter").order_by(Referral.id))]
    assert states == [("expired", 1), ("notified", 2)]


def test_two_referrals_accepted_at_once_take_two_places(app, client, db, monkeypatch):
    """Two workers accept two referrals to the same transit centre at the same moment: each
    takes a place (the directory's count of free places must not drift upwards)."""
    ids = setup_directory(app)
    share(client, screen(app, client))
    again = post(client, payload("e01"), token(client))
    assert again.status_code == 201
    share(client, again.get_json())
    first, second = db.session.scalars(select(Referral).where(Referral.need == "shelter").order_by(Referral.id)).all()
    assert first.service_id == second.service_id == ids["DEMO-001"]
    before = db.session.get(Service, ids["DEMO-001"]).places
    assert before >= 2
    transition = operations.transition

    def other_worker_accepts_meanwhile(referral, to_state, *args, **kwargs):
        transition(referral, to_state, *args, **kwargs)
        if referral.id == first.id:
            with database.session.no_autoflush:
                assert referral.service.places == before  # this worker has read the count
            with app.app_context():  # the other worker accepts the second referral, commits
                operations.answer(database.session.get(Referral, second.id), True, actor=None, kind="sms")
                database.session.commit()

    monkeypatch.setattr(operations, "transition", other_worker_accepts_meanwhile)
    with app.app_context():
        operations.answer(database.session.get(Referral, first.id), True, actor=None, kind="sms")
        database.session.commit()
    db.session.expire_all()
    assert db.session.get(Service, ids["DEMO-001"]).places == before - 2


def test_the_persons_yes_and_the_supervisors_confirmation_at_once_send_the_referral(app, client, db):
    """A possible victim's referral waits for the person's yes and a supervisor. When the
    supervisor confirms while the yes is being recorded in another worker, the service must
    still be told (it was left proposed, consented and confirmed, and never sent)."""
    setup_directory(app)
    screen(app, client, vignette="e06")
    make_user(app, "supervisor", username="sup")
    with app.app_context():  # the supervisor's review, which read the referral first
        referral = database.session.scalar(select(Referral))
        assert (referral.state, referral.awaiting, referral.consent_to_share) == ("proposed", "supervisor", None)
        with app.app_context():  # the person's yes, recorded by the screener meanwhile
            screener = database.session.scalar(select(User).where(User.username == "border"))
            operations.share(database.session.get(Referral, referral.id).screening, True, screener)
            database.session.commit()
        supervisor = database.session.scalar(select(User).where(User.username == "sup"))
        operations.confirm(referral, supervisor)
        database.session.commit()
    db.session.expire_all()
    referral = db.session.scalar(select(Referral))
    assert (referral.state, referral.consent_to_share, referral.awaiting) == ("notified", True, None)
    assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.purpose == "referral")) is not None


def test_arrival_recorded_twice_at_once_is_recorded_once(app, client, db):
    """The service taps "arrived" on two phones (or twice) at the same moment: the case's
    history shows one arrival, and the second tap is told the referral cannot change."""
    setup_directory(app)
    share(client, screen(app, client))
    referral_id = db.session.scalar(select(Referral.id).where(Referral.need == "shelter"))
    with app.app_context():
        operations.answer(database.session.get(Referral, referral_id), True, actor=None, kind="sms")
        database.session.commit()
    service_user = make_user(app, "service", username="svc", service_id=db.session.get(Referral, referral_id).service_id)
    with app.app_context():  # the first tap's request has read the referral as accepted
        user = database.session.get(User, service_user)
        referral = database.session.get(Referral, referral_id)
        assert referral.state == "accepted"
        with app.app_context():  # the second tap, in another worker, is quicker
            operations.advance_by_service(database.session.get(Referral, referral_id), "arrived",
                                          database.session.get(User, service_user))
            database.session.commit()
        with pytest.raises(operations.ReferralError):
            operations.advance_by_service(referral, "arrived", user)
        database.session.rollback()
    events = db.session.scalars(select(ReferralEvent.to_state).where(ReferralEvent.referral_id == referral_id)).all()
    assert events == ["proposed", "notified", "accepted", "arrived"]
