"""No CSV the app writes can make a spreadsheet run a formula (security finding 19): every
writer goes through webapp.core.csvsafe, and a hostile value comes out as plain text."""
from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from tests.referrals.test_admin_directory import FORM, admin
from tests.review.test_figures import synthetic_dataset
from tests.web import login, make_user
from webapp.audit.operations import record
from webapp.extensions import db as database
from webapp.referrals import directory
from webapp.referrals.models import Service
from webapp.screening.models import Answer, Screening

HOSTILE = ["=cmd|' /C calc'!A0", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+9)*cmd|' /C calc'!A0",
           "\t=1+1", "\r=1+1"]


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_neutralise_and_restore():
    from webapp.core import csvsafe

    for value in HOSTILE:
        assert csvsafe.neutralise(value) == "'" + value
        assert csvsafe.restore(csvsafe.neutralise(value)) == value
    for value in ("+85512000101", "-2.5", "DEMO", "", "'quoted", 3, -4, None):
        assert csvsafe.neutralise(value) == value  # numbers and plain text are left alone


def test_directory_export_neutralises_formulas_and_reimports_them_unchanged(app, client, db):
    token = admin(app, client)
    hostile = {"name_en": HOSTILE[0], "name_km": HOSTILE[1], "address": HOSTILE[2], "hours": HOSTILE[3]}
    assert client.post("/admin/services/new", data={**FORM, **hostile, "csrf_token": token}).status_code == 302
    exported = client.get("/admin/services/export.csv").get_data(as_text=True)
    (row,) = rows_of(exported)
    for field, value in hostile.items():
        assert row[field] == "'" + value, field
    assert row["phone"] == "+85512000900" and row["lat"] == "13.6"  # numbers stay numbers
    with app.app_context():
        assert directory.import_csv(exported) == (0, 1)
        database.session.commit()
    service = db.session.scalar(select(Service))
    db.session.refresh(service)
    assert {field: getattr(service, field) for field in hostile} == hostile


def test_screenings_export_neutralises_a_hostile_answer(app, client, db):
    synthetic_dataset(app, n=3)
    with app.app_context():
        screening = database.session.scalar(select(Screening).order_by(Screening.id))
        answer = database.session.scalar(select(Answer).where(Answer.screening_id == screening.id,
                                                              Answer.code == "home_province"))
        answer.value = HOSTILE[0]  # whatever reaches an answer, the export must not run it
        database.session.commit()
    make_user(app, "supervisor", username="sup", national=True)
    login(client, "sup")
    rows = rows_of(client.get("/figures/export/screenings.csv").get_data(as_text=True))
    assert "'" + HOSTILE[0] in [r["home_province"] for r in rows]
    assert not any(re.match(r"[=+\-@\t\r]", cell) and not re.fullmatch(r"[+-]?\d+(\.\d+)?", cell)
                   for r in rows for cell in r.values())


def test_audit_export_neutralises_a_hostile_value(app, client, db):
    make_user(app, "supervisor", username="sup", national=True)
    with app.app_context():
        record("view", object_type="service", object_id=HOSTILE[3])
        database.session.commit()
    login(client, "sup")
    rows = rows_of(client.get("/audit/export.csv").get_data(as_text=True))
    assert "'" + HOSTILE[3] in [r["object_id"] for r in rows]
