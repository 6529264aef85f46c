"""A referral exists for a service only once it was sent to it (security finding 1, field
use finding 1): not before the person agrees, not while a supervisor must confirm, not after
a refusal. The service only moves its own sent referrals forward, every look at case data is
in the audit trail (security finding 20), and declining asks why and for a confirmation
(field use finding 18)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.referrals.test_flow import screen, setup_directory, share
from tests.referrals.test_sms_flow import SERVICE_PHONE
from tests.sms.conftest import channel_app, post_sms  # noqa: F401  (fixture)
from tests.test_screening_api import payload, post, token
from tests.web import csrf, login, make_user
from webapp.audit.models import AuditEvent
from webapp.referrals.models import Referral


def service_client(app, service_id, username="svc"):
    make_user(app, "service", username=username, service_id=service_id)
    client = app.test_client()
    login(client, username)
    return client


def shelter(db) -> Referral:
    db.session.expire_all()
    return db.session.scalar(select(Referral).where(Referral.need == "shelter"))


def refuse(client, result):
    page = client.get(result["result_url"]).get_data(as_text=True)
    client.post(f"/referrals/screening/{result['uuid']}/consent", data={"share": "no", "csrf_token": csrf(page)})


def assert_invisible(service, referral_id, case_number):
    listing = service.get("/referrals/").get_data(as_text=True)
    assert case_number not in listing and f"/referrals/{referral_id}" not in listing
    assert service.get(f"/referrals/{referral_id}").status_code == 404


def test_proposed_referral_does_not_exist_for_the_service_until_the_person_agrees(app, client, db):
    ids = setup_directory(app)
    result = screen(app, client)  # likely victim at Poipet: proposed to the Poipet transit centre
    referral = shelter(db)
    assert (referral.state, referral.service_id) == ("proposed", ids["DEMO-001"])
    service = service_client(app, ids["DEMO-001"])
    assert_invisible(service, referral.id, result["case_number"])
    share(client, result)
    listing = service.get("/referrals/").get_data(as_text=True)
    assert result["case_number"] in listing
    assert result["case_number"] in service.get(f"/referrals/{referral.id}").get_data(as_text=True)


def test_refused_referral_does_not_exist_for_the_service(app, client, db):
    ids = setup_directory(app)
    result = screen(app, client)
    refuse(client, result)
    referral = shelter(db)
    assert (referral.state, referral.consent_to_share) == ("closed", False)
    assert_invisible(service_client(app, ids["DEMO-001"]), referral.id, result["case_number"])


def test_referral_awaiting_a_supervisor_does_not_exist_for_the_service(app, client, db):
    setup_directory(app)
    result = screen(app, client, vignette="e06")  # possible victim: a supervisor confirms first
    share(client, result)
    referral = db.session.scalar(select(Referral))
    assert (referral.state, referral.awaiting, referral.consent_to_share) == ("proposed", "supervisor", True)
    assert_invisible(service_client(app, referral.service_id), referral.id, result["case_number"])


def test_service_cannot_close_a_proposed_referral(app, client, db):
    ids = setup_directory(app)
    screen(app, client)
    referral = shelter(db)
    service = service_client(app, ids["DEMO-001"])
    token = csrf(service.get("/referrals/").get_data(as_text=True))
    response = service.post(f"/referrals/{referral.id}", data={"action": "closed", "csrf_token": token})
    assert response.status_code == 404
    assert shelter(db).state == "proposed"


@pytest.fixture
def sent(app, client, db):
    """A likely victim's shelter referral, shared and so sent to the transit centre, and a
    logged-in client of that service."""
    ids = setup_directory(app)
    share(client, screen(app, client))
    return shelter(db), service_client(app, ids["DEMO-001"])


def test_service_moves_its_referral_only_accepted_arrived_closed(sent, db):
    referral, service = sent
    token = csrf(service.get(f"/referrals/{referral.id}").get_data(as_text=True))

    def act(action):
        service.post(f"/referrals/{referral.id}", data={"action": action, "csrf_token": token})
        return shelter(db).state

    assert act("closed") == "notified"  # not answered yet: cannot be closed
    assert act("accept") == "accepted"
    assert act("closed") == "accepted"  # the person has not arrived: no skipping
    assert act("arrived") == "arrived"
    assert act("closed") == "closed"


def test_service_views_are_in_the_audit_trail(sent, db):
    referral, service = sent
    ids = {"DEMO-001": referral.service_id}
    service.get("/referrals/")
    service.get(f"/referrals/{referral.id}")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.role == "service",
                                                         AuditEvent.action.like("view%"))).all()
    shown = [(e.action, e.object_type, e.object_id, e.count) for e in events]
    # Both referrals of the case (shelter, registration) went to the transit centre.
    sent = len(db.session.scalars(select(Referral).where(Referral.service_id == ids["DEMO-001"])).all())
    assert shown == [("view.referrals", None, None, sent), ("view", "referral", str(referral.id), None)]


def test_declining_asks_for_a_reason_and_a_confirmation(sent, db):
    referral, service = sent
    token = csrf(service.get(f"/referrals/{referral.id}").get_data(as_text=True))
    url = f"/referrals/{referral.id}"

    ask = service.post(url, data={"action": "decline", "reason": "full", "csrf_token": token})
    page = ask.get_data(as_text=True)
    assert ask.status_code == 200 and 'name="reason"' in page and 'value="decline_confirmed"' in page
    assert shelter(db).state == "notified"  # the first tap only asks

    service.post(url, data={"action": "decline_confirmed", "csrf_token": token})
    assert shelter(db).state == "notified"  # no reason: nothing changes
    service.post(url, data={"action": "decline_confirmed", "reason": "other", "detail": " ", "csrf_token": token})
    assert shelter(db).state == "notified"  # "another reason" needs words

    service.post(url, data={"action": "decline_confirmed", "reason": "full", "csrf_token": token})
    declined = shelter(db)
    assert (declined.state, declined.decline_reason) == ("declined", "full")


def test_sms_answer_to_an_unsent_referral_is_the_unknown_referral_answer(channel_app, client, db):
    ids = setup_directory(channel_app)
    proposed = screen(channel_app, client)  # never asked
    response = post(client, payload("e01"), token(client))  # the same screener, a second person
    refused_result = response.get_json()
    refuse(client, refused_result)
    referrals = db.session.scalars(select(Referral).where(
        Referral.need == "shelter", Referral.service_id == ids["DEMO-001"]).order_by(Referral.id)).all()
    assert [(r.state, r.consent_to_share) for r in referrals] == [("proposed", None), ("closed", False)]
    assert proposed["case_number"] != refused_result["case_number"]
    sms = channel_app.test_client()
    _, unknown = post_sms(sms, "YES 999999", phone=SERVICE_PHONE)
    for referral in referrals:
        for word in ("YES", "NO"):
            _, replies = post_sms(sms, f"{word} {referral.id}", phone=SERVICE_PHONE)
            assert replies == [unknown[0].replace("999999", str(referral.id))], replies
    db.session.expire_all()
    assert [(r.state, r.consent_to_share) for r in db.session.scalars(select(Referral).where(
        Referral.id.in_([r.id for r in referrals])).order_by(Referral.id))] == [("proposed", None), ("closed", False)]
