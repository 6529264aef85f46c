"""The server-driven screening form, as a screener uses it with no JavaScript."""
from __future__ import annotations

import re

from sqlalchemy import func, select, text

from tests.web import answer_all, csrf, login, make_user, screen_codes, start_screening
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
    assert "ផ្នែកទី ១ នៃ" in first  # progress, in Khmer with Khmer digits
    assert 'lang="km"' in first
    assert screen_codes(first) == ["U1", "U2", "U3"]  # related questions on one screen
    result_url, asked = answer_all(client, location, E01)
    assert asked[:3] == ["U1", "U2", "U3"] and "age_maybe_minor" not in asked
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
    client.post(location, data={"q-U1": "yes", "q-U2": "no", "q-U3": "no", "csrf_token": csrf(page)})
    uuid = db.session.scalar(select(Screening.uuid))
    page = client.get(f"/screenings/{uuid}/s/profile").get_data(as_text=True)
    assert f'/screenings/{uuid}/s/urgent' in page  # Back link
    assert "ផ្នែកទី ២ នៃ" in page
    page = client.get(f"/screenings/{uuid}/s/urgent").get_data(as_text=True)
    assert 'name="q-U1" value="yes" checked' in page  # the answer given, shown again
    client.post(f"/screenings/{uuid}/s/urgent", data={"q-U1": "no", "csrf_token": csrf(page)})
    db.session.expire_all()
    assert db.session.scalar(select(Answer.value).where(Answer.code == "U1")) == "no"
    assert db.session.scalar(select(func.count()).select_from(Answer).where(Answer.code == "U1")) == 1


def test_khmer_digits_accepted_for_age(app, client, db):
    make_user(app, "border")
    login(client, "border")
    start_screening(client)
    uuid = db.session.scalar(select(Screening.uuid))
    page = client.get(f"/screenings/{uuid}/s/urgent").get_data(as_text=True)
    client.post(f"/screenings/{uuid}/s/urgent", data={"q-U1": "no", "q-U2": "no", "q-U3": "no", "csrf_token": csrf(page)})
    page = client.get(f"/screenings/{uuid}/s/profile").get_data(as_text=True)
    profile = {"q-sex": "female", "q-nationality": "KH", "q-exploitation_country": "TH", "q-sector": "fishing",
               "q-home_province": "BMC", "q-return_mode": "unknown"}
    response = client.post(f"/screenings/{uuid}/s/profile", data={"q-age": "១៧", **profile, "csrf_token": csrf(page)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Answer.value).where(Answer.code == "age")) == "17"


