"""Hand-over mode without JavaScript (issue 16): the person answers privately in their own
language, one question per page; handing back needs the screener's password; the screener
then sees the result, which is the engine's on the same answers."""
from __future__ import annotations

import dataclasses
import re

from sqlalchemy import select

import questionnaires
from tests.web import PASSWORD, csrf, login, make_user
from webapp.audit.models import AuditEvent
from webapp.screening.models import Screening

# A Vietnamese worker held in a scam compound: deceived, documents taken, debt, forced to work.
ANSWERS = {
    "U1": "no", "U2": "no", "U3": "yes", "age": "24", "sex": "female", "nationality": "VN",
    "exploitation_country": "KH", "sector": "scam_online", "home_province": "unknown", "return_mode": "rescued",
    "A1": "yes", "A2": "yes", "M1": "yes", "M3": "yes", "M6": "yes", "P1": "yes",
}


def consent_page(client, person_language=None):
    page = client.get("/screenings/new").get_data(as_text=True)
    data = {"kind": "post", "post_code": "POIPET", "province_code": "BMC", "csrf_token": csrf(page)}
    page = client.post("/screenings/new", data=data).get_data(as_text=True)
    if person_language:
        fields = hidden_fields(page)
        fields.update(person_language=person_language, answer="language")
        page = client.post("/screenings/consent", data=fields).get_data(as_text=True)
    return page


def hidden_fields(page):
    return dict(re.findall(r'<input id="(\w+)" name="\w+" type="hidden" value="([^"]*)"', page))


def hand_over(client, person_language="vi"):
    page = consent_page(client, person_language)
    fields = hidden_fields(page)
    fields.update(person_language=person_language, answer="handover")
    response = client.post("/screenings/consent", data=fields)
    assert response.status_code == 302 and response.headers["Location"].endswith("/handover")
    return response.headers["Location"]


def answer_as_person(client, location, answers):
    """Answer each page the person sees; returns the codes asked and the pages."""
    asked, pages = [], []
    while location.endswith("/handover"):
        page = client.get(location).get_data(as_text=True)
        code = re.search(r'data-code="(\w+)"', page)
        if code is None:
            break
        code = code.group(1)
        asked.append(code)
        pages.append(page)
        value = answers.get(code, "unknown" if code == "return_mode" else "no")
        field = "answer" if code in ("age", "nationality", "exploitation_country") and value != "unknown" else "choice"
        response = client.post(f"{location}/{code}", data={field: value, "csrf_token": csrf(page)})
        assert response.status_code == 302, (code, value, response.status_code)
        location = response.headers["Location"]
        if location.endswith("/handover"):
            follow = client.get(location)
            if follow.status_code == 302:
                location = follow.headers["Location"]
    return location, asked, pages


def test_consent_in_a_draft_language_comes_with_the_screeners_beside_it(app, client, db):
    make_user(app, "border")
    login(client, "border")
    page = consent_page(client, "vi")
    q = questionnaires.load()
    assert q.question("consent").text_for("vi") in page
    assert q.question("consent").text_for("km") in page  # the screener's language beside the draft
    assert "ការបកប្រែព្រាង" in page  # "Draft translation", in the screener's Khmer
    assert 'lang="vi"' in page
    # English is the source: no badge, nothing beside.
    english = consent_page(client, "en")
    assert "ការបកប្រែព្រាង" not in english.split("</select>")[1]


def test_person_answers_privately_in_vietnamese_and_the_screener_takes_the_phone_back(app, client, db, monkeypatch):
    config = app.config["APP_CONFIG"]
    monkeypatch.setitem(app.config, "APP_CONFIG", dataclasses.replace(config, contact_name="MoSVY", contact_phone="1288"))
    make_user(app, "border")
    login(client, "border")
    location = hand_over(client, "vi")
    screening = db.session.scalar(select(Screening))
    assert screening.person_language == "vi" and screening.language == "km"
    q = questionnaires.load()
    result_location, asked, pages = answer_as_person(client, location, ANSWERS)
    assert result_location.endswith("/handover/back")
    # One question per page, in Vietnamese, with symbols, marked as a draft translation, and
    # nothing of an earlier answer: no back link, no chosen button, no case number, no menu.
    for code, page in zip(asked, pages, strict=True):
        assert q.question(code).text_for("vi") in page
        assert "ការបកប្រែព្រាង" in page
        assert 'class="top"' not in page and screening.case_number not in page
        assert "chosen" not in page and "/q/" not in page
    first = pages[0]
    assert "✓" in first and "✗" in first and "Có" in first and "Không biết" in first
    for earlier in asked[:-1]:
        assert q.question(earlier).text_for("vi") not in pages[-1]
    # The skip rule of the phone channels: only questions that can change the tier or a flag.
    answers = {"consent": "yes", **{c: ANSWERS.get(c, "unknown" if c == "return_mode" else "no") for c in asked}}
    answers = questionnaires.validate_answers(q, answers)
    assert questionnaires.next_question(q, answers, skip_unneeded=True) is None
    assert len(asked) < len(questionnaires.asked_questions(q, answers)) - 1

    # While handed over, every other page leads back to the hand-over pages.
    mine = client.get("/screenings/")
    assert mine.status_code == 302 and "/handover" in mine.headers["Location"]
    result = client.get(f"/screenings/{screening.uuid}/result")
    assert result.status_code == 302 and "/handover" in result.headers["Location"]

    # A wrong password does not take it back.
    page = client.get(result_location).get_data(as_text=True)
    wrong = client.post(result_location, data={"password": "not-the-password", "csrf_token": csrf(page)})
    assert wrong.status_code == 422
    assert client.get("/screenings/").status_code == 302
    # The screener's password does: the result, not a replay of answers.
    back = client.post(result_location, data={"password": PASSWORD, "csrf_token": csrf(page)})
    assert back.status_code == 302 and back.headers["Location"].endswith("/result")
    db.session.expire_all()
    screening = db.session.scalar(select(Screening))
    expected = questionnaires.score(q, answers)
    assert screening.status == "complete" and screening.tier == expected.tier
    assert sorted(screening.flags) == sorted(expected.flags)
    result_page = client.get(back.headers["Location"]).get_data(as_text=True)
    assert q.result_sentence(expected.tier, "vi") in result_page  # the sentence for the person
    assert "Nếu sau này bạn cần giúp đỡ, bạn có thể gọi cho MoSVY: 1288." in result_page  # whom to call
    # The audit trail keeps who handed over and took back which case, and the wrong password.
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.index("change.handover") < actions.index("password.failed") < actions.index("change.handback")
    assert client.get("/screenings/").status_code == 200


