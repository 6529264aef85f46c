"""The JSON API the in-browser screening syncs its offline queue through."""
from __future__ import annotations

import json
import re
import uuid as uuidlib

from sqlalchemy import func, select

from tests.conftest import SHARED
from tests.web import login, make_user
from webapp.screening.models import Answer, DeclinedScreening, Screening

VIGNETTES = {v["id"]: v for v in json.loads((SHARED / "vignettes" / "examples.json").read_text(encoding="utf-8"))}


def token(client) -> str:
    page = client.get("/screenings/app").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def payload(vignette="e01", uuid=None, **extra):
    answers = {code: {"value": value, "answered_at": "2026-11-20T08:00:00Z"} for code, value in VIGNETTES[vignette]["answers"].items()}
    body = {
        "uuid": uuid or str(uuidlib.uuid4()),
        "context": {"kind": "post", "post_code": "POIPET"},
        "answers": answers,
        "language": "km",
        "started_at": "2026-11-20T07:55:00Z",
    }
    body.update(extra)
    return body


def post(client, body, csrf_token):
    return client.post("/api/screenings", json=body, headers={"X-CSRFToken": csrf_token})


def test_questionnaire_document_for_the_browser(app, client):
    make_user(app, "border")
    login(client, "border")
    doc = client.get("/api/questionnaire").get_json()
    codes = [q["code"] for q in doc["questions"]]
    assert codes[0] == "consent" and "M9" in codes
    age_maybe = next(q for q in doc["questions"] if q["code"] == "age_maybe_minor")
    assert age_maybe["when"] == {"answer": "age", "in": ["unknown"]}
    assert next(q for q in doc["questions"] if q["code"] == "C6")["when"] == {"minor": True}
    assert len(doc["provinces"]) == 25 and doc["countries"]["km"][0]["value"] == "KH"  # Cambodia first (issue 14 item 7)


def test_submit_stores_once_and_a_resend_changes_nothing(app, client, db):
    make_user(app, "border")
    login(client, "border")
    body = payload()
    first = post(client, body, token(client))
    assert first.status_code == 201
    result = first.get_json()
    assert result["tier"] == "likely_victim" and re.fullmatch(r"KH-BMC-\d{4}-\d{6}", result["case_number"])
    for _ in range(3):
        again = post(client, body, token(client))
        assert again.status_code == 200 and again.get_json() == result
    assert db.session.scalar(select(func.count()).select_from(Screening)) == 1
    screening = db.session.scalar(select(Screening))
    assert screening.status == "complete" and screening.channel == "web"
    stored = {a.code: a.value for a in screening.answers}
    expected = {c: str(v) for c, v in VIGNETTES["e01"]["answers"].items() if c not in ("A5", "C2", "C5", "C6")}
    assert stored == expected  # child-only items are not asked of an adult and not kept
    assert all(a.answered_at.isoformat().startswith("2026-11-20T08:00") for a in screening.answers if a.code != "consent")
    assert client.get(result["result_url"]).status_code == 200


def test_submit_needs_csrf(app, client, db):
    make_user(app, "border")
    login(client, "border")
    assert client.post("/api/screenings", json=payload()).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Screening)) == 0


def test_invalid_submission_is_422_and_stores_nothing(app, client, db):
    make_user(app, "border")
    login(client, "border")
    body = payload()
    body["answers"]["M9"]["value"] = "maybe"
    response = post(client, body, token(client))
    assert response.status_code == 422 and response.get_json()["field"] == "M9"
    incomplete = payload()
    del incomplete["answers"]["P1"]
    assert post(client, incomplete, token(client)).get_json()["field"] == "answers"
    bad_uuid = payload(uuid="not-a-uuid")
    assert post(client, bad_uuid, token(client)).get_json()["field"] == "uuid"
    assert db.session.scalar(select(func.count()).select_from(Screening)) == 0
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_another_screeners_uuid_is_refused(app, client, db):
    make_user(app, "border", username="one")
    make_user(app, "border", username="two")
    login(client, "one")
    body = payload()
    assert post(client, body, token(client)).status_code == 201
    other = app.test_client()
    login(other, "two")
    response = post(other, body, token(other))
    assert response.status_code == 422
    assert db.session.scalar(select(Screening.screener_id)) is not None
    assert db.session.scalar(select(func.count()).select_from(Screening)) == 1


def test_decline_keeps_only_a_count(app, client, db):
    make_user(app, "border")
    login(client, "border")
    response = client.post("/api/declines", json={"context": {"kind": "post", "post_code": "POIPET"}},
                           headers={"X-CSRFToken": token(client)})
    assert response.status_code == 201
    assert db.session.scalar(select(func.count()).select_from(DeclinedScreening)) == 1
    assert db.session.scalar(select(func.count()).select_from(Screening)) == 0


def test_api_is_for_screeners_only(app, client):
    make_user(app, "admin")
    login(client, "admin")
    assert client.get("/api/questionnaire").status_code == 403
    anonymous = app.test_client()
    assert anonymous.post("/api/screenings", json=payload()).status_code in (400, 401, 302)


def test_manifest_and_service_worker_are_public(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    assert any(icon["sizes"] == "512x512" for icon in manifest.get_json()["icons"])


def test_manifest_has_a_maskable_icon_and_theme_colour_and_every_page_links_it(client):
    """Issue 14 item 3: installable with a launcher-shaped icon and the app's colour."""
    manifest = client.get("/manifest.webmanifest").get_json()
    assert any(icon.get("purpose") == "maskable" and icon["sizes"] == "512x512" for icon in manifest["icons"])
    assert manifest["theme_color"] == "#0b5cad"
    page = client.get("/login").get_data(as_text=True)
    assert '<meta name="theme-color" content="#0b5cad">' in page and 'rel="manifest"' in page
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["Service-Worker-Allowed"] == "/"
