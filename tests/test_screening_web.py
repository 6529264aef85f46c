"""The server-driven screening form, as a screener uses it with no JavaScript."""
from __future__ import annotations

import re

from sqlalchemy import func, select, text

from tests.web import answer_all, csrf, login, make_user, start_screening
from webapp.screening.models import Answer, DeclinedScreening, Screening

E01 = {
    "U1": "no", "U2": "no", "age": "30", "sex": "male", "nationality": "KH", "exploitation_country": "TH",
    "sector": "construction", "home_province": "BMC", "A1": "yes", "A2": "yes", "M1": "yes", "M9": "yes", "P1": "yes",
}


def test_full_screening_to_likely_victim_in_khmer(app, client, db):
    make_user(app, "border")
    login(client, "border")
    response = start_screening(client)
    assert response.status_code == 302
    location = client.get(response.headers["Location"]).headers["Location"]
    first = client.get(location).get_data(as_text=True)
    assert "សំណួរទី ១ នៃ" in first  # progress, in Khmer with Khmer digits
    assert 'lang="km"' in first
    result_url, asked = answer_all(client, location, E01)
    assert asked[:2] == ["U1", "U2"] and "age_maybe_minor" not in asked
    page = client.get(result_url).get_data(as_text=True)
    assert "ទំនងជាជនរងគ្រោះនៃការជួញដូរមនុស្ស" in page  # "Likely a victim of trafficking"
    screening = db.session.scalar(select(Screening))
    assert screening.tier == "likely_victim" and screening.status == "complete"
    assert re.fullmatch(r"KH-BMC-\d{4}-000001", screening.case_number)
    assert screening.case_number in page
    stored = {a.code: a.value for a in screening.answers}
    assert stored["M9"] == "yes" and stored["age"] == "30" and len(stored) == len(asked) + 1
    assert all(a.channel == "web" and a.answered_at is not None for a in screening.answers)
    assert screening.questionnaire_version == 2  # the current version judges a new screening


def test_back_changes_an_answer_and_progress_is_shown(app, client, db):
    make_user(app, "border")
    login(client, "border")
    location = client.get(start_screening(client).headers["Location"]).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    client.post(location, data={"choice": "yes", "csrf_token": csrf(page)})  # U1 yes
    uuid = db.session.scalar(select(Screening.uuid))
    page = client.get(f"/screenings/{uuid}/q/U2").get_data(as_text=True)
    assert f'/screenings/{uuid}/q/U1' in page  # Back link
    page = client.get(f"/screenings/{uuid}/q/U1").get_data(as_text=True)
    client.post(f"/screenings/{uuid}/q/U1", data={"choice": "no", "csrf_token": csrf(page)})
    db.session.expire_all()
    assert db.session.scalar(select(Answer.value).where(Answer.code == "U1")) == "no"
    assert db.session.scalar(select(func.count()).select_from(Answer).where(Answer.code == "U1")) == 1


def test_khmer_digits_accepted_for_age(app, client, db):
    make_user(app, "border")
    login(client, "border")
    start_screening(client)
    uuid = db.session.scalar(select(Screening.uuid))
    for code in ("U1", "U2"):
        page = client.get(f"/screenings/{uuid}/q/{code}").get_data(as_text=True)
        client.post(f"/screenings/{uuid}/q/{code}", data={"choice": "no", "csrf_token": csrf(page)})
    page = client.get(f"/screenings/{uuid}/q/age").get_data(as_text=True)
    response = client.post(f"/screenings/{uuid}/q/age", data={"answer": "១៧", "csrf_token": csrf(page)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Answer.value).where(Answer.code == "age")) == "17"


def test_bad_answer_is_refused_and_nothing_lost(app, client, db):
    make_user(app, "border")
    login(client, "border")
    start_screening(client)
    uuid = db.session.scalar(select(Screening.uuid))
    page = client.get(f"/screenings/{uuid}/q/U1").get_data(as_text=True)
    response = client.post(f"/screenings/{uuid}/q/U1", data={"choice": "maybe", "csrf_token": csrf(page)})
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 1  # consent only


