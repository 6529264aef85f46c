"""The questionnaire file: validation of broken files, text budgets, the spec's contents."""
from __future__ import annotations

import ast
import copy
from pathlib import Path

import pytest
import yaml

import questionnaires as Q
from questionnaires.budgets import cost, gsm7_length, ucs2_units
from questionnaires.loader import DEFINITIONS, DefinitionError, load_places, parse

ROOT = Path(__file__).resolve().parent.parent
q = Q.load()
RAW = yaml.safe_load((DEFINITIONS / f"v{q.version}.yaml").read_text(encoding="utf-8"))

def question_entry(raw, code):
    return next(entry for entry in raw["questions"] if entry["code"] == code)


BROKEN = [
    ("unknown element", lambda raw: question_entry(raw, "M1").update(element="meanz"), "'M1': unknown element 'meanz'"),
    ("missing Khmer text", lambda raw: question_entry(raw, "P3")["text"].pop("km"), "'P3': missing Khmer text in 'text'"),
    ("empty English sms", lambda raw: question_entry(raw, "A2")["sms"].update(en="  "), "'A2': missing English text in 'sms'"),
    ("duplicate code", lambda raw: raw["questions"].append(copy.deepcopy(question_entry(raw, "A1"))), "'A1': duplicate code"),
    ("condition on unknown code", lambda raw: question_entry(raw, "C2").update(when={"answer": "Q99", "equals": "yes"}), "'C2': condition: names unknown or later code 'Q99'"),
    ("condition on a later code", lambda raw: question_entry(raw, "U1").update(when={"answer": "A1", "equals": "yes"}), "'U1': condition: names unknown or later code 'A1'"),
    ("unknown strength", lambda raw: question_entry(raw, "M2").update(strength="XL"), "'M2': element means needs a strength"),
    ("unknown type", lambda raw: question_entry(raw, "sex").update(type="dropdown"), "'sex': unknown type 'dropdown'"),
    ("red flag not a code", lambda raw: raw["scoring"]["red_flags"].append("M99"), "red flag 'M99' is not a question code"),
    ("consent not first", lambda raw: raw["questions"].insert(0, raw["questions"].pop(1)), "the first question must be 'consent'"),
    ("version mismatch", lambda raw: raw.update(version=7), f"'version' is 7 but the file name says {q.version}"),
    ("bad thresholds", lambda raw: raw["scoring"].update(thresholds={"met": 1, "partial": 4}), "thresholds"),
    # Tags: what a question means to figures, referrals, exports and linkage.
    ("question without tags", lambda raw: question_entry(raw, "A1").pop("tags"), "'A1': tags: missing"),
    ("means without its category", lambda raw: question_entry(raw, "M9")["tags"].pop("control"), "'M9': tags.control: missing tag"),
    ("purpose without its form", lambda raw: question_entry(raw, "P10")["tags"].pop("form"), "'P10': tags.form: missing tag"),
    ("profile without its role", lambda raw: question_entry(raw, "home_province")["tags"].pop("role"), "'home_province': tags.role: missing tag"),
    ("urgent without its flag", lambda raw: question_entry(raw, "U3")["tags"].pop("flag"), "'U3': tags.flag: missing tag"),
    ("sector option without its form", lambda raw: question_entry(raw, "sector")["options"][0].pop("tags"), "'sector': option 'fishing': tags.form: missing tag"),
    ("unknown means category", lambda raw: question_entry(raw, "M9")["tags"].update(control="passport_kept"), "'M9': tags.control: unknown category 'passport_kept'"),
    ("unknown form category", lambda raw: question_entry(raw, "sector")["options"][0]["tags"].update(form="slavery"), "'sector': option 'fishing': tags.form: unknown category 'slavery'"),
    ("unknown flag", lambda raw: question_entry(raw, "U3")["tags"].update(flag="afraid"), "'U3': tags.flag: unknown category 'afraid'"),
    ("unknown need", lambda raw: question_entry(raw, "U2")["tags"].update(need="doctor"), "'U2': tags.need: unknown category 'doctor'"),
    ("two questions in one role", lambda raw: question_entry(raw, "nationality")["tags"].update(role="sex"), "more than one question has tags.role 'sex'"),
    ("Khmer SMS over budget", lambda raw: question_entry(raw, "P1")["sms"].update(km="ក" * 135), "'P1': sms.km: 135 UTF-16 units, over the budget of 134"),
    ("Khmer SMS with a cluster across the parts", lambda raw: question_entry(raw, "P1")["sms"].update(km="ក" * 66 + "ក់" + "ក" * 66), "'P1': sms.km: 134 UTF-16 units but 3 segments"),
    ("Khmer USSD over budget", lambda raw: question_entry(raw, "C7")["ussd"].update(km="ក" * 81), "'C7': ussd.km: 81 UTF-16 units, over the budget of 80"),
    ("English SMS over budget", lambda raw: question_entry(raw, "M10")["sms"].update(en="a" * 161), "'M10': sms.en: 161 GSM-7 characters, over the budget of 160"),
    ("English USSD not GSM-7", lambda raw: question_entry(raw, "U3")["ussd"].update(en="Afraid — to go back?"), "'U3': ussd.en: uses '—', which is not a GSM-7 character"),
]