def test_taking_the_phone_back_halfway_continues_in_the_screeners_form(app, client, db):
    make_user(app, "border")
    login(client, "border")
    location = hand_over(client, "th")
    page = client.get(location).get_data(as_text=True)
    assert 'lang="th"' in page and questionnaires.load().question("U1").text_for("th") in page
    # A tap meant for another question (a stale page, a double tap) answers nothing.
    stale = client.post(f"{location}/U2", data={"choice": "yes", "csrf_token": csrf(page)})
    assert stale.status_code == 302
    assert {a.code for a in db.session.scalar(select(Screening)).answers} == {"consent"}
    back = location + "/back"
    page = client.get(back).get_data(as_text=True)
    response = client.post(back, data={"password": PASSWORD, "csrf_token": csrf(page)})
    assert response.status_code == 302 and "/result" not in response.headers["Location"]
    assert client.get(response.headers["Location"]).headers["Location"].endswith("/s/urgent")  # the screen holding U1


def test_offline_queue_sends_a_hand_over_finished_by_the_skip_rule_and_the_server_checks_it(app, client, db):
    make_user(app, "border")
    login(client, "border")
    token = client.get("/screenings/app").get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    q = questionnaires.load()
    answers = {"consent": "yes"}
    while (following := questionnaires.next_question(q, answers, skip_unneeded=True)) is not None:
        code = following.code
        answers[code] = questionnaires.validate_answer(q, code, ANSWERS.get(code, "unknown" if code == "return_mode" else "no"))
    assert questionnaires.next_question(q, answers) is not None  # not every question was asked
    body = {"uuid": "2b8c6f2e-4a39-4d0e-9d7e-6b7f7c1a2b3c", "context": {"kind": "post", "post_code": "POIPET"},
            "answers": {c: {"value": v} for c, v in answers.items()}, "language": "km", "person_language": "vi",
            "questionnaire_version": 2}
    headers = {"X-CSRFToken": token}
    # A screening that skips a question that still matters is refused...
    last = list(answers)[-1]
    short = dict(body, answers={c: {"value": v} for c, v in answers.items() if c != last})
    assert client.post("/api/screenings", json=short, headers=headers).status_code == 422
    # ...and one that leaves out only what the skip rule leaves out is judged.
    response = client.post("/api/screenings", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    screening = db.session.scalar(select(Screening))
    expected = questionnaires.score(q, answers)
    assert (screening.status, screening.tier, screening.person_language) == ("complete", expected.tier, "vi")


def test_the_screener_can_hand_over_halfway_and_choose_the_language_then(app, client, db):
    make_user(app, "border")
    login(client, "border")
    page = consent_page(client)
    fields = hidden_fields(page)
    fields["answer"] = "yes"
    client.post("/screenings/consent", data=fields)
    screening = db.session.scalar(select(Screening))
    assert screening.person_language == "km"  # by default the screener's language
    begin = f"/screenings/{screening.uuid}/handover/begin"
    page = client.get(begin).get_data(as_text=True)
    assert "简体中文" in page and "Bahasa Indonesia" in page
    response = client.post(begin, data={"person_language": "zh-Hans", "csrf_token": csrf(page)})
    assert response.headers["Location"].endswith("/handover")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert questionnaires.load().question("U1").text_for("zh-Hans") in page and 'lang="zh-Hans"' in page
    db.session.expire_all()
    assert db.session.scalar(select(Screening.person_language)) == "zh-Hans"


def test_a_reviewed_language_says_who_checked_it_and_when_and_carries_no_draft_badge(app, client, db, monkeypatch):
    from webapp.screening import person

    q = questionnaires.load()
    reviewed = dataclasses.replace(q.languages["vi"], status="reviewed", reviewed_by="A. Nguyen (interpreter)",
                                   reviewed_on="2026-11-20")
    checked = dataclasses.replace(q, languages={**q.languages, "vi": reviewed})
    monkeypatch.setattr(questionnaires, "load", lambda version=None: checked if version in (None, 2) else q)
    make_user(app, "border")
    login(client, "border")
    page = consent_page(client, "vi")
    assert "A. Nguyen (interpreter)" in page and "2026-11-20" in page
    assert "ការបកប្រែព្រាង" not in page.split("</select>")[1]  # no draft badge
    assert q.question("consent").text_for("km") not in page  # nothing beside a reviewed text
    with app.test_request_context():
        assert person.PersonTexts(checked, "vi", "km").reviewed == ("A. Nguyen (interpreter)", "2026-11-20")
        assert person.PersonTexts(q, "vi", "km").reviewed is None


def test_the_persons_languages_come_apart_from_the_screeners_questionnaire(app, client, db):
    """The form's questionnaire carries Khmer and English only (a Khmer screener's form stays
    as light as before); the hand-over mode fetches the other languages' texts, with an ETag."""
    make_user(app, "border")
    login(client, "border")
    main = client.get("/api/questionnaire").get_json()
    assert set(main["questions"][1]["text"]) == {"km", "en"}
    assert main["languages"]["vi"] == {"name": "Tiếng Việt", "draft": True}
    response = client.get("/api/questionnaire/languages")
    texts = response.get_json()
    q = questionnaires.load()
    assert texts["languages"] == ["vi", "th", "zh-Hans", "id"]
    assert texts["questions"]["M9"]["text"]["th"] == q.question("M9").text_for("th")
    assert texts["questions"]["sex"]["options"]["female"]["zh-Hans"] == q.question("sex").options[0].label.get("zh-Hans")
    assert texts["answer_labels"]["refused"]["id"] == "Tidak mau menjawab"
    again = client.get("/api/questionnaire/languages", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_recording_made_on_the_admin_page_plays_in_the_hand_over_and_reaches_the_offline_form(app, client, db):
    """The hook (screening/audio.py) reads the recordings feature: a text recorded in Vietnamese
    gets a listen control on the person's page and a URL in the offline questionnaire; a text
    with no recording gets neither."""
    from tests.test_recordings import sine_wav
    from webapp.auth.models import User
    from webapp.recordings import operations as recordings

    admin_id = make_user(app, "admin")
    make_user(app, "border")
    login(client, "border")
    location = hand_over(client, "vi")
    first = client.get(location).get_data(as_text=True)
    code = re.search(r'data-code="(\w+)"', first).group(1)
    assert "<audio" not in first  # nothing recorded yet
    with app.app_context():
        recordings.save("vi", f"q.{code}", sine_wav(0.5), db.session.get(User, admin_id))
        db.session.commit()
    page = client.get(location).get_data(as_text=True)
    url = re.search(r'<audio controls preload="none" src="([^"]+)"', page).group(1)
    assert url.startswith("/audio/vi/") and client.get(url).status_code == 200
    other = app.test_client()  # the screener's other session: the held one gets 423 from the API
    login(other, "border")
    audio = other.get("/api/questionnaire").get_json()["audio"]
    assert audio["vi"] == {f"q.{code}": url}


def test_a_hand_over_the_audit_trail_could_not_record_does_not_hold_the_browser(app, client, db, monkeypatch):
    """Both ways into hand-over (at consent, and later from the draft) record it in the audit
    trail first; when that commit fails the screener gets an error and keeps the app, not a
    browser held to hand-over pages the trail does not show."""
    from sqlalchemy.exc import OperationalError

    make_user(app, "border")
    login(client, "border")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the error page, as in production
    real_commit = db.session.commit

    def failing_commit():
        if any(getattr(event, "action", None) == "change.handover" for event in db.session.new):
            raise OperationalError("COMMIT", {}, Exception("the database went away"))
        return real_commit()

    # At consent: the screening is started, then the hand-over fails to be recorded.
    page = consent_page(client)
    fields = hidden_fields(page)
    fields.update(person_language="km", answer="handover")
    monkeypatch.setattr(db.session, "commit", failing_commit)
    assert client.post("/screenings/consent", data=fields).status_code == 500
    assert client.get("/screenings/new").status_code == 200  # not sent back to a hand-over page
    # Later, from the draft.
    screening = db.session.scalar(select(Screening))
    begin = f"/screenings/{screening.uuid}/handover/begin"
    page = client.get(begin).get_data(as_text=True)
    assert client.post(begin, data={"person_language": "km", "csrf_token": csrf(page)}).status_code == 500
    assert client.get("/screenings/new").status_code == 200
    monkeypatch.undo()
    db.session.rollback()
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "change.handover")).all() == []
