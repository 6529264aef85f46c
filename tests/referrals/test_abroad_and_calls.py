"""Consular staff abroad and hotline calls (issue 14 items 4 and 5): referrals start from
where the person is, in order of need, and never from Phnom Penh by default; a call starts
with "is it safe to talk now?", and a call-back number is kept only with consent, encrypted.
Results a screener can act on (item 6): "no signs" lists what the person can still use."""
from __future__ import annotations

import re

from sqlalchemy import select, text

from tests.test_screening_api import payload, post, token
from tests.web import answer_all, csrf, login, make_user
from webapp.demo import seed_services
from webapp.extensions import db as database
from webapp.referrals.models import Referral
from webapp.screening.models import Screening

PHNOM_PENH = ("DEMO-007", "DEMO-009")  # the repatriation office and the shelter in Phnom Penh


def setup_directory(app):
    with app.app_context():
        ids = seed_services()
        database.session.commit()
        return ids


def screen_via_api(client, role, context, vignette="e01", log_in=True, **answers):
    if log_in:
        login(client, role)
    body = payload(vignette, context=context)
    for code, value in answers.items():
        body["answers"][code] = {"value": value}
    response = post(client, body, token(client))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def referrals_of(db):
    return db.session.scalars(select(Referral).order_by(Referral.id)).all()


def test_consular_in_malaysia_gets_the_embassy_then_the_return_crossing_then_home(app, client, db):
    ids = setup_directory(app)
    make_user(app, "consular")
    result = screen_via_api(client, "consular", {"kind": "abroad", "country_code": "MY", "city": "Kuala Lumpur"},
                            U1="yes", home_province="BMC")
    referrals = referrals_of(db)
    needs = [r.need for r in referrals]
    assert needs[:3] == ["repatriation", "transit_centre", "shelter"], needs
    assert referrals[0].service_id == ids["DEMO-011"]  # the embassy in Kuala Lumpur, not in Phnom Penh
    assert referrals[1].service_id == ids["DEMO-001"]  # Poipet, the usual way back from Malaysia
    assert not {r.service_id for r in referrals} & {ids[n] for n in PHNOM_PENH}
    assert referrals[0].match["chosen"]["band"] is None  # nothing measured from anywhere in Cambodia
    page = client.get(result["result_url"]).get_data(as_text=True)
    where = page.index("Kuala Lumpur")
    assert where < page.index("ស្ថានទូតកម្ពុជា កូឡាឡាំពួ") < page.index("ប៉ោយប៉ែត (សាកល្បង)")
    assert "ម៉ាឡេស៊ី" in page  # the country, in Khmer


def test_consular_elsewhere_proposes_no_crossing_and_measures_nothing_from_phnom_penh(app, client, db):
    setup_directory(app)
    make_user(app, "consular")
    screen_via_api(client, "consular", {"kind": "abroad", "country_code": "KR"}, home_province="unknown")
    referrals = referrals_of(db)
    assert "transit_centre" not in [r.need for r in referrals]  # sent back by air: no crossing
    repatriation = next(r for r in referrals if r.need == "repatriation")
    assert repatriation.service_id is None  # no consulate in Korea in the directory: a supervisor finds one
    shelter = next(r for r in referrals if r.need == "shelter")
    assert shelter.match["chosen"]["band"] is None and shelter.match["nationwide"] is False


def test_a_service_abroad_is_never_proposed_in_cambodia(app, client, db):
    ids = setup_directory(app)
    make_user(app, "border")
    screen_via_api(client, "border", {"kind": "post", "post_code": "POIPET"}, nationality="TH")
    repatriation = next(r for r in referrals_of(db) if r.need == "repatriation")
    assert repatriation.service_id not in (ids["DEMO-011"], ids["DEMO-012"])


def start_call(client, **fields):
    page = client.get("/screenings/new").get_data(as_text=True)
    data = {"csrf_token": csrf(page), "kind": "caller", **fields}
    return client.post("/screenings/new", data=data)


def consent_fields(page: str) -> dict:
    fields = dict(re.findall(r'<input id="(\w+)" name="\w+" type="hidden" value="([^"]*)"', page))
    fields["answer"] = "yes"
    return fields


def test_hotline_asks_if_it_is_safe_to_talk_first(app, client, db):
    make_user(app, "hotline")
    login(client, "hotline")
    page = client.get("/screenings/new").get_data(as_text=True)
    assert page.index('name="safe_to_talk"') < page.index('name="kind"') < page.index('name="caller_province"')
    assert "ប្រសិនបើការហៅដាច់" in page  # what to say if the call drops, shown before the call starts
    unsafe = start_call(client, safe_to_talk="no", caller_province="BMC").get_data(as_text=True)
    assert "មិនមានសុវត្ថិភាព" in unsafe and 'name="answer"' not in unsafe
    unasked = start_call(client, caller_province="BMC").get_data(as_text=True)
    assert 'name="answer"' not in unasked  # not asked: no consent page either
    assert db.session.scalar(select(Screening.id)) is None