@pytest.mark.parametrize("case,breaker,message", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_questionnaire_rejected_with_useful_message(case, breaker, message):
    raw = copy.deepcopy(RAW)
    breaker(raw)
    with pytest.raises(DefinitionError) as error:
        parse(raw, source=f"v{q.version}.yaml", places=load_places())
    assert str(error.value).startswith(f"v{q.version}.yaml")
    assert message in str(error.value)


def test_a_version_1_file_may_do_without_tags():
    raw = yaml.safe_load((DEFINITIONS / "v1.yaml").read_text(encoding="utf-8"))
    for entry in raw["questions"]:
        entry.pop("tags", None)
        for option in entry.get("options", []):
            option.pop("tags", None)
    assert parse(raw, source="v1.yaml", places=load_places()).version == 1


def test_invalid_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "v1.yaml"
    path.write_text("version: 1\nquestions: [\n  - code: x\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"v1.yaml: not valid YAML at line \d"):
        Q.load_file(path)


def test_every_code_of_the_spec_is_present_with_its_weight():
    spec = (ROOT.parent / "shared" / "spec" / "checklist.md").read_text(encoding="utf-8")
    rows = [line for line in spec.splitlines() if line.startswith("| `")]
    weights = {"S": 4, "M": 2, "W": 1}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        code = cells[0].strip("`")
        assert q.has(code), code
        if cells[-1] in weights:
            question = q.question(code)
            assert q.weight(question.strength) == weights[cells[-1]], code


def test_weights_thresholds_and_red_flags_live_in_the_file():
    assert RAW["scoring"]["strengths"] == {"S": 4, "M": 2, "W": 1}
    assert RAW["scoring"]["thresholds"] == {"met": 4, "partial": 1}
    assert set(RAW["scoring"]["red_flags"]) == {"A4", "C4", "C7", "M7", "M8", "M9", "M10", "P5", "P6", "P8", "P9", "P10"}
    assert Q.load(1).scoring.red_flags == {"A4", "C4", "M7", "M8", "M9", "M10", "P5", "P6", "P8", "P9"}


def test_every_text_is_written_in_both_languages():
    for question in q.questions:
        for text in (question.text, question.sms, question.ussd):
            assert "TODO" not in text.km + text.en, question.code
            assert any("\u1780" <= ch <= "\u17ff" for ch in text.km), f"{question.code}: Khmer text has no Khmer"


@pytest.mark.parametrize("question", q.questions, ids=lambda question: question.code)
def test_sms_texts_fit_their_budget(question):
    assert ucs2_units(question.sms.km) <= 134, f"{question.code} Khmer SMS is {ucs2_units(question.sms.km)} units"
    assert cost(question.sms.km).segments <= 2, f"{question.code} Khmer SMS takes {cost(question.sms.km)}"
    length = gsm7_length(question.sms.en)
    assert length is not None, f"{question.code} English SMS text is not GSM-7"
    assert length <= 160


@pytest.mark.parametrize("question", q.questions, ids=lambda question: question.code)
def test_ussd_labels_fit_their_budget(question):
    assert ucs2_units(question.ussd.km) <= 80
    length = gsm7_length(question.ussd.en)
    assert length is not None and length <= 182


def test_places_have_the_25_provinces():
    places = load_places()
    assert len(places.provinces) == 25
    assert {p.iso for p in places.provinces} == {f"KH-{n}" for n in range(1, 26)}
    assert places.crossing("POIPET").province == "BMC"
    assert places.sources


FORBIDDEN_IMPORTS = ("flask", "sqlalchemy", "twilio", "webapp", "sms", "werkzeug", "jinja2", "flask_babel")


def test_questionnaires_imports_nothing_of_flask_sqlalchemy_twilio_or_ours():
    for path in (ROOT / "questionnaires").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN_IMPORTS, f"{path.name} imports {name}"


def test_questionnaires_runs_in_a_process_without_flask():
    """Import the engine with Flask and friends made unimportable: it still scores."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for name in ('flask', 'sqlalchemy', 'twilio', 'webapp', 'sms'):\n"
        "    sys.modules[name] = None\n"
        "import questionnaires as Q\n"
        "q = Q.load()\n"
        "print(Q.score(q, {'consent': 'yes', 'age': 12, 'C2': 'yes'}).tier)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "possible_victim"
