"""`flask --app wsgi export aggregate --format csv|json`: the de-identified figures."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import true

from ..audit.operations import record
from ..extensions import db
from . import operations as figures

export_cli = AppGroup("export", help="Exports for sharing.")


@export_cli.command("aggregate")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
def aggregate_command(fmt):
    """National de-identified aggregate (CTDC pattern), every cell under 11 suppressed."""
    rows = figures.aggregate(figures.screenings_in(true()))
    record("export.aggregate", detail={"format": fmt, "via": "cli"}, count=len(rows))
    db.session.commit()
    click.echo(figures.render_aggregate(rows, fmt), nl=False)
