"""An SMS screening started on questionnaire version 1 finishes on version 1 after version 2
is deployed: its questions, wording and judgement stay version 1's."""
from __future__ import annotations

import json

from sqlalchemy import select

import questionnaires as Q
from questionnaires import loader
from tests.conftest import SHARED
from tests.sms.conftest import post_sms
from tests.sms.helpers import asked_codes_in_sms, asked_codes_in_ussd, group_reply
from webapp.extensions import db as database
from webapp.screening.models import Screening

E01 = next(v for v in json.loads((SHARED / "vignettes" / "examples.json").read_text(encoding="utf-8")) if v["id"] == "e01")


def test_sms_draft_started_on_v1_finishes_on_v1(channel_app, channel_client, staff, definitions, before_version_2):
    shipped = loader.DEFINITIONS
    definitions(before_version_2)
    post_sms(channel_client, "SCREEN")
    post_sms(channel_client, "1")  # consent: a screening judged with version 1
    _, texts = post_sms(channel_client, "2")  # U1
    definitions(shipped)  # version 2 is deployed mid-screening
    v1 = Q.load(1)
    codes, seen = asked_codes_in_sms(texts, "km", v1), []
    while codes:
        seen.extend(codes)
        given = {code: E01["answers"].get(code, "no") for code in codes}  # asked with needed ones
        _, texts = post_sms(channel_client, group_reply(codes, given, 0, keypad=True))
        codes = asked_codes_in_sms(texts, "km", v1)
    assert seen[:2] == ["U2", "age"] and not {"U3", "return_mode", "P10"} & set(seen)
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening)).one()
        assert screening.status == "complete" and screening.questionnaire_version == 1
        assert screening.tier == "likely_victim" and "forced_labour" not in screening.flags
        assert "U3" not in screening.answer_map()
    # The next screening is version 2's: it asks U3 with U2.
    post_sms(channel_client, "SCREEN")
    post_sms(channel_client, "1")
    _, texts = post_sms(channel_client, "2")
    assert asked_codes_in_sms(texts, "km", Q.load(2)) == ["U2", "U3"]


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
    codes = asked_codes_in_ussd(screen, "en", v1)
    while codes and len(seen) < 60:
        seen.extend(codes)
        given = {code: E01["answers"].get(code, "no") for code in codes}
        inputs.append(group_reply(codes, given, 0, keypad=True))
        screen = dial(inputs)
        codes = asked_codes_in_ussd(screen, "en", v1)
    assert seen[:2] == ["U2", "age"] and not {"U3", "return_mode", "P10"} & set(seen)
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening)).one()
        assert screening.status == "complete" and screening.questionnaire_version == 1
        assert screening.tier == "likely_victim" and "U3" not in screening.answer_map()
