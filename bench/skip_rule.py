"""What the flag-aware skip rule costs per message, against the tier-only rule it replaced.

    .venv/bin/python bench/skip_rule.py [--screenings N] [--old-commit SHA]

The SMS dialogue calls ``next_question(..., skip_unneeded=True)`` (so ``can_change``) once
per message. This walks N random version-2 screenings the way the dialogue does and times
``can_change`` on the very same answer states with the current engine and with the engine as
it was at ``--old-commit`` (read from git, loaded in the same process), each with its caches
first cold then warm. Prints the mean time per call and the ratio new / old.
"""
from __future__ import annotations

import argparse
import importlib.util
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import questionnaires as Q  # noqa: E402
from questionnaires import engine as new_engine  # noqa: E402

# The last commit with the tier-only rule (before issue 13).
OLD_COMMIT = "5ecb05c"
INDICATOR = ["no", "no", "no", "no", "yes", "unknown", "refused"]


def old_engine(commit: str):
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{commit}:questionnaires/engine.py"], check=True, capture_output=True, text=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "engine.py"
    path.write_text(source, encoding="utf-8")
    # A module of the package, so that its relative imports (.model) resolve.
    spec = importlib.util.spec_from_file_location("questionnaires._engine_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def random_screening(q, rng: random.Random) -> dict:
    answers = {"consent": "yes", "U1": "no", "U2": rng.choice(["no", "yes"]), "U3": "no", "sex": "female",
               "age": rng.choice(["unknown", 15, 17, 18, 30, 45]), "home_province": "BMC",
               "nationality": rng.choice(["KH", "KH", "TH"]), "exploitation_country": rng.choice(["KH", "TH"]),
               "sector": rng.choice(["fishing", "construction", "none", "sex_entertainment"]), "return_mode": "rescued"}
    answers["age_maybe_minor"] = rng.choice(["yes", "no"])
    kept = Q.effective_answers(q, answers)
    for question in q.indicators():
        if question.code not in answers and Q.is_asked(q, question, kept):
            answers[question.code] = rng.choice(INDICATOR)
    return answers


def message_states(q, full: dict) -> list[dict]:
    """The answer sets the dialogue sees, one per message, with the new rule."""
    states, collected = [], {}
    while True:
        states.append(dict(collected))
        question = Q.next_question(q, collected, skip_unneeded=True)
        if question is None:
            return states
        collected[question.code] = full[question.code]


def clear_caches(module) -> None:
    for name in ("_reachable", "_successors", "_tally_outcome", "_remembered_can_change", "_remembered_mattering"):
        if hasattr(module, name):
            getattr(module, name).cache_clear()
    if hasattr(module, "_PACKINGS"):  # the kept steps and verdicts of tallies
        module._PACKINGS.clear()


def timed(module, q, states: list[dict]) -> float:
    start = time.perf_counter()
    for state in states:
        module.can_change(q, state)
    return (time.perf_counter() - start) / len(states)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenings", type=int, default=60)
    parser.add_argument("--old-commit", default=OLD_COMMIT)
    args = parser.parse_args()
    q = Q.load(2)
    rng = random.Random(13)
    states = [state for _ in range(args.screenings) for state in message_states(q, random_screening(q, rng))]
    old = old_engine(args.old_commit)
    clear_caches(new_engine)
    print(f"{len(states)} dialogue states from {args.screenings} random version-2 screenings")
    results = {}
    for label, module in (("old (tier only)", old), ("new (tier and flags)", new_engine)):
        clear_caches(module)
        cold = timed(module, q, states)
        warm = timed(module, q, states)
        results[label] = (cold, warm)
        print(f"{label:22} cold {cold * 1e3:7.3f} ms/call   warm {warm * 1e3:7.3f} ms/call")
    (old_cold, old_warm), (new_cold, new_warm) = results.values()
    print(f"ratio new/old: cold {new_cold / old_cold:.2f}, warm {new_warm / old_warm:.2f}")


if __name__ == "__main__":
    main()
