"""Figures: the dashboard's charts match its tables; the aggregate export is de-identified."""
from __future__ import annotations

import csv
import io
import json
import random
import re
from datetime import UTC, datetime

from sqlalchemy import select

from tests.conftest import SHARED
from tests.web import login, make_user
from webapp.audit.models import AuditEvent
from webapp.auth.models import User
from webapp.extensions import db as database
from webapp.figures import operations as figures
from webapp.screening import operations
from webapp.screening.models import Answer, Screening

VIGNETTES = {v["id"]: v for v in json.loads((SHARED / "vignettes" / "examples.json").read_text(encoding="utf-8"))}


def synthetic_dataset(app, n=120, seed=7):
    """Screenings made through the real services from the public vignettes, varied."""
    rng = random.Random(seed)
    make_user(app, "border")
    with app.app_context():
        user = database.session.scalar(select(User))
        for _ in range(n):
            answers = dict(VIGNETTES[rng.choice(["e01", "e01", "e06", "e04", "e03", "e02"])]["answers"])
            answers["sex"] = rng.choice(["female", "male"])
            answers["age"] = rng.choice([answers["age"], rng.randint(18, 60)]) if answers["age"] >= 18 else answers["age"]
            answers["home_province"] = rng.choice(["BMC", "BTB", "PVG", "KCM"])
            post = rng.choice(["POIPET", "POIPET", "BAVET"])
            # Screenings of both versions, counted together: version 2 asks U3, return_mode, P10 (and C7 of a child).
            version = rng.choice([1, 2])
            if version == 2:
                answers.update(U3="no", P10="no", C7="no", return_mode=rng.choice(["deported", "rescued", "returned_alone"]))
            screening = operations.start_screening(screener=user, channel=rng.choice(["web", "sms"]), version=version,
                                                   context=operations.Context(kind="post", post_code=post))
            screening.answers.extend(
                Answer(code=code, value=str(value), channel="web") for code, value in answers.items() if code != "consent")
            database.session.flush()
            operations.finish(screening)
        training = operations.start_screening(screener=user, channel="sms", training=True,
                                              context=operations.Context(kind="post", post_code="POIPET"))
        operations.finish(training)
        database.session.commit()


def test_aggregate_export_has_no_small_cell_and_nothing_identifying(app, db):
    synthetic_dataset(app)
    runner = app.test_cli_runner()
    for fmt in ("csv", "json"):
        out = runner.invoke(args=["export", "aggregate", "--format", fmt])
        assert out.exit_code == 0, out.output
        if fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(out.output)))
            assert set(rows[0]) == {"year", "dimension", "category", "count", "suppressed"}
            counts = [r["count"] for r in rows]
            assert all(c == "" or int(c) >= 11 for c in counts)
            assert any(c == "" for c in counts) and any(c != "" for c in counts)
            # Hidden cells all look alike, those hidden for another's sake too (never "<11").
            assert all((r["count"] == "") == (r["suppressed"] == "yes") for r in rows)
        else:
            rows = json.loads(out.output)["rows"]
            assert all(r["count"] is None or r["count"] >= 11 for r in rows)
        dimensions = {r["dimension"] for r in rows}
        assert dimensions <= {"total", "tier", "age_band", "sex", "citizenship", "country_of_exploitation",
                              "province_of_origin", "return_mode", "form_of_exploitation", "means_of_control",
                              "person_language"}
        cases = set(db.session.scalars(select(Screening.case_number)))
        text = out.output
        assert not any(case in text for case in cases)
        assert not re.search(r"\+855|\d{4}-\d{2}-\d{2}|POIPET|BAVET", text)  # no phones, dates or places below province
    # One suppressed cell in a group is never left alone (it could be worked out).
    groups = {}
    for r in rows:
        groups.setdefault((r["year"], r["dimension"]), []).append(r)
    for (year, dimension), group in groups.items():
        if dimension in ("sex", "tier", "age_band", "citizenship", "country_of_exploitation", "province_of_origin"):
            assert sum(1 for r in group if r["count"] is None) != 1, (year, dimension)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "export.aggregate"))


