"""Time referral matching against 5,000 synthetic services.

Prints the median time per query of the matcher the app uses
(webapp.referrals.matching.match: the services of the needed type, the nearest that fits,
three alternatives and the nearer ones passed over with the reason) and of a plain loop
over the same list (every service: check it fits, compute the distance, keep the nearest),
both measured in this run on the same queries, and their ratio.

    .venv/bin/python bench/nearest.py [--services 5000] [--queries 300]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webapp.core.geo import great_circle_km
from webapp.referrals.matching import (
    SERVICE_TYPES,
    Need,
    Person,
    ServiceEntry,
    match,
    refusal,
)

PROVINCES = ["BMC", "BTB", "PNP", "SRP", "SVR", "KKG", "OMC", "PLN", "KDL", "TKO"]


def synthetic_services(n: int, rng: random.Random) -> list[ServiceEntry]:
    services = []
    for i in range(n):
        types = frozenset(rng.sample(SERVICE_TYPES, rng.randint(1, 3)))
        services.append(ServiceEntry(
            id=i, name=f"DEMO {i}", types=types,
            sexes=frozenset(rng.choice([(), (), ("female",), ("male",)])),
            age_min=rng.choice([None, None, 18, 0]), age_max=rng.choice([None, None, 17]),
            nationalities=frozenset(rng.choice([(), (), ("KH",)])),
            provinces=frozenset(rng.sample(PROVINCES, 2)),
            point=(rng.uniform(10.4, 14.7), rng.uniform(102.3, 107.6)),
            places=rng.choice([None, 0, 1, 3, 10]), active=rng.random() > 0.05,
        ))
    return services


def plain_loop(services, need, person, point):
    best = None
    for service in services:
        if refusal(service, need, person) is None:
            distance = great_circle_km(point, service.point)
            if best is None or distance < best[0]:
                best = (distance, service)
    return best[1] if best else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(20261123)
    services = synthetic_services(args.services, rng)
    queries = []
    for _ in range(args.queries):
        kind = rng.choice(SERVICE_TYPES)
        age = rng.randint(8, 60)
        person = Person(sex=rng.choice(["female", "male"]), age=age, minor=age < 18, nationality=rng.choice(["KH", "VN"]))
        queries.append((Need(kind, (kind,)), person, (rng.uniform(10.4, 14.7), rng.uniform(102.3, 107.6)), rng.choice(PROVINCES)))

    ours, plain, disagreements = [], [], 0
    for need, person, point, _province in queries:
        t0 = time.perf_counter()
        found = match(services, need, person, point)
        t1 = time.perf_counter()
        baseline = plain_loop(services, need, person, point)
        t2 = time.perf_counter()
        ours.append(t1 - t0)
        plain.append(t2 - t1)
        chosen = found.chosen.service if found.chosen else None
        farther = chosen and great_circle_km(point, chosen.point) - great_circle_km(point, baseline.point) > 1e-6
        if (chosen is None) != (baseline is None) or farther:
            disagreements += 1

    ours_ms = statistics.median(ours) * 1000
    plain_ms = statistics.median(plain) * 1000
    print(f"services: {args.services}, queries: {args.queries}")
    print(f"matcher (match, with alternatives and explanation): median {ours_ms:.3f} ms/query")
    print(f"plain loop over the whole list (nearest only):     median {plain_ms:.3f} ms/query")
    print(f"ratio matcher / plain loop: {ours_ms / plain_ms:.2f}")
    print(f"queries where the nearest fitting service differed: {disagreements}")


if __name__ == "__main__":
    main()
