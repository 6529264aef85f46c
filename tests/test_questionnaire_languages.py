"""Languages as data (issue 16, items 3 and 5): the questionnaire file declares its
languages with a review status, carries every person-facing text in each, and the loader
rejects a file where a language is incomplete or does not match English."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

import questionnaires as Q
from questionnaires import engine
from questionnaires.loader import DEFINITIONS, DefinitionError, load_places
from questionnaires.model import RESULT_TIERS

q = Q.load(2)
RAW = yaml.safe_load((DEFINITIONS / "v2.yaml").read_text(encoding="utf-8"))
NEW = ("vi", "th", "zh-Hans", "id")


def entry(raw, code):
    return next(e for e in raw["questions"] if e["code"] == code)


def option(raw, code, value):
    return next(o for o in entry(raw, code)["options"] if str(o["value"]) == value)


def write_and_load(tmp_path: Path, raw) -> None:
    """A broken variant, written to a file the way a translator would save it."""
    path = tmp_path / "v2.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    Q.load_file(path, places=load_places())


def person_texts(questionnaire):
    """(where, Text) for every text a person reads: questions, options, answers, results."""
    for question in questionnaire.questions:
        yield question.code, question.text
        for opt in question.options:
            yield f"{question.code}[{opt.value}]", opt.label
    for value, label in questionnaire.answer_labels.items():
        yield f"answer {value}", label
    for tier, sentence in questionnaire.result_sentences.items():
        yield f"result {tier}", sentence
    if questionnaire.contact_sentence is not None:
        yield "contact", questionnaire.contact_sentence


# --- The file as it stands -------------------------------------------------------------


def test_the_file_declares_six_languages_and_the_new_ones_are_drafts():
    assert list(q.languages) == ["km", "en", "vi", "th", "zh-Hans", "id"]
    for code in NEW:
        language = q.languages[code]
        assert language.status == "draft" and language.is_draft, code
        assert language.reviewed_by is None and language.reviewed_on is None, code
    assert q.languages["en"].status == "source"
    # No native speaker's review of the Khmer is recorded: the file must not claim one.
    assert q.languages["km"].status == "draft"
    assert {code: q.languages[code].name for code in q.languages} == {
        "km": "ខ្មែរ", "en": "English", "vi": "Tiếng Việt", "th": "ไทย", "zh-Hans": "简体中文", "id": "Bahasa Indonesia",
    }


SCRIPTS = {
    "th": re.compile(r"[\u0e00-\u0e7f]"),
    "zh-Hans": re.compile(r"[\u4e00-\u9fff]"),
    "vi": re.compile(r"[ăâđêôơưàảãáạèẻẽéẹìỉĩíịòỏõóọùủũúụỳỷỹýỵ]", re.IGNORECASE),
}


@pytest.mark.parametrize("lang", NEW)
def test_every_person_facing_text_is_there_in_each_new_language_and_not_a_copy_of_english(lang):
    texts = list(person_texts(q))
    assert len(texts) > 80  # 52 questions, 27 option labels, 4 answers, 5 results
    for where, text in texts:
        assert text.has(lang), where
        translated = text.get(lang)
        assert translated != text.en and translated != text.km, f"{lang} {where}: not translated"
        if lang in SCRIPTS and len(text.en) > 12:
            assert SCRIPTS[lang].search(translated), f"{lang} {where}: not in the language's script"


def test_the_consent_and_a_result_sentence_read_in_the_persons_language():
    consent = q.question("consent")
    assert "đồng ý" in consent.text_for("vi")
    assert "ยินดี" in consent.text_for("th")
    assert "同意" in consent.text_for("zh-Hans")
    assert "setuju" in consent.text_for("id")
    assert set(q.result_sentences) == set(RESULT_TIERS)
    assert "bantuan" in q.result_sentence("possible_victim", "id")


def test_result_sentences_cover_exactly_the_engines_tiers():
    assert set(RESULT_TIERS) == set(engine.TIERS)


def test_sms_ussd_help_and_title_stay_khmer_and_english():
    for question in q.questions:
        for text in filter(None, (question.sms, question.ussd, question.help)):
            assert text.languages == ("km", "en"), question.code
    assert q.title.languages == ("km", "en")
    assert q.answer_short["yes"].languages == ("km", "en")


def test_fallback_rules():
    u1 = q.question("U1")
    # A declared language: its own text.
    assert u1.text_for("th") == u1.text.get("th") != u1.text.en
    # A language the file does not declare: the fallback given (the screener's), else English.
    assert u1.text_for("fr") == u1.text.en
    assert u1.text_for("fr", fallback="km") == u1.text.km
    # A km/en-only text asked in a person's language: the fallback, else English.
    assert u1.sms.get("vi", fallback="km") == u1.sms.km
    assert u1.sms.get("vi") == u1.sms.en
    # Khmer and English are always themselves.
    assert u1.text_for("km", fallback="en") == u1.text.km
    assert u1.text_for("en", fallback="km") == u1.text.en


def test_version_1_stays_valid_with_khmer_and_english_only():
    v1 = Q.load(1)
    assert list(v1.languages) == ["km", "en"]
    assert v1.result_sentences == {}
    question = v1.question("U1")
    assert question.text_for("vi") == question.text.en
    assert question.text_for("vi", fallback="km") == question.text.km


# --- Broken files ------------------------------------------------------------------------

BROKEN = [
    (
        "question without its Vietnamese text",
        lambda raw: entry(raw, "M9")["text"].pop("vi"),
        "v2.yaml: question 'M9': missing Vietnamese text in 'text' (text.vi)",
    ),
    (
        "empty Thai consent",
        lambda raw: entry(raw, "consent")["text"].update(th="  "),
        "v2.yaml: question 'consent': missing Thai text in 'text' (text.th)",
    ),
    (
        "option set differs: Thai labels only some options",
        lambda raw: option(raw, "sex", "other")["label"].pop("th"),
        "v2.yaml: question 'sex': options: the options differ between languages: Thai (th) labels 3 of 4 options (missing 'other')",
    ),
    (
        "no Indonesian label on any option",
        lambda raw: [o["label"].pop("id") for o in entry(raw, "return_mode")["options"]],
        "v2.yaml: question 'return_mode': missing Indonesian text in 'label' (options[deported].label.id)",
    ),
    (
        "extra value without its Chinese label",
        lambda raw: entry(raw, "nationality")["extra"][0]["label"].pop("zh-Hans"),
        "v2.yaml: question 'nationality': missing Chinese (Simplified) text in 'label' (extra[unknown].label.zh-Hans)",
    ),
    (
        "two options read the same in one language",
        lambda raw: option(raw, "sector", "other")["label"].update(vi="Không có / không làm việc"),
        "v2.yaml: question 'sector': options[other].label.vi: two options read the same in Vietnamese (vi)",
    ),
    (
        "answer button without its Thai label",
        lambda raw: raw["answer_labels"]["refused"]["label"].pop("th"),
        "v2.yaml: missing Thai text in 'label' (answer_labels.refused.label.th)",
    ),
    (
        "result sentence without its Chinese text",
        lambda raw: raw["result_sentences"]["likely_victim"].pop("zh-Hans"),
        "v2.yaml: missing Chinese (Simplified) text in 'likely_victim' (result_sentences.likely_victim.zh-Hans)",
    ),
    (
        "a tier without a result sentence",
        lambda raw: raw["result_sentences"].pop("exploited_migrant"),
        "v2.yaml: 'result_sentences' must have exactly the tiers",
    ),
    (
        "placeholder dropped by a translation",
        lambda raw: entry(raw, "U2")["text"].update(
            en="Are you injured or ill, {name}?", km="តើអ្នកមានរបួស {name}?", vi="Bạn có bị thương không?",
            th="คุณบาดเจ็บไหม {name}", **{"zh-Hans": "你受伤了吗，{name}？"}, id="Apakah Anda terluka, {name}?",
        ),
        "v2.yaml: question 'U2': text.vi: placeholders none differ from English's {name}",
    ),
    (
        "placeholder added by a translation",
        lambda raw: raw["result_sentences"]["not_indicated"].update(id="Terima kasih, %(n)s."),
        "v2.yaml: result_sentences.not_indicated.id: placeholders %(n)s differ from English's none",
    ),
    (
        "placeholder renamed by a translation",
        lambda raw: option(raw, "sex", "male")["label"].update(
            en="Male {n}", km="ប្រុស {n}", vi="Nam {n}", th="ชาย {n}", **{"zh-Hans": "男 {n}"}, id="Laki-laki {count}"
        ),
        "v2.yaml: question 'sex': options[male].label.id: placeholders {count} differ from English's {n}",
    ),
    (
        "text in an undeclared language",
        lambda raw: entry(raw, "U1")["text"].update(fr="Êtes-vous en danger ?"),
        "v2.yaml: question 'U1': text.fr: language 'fr' is not declared in 'languages'",
    ),
    (
        "a language removed from the declaration but left in the texts",
        lambda raw: raw["languages"].pop("th"),
        "v2.yaml: answer_labels.yes.label.th: language 'th' is not declared in 'languages'",
    ),
    (
        "an SMS text in a person's language",
        lambda raw: entry(raw, "U1")["sms"].update(vi="Bạn đang gặp nguy hiểm?"),
        "v2.yaml: question 'U1': sms.vi: 'sms' is a Khmer and English text",
    ),
    (
        "a help text in a person's language",
        lambda raw: entry(raw, "U3")["help"].update(th="ถ้าตอบว่าใช่"),
        "v2.yaml: question 'U3': help.th: 'help' is a Khmer and English text",
    ),
    (
        "no languages block",
        lambda raw: raw.pop("languages"),
        "v2.yaml: 'languages' is missing",
    ),
    (
        "Khmer not declared",
        lambda raw: raw["languages"].pop("km"),
        "v2.yaml: languages.km: Khmer and English must be declared",
    ),
    (
        "not a language code",
        lambda raw: raw["languages"].update({"vietnamese": {"name": "Tiếng Việt", "status": "draft"}}),
        "v2.yaml: languages.vietnamese: 'vietnamese' is not a BCP-47 language code",
    ),
    (
        "unknown status",
        lambda raw: raw["languages"]["vi"].update(status="checked"),
        "v2.yaml: languages.vi.status: 'checked' is not one of source, reviewed, draft",
    ),
    (
        "reviewed without saying who",
        lambda raw: raw["languages"]["th"].update(status="reviewed", reviewed_on="2026-11-30"),
        "v2.yaml: languages.th.reviewed_by: a reviewed language says who reviewed it",
    ),
    (
        "reviewed without a date",
        lambda raw: raw["languages"]["th"].update(status="reviewed", reviewed_by="Reviewer A", reviewed_on="last week"),
        "v2.yaml: languages.th.reviewed_on: a date (YYYY-MM-DD) is needed",
    ),
    (
        "a draft that names a reviewer",
        lambda raw: raw["languages"]["id"].update(reviewed_by="Reviewer B"),
        "v2.yaml: languages.id: status draft has no reviewer",
    ),
    (
        "a language without its name",
        lambda raw: raw["languages"]["zh-Hans"].pop("name"),
        "v2.yaml: languages.zh-Hans.name: missing",
    ),
]


@pytest.mark.parametrize("case,breaker,message", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_translation_rejected_naming_file_question_and_field(tmp_path, case, breaker, message):
    raw = copy.deepcopy(RAW)
    breaker(raw)
    with pytest.raises(DefinitionError) as error:
        write_and_load(tmp_path, raw)
    assert message in str(error.value)


def test_a_reviewed_language_keeps_who_and_when(tmp_path):
    raw = copy.deepcopy(RAW)
    raw["languages"]["vi"] = {"name": "Tiếng Việt", "status": "reviewed", "reviewed_by": "Reviewer C", "reviewed_on": "2026-12-01"}
    path = tmp_path / "v2.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    language = Q.load_file(path, places=load_places()).languages["vi"]
    assert (language.status, language.reviewed_by, language.reviewed_on, language.is_draft) == (
        "reviewed", "Reviewer C", "2026-12-01", False,
    )


def test_adding_a_language_is_a_data_change(tmp_path):
    """README "Adding a language": declare it, give every person-facing text, and it loads."""
    raw = copy.deepcopy(RAW)
    raw["languages"]["my"] = {"name": "မြန်မာ", "status": "draft"}
    marker = "[my] "

    def add(text):
        text["my"] = marker + text["en"]

    for value in raw["answer_labels"].values():
        add(value["label"])
    for sentence in raw["result_sentences"].values():
        add(sentence)
    add(raw["contact_sentence"])
    for question in raw["questions"]:
        add(question["text"])
        for opt in question.get("options", []) + question.get("extra", []):
            add(opt["label"])
    path = tmp_path / "v2.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    loaded = Q.load_file(path, places=load_places())
    assert loaded.languages["my"].is_draft
    assert loaded.question("M9").text_for("my") == marker + q.question("M9").text.en
    assert loaded.question("sector").options[0].label.get("my").startswith(marker)
    # Forgetting one text is caught, naming where.
    raw["questions"][5]["text"].pop("my")
    with pytest.raises(DefinitionError, match=rf"question '{raw['questions'][5]['code']}': missing Burmese text"):
        write_and_load(tmp_path, raw)


def test_the_contact_sentence_needs_every_language_and_its_two_placeholders(tmp_path):
    assert q.contact_sentence is not None and "{phone}" in q.contact_sentence.get("zh-Hans")
    raw = copy.deepcopy(RAW)
    del raw["contact_sentence"]["th"]
    with pytest.raises(DefinitionError, match=r"missing Thai text in 'contact_sentence'"):
        write_and_load(tmp_path, raw)
    raw = copy.deepcopy(RAW)
    raw["contact_sentence"] = {lang: text.replace(": {phone}", "").replace("：{phone}", "").replace(" ได้ที่ {phone}", "")
                               .replace("៖ {phone}", "") for lang, text in raw["contact_sentence"].items()}
    with pytest.raises(DefinitionError, match=r"contact_sentence.en: must have the placeholders"):
        write_and_load(tmp_path, raw)
