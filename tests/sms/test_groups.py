"""Questions asked together on the phone (one reply answers a group), and the "for the
record" step after the result: through the signed webhook, and as a property test that
drives random answer sets through the real SMS and USSD dialogue code in-process."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

import questionnaires as Q
from questionnaires import replies
from questionnaires.engine import ALWAYS_ASKED_SECTIONS
from sms.channels import caller_sms_reply, caller_ussd_reply
from sms.dialogue import identify
from sms.models import SmsSession
from tests.sms.conftest import make_staff, post_sms
from tests.sms.helpers import CASE_NUMBER, asked_codes_in_sms, group_reply, keypad_reply
from tests.test_skip_rule import full_answer_sets
from webapp.extensions import db as database
from webapp.outbox.segments import fits_sms
from webapp.screening.models import Screening

q = Q.load(2)
_phones = (f"+8551200{n:04d}" for n in itertools.count(5100))


def test_a_group_reply_takes_khmer_digits_spaces_and_words_and_nothing_half():
    group = [q.question(code) for code in ("P1", "P2", "P3", "P4")]
    expected = {"P1": "yes", "P2": "no", "P3": "unknown", "P4": "refused"}
    for text in ("1234", "១២៣៤", "១ ២ ៣ ៤", "1, 2, 3, 4", "បាទ ទេ មិនដឹង មិនចង់ឆ្លើយ"):
        assert replies.parse_group(text, q, group) == expected, text
    for text in ("123", "12345", "1235", "១២៣", "", "yes"):
        assert replies.parse_group(text, q, group) is None, text


def test_a_group_holds_only_questions_the_skip_rule_still_needs():
    answers = {"consent": "yes", "U1": "no", "U2": "no", "U3": "no", "age": 30, "sex": "male", "nationality": "KH",
               "exploitation_country": "TH", "sector": "fishing", "home_province": "BMC", "return_mode": "deported",
               "P5": "yes", "M7": "yes", "A1": "yes"}
    group = Q.next_group(q, answers, skip_unneeded=True)
    needed = Q.can_change(q, answers)
    assert group and all(question.code in needed for question in group)
    # Yes/no questions past the profile run on across sections, in questionnaire order,
    # and never jump an open question of another kind.
    assert all(question.is_indicator and question.section not in ALWAYS_ASKED_SECTIONS for question in group)
    order = [q.codes.index(question.code) for question in group]
    assert order == sorted(order) and len({question.section for question in group}) > 1


def _session(app, phone, channel="sms"):
    with app.app_context():
        return database.session.scalars(select(SmsSession).where(SmsSession.channel == channel)).all()


def test_wrong_length_is_asked_again_and_nothing_is_stored(channel_app, channel_client):
    phone = next(_phones)
    make_staff(channel_app, phone, language="km")
    post_sms(channel_client, "ពិនិត្យ", phone=phone)
    _, texts = post_sms(channel_client, "1", phone=phone)
    while len(codes := asked_codes_in_sms(texts)) < 2:
        _, texts = post_sms(channel_client, group_reply(codes, {codes[0]: "no"}, 0), phone=phone)
    case = CASE_NUMBER.search(" ".join(texts)) or None
    _, again = post_sms(channel_client, "២", phone=phone)  # one digit for a group of several
    assert again[0].startswith("សូមទោស មិនយល់ចម្លើយទេ។") and asked_codes_in_sms(again) == codes
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening).order_by(Screening.id.desc())).first()
        assert not set(codes) & set(screening.answer_map())
    post_sms(channel_client, " ".join("២" * len(codes)), phone=phone)
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening).order_by(Screening.id.desc())).first()
        assert {code: screening.answer_map()[code] for code in codes} == dict.fromkeys(codes, "no")
    assert case is None or case  # the case number came with the first question


def test_for_the_record_can_be_skipped_and_leaves_answers_missing(channel_app, channel_client):
    phone = next(_phones)
    make_staff(channel_app, phone, language="en")
    full = {"consent": "yes", "U1": "no", "U2": "no", "U3": "no", "age": 30, "sex": "male", "nationality": "KH",
            "exploitation_country": "TH", "sector": "fishing", "home_province": "BMC", "return_mode": "deported",
            "P1": "yes", "M8": "yes", "A1": "yes", "M9": "yes"}
    _, texts = post_sms(channel_client, "SCREEN", phone=phone)
    for _turn in range(60):
        if "For the record" in "\n".join(texts):
            break
        codes = asked_codes_in_sms(texts, "en")
        if not codes:
            _, texts = post_sms(channel_client, "2", phone=phone)  # the referral question
            continue
        answers = {code: full.get(code, "no" if q.question(code).is_indicator else "unknown") for code in codes}
        _, texts = post_sms(channel_client, group_reply(codes, answers, 0, keypad=True), phone=phone)
    offered = asked_codes_in_sms(texts, "en")
    assert offered and "0=skip" in "\n".join(texts)
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening).order_by(Screening.id.desc())).first()
        before = (screening.tier, list(screening.flags), dict(screening.answer_map()))
    assert screening.status == "complete"
    _, texts = post_sms(channel_client, "0", phone=phone)
    assert "left unanswered" in texts[0]
    with channel_app.app_context():
        screening = database.session.get(Screening, screening.id)
        assert (screening.tier, list(screening.flags), dict(screening.answer_map())) == before
        assert not set(offered) & set(screening.answer_map())  # missing, never "no"


# --- property: random answer sets through the real dialogue, SMS (Khmer) and USSD --------


def _sms_screening(app, phone, full):
    with app.app_context():
        caller = identify(phone)
        texts = caller_sms_reply(caller, "ពិនិត្យ")
        database.session.commit()
        for turn in range(80):
            session = database.session.scalars(select(SmsSession).where(SmsSession.channel == "sms")
                                               .where(SmsSession.phone_hash == caller.phone_hash)).one()
            if session.state == "share":  # the referral question, if any: declined
                texts = caller_sms_reply(caller, "2")
            elif session.state in ("consent", "asking", "record"):
                codes = session.group_codes or [session.question]
                assert asked_codes_in_sms(texts) == codes  # what the message shows is what is stored
                texts = caller_sms_reply(caller, group_reply(codes, full, turn))
            else:
                break
            database.session.commit()
        return _stored(texts)


def _ussd_screening(app, phone, full):
    with app.app_context():
        caller = identify(phone)
        inputs: list[str] = []
        for _ in range(80):
            reply = caller_ussd_reply(caller, f"gw-{phone}", "*".join(inputs), language="en")
            database.session.commit()
            session = database.session.scalars(select(SmsSession).where(SmsSession.channel == "ussd")
                                               .where(SmsSession.phone_hash == caller.phone_hash)).one()
            if reply.end:
                break
            if session.state == "share":
                inputs.append("2")
            elif session.state == "record" and not session.question:  # the offer after the result
                inputs.append("1")
            else:
                codes = session.group_codes or [session.question]
                inputs.append("".join(keypad_reply(code, full[code]) for code in codes))
        return _stored([reply.text])


def _stored(texts):
    """Tier and flags once the record step is through, and every answer stored."""
    screening = database.session.scalars(select(Screening).order_by(Screening.id.desc())).first()
    return screening.tier, sorted(screening.flags or []), screening.answer_map()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(full=full_answer_sets())
def test_sms_and_ussd_groups_keep_tier_and_flags(channel_app, full):
    """Through the result and the record step: the engine's tier and flags on the full
    answers, and, once every question offered for the record is answered too, every answer
    that counts stored (nothing lost, nothing half-stored)."""
    result = Q.score(q, full)
    expected = (result.tier, sorted(result.flags), Q.effective_answers(q, full))
    phone = next(_phones)
    make_staff(channel_app, phone, language="km")
    assert _sms_screening(channel_app, phone, full) == expected
    assert _ussd_screening(channel_app, phone, full) == expected


def test_groups_are_data_in_the_questionnaire_and_checked_by_the_loader():
    import copy

    import yaml

    from questionnaires.loader import DEFINITIONS, parse

    raw = yaml.safe_load((DEFINITIONS / "v2.yaml").read_text(encoding="utf-8"))
    assert q.question("age").group == q.question("sex").group == "person"  # given in the file
    assert q.question("M7").group == "means" and q.question("exploitation_country").group is None  # else by section
    for bad in ("Person!", 3):
        broken = copy.deepcopy(raw)
        next(entry for entry in broken["questions"] if entry["code"] == "sex")["group"] = bad
        with pytest.raises(Q.DefinitionError, match="group"):
            parse(broken, source="v2.yaml", places=Q.load_places())
    broken = copy.deepcopy(raw)
    broken["questions"][0]["group"] = "opening"
    with pytest.raises(Q.DefinitionError, match="consent question is always asked alone"):
        parse(broken, source="v2.yaml", places=Q.load_places())


def test_help_on_a_ussd_group_shows_the_group_again(channel_app, channel_client):
    from tests.sms.conftest import post_ussd
    from tests.sms.helpers import asked_codes_in_ussd

    phone = next(_phones)
    make_staff(channel_app, phone, language="en")
    inputs = ["1", "2"]  # consent, U1: U2 and U3 come together
    post_ussd(channel_client, "gw-help", "", phone=phone)
    screen = post_ussd(channel_client, "gw-help", "*".join(inputs), phone=phone).get_data(as_text=True)
    assert asked_codes_in_ussd(screen) == ["U2", "U3"]
    pages = []
    for extra in (["9"], ["9", "99"], ["9", "99", "99"]):
        pages.append(post_ussd(channel_client, "gw-help", "*".join(inputs + extra), phone=phone).get_data(as_text=True))
    assert any("tell the supervisor" in page for page in pages)  # U3's help
    assert any(asked_codes_in_ussd(page) == ["U2", "U3"] for page in pages)
    post_ussd(channel_client, "gw-help", "*".join(inputs + ["9", "99", "99", "21"]), phone=phone)
    with channel_app.app_context():
        screening = database.session.scalars(select(Screening).order_by(Screening.id.desc())).first()
        assert {code: screening.answer_map().get(code) for code in ("U2", "U3")} == {"U2": "no", "U3": "yes"}


KHMER_LEGEND = "1បាទ 2ទេ 3មិនដឹង 4មិនឆ្លើយ"


def test_the_yes_no_key_is_spelt_out_once_then_each_group_says_how_many_digits(channel_app, channel_client):
    """The first yes/no group of a screening ends with the whole key; once a yes/no answer
    is in, groups end with "reply N digits" alone; a wrong reply and help (9) spell it out
    again."""
    phone = next(_phones)
    make_staff(channel_app, phone, language="km")
    post_sms(channel_client, "ពិនិត្យ", phone=phone)
    _, texts = post_sms(channel_client, "1", phone=phone)  # consent: U1 comes with the case number
    _, texts = post_sms(channel_client, "2", phone=phone)
    assert asked_codes_in_sms(texts) == ["U2", "U3"]
    _, texts = post_sms(channel_client, "22", phone=phone)
    _, texts = post_sms(channel_client, "30 1 1", phone=phone)  # age, sex, nationality
    assert asked_codes_in_sms(texts) == ["exploitation_country"]
    for body in ("2", "1", "BMC 1"):  # country, sector, province and return mode
        _, texts = post_sms(channel_client, body, phone=phone)
    codes = asked_codes_in_sms(texts)
    assert len(codes) >= 3 and all(q.question(code).is_indicator for code in codes)
    last = texts[-1].split("\n")[-1]
    assert last == f"{str(len(codes)).translate(str.maketrans('0123456789', '០១២៣៤៥៦៧៨៩'))}លេខ"
    _, again = post_sms(channel_client, "12", phone=phone)
    assert KHMER_LEGEND in again[0] and asked_codes_in_sms(again) == codes
    _, helped = post_sms(channel_client, "9", phone=phone)
    assert KHMER_LEGEND in "\n".join(helped) and asked_codes_in_sms(helped) == codes
    assert all(fits_sms(text, "km") for text in texts + again + helped)


def test_the_first_yes_no_question_carries_the_whole_key(channel_app, channel_client):
    phone = next(_phones)
    make_staff(channel_app, phone, language="en")
    post_sms(channel_client, "SCREEN", phone=phone)
    _, texts = post_sms(channel_client, "1", phone=phone)
    assert asked_codes_in_sms(texts, "en") == ["U1"] and texts[-1].endswith("1 Yes 2 No 3 Unsure 4 Refused")
    _, texts = post_sms(channel_client, "2", phone=phone)
    assert asked_codes_in_sms(texts, "en") == ["U2", "U3"] and texts[-1].endswith("\nReply 2 digits")


def test_nationality_asked_with_age_and_sex_takes_a_number_or_any_code(channel_app, channel_client):
    for reply, expected in (("30 1 1", "KH"), ("៣០ ២ vn", "VN"), ("30 1 8", "unknown")):
        phone = next(_phones)
        make_staff(channel_app, phone, language="km")
        for body in ("ពិនិត្យ", "1", "2", "22"):
            _, texts = post_sms(channel_client, body, phone=phone)
        assert asked_codes_in_sms(texts) == ["age", "sex", "nationality"]
        assert "គ)សញ្ជាតិ 1កម្ពុជា 8មិនដឹង ឬកូដ ឧ. TH" in texts[-1]
        post_sms(channel_client, reply, phone=phone)
        with channel_app.app_context():
            screening = database.session.scalars(select(Screening).order_by(Screening.id.desc())).first()
            assert screening.answer_map()["nationality"] == expected, reply


def test_a_groups_help_is_lettered_alike_on_sms_and_ussd(channel_app, channel_client):
    """Help (9) on U2 and U3 asked together: each question's help, lettered as the group
    asks it, in the same words on SMS and on the USSD screens (render.help_lines)."""
    from tests.sms.conftest import post_ussd

    u3 = Q.load().question("U3").help.get("en")
    by_sms, by_ussd = next(_phones), next(_phones)
    for phone in (by_sms, by_ussd):
        make_staff(channel_app, phone, language="en")
    for body in ("SCREEN", "1", "2"):
        post_sms(channel_client, body, phone=by_sms)
    _, helped = post_sms(channel_client, "9", phone=by_sms)
    inputs = ["1", "2", "9"]  # consent, U1, then help on U2 and U3
    post_ussd(channel_client, "gw-help-alike", "", phone=by_ussd)
    pages = [post_ussd(channel_client, "gw-help-alike", "*".join(inputs + ["99"] * n), phone=by_ussd)
             .get_data(as_text=True) for n in range(3)]
    expected = f"b) {u3}"
    assert expected[:40] in " ".join(helped).replace("\n", " ")
    assert any(expected[:40] in page.replace("\n", " ") for page in pages)
