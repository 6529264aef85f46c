"""Figures for decision-makers, and the de-identified aggregate export.

Counts are made in Python over the screenings of a scope: the volumes here (thousands of
screenings a month) make that simple and fast enough, and it keeps one definition of each
category for the dashboard and the exports.

Every answer is read through the tags of the questionnaire version that judged the
screening (questionnaires.meaning), never through a question code: screenings of version 1
and version 2 count together by category.
"""
from __future__ import annotations

import io
import json
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

import questionnaires
from questionnaires import meaning

from ..core import csvsafe
from ..extensions import db
from ..referrals.models import Referral, ReferralEvent
from ..screening.models import Screening

SUPPRESS_BELOW = 11
BROAD_AGE_BANDS = ((0, 17, "0-17"), (18, 29, "18-29"), (30, 49, "30-49"), (50, 200, "50+"))
AGE_BANDS = ((0, 11, "0-11"), (12, 17, "12-17"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 49, "35-49"), (50, 200, "50+"))
VICTIM_TIERS = ("likely_victim", "possible_victim")


def band(age, bands) -> str:
    if not isinstance(age, int):
        return "unknown"
    return next(label for low, high, label in bands if low <= age <= high)


class Read:
    """One screening's answers, read through its own questionnaire version's tags."""

    def __init__(self, s: Screening):
        self.q = questionnaires.load(s.questionnaire_version)
        self.answers = s.answer_map()

    def profile(self, role: str, default="unknown"):
        return meaning.profile(self.q, self.answers, role, default)

    def forms(self) -> set[str]:
        return meaning.forms_of_exploitation(self.q, self.answers)

    def controls(self) -> set[str]:
        return meaning.means_of_control(self.q, self.answers)


def trafficking_type(s: Screening) -> str:
    return next((f for f in (s.flags or []) if f in ("internal", "outflow", "inflow")), "unknown")


def person_language(s: Screening) -> str:
    """The language of the person's texts; "unknown" for screenings from before it was kept."""
    return s.person_language or "unknown"


def screenings_in(scope_clause) -> list[Screening]:
    return list(db.session.scalars(select(Screening).where(
        scope_clause, Screening.status == "complete", Screening.training.is_(False)).order_by(Screening.created_at)))


@dataclass
class Figure:
    key: str
    rows: list[tuple[str, int]]


def dashboard(screenings: list[Screening]) -> list[Figure]:
    def count(values: Iterable[str]) -> list[tuple[str, int]]:
        return sorted(Counter(values).items())

    read = {s.id: Read(s) for s in screenings}
    figures = [
        Figure("month", count(s.created_at.strftime("%Y-%m") for s in screenings)),
        Figure("week", count(s.created_at.strftime("%G-W%V") for s in screenings)[-12:]),
        Figure("tier", count(s.tier for s in screenings)),
        Figure("confirmed_tier", count(s.confirmed_tier for s in screenings if s.confirmed_tier)),
        Figure("channel", count(s.channel for s in screenings)),
        Figure("person_language", count(person_language(s) for s in screenings)),
        Figure("post", count(s.post_code for s in screenings if s.post_code)),
        Figure("province", count(s.case_province for s in screenings)),
        Figure("sex", count(read[s.id].profile("sex") for s in screenings)),
        Figure("age_band", count(band(read[s.id].profile("age", None), AGE_BANDS) for s in screenings)),
        Figure("sector", count(read[s.id].profile("sector") for s in screenings)),
        Figure("return_mode", count(read[s.id].profile("return_mode") for s in screenings)),
        Figure("trafficking_type", count(trafficking_type(s) for s in screenings)),
    ]
    figures.append(Figure("referral_outcome", referral_outcomes([s.id for s in screenings])))
    return figures


def referral_outcomes(screening_ids: list[int]) -> list[tuple[str, int]]:
    if not screening_ids:
        return []
    referrals = db.session.scalars(select(Referral).where(Referral.screening_id.in_(screening_ids))).all()
    return sorted(Counter(r.state for r in referrals).items())


def median_hours_to_answer(screening_ids: list[int]) -> float | None:
    """From notifying a service to its answer (accepted or declined)."""
    if not screening_ids:
        return None
    events = db.session.scalars(select(ReferralEvent).join(Referral).where(
        Referral.screening_id.in_(screening_ids)).order_by(ReferralEvent.id)).all()
    sent: dict[int, object] = {}
    waits = []
    for event in events:
        if event.to_state == "notified":
            sent[event.referral_id] = event.at
        elif event.to_state in ("accepted", "declined") and event.referral_id in sent:
            waits.append((event.at - sent[event.referral_id]).total_seconds() / 3600)
    return round(statistics.median(waits), 1) if waits else None


