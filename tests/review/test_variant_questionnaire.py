"""The questionnaire file gives questions their meaning: a variant of version 2 whose
question codes are all renamed gives the same figures, exports, referral needs and linkage
keys as the real one, because the app reads tags, not codes."""
from __future__ import annotations

import shutil

import yaml
from sqlalchemy import select

import questionnaires
from questionnaires import loader
from tests.conftest import empty_tables
from tests.web import make_user
from webapp.auth.models import User
from webapp.extensions import db as database
from webapp.figures import operations as figures
from webapp.referrals.models import Referral
from webapp.screening import operations
from webapp.screening.models import Answer, Screening

KEEP = {"consent", "age", "age_maybe_minor"}  # codes the engine itself needs


def renamed_v2(directory):
    """v2.yaml with every other code renamed (Q01, Q02, ...), everywhere it is named."""
    raw = yaml.safe_load((loader.DEFINITIONS / "v2.yaml").read_text(encoding="utf-8"))
    codes = [entry["code"] for entry in raw["questions"]]
    rename = {code: code if code in KEEP else f"Q{i:02d}" for i, code in enumerate(codes)}

    def walk(condition):
        if isinstance(condition, dict):
            for key, value in condition.items():
                if key == "answer":
                    condition[key] = rename[value]
                else:
                    walk(value)
        elif isinstance(condition, list):
            for part in condition:
                walk(part)

    for entry in raw["questions"]:
        entry["code"] = rename[entry["code"]]
        walk(entry.get("when"))
    scoring = raw["scoring"]
    scoring["red_flags"] = [rename[c] for c in scoring["red_flags"]]
    rule = scoring["forced_labour"]
    rule["work"] = rename[rule["work"]]
    for name in ("involuntariness", "penalty"):
        rule[name] = [rename[c] for c in rule[name]]
    (directory / "v2.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for name in ("v1.yaml", "places.yaml"):
        shutil.copy(loader.DEFINITIONS / name, directory / name)
    return rename


# One person screened with version 1, then (as 12 people) with version 2: sold between scam
# compounds, locked in, passport kept, injured, afraid to go home, rescued.
V2_CASE = {
    "U1": "no", "U2": "yes", "U3": "yes", "age": 24, "sex": "male", "nationality": "KH",
    "exploitation_country": "MM", "sector": "scam_online", "home_province": "KDL", "return_mode": "rescued",
    "A1": "yes", "A2": "yes", "A4": "yes", "M1": "yes", "M8": "yes", "M9": "yes", "P6": "yes", "P10": "no",
}
V1_CASE = {
    "U1": "no", "U2": "no", "age": 24, "sex": "male", "nationality": "KH", "exploitation_country": "TH",
    "sector": "fishing", "home_province": "KDL", "A1": "yes", "M9": "yes", "P1": "yes",
}


def screen(user, version, answers, rename):
    q = questionnaires.load(version)
    full = {code: "no" for code in q.codes if code != "consent"}
    full.update({(rename.get(c, c) if version == 2 else c): v for c, v in answers.items()})
    screening = operations.start_screening(screener=user, channel="web", version=version,
                                           context=operations.Context(kind="post", post_code="POIPET"))
    screening.initials = "SV"
    kept = questionnaires.effective_answers(q, {"consent": "yes", **full})
    screening.answers.extend(Answer(code=c, value=str(v), channel="web") for c, v in kept.items() if c != "consent")
    database.session.flush()
    operations.finish(screening)
    return screening


def outcome(app, rename):
    with app.app_context():
        user = database.session.scalar(select(User))
        screen(user, 1, V1_CASE, rename)
        for _ in range(12):
            screen(user, 2, V2_CASE, rename)
        database.session.commit()
        screenings = figures.screenings_in(Screening.id.is_not(None))
        needs = sorted((s.questionnaire_version, r.need) for s in screenings
                       for r in database.session.scalars(select(Referral).where(Referral.screening_id == s.id)))
        return {
            "aggregate": figures.aggregate(screenings),
            "dashboard": [(f.key, f.rows) for f in figures.dashboard(screenings)],
            "needs": needs,
            "results": sorted((s.questionnaire_version, s.tier, tuple(s.flags)) for s in screenings),
            "linkage": sorted((s.questionnaire_version, s.linkage_key) for s in screenings),
        }


def test_renamed_codes_change_no_figure_export_referral_or_linkage(app, db, tmp_path, definitions):
    make_user(app, "border")
    real = outcome(app, {})
    with app.app_context():
        empty_tables(database)
    make_user(app, "border")
    rename = renamed_v2(tmp_path)
    definitions(tmp_path)
    assert not questionnaires.load(2).has("M9") and questionnaires.load(2).has(rename["M9"])
    variant = outcome(app, rename)
    assert variant == real
    # And the real outcome is the right one, by category, for both versions together.
    rows = {(r["dimension"], r["category"]): r["count"] for r in real["aggregate"]}
    assert rows[("means_of_control", "documents_withheld")] == 13  # M9: one v1 and twelve v2 screenings
    assert rows[("means_of_control", "restricted_movement")] == 12
    assert rows[("form_of_exploitation", "forced_criminality")] == 12
    # Version 1 has no return_mode: its screening counts as unknown; a lone small cell
    # hides its neighbour too (secondary suppression).
    assert rows[("return_mode", "rescued")] is None and rows[("return_mode", "unknown")] is None
    assert ("return_mode", [("rescued", 12), ("unknown", 1)]) in real["dashboard"]
    assert rows[("sex", "male")] == 13 and rows[("province_of_origin", "KDL")] == 13
    assert ("sector", [("fishing", 1), ("scam_online", 12)]) in real["dashboard"]
    assert real["needs"].count((2, "medical")) == 12 and (1, "medical") not in real["needs"]
    assert all("fear_of_return" in flags and "forced_labour" in flags for v, _, flags in real["results"] if v == 2)
    keys = {key for _, key in real["linkage"]}
    assert len(keys) == 1 and None not in keys  # one person across both versions