def test_dashboard_charts_match_tables_and_leave_out_training(app, client, db):
    synthetic_dataset(app, n=30)
    make_user(app, "supervisor", username="sup", national=True)
    login(client, "sup")
    page = client.get("/figures/").get_data(as_text=True)
    charts = re.findall(r'<svg class="chart" id="chart-(\w+)"', page)
    assert len(charts) >= 3
    for key in ("tier", "channel", "sex"):
        section = page.split(f'id="figure-{key}"')[1].split("</section>")[0]
        bars = dict(re.findall(r'data-label="([^"]+)" data-value="(\d+)"', section))
        table = dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td></tr>', section))
        assert bars == {name: str(int(value)) for name, value in table.items()} and bars  # table: Khmer digits
    channel = page.split('id="figure-channel"')[1].split("</section>")[0]
    total = sum(int(v) for v in re.findall(r'<td>(\d+)</td>', channel))
    assert total == 30  # the training screening is not counted


def test_supervisor_export_is_scoped_and_recorded(app, client, db):
    synthetic_dataset(app, n=20)
    make_user(app, "supervisor", username="sup", province_code="SVR")
    login(client, "sup")
    response = client.get("/figures/export/screenings.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows and all(r["post"] == "BAVET" for r in rows)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.screenings"))
    assert event.count == len(rows) and event.role == "supervisor"


def test_figures_are_for_supervisors(app, client):
    make_user(app, "border")
    login(client, "border")
    assert client.get("/figures/").status_code == 403
    assert client.get("/figures/export/aggregate.csv").status_code == 403


def test_chart_labels_wrap_between_words_or_letter_clusters_never_inside_one():
    from webapp.figures import presenters as charts

    label = "ពលករចំណាកស្រុកដែលត្រូវបានកេងប្រវ័ញ្ច និង Cambodian exploited abroad (outflow)"
    lines = charts.wrap(label, width=120)
    assert len(lines) > 2
    assert "".join(lines).replace(" ", "") == label.replace(" ", "")
    assert all(sum(charts.advance(c) for c in charts.clusters(line)) <= 120 for line in lines)
    # A subscript stays with its consonant: no line starts with a combining mark or a subscript.
    assert not any(line[0] in "\u17d2\u17b6\u17c6\u17c9\u17ca\u17cb" for line in lines)
    assert charts.clusters("ស្រុក") == ["ស្រុ", "ក"]


class Victim:
    """A finished screening as the aggregate export reads it (nothing else is needed)."""

    def __init__(self, age: int):
        self.final_tier, self.created_at, self.questionnaire_version = "likely_victim", datetime(2026, 5, 1, tzinfo=UTC), 2
        self.person_language = "km"
        self.answers = {"age": age, "sex": "female"}

    def answer_map(self):
        return self.answers


def test_two_small_cells_cannot_be_worked_out_from_the_total():
    """40 victims aged 18-29, 30 aged 30-49, one child and one person over 50. Both small age
    cells are hidden, but the published total minus the shown cells is 2: two listed cells
    that add up to 2 are 1 child and 1 older person. More must be hidden."""
    victims = [Victim(20)] * 40 + [Victim(40)] * 30 + [Victim(15), Victim(60)]
    rows = figures.aggregate(victims)
    total = next(r["count"] for r in rows if r["dimension"] == "total")
    ages = [r for r in rows if r["dimension"] == "age_band"]
    hidden = [r for r in ages if r["count"] is None]
    assert {r["category"] for r in hidden} >= {"0-17", "50+"}
    left = total - sum(r["count"] for r in ages if r["count"] is not None)
    # Each hidden cell is at least 1, so the most a hidden cell can be is what is left
    # over once the others have 1 each: 1 would give every hidden count away.
    assert left - (len(hidden) - 1) > 1
    assert left >= figures.SUPPRESS_BELOW