# --- the de-identified aggregate export ------------------------------------------------------

AGGREGATE_FIELDS = ("year", "dimension", "category", "count", "suppressed")
# Dimensions with exactly one category per person (their cells add up to the total).
ONE_PER_PERSON = ("tier", "age_band", "sex", "citizenship", "country_of_exploitation", "province_of_origin",
                  "return_mode", "person_language")


def aggregate(screenings: list[Screening]) -> list[dict]:
    """Counts of likely and possible victims (confirmed tier where there is one) by year and
    one dimension at a time, every count under 11 suppressed, plus one more in a group
    where a single suppressed cell could be worked out from the others."""
    cells: Counter = Counter()
    for s in screenings:
        if s.final_tier not in VICTIM_TIERS:
            continue
        read = Read(s)
        year = str(s.created_at.year)
        cells[(year, "total", "victims")] += 1
        cells[(year, "tier", s.final_tier)] += 1
        cells[(year, "age_band", band(read.profile("age", None), BROAD_AGE_BANDS))] += 1
        cells[(year, "sex", read.profile("sex"))] += 1
        cells[(year, "citizenship", read.profile("nationality"))] += 1
        cells[(year, "country_of_exploitation", read.profile("exploitation_country"))] += 1
        cells[(year, "province_of_origin", read.profile("home_province"))] += 1
        cells[(year, "return_mode", read.profile("return_mode"))] += 1
        cells[(year, "person_language", person_language(s))] += 1
        for form in read.forms():
            cells[(year, "form_of_exploitation", form)] += 1
        for control in read.controls():
            cells[(year, "means_of_control", control)] += 1
    rows = [dict(year=y, dimension=d, category=c, count=n, suppressed=n < SUPPRESS_BELOW)
            for (y, d, c), n in sorted(cells.items())]
    # Secondary suppression: in a group whose categories add up to the published total
    # (one category per person), the hidden cells together are the total minus the others.
    # That sum must reach the threshold too: one hidden cell alone is the difference itself,
    # and two hidden cells that add up to 2 are 1 each (a listed cell is never 0).
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        if row["dimension"] in ONE_PER_PERSON:
            groups.setdefault((row["year"], row["dimension"]), []).append(row)
    for group in groups.values():
        hidden = [r for r in group if r["suppressed"]]
        shown = sorted((r for r in group if not r["suppressed"]), key=lambda r: r["count"])
        while hidden and shown and sum(r["count"] for r in hidden) < SUPPRESS_BELOW:
            cell = shown.pop(0)
            cell["suppressed"] = True
            hidden.append(cell)
    for row in rows:
        if row["suppressed"]:
            row["count"] = None
    return rows


def render_aggregate(rows: list[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"suppressed_below": SUPPRESS_BELOW, "rows": rows}, indent=1)
    out = io.StringIO()
    writer = csvsafe.dict_writer(out, fieldnames=AGGREGATE_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        # Every hidden cell looks the same: "<11" would be false for a cell hidden only so
        # that another cannot be worked out, and telling the two apart narrows both.
        writer.writerow({**row, "count": "" if row["suppressed"] else row["count"],
                         "suppressed": "yes" if row["suppressed"] else "no"})
    return out.getvalue()


def screenings_csv(screenings: list[Screening]) -> str:
    """Every screening with its answers: one column per question code of every version, in
    asking order (version 2 adds questions to version 1's)."""
    codes: list[str] = []
    for version in questionnaires.available_versions():
        codes += [question.code for question in questionnaires.load(version).questions if question.code not in codes]
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(["case_number", "created", "channel", "person_language", "post", "province", "tier",
                     "confirmed_tier", "flags", "questionnaire_version", *codes])
    for s in screenings:
        answers = s.answer_map()
        writer.writerow([s.case_number, s.created_at.date().isoformat(), s.channel, s.person_language or "", s.post_code or "",
                         s.case_province, s.tier, s.confirmed_tier or "", ";".join(s.flags or []),
                         s.questionnaire_version, *[answers.get(code, "") for code in codes]])
    return out.getvalue()
