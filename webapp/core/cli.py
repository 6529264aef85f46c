"""`flask --app wsgi keys rotate` and `flask --app wsgi purge`."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..audit.operations import record
from ..extensions import db
from . import maintenance

keys_cli = AppGroup("keys", help="Encryption keys of identifying fields.")


@keys_cli.command("rotate")
def rotate_command():
    """Re-encrypt every identifying field under the first key of ENCRYPTION_KEYS.

    Put the new key first and keep the old ones after it; run this; then drop the old keys.
    """
    changed = maintenance.rotate_keys()
    record("keys.rotate", detail={"columns": len(changed)}, count=sum(changed.values()))
    db.session.commit()
    for column, count in changed.items():
        click.echo(f"{column}: {count} re-encrypted")


@click.command("purge")
@click.option("--days", default=365, show_default=True, help="age of closed cases to de-identify")
@click.option("--session-days", default=30, show_default=True, help="age of finished SMS/USSD sessions to remove")
def purge_command(days, session_days):
    """Remove identifying fields of old closed cases and old SMS/USSD sessions."""
    report = maintenance.purge(days, session_days)
    record("purge", detail={"days": days, "session_days": session_days}, count=report.cases)
    db.session.commit()
    for line in report.lines():
        click.echo(line)
