"""`flask --app wsgi demo seed`: clearly synthetic users and screenings for a first look.

Every name says DEMO and every phone number is in the +855 12 000 0xx block we use for
synthetic data; nothing here is a real person.
"""
from __future__ import annotations

import contextlib
import json
import os
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from .auth import operations as accounts
from .auth.models import User
from .core.commands import fail
from .core.types import utcnow
from .extensions import db
from .referrals import directory
from .referrals.models import Service
from .screening import operations as screenings

demo_cli = AppGroup("demo", help="Synthetic demo data.")

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published in the README; `demo seed` runs in development only
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


# Synthetic services: every name says DEMO, every phone is in the +855 12 000 1xx block.
DEMO_SERVICES = [
    # registration, English name, Khmer name, kind, types, sexes, age range, nationalities, provinces, point, places
    ("DEMO-001", "DEMO Poipet Transit Centre", "មណ្ឌលឆ្លងកាត់ប៉ោយប៉ែត (សាកល្បង)", "government", ["transit_centre", "registration"], [], (None, None), [], ["BMC"], (13.66, 102.57), 40),
    ("DEMO-002", "DEMO Women's Shelter Banteay Meanchey", "ទីជម្រកស្ត្រី បន្ទាយមានជ័យ (សាកល្បង)", "ngo", ["shelter", "psychosocial"], ["female"], (18, None), [], ["BMC", "OMC"], (13.59, 102.97), 6),
    ("DEMO-003", "DEMO Child Protection Serei Saophoan", "ការពារកុមារ សិរីសោភ័ណ (សាកល្បង)", "ngo", ["child_protection", "shelter"], [], (0, 17), [], ["BMC", "BTB"], (13.60, 102.98), 10),
    ("DEMO-004", "DEMO Men's Shelter Battambang", "ទីជម្រកបុរស បាត់ដំបង (សាកល្បង)", "ngo", ["shelter"], ["male"], (18, None), [], ["BTB", "BMC", "PLN"], (13.10, 103.20), 4),
    ("DEMO-005", "DEMO Referral Hospital Poipet", "មន្ទីរពេទ្យបង្អែក ប៉ោយប៉ែត (សាកល្បង)", "government", ["medical"], [], (None, None), [], ["BMC"], (13.65, 102.56), None),
    ("DEMO-006", "DEMO Migrant Workers' Rights Centre", "មជ្ឈមណ្ឌលសិទ្ធិពលករចំណាកស្រុក (សាកល្បង)", "ngo", ["labour_rights", "legal_aid"], [], (15, None), [], ["BMC", "PNP", "SRP"], (13.66, 102.58), None),
    ("DEMO-007", "DEMO Repatriation Office Phnom Penh", "ការិយាល័យធ្វើមាតុភូមិនិវត្តន៍ ភ្នំពេញ (សាកល្បង)", "international", ["repatriation"], [], (None, None), [], ["PNP"], (11.56, 104.92), None),
    ("DEMO-008", "DEMO DoSVY Banteay Meanchey focal point", "មន្ទីរសង្គមកិច្ច បន្ទាយមានជ័យ (សាកល្បង)", "government", ["registration"], [], (None, None), [], ["BMC"], (13.59, 102.97), None),
    ("DEMO-009", "DEMO Phnom Penh Shelter", "ទីជម្រក ភ្នំពេញ (សាកល្បង)", "ngo", ["shelter", "child_protection", "psychosocial"], [], (None, None), [], ["PNP", "KDL"], (11.55, 104.90), 12),
    ("DEMO-010", "DEMO Bavet Transit Centre", "មណ្ឌលឆ្លងកាត់បាវិត (សាកល្បង)", "government", ["transit_centre", "registration", "repatriation"], [], (None, None), [], ["SVR"], (11.08, 106.13), 20),
    # Abroad (a last element: the countries served): synthetic consular sections.
    ("DEMO-011", "DEMO Cambodian Embassy Kuala Lumpur, consular section", "ផ្នែកកុងស៊ុល ស្ថានទូតកម្ពុជា កូឡាឡាំពួ (សាកល្បង)", "government", ["repatriation", "labour_rights", "legal_aid"], [], (None, None), [], [], (3.15, 101.71), None, ["MY"]),
    ("DEMO-012", "DEMO Cambodian Embassy Bangkok, consular section", "ផ្នែកកុងស៊ុល ស្ថានទូតកម្ពុជា បាងកក (សាកល្បង)", "government", ["repatriation", "labour_rights", "legal_aid"], [], (None, None), [], [], (13.75, 100.50), None, ["TH"]),
    ("DEMO-013", "DEMO Safe Migration Information Centre Poipet", "មជ្ឈមណ្ឌលព័ត៌មានចំណាកស្រុកដោយសុវត្ថិភាព ប៉ោយប៉ែត (សាកល្បង)", "ngo", ["safe_migration"], [], (None, None), [], ["BMC", "OMC", "BTB"], (13.66, 102.57), None),
    ("DEMO-014", "DEMO Anti-trafficking Hotline", "ខ្សែទូរស័ព្ទជំនួយប្រឆាំងការជួញដូរមនុស្ស (សាកល្បង)", "government", ["hotline"], [], (None, None), [], ["PNP"], (11.57, 104.92), None),
]


