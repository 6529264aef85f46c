"""Who may do what from a phone: the same rule on SMS and USSD as on the web. Screening
roles screen; a service's staff answer referrals by SMS; supervisors and administrators,
like strangers, get the neutral line and nothing is stored."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.referrals.test_flow import screen, setup_directory, share
from tests.sms.conftest import STAFF_PHONE, channel_app, make_staff, post_sms, post_ussd  # noqa: F401
from tests.sms.helpers import asked_in_sms, asked_in_ussd, stored_counts
from webapp.auth.models import User
from webapp.extensions import db as database
from webapp.referrals.models import Referral
from webapp.screening.models import Answer

NEUTRAL_SMS = "សូមទោស យើងមិនអាចឆ្លើយតបលេខនេះបានទេ។ Sorry, we cannot reply to this number."
NEUTRAL_USSD = "END Sorry, we cannot reply to this number."
CONTEXT = {
    "border": dict(post_code="POIPET"),
    "consular": dict(post_code=None, country="TH"),
    "hotline": dict(post_code=None, province="PNP"),
    "supervisor": dict(post_code="POIPET"),
    "admin": dict(post_code=None),
    "service": dict(post_code=None),
}


def staff_with_role(app, role):
    from webapp.auth.operations import create_user

    context = dict(CONTEXT[role])
    if "country" in context or "province" in context:
        with app.app_context():
            user, _ = create_user(role=role, name=f"Synthetic {role}", phone=STAFF_PHONE, language="km",
                                  country_code=context.get("country"), province_code=context.get("province"),
                                  password="correct horse battery staple 1")
            database.session.commit()
            return user.id
    return make_staff(app, role=role, post_code=context["post_code"])


@pytest.mark.parametrize("role", ["border", "consular", "hotline"])
def test_screening_roles_screen_on_both_channels(channel_app, channel_client, role):
    staff_with_role(channel_app, role)
    _, texts = post_sms(channel_client, "SCREEN")
    assert asked_in_sms(texts) == "consent"
    screen = post_ussd(channel_client, "gw-1", "").get_data(as_text=True)
    assert screen.startswith("CON ") and screen != NEUTRAL_USSD


@pytest.mark.parametrize("role", ["supervisor", "admin", "service"])
def test_other_roles_get_the_neutral_line_and_nothing_is_stored(channel_app, channel_client, role):
    staff_with_role(channel_app, role)
    for body in ("SCREEN", "1", "RESUME", "ពិនិត្យ POIPET"):
        response, texts = post_sms(channel_client, body)
        assert response.status_code == 200 and texts == [NEUTRAL_SMS]
    for text in ("", "1", "1*1"):
        assert post_ussd(channel_client, "gw-1", text).get_data(as_text=True) == NEUTRAL_USSD
    with channel_app.app_context():
        assert set(stored_counts(database).values()) == {0}


def test_a_service_staff_phone_answers_its_referrals_by_sms(channel_app, client, db):
    ids = setup_directory(channel_app)
    share(client, screen(channel_app, client))
    referral = db.session.scalar(select(Referral).where(Referral.service_id == ids["DEMO-001"]))
    with channel_app.app_context():
        from webapp.auth.operations import create_user

        create_user(role="service", name="Synthetic service staff", phone=STAFF_PHONE, service_id=ids["DEMO-001"],
                    language="en", password="correct horse battery staple 1")
        database.session.commit()
    phone = channel_app.test_client()
    response, texts = post_sms(phone, f"YES {referral.id}")
    # The reply is in the staff member's own language (English), not the service's (Khmer).
    assert response.status_code == 200 and texts == [f"Thank you. Referral {referral.id}: accepted."]
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).state == "accepted"
    assert post_ussd(phone, "gw-1", "").get_data(as_text=True) == NEUTRAL_USSD


def test_a_screening_does_not_continue_once_the_phone_owner_is_no_longer_a_screener(channel_app, channel_client):
    user_id = staff_with_role(channel_app, "border")
    post_sms(channel_client, "SCREEN")
    _, texts = post_sms(channel_client, "1")
    assert asked_in_sms(texts) == "U1"
    assert asked_in_ussd(post_ussd(channel_client, "gw-1", "").get_data(as_text=True)) is None  # "continue?" menu
    with channel_app.app_context():
        database.session.get(User, user_id).role = "supervisor"
        database.session.commit()
        before = stored_counts(database)
    assert post_sms(channel_client, "2")[1] == [NEUTRAL_SMS]
    assert post_ussd(channel_client, "gw-1", "1").get_data(as_text=True) == NEUTRAL_USSD
    with channel_app.app_context():
        assert stored_counts(database) == before
        assert [a.code for a in database.session.scalars(select(Answer))] == ["consent"]
