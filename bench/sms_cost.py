"""What a complete SMS screening costs: outbound messages and segments per public example,
in Khmer and in English, with and without skipping the questions that cannot change the tier
or any flag; and whether the screening ends with the engine's tier and flags.

    .venv/bin/python bench/sms_cost.py [--examples FILE]   # default: the public version-2 examples

"To the result" counts every message sent up to and including the one that carries the
result (and the referral question sent with it); "for the record" counts what follows (the
reply to the referral question, the questions offered for the record, even those sent in
the result's turn after the message announcing them). Questions asked together are answered in one reply ("1221", "30 2"). USSD
runs count screens as messages (their "segments" are what the screens would cost as SMS);
their record step (1 on the result's screen, then the groups) is counted apart too.

An example's answers are keyed as a screener would; a question it does not answer is keyed
"no" (indicators) or "unknown" (profile), and the engine's verdict on those same full answers
is what the screening must reach ("parity").

Drives the real dialogue in-process (the same code the Twilio webhook runs) on a throwaway
SQLite database, answering each vignette's answers as a screener would key them. Exits
with status 1 if any Khmer message exceeds 2 UCS-2 segments, an English one exceeds one
GSM-7 segment, or a screening's tier differs from the vignette's expected tier.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLES = ROOT.parent / "shared" / "vignettes" / "examples-v2.json"

from sqlalchemy import func, select  # noqa: E402

import questionnaires as Q  # noqa: E402
from bench.common import throwaway_config  # noqa: E402
from questionnaires import replies  # noqa: E402
from sms import messages  # noqa: E402
from sms.channels import caller_sms_reply, caller_ussd_reply  # noqa: E402
from sms.dialogue import identify  # noqa: E402
from sms.models import SmsSession  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.outbox.segments import cost, fits_sms, fits_ussd  # noqa: E402
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
    record_questions: int  # answered "for the record" after the result
    record_messages: int  # sent after the result: the record step (and the share reply)
    record_segments: int
    widest: int  # most segments in one message
    within_budget: bool
    parity: bool  # tier and flags equal the engine's on the full answers


def make_app(directory: str):
    app = create_app(throwaway_config(directory))
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


def default(question) -> str:
    return "no" if question.is_indicator else "unknown"


def full_answers(q: Q.Questionnaire, answers: dict) -> dict:
    """The example's answers plus the default of every further question the questionnaire
    would ask of them: what the bench keys when the whole checklist is asked."""
    full = dict(answers)
    while missing := [question for question in Q.asked_questions(q, full) if question.code not in full]:
        for question in missing:
            full[question.code] = default(question)
    return full


def group_reply(q: Q.Questionnaire, session, answers: dict) -> tuple[str, int]:
    """One reply to the question(s) the last message asked, and how many it answers: the
    digits run together when each answer is one digit ("1221"), else spaced ("25 1")."""
    codes = session.group_codes or [session.question]
    keys = [keyed(q, code, answers.get(code, default(q.question(code)))) for code in codes]
    joined = "".join(keys) if len(keys) > 1 and all(len(key) == 1 and key.isdigit() for key in keys) else " ".join(keys)
    return joined, len(codes)


def screen(app, q, vignette: dict, language: str, skipping: bool) -> Run:
    answers = vignette["answers"]
    sent: list[str] = []
    after: list[str] = []
    questions = recorded = 0
    with app.app_context():
        caller = identify(PHONES[language])
        before = db.session.scalar(select(func.max(Screening.id))) or 0
        body = "SCREEN"
        intro = messages.text("record.intro", language)
        for _ in range(200):
            texts = caller_sms_reply(caller, body, skip_unneeded=skipping)
            db.session.commit()
            session = db.session.scalars(
                select(SmsSession).where(SmsSession.phone_hash == caller.phone_hash, SmsSession.channel == "sms")).one()
            if session.state not in ("consent", "asking"):
                # The result's message announces the record step; its questions that follow
                # in the same turn belong to that step.
                cut = next((i + 1 for i, text in enumerate(texts) if intro in text), len(texts))
                sent += texts[:cut]
                after += texts[cut:]
                break
            sent += texts
            body, count = group_reply(q, session, answers)
            questions += count
        else:
            raise RuntimeError(f"{vignette['id']}: the screening did not end")
        # After the result: the person declines sharing here (the bench sends nothing on),
        # then every question offered for the record is answered.
        for _ in range(50):
            if session.state == "share":
                body = "2"
            elif session.state == "record":
                body, count = group_reply(q, session, answers)
                recorded += count
            else:
                break
            after += caller_sms_reply(caller, body, skip_unneeded=skipping)
            db.session.commit()
            session = db.session.scalars(
                select(SmsSession).where(SmsSession.phone_hash == caller.phone_hash, SmsSession.channel == "sms")).one()
        screening = db.session.scalars(select(Screening).where(Screening.id > before)).first()
        tier = screening.tier if screening is not None else "not_screened"  # declined: only counted
        flags = sorted(screening.flags or []) if screening is not None else []
    engine = Q.score(q, full_answers(q, answers))
    costs = [cost(text).segments for text in sent]
    after_costs = [cost(text).segments for text in after]
    return Run(
        vignette=vignette["id"],
        expected=vignette["expected"]["tier"],
        tier=tier,
        language=language,
        skipping=skipping,
        questions=questions,
        messages=len(sent),
        segments=sum(costs),
        record_questions=recorded,
        record_messages=len(after),
        record_segments=sum(after_costs),
        widest=max(costs + after_costs),
        within_budget=all(fits_sms(text, language) for text in sent + after),
        parity=(tier, flags) == (engine.tier, sorted(engine.flags)),
    )


def screen_ussd(app, q, vignette: dict, language: str) -> Run:
    """The same screening on the USSD menu (keypad numbers, 999 for an unknown age): a
    "message" is a screen; its "segments" are what the screen would cost as an SMS (USSD is
    not billed by segment), to compare like with like."""
    answers = vignette["answers"]
    screens: list[str] = []
    after: list[str] = []  # the screens that follow the result's: the record step
    inputs: list[str] = []
    questions = recorded = 0
    with app.app_context():
        caller = identify(PHONES[language])
        before = db.session.scalar(select(func.max(Screening.id))) or 0
        gateway = f"bench-{vignette['id']}-{language}"
        offered = False
        for _ in range(200):
            reply = caller_ussd_reply(caller, gateway, "*".join(inputs), language=language)
            db.session.commit()
            (after if offered else screens).append(reply.text)
            session = db.session.scalars(select(SmsSession).where(SmsSession.phone_hash == caller.phone_hash,
                                                                  SmsSession.channel == "ussd")).one()
            if session.state == "share":  # the referral question: the person declines here
                inputs.append("2")
                continue
            if reply.end:
                break
            if session.state == "record" and not session.question:  # the offer: answer them
                offered = True
                inputs.append("1" if "1=" in reply.text.split("\n")[-1] else "99")
                continue
            if session.state not in ("consent", "asking", "record"):
                break
            codes = session.group_codes or [session.question]
            keys = [keyed(q, code, answers.get(code, default(q.question(code)))) for code in codes]
            keys = ["999" if key == "X" else key for key in keys]
            inputs.append("".join(keys) if len(keys) > 1 and all(len(k) == 1 for k in keys) else " ".join(keys))
            if session.state == "record":
                recorded += len(codes)
            else:
                questions += len(codes)
        else:
            raise RuntimeError(f"{vignette['id']}: the USSD screening did not end")
        screening = db.session.scalars(select(Screening).where(Screening.id > before)).first()
        tier = screening.tier if screening is not None else "not_screened"
        flags = sorted(screening.flags or []) if screening is not None else []
    engine = Q.score(q, full_answers(q, answers))
    costs = [cost(text).segments for text in screens]
    after_costs = [cost(text).segments for text in after]
    return Run(vignette=vignette["id"], expected=vignette["expected"]["tier"], tier=tier, language=f"ussd-{language}",
               skipping=True, questions=questions, messages=len(screens), segments=sum(costs),
               record_questions=recorded, record_messages=len(after), record_segments=sum(after_costs),
               widest=max(costs + after_costs), within_budget=all(fits_ussd(t) for t in screens + after),
               parity=(tier, flags) == (engine.tier, sorted(engine.flags)))


def transcript(app, q, vignette: dict, language: str) -> None:
    """Print one screening's messages (--show ID)."""
    with app.app_context():
        caller = identify(PHONES[language])
        body = "SCREEN"
        for _ in range(200):
            texts = caller_sms_reply(caller, body)
            db.session.commit()
            print(f"> {body}")
            for text in texts:
                print(f"< [{cost(text).segments}] {text}")
            session = db.session.scalars(select(SmsSession).where(SmsSession.phone_hash == caller.phone_hash,
                                                                  SmsSession.channel == "sms")).one()
            if session.state == "share":
                body = "2"
            elif session.state in ("consent", "asking", "record"):
                body, _ = group_reply(q, session, vignette["answers"])
            else:
                break


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=Path, default=EXAMPLES)
    parser.add_argument("--show", metavar="ID", help="print the Khmer and English SMS of one example, then stop")
    arguments = parser.parse_args()
    vignettes = json.loads(arguments.examples.read_text(encoding="utf-8"))
    q = Q.load()
    if arguments.show:
        with tempfile.TemporaryDirectory() as directory:
            app = make_app(directory)
            for language in ("km", "en"):
                transcript(app, q, next(v for v in vignettes if v["id"] == arguments.show), language)
        return 0
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as directory:
        app = make_app(directory)
        for vignette in vignettes:
            for language in ("km", "en"):
                for skipping in (True, False):
                    runs.append(screen(app, q, vignette, language, skipping))
                runs.append(screen_ussd(app, q, vignette, language))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    print_table(runs)
    problems = [r for r in runs if not r.within_budget or r.tier != r.expected or not r.parity]
    for run in problems:
        print(f"PROBLEM {run.vignette} {run.language} skipping={run.skipping}: tier {run.tier} "
              f"(expected {run.expected}), within budget: {run.within_budget}, parity: {run.parity}")
    khmer_widest = max(r.widest for r in runs if r.language == "km")
    runs = [r for r in runs if not r.language.startswith("ussd")]
    print(f"\nWidest Khmer message: {khmer_widest} segment(s) (budget 2); "
          f"widest English: {max(r.widest for r in runs if r.language == 'en')} (budget 1).")
    return 1 if problems else 0