def test_bad_answer_is_refused_and_nothing_lost(app, client, db):
    make_user(app, "border")
    login(client, "border")
    start_screening(client)
    uuid = db.session.scalar(select(Screening.uuid))
    page = client.get(f"/screenings/{uuid}/s/urgent").get_data(as_text=True)
    response = client.post(f"/screenings/{uuid}/s/urgent", data={"q-U1": "maybe", "q-U2": "no", "csrf_token": csrf(page)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page
    # The valid answer is kept; the invalid and the missing ones stay unanswered, never "no".
    db.session.expire_all()
    assert {a.code: a.value for a in db.session.scalars(select(Answer))} == {"consent": "yes", "U2": "no"}
    assert page.count('aria-invalid="true"') == 2  # U1 and U3, marked on the screen
    invalid, missing = re.findall(r'<p class="errors">(.*?)</p>', page)  # U1's, then U3's
    assert invalid != missing  # "choose one of the answers", then "answer this question"
    assert 'name="q-U2" value="no" checked' in page


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
    assert client.get(f"/screenings/{screening.uuid}").headers["Location"].endswith("/s/urgent")


def test_a_screener_discards_an_unfinished_screening_after_confirming(app, client, db):
    from webapp.audit.models import AuditEvent

    make_user(app, "border")
    login(client, "border")
    start_screening(client)
    screening = db.session.scalar(select(Screening))
    uuid, case_number = screening.uuid, screening.case_number
    page = client.get(f"/screenings/{uuid}/s/urgent").get_data(as_text=True)
    assert f'href="/screenings/{uuid}/discard"' in page  # from the question...
    client.post(f"/screenings/{uuid}/s/urgent", data={"q-U1": "yes", "csrf_token": csrf(page)})
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


def test_public_examples_take_about_a_dozen_screens_and_reach_the_engines_result(app, client, db):
    """Issue 14: the web form asks what the SMS dialogue asks (can_change), a screen per
    group, then the questions left out "for the record", which one button skips. Each
    public version-2 example ends on the engine's tier and flags for its complete answers."""
    import json

    import questionnaires
    from tests.conftest import SHARED

    make_user(app, "border")
    login(client, "border")
    q = questionnaires.load()
    examples = json.loads((SHARED / "vignettes" / "examples-v2.json").read_text(encoding="utf-8"))
    screens, left_out = [], 0
    for example in examples:
        answers = example["answers"]
        if answers.get("consent") != "yes":
            assert start_screening(client, consent="no").status_code == 200
            screens.append(2)  # consent, the end page
            continue
        location = client.get(start_screening(client).headers["Location"]).headers["Location"]
        _, asked = answer_all(client, location, answers, record="skip")
        screening = db.session.scalars(select(Screening).order_by(Screening.id.desc())).first()
        engine = questionnaires.score(q, answers)
        assert (screening.tier, sorted(screening.flags)) == (engine.tier, sorted(engine.flags)), example["id"]
        stored = {a.code: a.value for a in screening.answers}
        skipped = [c for c in questionnaires.effective_answers(q, answers) if c not in stored]
        assert all(stored.get(c) != "no" for c in skipped)  # skipped stays missing, never "no"
        left_out += len(skipped)
        groups = {questionnaires.screens.group_of(q.question(c)) for c in asked}
        screens.append(1 + len(groups) + (1 if skipped else 0) + 1)  # consent, groups, record, result
    assert left_out > 0
    assert sum(screens) / len(screens) <= 12


def test_answers_on_the_record_screen_are_kept_and_blanks_stay_missing(app, client, db):
    make_user(app, "border")
    login(client, "border")
    import json

    from tests.conftest import SHARED

    location = client.get(start_screening(client).headers["Location"]).headers["Location"]
    examples = json.loads((SHARED / "vignettes" / "examples-v2.json").read_text(encoding="utf-8"))
    answers = next(e for e in examples if e["id"] == "e08")["answers"]  # the injured boy on a boat
    while "/record" not in location:  # every screen up to the record screen
        assert "/result" not in location
        response = client.get(location)
        if response.status_code == 302:
            location = response.headers["Location"]
            continue
        page = response.get_data(as_text=True)
        data = {f"q-{c}": str(answers.get(c, "unknown" if c == "return_mode" else "no")) for c in screen_codes(page)}
        location = client.post(location, data={**data, "csrf_token": csrf(page)}).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    record = screen_codes(page)
    assert len(record) >= 2
    response = client.post(location, data={"action": "save", f"q-{record[0]}": "yes", "csrf_token": csrf(page)})
    assert response.headers["Location"].endswith("/result")
    screening = db.session.scalar(select(Screening))
    stored = {a.code: a.value for a in screening.answers}
    assert screening.status == "complete" and stored[record[0]] == "yes"
    assert not set(record[1:]) & set(stored)


def test_a_screen_posted_twice_answers_only_its_own_questions(app, client, db):
    """The second tap of a double tap on Next posts the same screen again: each answer
    names its question, so nothing lands on the next screen's questions."""
    make_user(app, "border")
    login(client, "border")
    start_screening(client)
    uuid = db.session.scalar(select(Screening.uuid))
    page = client.get(f"/screenings/{uuid}/s/urgent").get_data(as_text=True)
    data = {"q-U1": "no", "q-U2": "no", "q-U3": "no", "csrf_token": csrf(page)}
    first = client.post(f"/screenings/{uuid}/s/urgent", data=data)
    second = client.post(f"/screenings/{uuid}/s/urgent", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    db.session.expire_all()
    assert sorted(a.code for a in db.session.scalars(select(Answer))) == ["U1", "U2", "U3", "consent"]