def test_no_consent_stores_no_answers_only_a_count(app, client, db):
    make_user(app, "border")
    login(client, "border")
    response = start_screening(client, consent="no")
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Screening)) == 0
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0
    declined = db.session.scalars(select(DeclinedScreening)).all()
    assert len(declined) == 1 and declined[0].province_code == "BMC" and declined[0].channel == "web"


def test_double_tapped_consent_makes_one_screening(app, client, db):
    make_user(app, "border")
    login(client, "border")
    page = client.get("/screenings/new").get_data(as_text=True)
    consent_page = client.post(
        "/screenings/new", data={"kind": "post", "post_code": "POIPET", "csrf_token": csrf(page)}
    ).get_data(as_text=True)
    fields = dict(re.findall(r'<input id="(\w+)" name="\w+" type="hidden" value="([^"]*)"', consent_page))
    fields["answer"] = "yes"
    first = client.post("/screenings/consent", data=fields)
    second = client.post("/screenings/consent", data=fields)
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Screening)) == 1


def test_another_screeners_screening_is_404(app, client, db):
    make_user(app, "border", username="border1")
    make_user(app, "border", username="border2")
    login(client, "border1")
    start_screening(client)
    uuid = db.session.scalar(select(Screening.uuid))
    assert client.get(f"/screenings/{uuid}/discard").status_code == 200  # its own screener could discard it
    client.post("/logout", data={"csrf_token": csrf(client.get("/screenings/").get_data(as_text=True))})
    login(client, "border2")
    assert client.get(f"/screenings/{uuid}").status_code == 404
    assert client.get(f"/screenings/{uuid}/q/U1").status_code == 404
    assert client.get(f"/screenings/{uuid}/result").status_code == 404
    assert client.get(f"/screenings/{uuid}/discard").status_code == 404
    token = csrf(client.get("/screenings/").get_data(as_text=True))
    assert uuid not in client.get("/screenings/").get_data(as_text=True)
    assert client.post(f"/screenings/{uuid}/discard", data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Screening)) == 1


def test_consular_screening_abroad_gets_abroad_case_number(app, client, db):
    make_user(app, "consular")
    login(client, "consular")
    start_screening(client, kind="abroad", country_code="MY", city="Kuala Lumpur")
    screening = db.session.scalar(select(Screening))
    assert screening.case_number.startswith("KH-ABR-") and screening.country_code == "MY"


def test_hotline_cannot_pick_a_border_post(app, client, db):
    make_user(app, "hotline")
    login(client, "hotline")
    page = client.get("/screenings/new").get_data(as_text=True)
    assert 'name="kind" value="post"' not in page and 'name="kind" value="province"' not in page
    assert 'name="kind" value="caller"' in page


def test_result_page_shows_urgent_first_and_the_answers_that_counted(app, client, db):
    make_user(app, "border")
    login(client, "border")
    location = client.get(start_screening(client).headers["Location"]).headers["Location"]
    answers = dict(E01, U2="yes", age="16")
    result_url, _ = answer_all(client, location, answers)
    client.post("/language", data={"lang": "en", "csrf_token": csrf(client.get(result_url).get_data(as_text=True))})
    page = client.get(result_url).get_data(as_text=True)
    assert page.index('class="alert urgent"') < page.index('<h1 class="tier tier-likely_victim">Likely a victim')
    assert "Child (under 18)" in page
    assert "passport" in page.lower()


