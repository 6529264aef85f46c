"""Referral matching: which needs a result creates, and which registered service should
take this person. Plain Python (no Flask, no SQLAlchemy), so it is easy to test and the
web, SMS and CLI share it.
"""
from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..core.geo import great_circle_km

SERVICE_TYPES = (
    "shelter", "transit_centre", "child_protection", "medical", "psychosocial",
    "legal_aid", "repatriation", "labour_rights", "registration",
    # Information only, never a referral: for anyone screened, to use later.
    "safe_migration", "hotline",
)

SEXES = ("female", "male", "other")
ALTERNATIVES = 3
# Screened abroad: the crossing a person sent back from this country usually comes back by
# (Malaysia and Myanmar: overland through Thailand). Elsewhere (by air) there is none, and no
# transit-centre referral is proposed.
RETURN_CROSSINGS = {"TH": "POIPET", "VN": "BAVET", "LA": "TRAPEANG_KREAL", "MY": "POIPET", "MM": "POIPET"}


@dataclass(frozen=True)
class Need:
    """A type of service needed. ``any_of``: a need some types can each satisfy."""

    name: str
    any_of: tuple[str, ...]


def needs_for(tier: str, flags: Iterable[str], raised: Iterable[str] = (), *, abroad: bool = False) -> list[Need]:
    """Derive the needs from an engine result (the referral issue's rules). ``raised``: the
    needs the answers raise by themselves, from the questionnaire's tags
    (questionnaires.meaning.raised_needs), so no question code is read here. ``abroad``: the
    person is still in another country (consular), see :func:`needs_abroad`."""
    flags = set(flags)
    raised = set(raised)
    if abroad:
        return needs_abroad(tier, flags, raised)
    needs: list[Need] = []
    if tier in ("likely_victim", "possible_victim"):
        if "minor" in flags:
            needs.append(Need("child_protection", ("child_protection",)))
        else:
            needs.append(Need("shelter", ("shelter", "transit_centre")))
    if "urgent" in flags and "medical" in raised:
        needs.append(Need("medical", ("medical",)))
    if "foreign_national" in flags and tier in ("likely_victim", "possible_victim"):
        needs.append(Need("repatriation", ("repatriation",)))
    return needs + tier_needs(tier)


def tier_needs(tier: str) -> list[Need]:
    """The needs the tier alone raises, last in order at home and abroad alike."""
    needs: list[Need] = []
    if tier == "exploited_migrant":
        needs.append(Need("labour_rights", ("labour_rights",)))
    if tier == "likely_victim":
        needs.append(Need("registration", ("registration",)))
    return needs


# What a person with no signs of trafficking can still use, nearest first (with the hotline).
INFORMATION = Need("information", ("safe_migration", "labour_rights"))

# Needs of a person abroad that only a service in that country can meet (the consulate or
# embassy); the others wait for the person's return to Cambodia.
IN_COUNTRY_NEEDS = ("repatriation", "medical")


def needs_abroad(tier: str, flags: set[str], raised: set[str]) -> list[Need]:
    """A Cambodian still abroad, in order of need: the consulate's or embassy's repatriation
    support (and a doctor there when urgent), the transit centre of the usual return
    crossing, then the home province's services."""
    needs: list[Need] = []
    victim = tier in ("likely_victim", "possible_victim")
    if victim:
        needs.append(Need("repatriation", ("repatriation",)))
    if "urgent" in flags and "medical" in raised:
        needs.append(Need("medical", ("medical",)))
    if victim:
        needs.append(Need("transit_centre", ("transit_centre",)))
        if "minor" in flags:
            needs.append(Need("child_protection", ("child_protection",)))
        else:
            needs.append(Need("shelter", ("shelter",)))
    return needs + tier_needs(tier)


@dataclass(frozen=True)
class Person:
    sex: str | None  # female / male / other / unknown / None
    age: int | None
    minor: bool
    nationality: str | None  # ISO alpha-2 or None when unknown


@dataclass(frozen=True)
class ServiceEntry:
    id: int
    name: str
    types: frozenset[str]
    sexes: frozenset[str]  # accepted sexes; empty = everyone
    age_min: int | None
    age_max: int | None
    nationalities: frozenset[str]  # accepted; empty = every nationality
    provinces: frozenset[str]  # provinces served
    point: tuple[float, float]
    places: int | None  # places available; None = not a residential service (no limit)
    active: bool = True
    countries: frozenset[str] = frozenset()  # abroad: the countries it works in; empty = in Cambodia


# Upper bounds (km) of the distance bands a stored match keeps; beyond the last, "gt100".
DISTANCE_BANDS = ((5, "lt5"), (25, "5-25"), (100, "25-100"))


def distance_band(km: float | None) -> str | None:
    """A distance as one of four coarse bands: under 5 km, 5-25, 25-100, over 100 km; None
    when nothing was measured (a person abroad, or whose place is unknown)."""
    if km is None:
        return None
    return next((band for bound, band in DISTANCE_BANDS if km < bound), "gt100")


@dataclass(frozen=True)
class Candidate:
    service: ServiceEntry
    distance_km: float | None  # None: not measured (no known point to measure from)