def test_the_callers_province_drives_the_referral_and_the_call_back_is_encrypted(app, client, db):
    ids = setup_directory(app)
    make_user(app, "hotline")  # the operator's own province is Phnom Penh
    login(client, "hotline")
    consent = start_call(client, safe_to_talk="yes", caller_province="BMC", district="Poipet",
                         callback="yes", callback_phone="០១២ ០០០ ៩៩៩").get_data(as_text=True)
    location = client.post("/screenings/consent", data=consent_fields(consent)).headers["Location"]
    result_url, _ = answer_all(client, client.get(location).headers["Location"], {
        "age": "30", "sex": "male", "nationality": "KH", "exploitation_country": "TH", "home_province": "BMC",
        "sector": "construction",
        "A1": "yes", "A2": "yes", "M1": "yes", "M9": "yes", "P1": "yes"})
    screening = db.session.scalar(select(Screening))
    assert screening.case_number.startswith("KH-BMC-") and screening.context_kind == "caller"
    assert screening.callback_phone == "+85512000999"
    raw = db.session.execute(text("SELECT callback_phone, city FROM screenings")).one()
    assert "999" not in raw[0] and "Poipet" not in raw[1]
    shelter = next(r for r in referrals_of(db) if r.need == "shelter")
    assert shelter.service_id not in {ids[n] for n in PHNOM_PENH}
    page = client.get(result_url).get_data(as_text=True)
    assert "+85512000999" in page and "Poipet" in page


def test_no_call_back_without_consent_and_an_unknown_place_is_not_phnom_penh(app, client, db):
    setup_directory(app)
    make_user(app, "hotline")
    login(client, "hotline")
    consent = start_call(client, safe_to_talk="yes", caller_province="unknown", callback="no",
                         callback_phone="012000999").get_data(as_text=True)
    assert "012000999" not in consent
    location = client.post("/screenings/consent", data=consent_fields(consent)).headers["Location"]
    answer_all(client, client.get(location).headers["Location"], {
        "age": "30", "sex": "male", "nationality": "KH", "exploitation_country": "TH", "home_province": "BMC",
        "sector": "construction",
        "A1": "yes", "A2": "yes", "M1": "yes", "M9": "yes", "P1": "yes"})
    screening = db.session.scalar(select(Screening))
    assert screening.callback_phone is None and screening.province_code is None
    assert screening.case_number.startswith("KH-UNK-")
    shelter = next(r for r in referrals_of(db) if r.need == "shelter")
    assert shelter.match["chosen"]["band"] is None  # not measured from the hotline desk in Phnom Penh


def test_a_call_back_needs_a_number_when_the_caller_agrees(app, client, db):
    make_user(app, "hotline")
    login(client, "hotline")
    page = start_call(client, safe_to_talk="yes", caller_province="BMC", callback="yes").get_data(as_text=True)
    assert 'name="answer"' not in page and "លេខទូរស័ព្ទ" in page


def test_no_signs_lists_what_the_person_can_still_use(app, client, db):
    setup_directory(app)
    make_user(app, "border")
    result = screen_via_api(client, "border", {"kind": "post", "post_code": "POIPET"}, vignette="e02")
    page = client.get(result["result_url"]).get_data(as_text=True)
    assert 'class="information"' in page
    assert "មជ្ឈមណ្ឌលព័ត៌មានចំណាកស្រុកដោយសុវត្ថិភាព ប៉ោយប៉ែត" in page  # safe migration, nearest
    assert "ខ្សែទូរស័ព្ទជំនួយប្រឆាំងការជួញដូរមនុស្ស" in page and "+85512000114" in page  # the hotline (phones as dialled)


def test_why_says_a_child_needs_no_means_and_what_was_missing(app, client, db):
    setup_directory(app)
    make_user(app, "border", language="en")
    child = screen_via_api(client, "border", {"kind": "post", "post_code": "POIPET"}, vignette="e04")
    page = client.get(child["result_url"]).get_data(as_text=True)
    assert "deception, force or control is not needed" in page
    possible = screen_via_api(client, "border", {"kind": "post", "post_code": "POIPET"}, vignette="e06", log_in=False)
    page = client.get(possible["result_url"]).get_data(as_text=True)
    assert "One answer is a serious warning sign on its own." in page  # rule 3d: the passport kept
    assert "Found: deception, force or control." in page
    assert "Missing for &#39;likely&#39;: recruitment or transport, exploitation." in page


def test_the_supervisor_sees_where_the_person_is_abroad(app, client, db):
    setup_directory(app)
    make_user(app, "consular")
    screen_via_api(client, "consular", {"kind": "abroad", "country_code": "MY", "city": "កូឡាឡាំពួ"}, vignette="e06")
    make_user(app, "supervisor", username="nat", national=True)
    supervisor = app.test_client()
    login(supervisor, "nat")
    uuid = db.session.scalar(select(Screening.uuid))
    page = supervisor.get(f"/review/{uuid}").get_data(as_text=True)
    assert "ទីកន្លែងដែលមនុស្សនេះនៅឥឡូវនេះ" in page and "ម៉ាឡេស៊ី" in page and "កូឡាឡាំពួ" in page


def test_why_says_when_the_forced_labour_rule_held(app, client, db):
    import json

    from tests.conftest import SHARED, as_current

    example = next(v for v in json.loads((SHARED / "vignettes" / "examples-v2.json").read_text(encoding="utf-8"))
                   if v["id"] == "e01")
    assert "forced_labour" in example["expected"]["flags"]
    make_user(app, "border", language="en")
    login(client, "border")
    body = payload(questionnaire_version=2)
    body["answers"] = {code: {"value": value} for code, value in as_current(example["answers"]).items()}
    response = post(client, body, token(client))
    assert response.status_code == 201, response.get_json()
    page = client.get(response.get_json()["result_url"]).get_data(as_text=True)
    assert "The forced-labour rule held" in page
