"""`flask --app wsgi directory ...` and `... referrals tick`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..core.commands import fail
from ..extensions import db
from . import directory, matching, operations
from .models import Service

directory_cli = AppGroup("directory", help="The registered service directory.")
referrals_cli = AppGroup("referrals", help="Referral follow-up.")


@directory_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def import_command(file):
    """Import FILE.csv: every row or none; each bad row is named with its line and field."""
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}")
    try:
        created, updated = directory.import_csv(text)
    except directory.ImportError_ as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(f"error: {error}", err=True)
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"imported {created} new and {updated} updated services")


@directory_cli.command("export")
def export_command():
    """Write the directory as CSV to stdout."""
    services = db.session.scalars(select(Service).order_by(Service.registration_number))
    click.echo(directory.export_csv(services), nl=False)


def parse_point(value: str) -> tuple[float, float]:
    try:
        lat, lon = (float(part) for part in value.split(","))
    except ValueError:
        fail(f"--point must be LAT,LON, not {value!r}")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        fail(f"--point {value!r} is not on the Earth")
    return lat, lon


@directory_cli.command("nearest")
@click.option("--point", required=True, help="LAT,LON")
@click.option("--need", required=True)
@click.option("--sex", default="unknown")
@click.option("--age", default=None)
@click.option("--nationality", default=None)
@click.option("--province", default=None, help="prefer services serving this province")
def nearest_command(point, need, sex, age, nationality, province):
    """Print, as JSON, the service chosen for NEED and the next three."""
    where = parse_point(point)
    if need not in matching.SERVICE_TYPES:
        fail(f"--need must be one of {', '.join(matching.SERVICE_TYPES)}")
    if sex not in matching.SEXES + ("unknown",):
        fail("--sex must be female, male, other or unknown")
    years = None
    if age is not None:
        if not age.isdigit() or int(age) > 120:
            fail(f"--age must be a whole number from 0 to 120, not {age!r}")
        years = int(age)
    person = matching.Person(sex=sex, age=years, minor=years is not None and years < 18,
                             nationality=nationality.upper() if nationality else None)
    found = matching.match(operations.directory_entries(), matching.Need(need, (need,)), person, where, province)
    click.echo(json.dumps(found.to_dict(with_km=True), ensure_ascii=False, indent=1))


@referrals_cli.command("tick")
def tick_command():
    """Move unanswered referrals past their deadline to the next service (cron, every minute)."""
    count = operations.expire_overdue()
    db.session.commit()
    click.echo(f"{count} overdue referral(s) escalated")
