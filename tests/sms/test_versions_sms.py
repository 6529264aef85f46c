"""An SMS screening started on questionnaire version 1 finishes on version 1 after version 2
is deployed: its questions, wording and judgement stay version 1's."""
from __future__ import annotations

import json

from sqlalchemy import select

import questionnaires as Q
from questionnaires import loader
from sms import render
from tests.conftest import SHARED
from tests.sms.conftest import post_sms
from tests.sms.helpers import keypad_reply
from webapp.extensions import db as database
from webapp.screening.models import Screening

E01 = next(v for v in json.loads((SHARED / "vignettes" / "examples.json").read_text(encoding="utf-8")) if v["id"] == "e01")


def asked(texts, q):
    prompts = {render.sms_prompt(q, question, "km"): question.code for question in q.questions}
    return next((code for prompt, code in prompts.items() if texts and texts[-1].endswith(prompt)), None)


def test_sms_draft_started_on_v1_finishes_on_v1(channel_app, channel_client, staff, definitions, before_version_2):
    shipped = loader.DEFINITIONS
    definitions(before_version_2)
    post_sms(channel_client, "SCREEN")
    post_sms(channel_client, "1")  # consent: a screening judged with version 1
    _, texts = post_sms(channel_client, "2")  # U1
    definitions(shipped)  # version 2 is deployed mid-screening
    v1 = Q.load(1)
    code, seen = asked(texts, v1), []
    while code is not None:
        seen.append(code)
        _, texts = post_sms(channel_client, keypad_reply(code, E01["answers"][code]))
        code = asked(texts, v1)
    assert seen[:2] == ["U2", "age"] and not {"U3", "return_mode", "P10"} & set(seen)
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening)).one()
        assert screening.status == "complete" and screening.questionnaire_version == 1
        assert screening.tier == "likely_victim" and "forced_labour" not in screening.flags
        assert "U3" not in screening.answer_map()
    # The next screening is version 2's: it asks U3 after U2.
    post_sms(channel_client, "SCREEN")
    post_sms(channel_client, "1")
    post_sms(channel_client, "2")
    _, texts = post_sms(channel_client, "2")
    assert asked(texts, Q.load(2)) == "U3"


def asked_on_screen(screen, q, language="en"):
    if not screen.startswith("CON "):
        return None
    lines = screen[4:].split("\n")
    return next((question.code for question in q.questions if question.ussd.get(language) in lines), None)


def test_ussd_draft_started_on_v1_finishes_on_v1(channel_app, channel_client, staff, definitions, before_version_2):
    from tests.sms.conftest import post_ussd

    def dial(inputs):
        return post_ussd(channel_client, "gw-v1", "*".join(inputs)).get_data(as_text=True)

    shipped = loader.DEFINITIONS
    definitions(before_version_2)
    inputs = ["1", "2"]  # consent, U1: a screening judged with version 1
    dial(inputs)
    definitions(shipped)  # version 2 is deployed while the line is open
    v1 = Q.load(1)
    screen, seen = dial(inputs), []
    code = asked_on_screen(screen, v1)
    while code is not None and len(seen) < 60:
        seen.append(code)
        inputs.append(keypad_reply(code, E01["answers"][code]))
        screen = dial(inputs)
        code = asked_on_screen(screen, v1)
    assert seen[:2] == ["U2", "age"] and not {"U3", "return_mode", "P10"} & set(seen)
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening)).one()
        assert screening.status == "complete" and screening.questionnaire_version == 1
        assert screening.tier == "likely_victim" and "U3" not in screening.answer_map()
