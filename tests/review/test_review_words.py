"""The supervisor's case page (issue 14 item 6): answers in words, not codes, and the
engine's tier preselected in the decision form, so "Override" without a change overrides nothing."""
from __future__ import annotations

import re

from sqlalchemy import select

import questionnaires
from tests.review.test_review import submit, supervisor
from webapp.screening.models import Screening


def test_case_page_shows_answer_labels_and_preselects_the_engines_tier(app, client, db):
    submit(app, client, vignette="e06")  # possible victim, woman, Cambodian, exploited in Thailand
    uuid = db.session.scalar(select(Screening.uuid))
    page = supervisor(app, province_code="BMC").get(f"/review/{uuid}").get_data(as_text=True)
    table = page[page.index('class="answers-table"'):]
    cells = re.findall(r'<td class="answer">([^<]*)</td>', table)
    assert "បាទ/ចាស" in cells and "ស្រី" in cells and "កម្ពុជា" in cells and "ថៃ" in cells
    assert not {"yes", "no", "female", "KH", "TH"} & set(cells)
    assert any(re.fullmatch(r"[០-៩]+", c) for c in cells)  # the age, in Khmer digits
    assert re.search(r'<option selected value="possible_victim">|<option value="possible_victim" selected>', page)
    assert "· web ·" not in page
    # Consent is not among the answers (every stored screening has it); the questions are
    # in the questionnaire's order.
    q = questionnaires.load()
    assert q.question("consent").text_for("km")[:40] not in table
    shown = [question.code for question in q.questions if question.text_for("km") in table]
    assert shown and shown == sorted(shown, key=q.codes.index)
