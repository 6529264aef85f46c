"""What a complete SMS screening costs: outbound messages and segments per public vignette,
in Khmer and in English, with and without skipping questions that cannot change the tier.

    .venv/bin/python bench/sms_cost.py

Drives the real dialogue in-process (the same code the Twilio webhook runs) on a throwaway
SQLite database, answering each vignette's answers as a screener would key them. Exits
with status 1 if any Khmer message exceeds 2 UCS-2 segments, an English one exceeds one
GSM-7 segment, or a screening's tier differs from the vignette's expected tier.
"""
from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VIGNETTES = Path(__file__).resolve().parents[1].parent / "shared" / "vignettes" / "examples.json"

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

import questionnaires as Q  # noqa: E402
from questionnaires import replies  # noqa: E402
from sms.channels import caller_sms_reply  # noqa: E402
from sms.dialogue import identify  # noqa: E402
from sms.models import SmsSession  # noqa: E402
from webapp.outbox.segments import cost, fits_sms  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.config import Config  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.screening.models import Screening  # noqa: E402

PHONES = {"km": "+85512000001", "en": "+85512000002"}


@dataclass
class Run:
    vignette: str
    expected: str
    tier: str
    language: str
    skipping: bool
    questions: int
    messages: int
    segments: int
    widest: int  # most segments in one message
    within_budget: bool


def make_app(directory: str):
    config = Config(
        env="testing",
        secret_key="bench-" + "x" * 40,
        database_url=f"sqlite:///{directory}/bench.db",
        encryption_keys="bench:" + Fernet.generate_key().decode(),
        hash_key="bench-hash-key",
        secure_cookies=False,
    )
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        from webapp.auth.operations import create_user

        upgrade()
        for language, phone in PHONES.items():
            create_user(role="border", name=f"Bench screener {language}", phone=phone, post_code="POIPET",
                        province_code="BMC", language=language, password="bench password 123")
        db.session.commit()
    return app


def keyed(q: Q.Questionnaire, code: str, value) -> str:
    """The reply a screener keys for ``value``: a number from the list where there is one."""
    question = q.question(code)
    if question.type == "integer":
        return str(value) if value != "unknown" else "X"
    numbered = {v: n for n, v in replies.numbered_values(q, question)}
    return str(numbered.get(value, value))


def screen(app, q, vignette: dict, language: str, skipping: bool) -> Run:
    answers = vignette["answers"]
    sent: list[str] = []
    questions = 0
    with app.app_context():
        caller = identify(PHONES[language])
        before = db.session.scalar(select(func.max(Screening.id))) or 0
        body = "SCREEN"
        while True:
            sent += caller_sms_reply(caller, body, skip_unneeded=skipping)
            db.session.commit()
            session = db.session.scalars(select(SmsSession).where(SmsSession.phone_hash == caller.phone_hash)).one()
            if session.state not in ("consent", "asking"):
                break
            questions += 1
            question = q.question(session.question)
            # A version-2 question the version-1 examples do not answer: "no" / "unknown".
            body = keyed(q, session.question, answers.get(session.question, "no" if question.is_indicator else "unknown"))
        screening = db.session.scalars(select(Screening).where(Screening.id > before)).first()
        tier = screening.tier if screening is not None else "not_screened"  # declined: only counted
    costs = [cost(text).segments for text in sent]
    return Run(
        vignette=vignette["id"],
        expected=vignette["expected"]["tier"],
        tier=tier,
        language=language,
        skipping=skipping,
        questions=questions,
        messages=len(sent),
        segments=sum(costs),
        widest=max(costs),
        within_budget=all(fits_sms(text, language) for text in sent),
    )


def main() -> int:
    vignettes = json.loads(VIGNETTES.read_text(encoding="utf-8"))
    q = Q.load()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as directory:
        app = make_app(directory)
        for vignette in vignettes:
            for language in ("km", "en"):
                for skipping in (True, False):
                    runs.append(screen(app, q, vignette, language, skipping))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    print_table(runs)
    problems = [r for r in runs if not r.within_budget or r.tier != r.expected]
    for run in problems:
        print(f"PROBLEM {run.vignette} {run.language} skipping={run.skipping}: tier {run.tier} "
              f"(expected {run.expected}), within budget: {run.within_budget}")
    khmer_widest = max(r.widest for r in runs if r.language == "km")
    print(f"\nWidest Khmer message: {khmer_widest} segment(s) (budget 2); "
          f"widest English: {max(r.widest for r in runs if r.language == 'en')} (budget 1).")
    return 1 if problems else 0


def print_table(runs: list[Run]) -> None:
    header = f"{'vignette':8} {'tier':17} {'lang':4} {'skip':4} {'questions':>9} {'messages':>8} {'segments':>8} {'max/msg':>7}"
    print(header)
    print("-" * len(header))
    for run in runs:
        print(f"{run.vignette:8} {run.tier:17} {run.language:4} {'yes' if run.skipping else 'no':4} "
              f"{run.questions:9} {run.messages:8} {run.segments:8} {run.widest:7}")
    print()
    for language in ("km", "en"):
        for skipping in (True, False):
            chosen = [r for r in runs if r.language == language and r.skipping == skipping]
            print(f"mean {language} {'with' if skipping else 'without'} skipping: "
                  f"{sum(r.messages for r in chosen) / len(chosen):.1f} messages, "
                  f"{sum(r.segments for r in chosen) / len(chosen):.1f} segments")


if __name__ == "__main__":
    sys.exit(main())
