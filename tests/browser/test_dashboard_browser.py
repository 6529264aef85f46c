"""The supervisors' figures in a real browser, in Khmer: charts drawn, numbers matching."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from tests.browser.helpers import KHMER_RENDERING, VIGNETTES
from webapp.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def seed_screenings(app, n=24, seed=3):
    from webapp.auth.models import User
    from webapp.extensions import db
    from webapp.screening import operations
    from webapp.screening.models import Answer

    rng = random.Random(seed)
    with app.app_context():
        border = db.session.scalar(select(User).where(User.username == "border"))
        for _ in range(n):
            answers = dict(VIGNETTES[rng.choice(["e01", "e03", "e06", "e02"])]["answers"])
            answers["sex"] = rng.choice(["female", "male"])
            screening = operations.start_screening(
                screener=border, channel=rng.choice(["web", "sms", "ussd"]),
                context=operations.Context(kind="post", post_code=rng.choice(["POIPET", "BAVET"])))
            screening.answers.extend(Answer(code=c, value=str(v), channel="web") for c, v in answers.items() if c != "consent")
            db.session.flush()
            operations.finish(screening)
        db.session.commit()


def test_dashboard_in_khmer_with_charts_and_matching_tables(browser, server, live_app, artifacts):
    seed_screenings(live_app)
    context = browser.new_context(locale="km-KH", viewport={"width": 900, "height": 1200})
    page = context.new_page()
    page.goto(f"{server}/login")
    page.fill("#identifier", "national")
    page.fill("#password", DEMO_PASSWORD)
    page.click("form button.primary")
    page.goto(f"{server}/figures/")
    assert page.locator("html").get_attribute("lang") == "km"
    assert page.locator("h1").inner_text() == "តួលេខ"  # "Figures"
    charts = page.locator("svg.chart")
    assert charts.count() >= 3
    page.screenshot(path=str(artifacts / "khmer-dashboard.png"), full_page=True)
    for key in ("tier", "channel", "sex", "post"):
        section = page.locator(f"#figure-{key}")
        bars = {g.get_attribute("data-label"): int(g.get_attribute("data-value"))
                for g in section.locator("svg.chart g.bar").all()}
        table = {row.locator("th").inner_text(): int(row.locator("td").inner_text())
                 for row in section.locator("table.figure-table tbody tr").all()}
        assert bars == table and bars, key
        # A bar is drawn for every row, its width growing with the number.
        widths = {g.get_attribute("data-label"): float(g.locator("rect").get_attribute("width"))
                  for g in section.locator("svg.chart g.bar").all()}
        ordered = sorted(bars, key=bars.get)
        assert [widths[label] for label in ordered] == sorted(widths.values())
    assert sum(int(v) for v in page.locator("#figure-channel table tbody td").all_inner_texts()) == 24
    # Khmer glyphs, not tofu boxes (which all have one width), on the category labels.
    report = page.evaluate(KHMER_RENDERING)
    assert report["distinctGlyphWidths"] >= 4, report
    assert "ស្រី" in page.locator("#figure-sex").inner_text()  # "female", translated
    context.close()