def print_table(runs: list[Run]) -> None:
    header = (f"{'vignette':8} {'tier':17} {'lang':7} {'skip':4} {'questions':>9} {'messages':>8} {'segments':>8} "
              f"{'max/msg':>7} {'record q':>8} {'rec msgs':>8} {'rec segs':>8}")
    print(header)
    print("-" * len(header))
    for run in runs:
        print(f"{run.vignette:8} {run.tier:17} {run.language:7} {'yes' if run.skipping else 'no':4} "
              f"{run.questions:9} {run.messages:8} {run.segments:8} {run.widest:7} "
              f"{run.record_questions:8} {run.record_messages:8} {run.record_segments:8}")
    print()
    for language in ("km", "en"):
        chosen = [r for r in runs if r.language == language and not r.skipping]
        print(f"{language} without skipping: mean {sum(r.messages for r in chosen) / len(chosen):.1f} messages, "
              f"{sum(r.segments for r in chosen) / len(chosen):.1f} segments per screening to the result")
    skipped = [r for r in runs if r.skipping]
    print(f"parity: {sum(not r.parity for r in skipped)} of {len(skipped)} screenings differ from the engine "
          "on the full answers (tier or flags)")
    for label, language in (("km", "km"), ("en", "en"), ("ussd", "ussd-en"), ("ussd km", "ussd-km")):
        chosen = [r for r in skipped if r.language == language]
        print(f"{label}: mean {sum(r.messages for r in chosen) / len(chosen):.1f} messages, "
              f"{sum(r.segments for r in chosen) / len(chosen):.1f} segments per screening to the result")
    for language in ("km", "en", "ussd-en", "ussd-km"):
        chosen = [r for r in skipped if r.language == language]
        label = {"ussd-en": "ussd", "ussd-km": "ussd km"}.get(language, language)
        print(f"{label} for the record: mean {sum(r.record_messages for r in chosen) / len(chosen):.1f} messages, "
              f"{sum(r.record_segments for r in chosen) / len(chosen):.1f} segments "
              f"({sum(r.record_questions for r in chosen) / len(chosen):.1f} questions answered)")


if __name__ == "__main__":
    sys.exit(main())
