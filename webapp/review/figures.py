"""Figures for decision-makers, and the de-identified aggregate export.

Counts are made in Python over the screenings of a scope: the volumes here (thousands of
screenings a month) make that simple and fast enough, and it keeps one definition of each
category for the dashboard and the exports.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select

from ..extensions import db
from ..referrals.models import Referral, ReferralEvent
from ..screening.models import Screening

SUPPRESS_BELOW = 11
BROAD_AGE_BANDS = ((0, 17, "0-17"), (18, 29, "18-29"), (30, 49, "30-49"), (50, 200, "50+"))
AGE_BANDS = ((0, 11, "0-11"), (12, 17, "12-17"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 49, "35-49"), (50, 200, "50+"))
# Forms of exploitation on the CTDC pattern, from the sector and the purpose indicators.
FORMS = {
    "P5": "sexual_exploitation", "P6": "forced_criminality", "P8": "forced_marriage", "P9": "forced_begging",
}
SECTOR_FORMS = {"sex_entertainment": "sexual_exploitation", "marriage": "forced_marriage", "begging": "forced_begging",
                "scam_online": "forced_criminality"}
# Means-of-control flags on the CTDC pattern, from the means indicators.
CONTROLS = {
    "M5": "abduction_or_force", "M7": "physical_or_sexual_abuse", "M8": "restricted_movement",
    "M9": "documents_withheld", "M10": "debt_bondage", "M6": "debt_bondage", "M11": "threats", "M12": "threats",
    "M13": "earnings_withheld", "M14": "isolation", "M1": "false_promises", "M15": "exploits_vulnerability",
}
VICTIM_TIERS = ("likely_victim", "possible_victim")


def band(age, bands) -> str:
    if not isinstance(age, int):
        return "unknown"
    return next(label for low, high, label in bands if low <= age <= high)


def final_tier(s: Screening) -> str:
    return s.confirmed_tier or s.tier


def forms_of(answers: dict) -> set[str]:
    forms = {form for code, form in FORMS.items() if answers.get(code) == "yes"}
    sector = answers.get("sector")
    if sector in SECTOR_FORMS:
        forms.add(SECTOR_FORMS[sector])
    if not forms and sector not in (None, "none"):
        forms.add("forced_labour")
    return forms


def controls_of(answers: dict) -> set[str]:
    return {control for code, control in CONTROLS.items() if answers.get(code) == "yes"}


def trafficking_type(s: Screening) -> str:
    return next((f for f in (s.flags or []) if f in ("internal", "outflow", "inflow")), "unknown")


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

    answers = {s.id: s.answer_map() for s in screenings}
    figures = [
        Figure("month", count(s.created_at.strftime("%Y-%m") for s in screenings)),
        Figure("week", count(s.created_at.strftime("%G-W%V") for s in screenings)[-12:]),
        Figure("tier", count(s.tier for s in screenings)),
        Figure("confirmed_tier", count(s.confirmed_tier for s in screenings if s.confirmed_tier)),
        Figure("channel", count(s.channel for s in screenings)),
        Figure("post", count(s.post_code for s in screenings if s.post_code)),
        Figure("province", count(s.case_province for s in screenings)),
        Figure("sex", count(answers[s.id].get("sex", "unknown") for s in screenings)),
        Figure("age_band", count(band(answers[s.id].get("age"), AGE_BANDS) for s in screenings)),
        Figure("sector", count(answers[s.id].get("sector", "unknown") for s in screenings)),
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


def aggregate(screenings: list[Screening]) -> list[dict]:
    """Counts of likely and possible victims (confirmed tier where there is one) by year and
    one dimension at a time, every count under 11 suppressed, plus one more in a group
    where a single suppressed cell could be worked out from the others."""
    cells: Counter = Counter()
    for s in screenings:
        if final_tier(s) not in VICTIM_TIERS:
            continue
        answers = s.answer_map()
        year = str(s.created_at.year)
        cells[(year, "total", "victims")] += 1
        cells[(year, "tier", final_tier(s))] += 1
        cells[(year, "age_band", band(answers.get("age"), BROAD_AGE_BANDS))] += 1
        cells[(year, "sex", answers.get("sex", "unknown"))] += 1
        cells[(year, "citizenship", answers.get("nationality", "unknown"))] += 1
        cells[(year, "country_of_exploitation", answers.get("exploitation_country", "unknown"))] += 1
        cells[(year, "province_of_origin", answers.get("home_province", "unknown"))] += 1
        for form in forms_of(answers):
            cells[(year, "form_of_exploitation", form)] += 1
        for control in controls_of(answers):
            cells[(year, "means_of_control", control)] += 1
    rows = [dict(year=y, dimension=d, category=c, count=n, suppressed=n < SUPPRESS_BELOW)
            for (y, d, c), n in sorted(cells.items())]
    # Secondary suppression: in a group whose categories add up to the published total
    # (one category per person), one hidden cell is the total minus the others.
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        if row["dimension"] in ("tier", "age_band", "sex", "citizenship", "country_of_exploitation", "province_of_origin"):
            groups.setdefault((row["year"], row["dimension"]), []).append(row)
    for group in groups.values():
        hidden = [r for r in group if r["suppressed"]]
        shown = sorted((r for r in group if not r["suppressed"]), key=lambda r: r["count"])
        if len(hidden) == 1 and shown:
            shown[0]["suppressed"] = True
    for row in rows:
        if row["suppressed"]:
            row["count"] = None
    return rows
