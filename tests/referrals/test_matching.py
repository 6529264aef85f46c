"""Matching a person to the nearest registered service that can take them."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import questionnaires
from webapp.referrals.matching import Need, Person, ServiceEntry, match, needs_for

POIPET = (13.66, 102.56)
SHELTER = Need("shelter", ("shelter", "transit_centre"))


def service(id, types=("shelter",), sexes=(), ages=(None, None), nations=(), provinces=("BMC",), km_east=0.0,
            places=5, active=True):
    # ~1 km per 0.009 degrees of longitude at this latitude: enough to order services.
    return ServiceEntry(id=id, name=f"Synthetic {id}", types=frozenset(types), sexes=frozenset(sexes),
                        age_min=ages[0], age_max=ages[1], nationalities=frozenset(nations),
                        provinces=frozenset(provinces), point=(POIPET[0], POIPET[1] + km_east * 0.00925),
                        places=places, active=active)


MAN = Person(sex="male", age=30, minor=False, nationality="KH")
WOMAN = Person(sex="female", age=30, minor=False, nationality="KH")
GIRL = Person(sex="female", age=14, minor=True, nationality="KH")
VIETNAMESE = Person(sex="female", age=25, minor=False, nationality="VN")

CASES = [
    ("man never sent to a women-only shelter", MAN, SHELTER,
     [service(1, sexes=("female",), km_east=1), service(2, km_east=20)], 2),
    ("woman may go to the women-only shelter", WOMAN, SHELTER,
     [service(1, sexes=("female",), km_east=1), service(2, km_east=20)], 1),
    ("minor goes to child protection", GIRL, Need("child_protection", ("child_protection",)),
     [service(1, km_east=1), service(2, types=("child_protection",), ages=(0, 17), km_east=30)], 2),
    ("adult shelter refuses a minor by age", GIRL, SHELTER,
     [service(1, ages=(18, None), km_east=1), service(2, km_east=9)], 2),
    ("Vietnamese national gets repatriation support", VIETNAMESE, Need("repatriation", ("repatriation",)),
     [service(1, km_east=1), service(2, types=("repatriation",), km_east=50)], 2),
    ("nationality restriction respected", VIETNAMESE, SHELTER,
     [service(1, nations=("KH",), km_east=1), service(2, km_east=5)], 2),
    ("a full service is skipped", MAN, SHELTER, [service(1, places=0, km_east=1), service(2, km_east=8)], 2),
    ("an inactive one is never chosen", MAN, SHELTER, [service(1, active=False, km_east=1)], None),
    ("ties broken by places available", MAN, SHELTER,
     [service(1, places=2, km_east=10), service(2, places=9, km_east=10), service(3, places=5, km_east=10)], 2),
    ("transit centre satisfies a shelter need", MAN, SHELTER, [service(1, types=("transit_centre",), km_east=3)], 1),
    ("age unknown, not a minor: never a children's shelter", Person(sex="male", age=None, minor=False, nationality="KH"),
     SHELTER, [service(1, types=("shelter", "child_protection"), ages=(0, 17), km_east=1), service(2, km_east=9)], 2),
    ("age unknown, may be a minor: a children's shelter", Person(sex="male", age=None, minor=True, nationality="KH"),
     SHELTER, [service(1, types=("shelter", "child_protection"), ages=(0, 17), km_east=1), service(2, km_east=9)], 1),
    ("sex unknown: only a service for everyone", Person(sex="unknown", age=30, minor=False, nationality="KH"), SHELTER,
     [service(1, sexes=("female",), km_east=1), service(2, km_east=4)], 2),
]


@pytest.mark.parametrize("case,person,need,services,expected", CASES, ids=[c[0] for c in CASES])
def test_matching_rules(case, person, need, services, expected):
    found = match(services, need, person, POIPET, "BMC")
    assert (found.chosen.service.id if found.chosen else None) == expected


def test_explains_why_closer_services_were_passed_over_and_offers_three_more():
    services = [service(1, sexes=("female",), km_east=1), service(2, places=0, km_east=2)] + [
        service(10 + n, km_east=10 + n) for n in range(5)]
    found = match(services, SHELTER, MAN, POIPET, "BMC")
    assert found.chosen.service.id == 10 and round(found.chosen.distance_km) == 10
    assert [(c.service.id, reason) for c, reason in found.excluded] == [(1, "sex"), (2, "full")]
    assert [c.service.id for c in found.alternatives] == [11, 12, 13]


def test_falls_back_nationwide_when_nothing_fits_in_the_province():
    services = [service(1, sexes=("female",), km_east=1), service(2, provinces=("PNP",), km_east=300)]
    found = match(services, SHELTER, MAN, POIPET, "BMC")
    assert found.chosen.service.id == 2 and found.nationwide is True
    assert match(services, SHELTER, WOMAN, POIPET, "BMC").nationwide is False


def test_nothing_fits_anywhere():
    found = match([service(1, sexes=("female",))], SHELTER, MAN, POIPET, "BMC")
    assert found.chosen is None


@pytest.mark.parametrize("tier,flags,answers,expected", [
    ("likely_victim", [], {}, ["shelter", "registration"]),
    ("likely_victim", ["minor"], {}, ["child_protection", "registration"]),
    ("possible_victim", ["urgent"], {"U2": "yes"}, ["shelter", "medical"]),
    ("possible_victim", ["urgent"], {"U1": "yes", "U2": "no"}, ["shelter"]),
    ("likely_victim", ["foreign_national"], {}, ["shelter", "repatriation", "registration"]),
    ("exploited_migrant", [], {}, ["labour_rights"]),
    ("not_indicated", [], {}, []),
])
def test_needs_from_the_result(tier, flags, answers, expected):
    raised = questionnaires.meaning.raised_needs(questionnaires.load(), answers)
    assert [n.name for n in needs_for(tier, flags, raised)] == expected


def test_matching_module_is_plain_python():
    source = Path(__file__).resolve().parents[2] / "webapp" / "referrals" / "matching.py"
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                assert not name.startswith(("flask", "sqlalchemy", "twilio")), name
