"""The person's language (issue 16): kept with each screening, checked against the
questionnaire, counted in the dashboard and the exports, with small cells suppressed."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import select

from tests.review.test_figures import VIGNETTES
from tests.web import login, make_user
from webapp.auth.models import User
from webapp.extensions import db as database
from webapp.screening import operations
from webapp.screening.models import Answer, Screening

# 14 likely victims read Vietnamese, 12 Khmer, 3 Thai (a small cell), 2 from before (unknown).
LANGUAGES = ["vi"] * 14 + ["km"] * 12 + ["th"] * 3 + [None] * 2


def victims(app, languages=LANGUAGES):
    make_user(app, "border")
    with app.app_context():
        user = database.session.scalar(select(User))
        for lang in languages:
            screening = operations.start_screening(screener=user, channel="web", person_language=lang or "km",
                                                   context=operations.Context(kind="post", post_code="POIPET"))
            if lang is None:
                screening.person_language = None  # a screening from before the column
            answers = dict(VIGNETTES["e01"]["answers"], U3="no", P10="no", return_mode="deported")
            screening.answers.extend(
                Answer(code=code, value=str(value), channel="web") for code, value in answers.items() if code != "consent")
            database.session.flush()
            operations.finish(screening)
            assert screening.tier == "likely_victim"
        database.session.commit()


def test_person_language_is_kept_and_defaults_to_the_screeners(app, db):
    make_user(app, "border")
    user = db.session.scalar(select(User))
    context = operations.Context(kind="post", post_code="POIPET")
    chinese = operations.start_screening(screener=user, channel="web", context=context, language="en", person_language="zh-Hans")
    plain = operations.start_screening(screener=user, channel="web", context=context, language="en")
    db.session.commit()
    db.session.expire_all()
    assert (chinese.language, chinese.person_language) == ("en", "zh-Hans")
    assert plain.person_language == "en"
    with pytest.raises(operations.ScreeningError) as raised:
        operations.start_screening(screener=user, channel="web", context=context, person_language="fr")
    assert raised.value.field == "person_language"


def test_offline_queue_sends_the_person_language(app, client, db):
    make_user(app, "border")
    login(client, "border")
    page = client.get("/screenings/app").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    answers = {code: {"value": value} for code, value in dict(
        VIGNETTES["e01"]["answers"], U3="no", P10="no", return_mode="deported").items()}
    body = {"uuid": "0b8c6f2e-4a39-4d0e-9d7e-6b7f7c1a2b3c", "context": {"kind": "post", "post_code": "POIPET"},
            "answers": answers, "language": "km", "person_language": "id", "questionnaire_version": 2}
    response = client.post("/api/screenings", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_json()
    assert db.session.scalar(select(Screening.person_language)) == "id"
    body["uuid"] = "1b8c6f2e-4a39-4d0e-9d7e-6b7f7c1a2b3c"
    body["person_language"] = "xx"
    refused = client.post("/api/screenings", json=body, headers={"X-CSRFToken": token})
    assert refused.status_code == 422 and refused.get_json()["field"] == "person_language"


def test_dashboard_counts_screenings_by_the_persons_language(app, client, db):
    victims(app)
    make_user(app, "supervisor", username="sup", national=True)
    login(client, "sup")
    page = client.get("/figures/").get_data(as_text=True)
    section = page.split('id="figure-person_language"')[1].split("</section>")[0]
    table = {name: int(n) for name, n in re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td></tr>', section)}
    # Named in the supervisor's language (Khmer), never as a raw code.
    assert table == {"វៀតណាម": 14, "ខ្មែរ": 12, "ថៃ": 3, "មិនដឹង": 2}
    export = client.get("/figures/export/screenings.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(export)))
    assert sorted(r["person_language"] for r in rows).count("vi") == 14


def test_aggregate_suppresses_small_language_cells(app, db):
    victims(app)
    out = app.test_cli_runner().invoke(args=["export", "aggregate", "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = {r["category"]: r for r in json.loads(out.output)["rows"] if r["dimension"] == "person_language"}
    # Thai (3) is under 11; so is "unknown" (2): both hidden. Together they would be the
    # total minus the shown cells, 5 (Thai 1 to 4), so Khmer (12), the smallest shown, is
    # hidden too: the hidden cells add up to at least 11, and none can be worked out.
    assert rows["vi"]["count"] == 14 and rows["km"]["count"] is None
    assert rows["th"]["count"] is None and rows["th"]["suppressed"]
    assert rows["unknown"]["count"] is None