@dataclass
class Match:
    need: Need
    chosen: Candidate | None
    alternatives: list[Candidate] = field(default_factory=list)
    # Services closer than the chosen one that were passed over, and why.
    excluded: list[tuple[Candidate, str]] = field(default_factory=list)
    nationwide: bool = False  # nothing fitted within the province

    def to_dict(self, *, with_km: bool = False) -> dict:
        """The match as stored with a referral: each service's distance only as a coarse
        band, so that three of them cannot be used to find where the person was screened.
        ``with_km`` adds the exact distance, for output that is never stored (the CLI)."""
        def entry(candidate: Candidate) -> dict:
            shown = {"id": candidate.service.id, "name": candidate.service.name,
                     "band": distance_band(candidate.distance_km), "places": candidate.service.places}
            if with_km and candidate.distance_km is not None:
                shown["distance_km"] = round(candidate.distance_km, 1)
            return shown

        return {
            "need": self.need.name,
            "chosen": entry(self.chosen) if self.chosen else None,
            "alternatives": [entry(c) for c in self.alternatives],
            "excluded": [dict(entry(c), reason=reason) for c, reason in self.excluded],
            "nationwide": self.nationwide,
        }


def refusal(service: ServiceEntry, need: Need, person: Person) -> str | None:
    """Why ``service`` cannot take ``person`` for ``need``; None when it can."""
    if not service.active:
        return "inactive"
    if not service.types.intersection(need.any_of):
        return "wrong_type"
    if service.sexes and person.sex in SEXES and person.sex not in service.sexes:
        return "sex"
    if service.sexes and person.sex not in SEXES and len(service.sexes) < len(SEXES):
        return "sex"  # sex unknown: only a service for everyone is safe
    if person.age is not None:
        if service.age_min is not None and person.age < service.age_min:
            return "age"
        if service.age_max is not None and person.age > service.age_max:
            return "age"
    elif person.minor and service.age_min is not None and service.age_min >= 18:
        return "age"
    elif not person.minor and service.age_max is not None and service.age_max < 18:
        return "age"  # age unknown, not under 18 by the answers: never a children's service
    if service.nationalities and person.nationality and person.nationality not in service.nationalities:
        return "nationality"
    if service.places is not None and service.places <= 0:
        return "full"
    return None


KM_PER_DEGREE_LAT = 111.19


def _walk(pool: Iterable[ServiceEntry], need: Need, person: Person, point: tuple[float, float] | None) -> Match | None:
    """The nearest fitting service (ties: more places first), three alternatives, and the
    nearer services passed over with the reason. With no ``point`` nothing is measured:
    the services with more places come first."""
    fitting: list[ServiceEntry] = []
    refused: list[tuple[ServiceEntry, str]] = []
    for service in pool:
        reason = refusal(service, need, person)
        if reason is None:
            fitting.append(service)
        elif reason != "wrong_type":
            refused.append((service, reason))
    if not fitting:
        return None
    if point is None:
        ranked = sorted(fitting, key=lambda s: (-(s.places or 0), s.id))[: 1 + ALTERNATIVES]
        candidates = [Candidate(s, None) for s in ranked]
        return Match(need, candidates[0], candidates[1:], [])
    top = heapq.nsmallest(
        1 + ALTERNATIVES,
        ((round(great_circle_km(point, s.point), 3), -(s.places or 0), s.id, s) for s in fitting),
    )
    chosen_km = top[0][0]
    # Only services within the chosen distance can be "closer"; a latitude difference
    # alone rules most of them out before any trigonometry.
    reach = chosen_km / KM_PER_DEGREE_LAT + 1e-6
    closer = []
    for service, reason in refused:
        if abs(service.point[0] - point[0]) <= reach:
            km = round(great_circle_km(point, service.point), 3)
            if km <= chosen_km:
                closer.append((km, service.id, Candidate(service, km), reason))
    closer.sort(key=lambda item: (item[0], item[1]))
    candidates = [Candidate(s, km) for km, _places, _id, s in top]
    return Match(need, candidates[0], candidates[1:], [(c, r) for _km, _id, c, r in closer])


def match(
    services: Sequence[ServiceEntry],
    need: Need,
    person: Person,
    point: tuple[float, float] | None,
    province: str | None = None,
    exclude_ids: Iterable[int] = (),
    country: str | None = None,
) -> Match:
    """The nearest service that fits, the next three, and why nearer ones were passed over.

    Services serving ``province`` are preferred; when none fits there, the search is
    nationwide and the match says so. ``country``: only the services working in that
    country abroad (consulates, embassies); without it, only services in Cambodia.
    ``point`` None: nothing to measure from (see :func:`_walk`).
    """
    excluded_ids = set(exclude_ids)
    typed = [s for s in services if s.types.intersection(need.any_of) and s.id not in excluded_ids
             and ((country in s.countries) if country else not s.countries)]
    if province:
        found = _walk((s for s in typed if province in s.provinces), need, person, point)
        if found is not None:
            return found
    found = _walk(typed, need, person, point)
    if found is None:
        return Match(need, None, nationwide=bool(province))
    found.nationwide = bool(province)
    return found