def test_note_is_saved_encrypted(app, client, db):
    make_user(app, "border")
    login(client, "border")
    location = client.get(start_screening(client).headers["Location"]).headers["Location"]
    result_url, _ = answer_all(client, location, E01)
    uuid = db.session.scalar(select(Screening.uuid))
    page = client.get(result_url).get_data(as_text=True)
    client.post(f"/screenings/{uuid}/note", data={"note": "synthetic note: asked for a sister", "csrf_token": csrf(page)})
    raw = db.session.execute(text("SELECT note FROM screenings")).scalar_one()
    assert "sister" not in raw and raw.startswith("t1:")
    assert "synthetic note" in client.get(result_url).get_data(as_text=True)


def test_my_screenings_lists_drafts_to_resume(app, client, db):
    make_user(app, "border")
    login(client, "border")
    start_screening(client)
    page = client.get("/screenings/").get_data(as_text=True)
    screening = db.session.scalar(select(Screening))
    assert screening.case_number in page
    assert client.get(f"/screenings/{screening.uuid}").headers["Location"].endswith("/q/U1")


def test_a_screener_discards_an_unfinished_screening_after_confirming(app, client, db):
    from webapp.audit.models import AuditEvent

    make_user(app, "border")
    login(client, "border")
    start_screening(client)
    screening = db.session.scalar(select(Screening))
    uuid, case_number = screening.uuid, screening.case_number
    page = client.get(f"/screenings/{uuid}/q/U1").get_data(as_text=True)
    assert f'href="/screenings/{uuid}/discard"' in page  # from the question...
    client.post(f"/screenings/{uuid}/q/U1", data={"choice": "yes", "csrf_token": csrf(page)})
    mine = client.get("/screenings/").get_data(as_text=True)
    assert f'href="/screenings/{uuid}/discard"' in mine  # ...or My screenings: a link, then a form

    confirm = client.get(f"/screenings/{uuid}/discard")
    assert confirm.status_code == 200 and case_number in confirm.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Screening)) == 1  # asking changes nothing
    assert client.post(f"/screenings/{uuid}/discard").status_code == 400  # no CSRF token: refused
    response = client.post(f"/screenings/{uuid}/discard", data={"csrf_token": csrf(confirm.get_data(as_text=True))})

    assert response.status_code == 302 and response.headers["Location"].endswith("/screenings/")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Screening)) == 0
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0  # consent and U1 gone too
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "change.discard")).all()
    assert event.object_id == case_number and event.role == "border"
    mine = client.get("/screenings/").get_data(as_text=True)
    assert case_number in mine  # the flash names it...
    assert uuid not in mine  # ...but it is no longer listed
    start_screening(client)  # the discarded case number stays used
    assert db.session.scalar(select(Screening.case_number)).endswith("-000002")


def test_a_finished_screening_cannot_be_discarded_nor_an_sms_draft(app, client, db):
    from webapp.auth.models import User
    from webapp.screening import operations

    user_id = make_user(app, "border")
    login(client, "border")
    location = client.get(start_screening(client).headers["Location"]).headers["Location"]
    answer_all(client, location, E01)
    uuid = db.session.scalar(select(Screening.uuid))
    start_screening(client)  # and one left unfinished beside it
    draft = db.session.scalar(select(Screening.uuid).where(Screening.status == "draft"))
    sms = operations.start_screening(screener=db.session.get(User, user_id), channel="sms",
                                     context=operations.Context("post", post_code="POIPET")).uuid
    db.session.commit()  # a phone may still resume this one
    mine = client.get("/screenings/").get_data(as_text=True)
    assert f"/screenings/{draft}/discard" in mine
    assert f"/screenings/{uuid}/discard" not in mine and f"/screenings/{sms}/discard" not in mine
    for kept in (uuid, sms):
        assert client.get(f"/screenings/{kept}/discard").status_code == 404
        assert client.post(f"/screenings/{kept}/discard", data={"csrf_token": csrf(mine)}).status_code == 404
    db.session.expire_all()
    screening = db.session.scalar(select(Screening).where(Screening.uuid == uuid))
    assert screening.status == "complete" and len(screening.answers) > 10
    assert db.session.scalar(select(Screening).where(Screening.uuid == sms)).status == "draft"
