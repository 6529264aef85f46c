"""Questionnaire versions side by side: a screening keeps the version that judged it, its
result never changes, its pages show its own version's texts, and a draft started on
version 1 (web form, offline queue) finishes on version 1 after version 2 arrives."""
from __future__ import annotations

import json
import re
import uuid as uuidlib

from sqlalchemy import select

import questionnaires
from tests.conftest import SHARED, app_with
from tests.web import answer_all, csrf, login, make_user, start_screening
from webapp.screening import operations
from webapp.screening.models import Screening

V1_EXAMPLES = {v["id"]: v for v in json.loads((SHARED / "vignettes" / "examples.json").read_text(encoding="utf-8"))}
V1_P5 = "តើមានគេបង្ខំអ្នកឱ្យរួមភេទជាមួយភ្ញៀវ"  # version 1's wording ("were you made to")
V2_P5 = "តើអ្នកត្រូវរួមភេទជាមួយភ្ញៀវ"  # version 2's ("did you have to ... when you could not say no")


def test_web_draft_started_on_v1_finishes_on_v1_with_its_texts(app, client, db, definitions, before_version_2):
    make_user(app, "border")
    login(client, "border")
    shipped = questionnaires.loader.DEFINITIONS
    definitions(before_version_2)  # the day before version 2 is deployed
    location = client.get(start_screening(client).headers["Location"]).headers["Location"]
    uuid = db.session.scalar(select(Screening.uuid))
    page = client.get(location).get_data(as_text=True)
    client.post(location, data={"q-U1": "no", "csrf_token": csrf(page)})  # U1 only: the screen asks for U2 too
    definitions(shipped)  # version 2 is deployed while the draft is open
    assert questionnaires.current_version() == 2
    assert V1_P5 in client.get(f"/screenings/{uuid}/q/P5", follow_redirects=True).get_data(as_text=True)
    answers = {"age": "30", "sex": "male", "nationality": "KH", "exploitation_country": "TH", "sector": "fishing",
               "home_province": "BMC", "A1": "yes", "M1": "yes", "M8": "yes"}
    result_url, asked = answer_all(client, f"/screenings/{uuid}/q/U2", answers)
    assert "U3" not in asked and "return_mode" not in asked and "P10" not in asked
    screening = db.session.scalar(select(Screening))
    assert screening.status == "complete" and screening.questionnaire_version == 1
    # Version 1's judgement: deceived and locked in is act + means, no purpose (no forced-labour rule).
    assert screening.tier == "possible_victim" and "forced_labour" not in screening.flags
    stored = dict(screening.result)
    assert operations.refresh_result(screening).to_dict() == stored  # re-judging changes nothing
    assert client.get(result_url).status_code == 200
    # A new screening today is judged with version 2, and asks in version 2's words.
    location = client.get(start_screening(client).headers["Location"]).headers["Location"]
    new = db.session.scalar(select(Screening).where(Screening.uuid != uuid))
    assert new.questionnaire_version == 2
    assert V2_P5 in client.get(f"/screenings/{new.uuid}/q/P5", follow_redirects=True).get_data(as_text=True)


def token(client) -> str:
    page = client.get("/screenings/app").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def submit(client, answers, **extra):
    body = {"uuid": str(uuidlib.uuid4()), "context": {"kind": "post", "post_code": "POIPET"}, "language": "km",
            "answers": {c: {"value": v, "answered_at": "2026-11-20T08:00:00Z"} for c, v in answers.items()},
            "started_at": "2026-11-20T07:55:00Z", **extra}
    return client.post("/api/screenings", data=json.dumps(body), content_type="application/json",
                       headers={"X-CSRFToken": token(client)})


def test_offline_queue_sends_the_version_it_asked_and_v1_drafts_finish_on_v1(app, client, db):
    make_user(app, "border")
    login(client, "border")
    v1 = V1_EXAMPLES["e01"]["answers"]  # the textbook forced-labour case, asked with version 1
    assert submit(client, v1, questionnaire_version=1).status_code == 201
    assert submit(client, v1).status_code == 201  # a phone with the old page: the answers complete version 1
    refused = submit(client, v1, questionnaire_version=2)
    assert refused.status_code == 422 and refused.get_json()["field"] == "answers"  # v2 asks U3, return_mode, P10
    assert submit(client, v1, questionnaire_version=7).get_json()["field"] == "questionnaire_version"
    v2 = dict(v1, U3="no", return_mode="deported", P10="no")
    assert submit(client, v2, questionnaire_version=2).status_code == 201
    stored = {s.questionnaire_version: s for s in db.session.scalars(select(Screening))}
    assert sorted(s.questionnaire_version for s in db.session.scalars(select(Screening))) == [1, 1, 2]
    assert "forced_labour" not in stored[1].flags and "forced_labour" in stored[2].flags


def test_demo_seeds_the_version_1_examples_as_version_1_screenings(app, db, database_url):
    with app_with(database_url, env="development") as development, development.app_context():  # development only
        out = development.test_cli_runner().invoke(args=["demo", "seed"])
    assert out.exit_code == 0, out.output
    seeded = db.session.scalars(select(Screening)).all()
    assert seeded and {s.questionnaire_version for s in seeded} == {1}
    assert {s.status for s in seeded} == {"complete"}