def seed_services() -> dict[str, int]:
    ids = {}
    for n, row in enumerate(DEMO_SERVICES, start=1):
        number, name_en, name_km, kind, types, sexes, (age_min, age_max), nations, provinces, (lat, lon), places, *abroad = row
        service = db.session.scalar(select(Service).where(Service.registration_number == number))
        if service is None:
            service = Service()
            db.session.add(service)
            directory.apply(service, dict(
                registration_number=number, name_en=name_en, name_km=name_km, kind=kind, service_types=types,
                accepts_sexes=sexes, age_min=age_min, age_max=age_max, nationalities=nations, provinces=provinces,
                countries=abroad[0] if abroad else [],
                lat=lat, lon=lon, address="DEMO address, not a real place", phone=f"+85512000{100 + n}",
                places=places, hours="08:00-17:00", active=True,
            ))
            db.session.flush()
        ids[number] = service.id
    return ids


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
        # The public examples are labelled for a questionnaire version (examples.json: 1).
        screening = screenings.start_screening(screener=border, channel="web", context=context, started_at=started,
                                               version=vignette.get("questionnaire", 1))
        for code, value in answers.items():
            if code != "consent":
                # Not asked for this person (e.g. child-only items for an adult): left out.
                with contextlib.suppress(screenings.ScreeningError):
                    screenings.record_answer(screening, code, value, channel="web", answered_at=started)
        screenings.finish(screening)
        made += 1
    return made


@demo_cli.command("seed")
def seed_command():
    """Create the demo users (one per role) and a few screenings; print the log-ins.

    Development only: the demo accounts (an administrator and a national supervisor among
    them) share a password printed in the README."""
    env = current_app.config["APP_CONFIG"].env
    if env != "development":
        fail(f"demo seed runs only with APP_ENV=development (this is {env}): its accounts share a published password")

    users = seed_users()
    services = seed_services()
    service_user = next(u for u in users if u.role == "service")
    service_user.service_id = service_user.service_id or services["DEMO-001"]
    path = Path(__file__).resolve().parent.parent.parent / "shared" / "vignettes" / "examples.json"
    vignettes = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    made = seed_screenings(users[0], vignettes)
    db.session.commit()
    port = os.environ.get("PORT", "5000")
    click.echo(f"Demo data ready ({made} new screenings). Log in at http://127.0.0.1:{port}/login with:")
    for spec in DEMO_USERS:
        click.echo(f"  {spec['username']:<11} {DEMO_PASSWORD}   ({spec['role']}{', national' if spec.get('national') else ''})")
