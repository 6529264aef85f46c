"""`flask --app wsgi demo seed`: clearly synthetic users and screenings for a first look.

Every name says DEMO and every phone number is in the +855 12 000 0xx block we use for
synthetic data; nothing here is a real person.
"""
from __future__ import annotations

import json
from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import select

from .auth import operations as accounts
from .auth.models import User
from .core.types import utcnow
from .extensions import db
from .screening import operations as screenings

demo_cli = AppGroup("demo", help="Synthetic demo data.")

DEMO_PASSWORD = "demo-password-2026"
DEMO_USERS = [
    dict(username="border", role="border", name="DEMO Border Officer", phone="+85512000001", province_code="BMC", post_code="POIPET"),
    dict(username="consular", role="consular", name="DEMO Consular Officer", phone="+85512000002", country_code="TH"),
    dict(username="hotline", role="hotline", name="DEMO Hotline Operator", phone="+85512000003", province_code="PNP"),
    dict(username="supervisor", role="supervisor", name="DEMO Supervisor", phone="+85512000004", province_code="BMC"),
    dict(username="national", role="supervisor", name="DEMO National Supervisor", phone="+85512000005", national=True),
    dict(username="service", role="service", name="DEMO Service Staff", phone="+85512000006", province_code="BMC"),
    dict(username="admin", role="admin", name="DEMO Administrator", phone="+85512000007"),
]


def seed_users() -> list[User]:
    users = []
    for spec in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == spec["username"]))
        if user is None:
            user, _ = accounts.create_user(password=DEMO_PASSWORD, **spec)
        users.append(user)
    return users


def seed_screenings(border: User, vignettes: list[dict]) -> int:
    """One completed screening per public vignette, made by the demo border user."""
    if db.session.scalar(select(db.func.count()).select_from(screenings.Screening)):
        return 0
    context = screenings.Context(kind="post", post_code=border.post_code)
    made = 0
    for n, vignette in enumerate(vignettes):
        answers = vignette["answers"]
        started = utcnow() - timedelta(days=len(vignettes) - n)
        if answers.get("consent") != "yes":
            screenings.record_decline(channel="web", context=context)
            continue
        screening = screenings.start_screening(screener=border, channel="web", context=context, started_at=started)
        for code, value in answers.items():
            if code != "consent":
                try:
                    screenings.record_answer(screening, code, value, channel="web", answered_at=started)
                except screenings.ScreeningError:
                    pass  # not asked for this person (e.g. child-only items for an adult)
        screenings.finish(screening)
        made += 1
    return made


@demo_cli.command("seed")
def seed_command():
    """Create the demo users (one per role) and a few screenings; print the log-ins."""
    from pathlib import Path

    users = seed_users()
    path = Path(__file__).resolve().parent.parent.parent / "shared" / "vignettes" / "examples.json"
    vignettes = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    made = seed_screenings(users[0], vignettes)
    db.session.commit()
    click.echo(f"Demo data ready ({made} new screenings). Log in at http://127.0.0.1:5000/login with:")
    for spec in DEMO_USERS:
        click.echo(f"  {spec['username']:<11} {DEMO_PASSWORD}   ({spec['role']}{', national' if spec.get('national') else ''})")
