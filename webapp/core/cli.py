"""`flask --app wsgi keys rotate` and `flask --app wsgi purge`."""
from __future__ import annotations

import click
from flask import current_app
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
@click.option("--draft-hours", type=int, help="idle hours of an unfinished SMS/USSD screening (SMS_DRAFT_HOURS, 24)")
@click.option("--web-draft-days", type=int, help="idle days of an unfinished web screening (WEB_DRAFT_DAYS, 3)")
def purge_command(days, session_days, draft_hours, web_draft_days):
    """Remove identifying fields of old closed cases and expired unfinished screenings, and
    old SMS/USSD sessions."""
    config = current_app.config["APP_CONFIG"]
    draft_hours = config.sms_draft_hours if draft_hours is None else draft_hours
    web_draft_days = config.web_draft_days if web_draft_days is None else web_draft_days
    report = maintenance.purge(days, session_days, draft_hours, web_draft_days)
    record("purge", detail={"days": days, "session_days": session_days, "draft_hours": draft_hours,
                            "web_draft_days": web_draft_days}, count=report.cases + report.drafts)
    db.session.commit()
    for line in report.lines():
        click.echo(line)


@click.command("grant-app-role")
@click.argument("role")
def grant_app_role_command(role):
    """Grant the app's runtime ROLE what it needs (PostgreSQL), as the migration owner
    (MIGRATION_DATABASE_URL): read and write the tables, only add to and read the audit
    trail. Run after every `flask db upgrade`."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from .roles import grant_app_role

    config = current_app.config["APP_CONFIG"]
    engine = create_engine(config.migration_database_url or config.database_url, poolclass=NullPool)
    tables = [table.name for table in db.metadata.sorted_tables]
    try:
        with engine.begin() as connection:
            statements = grant_app_role(connection, role, tables)
    except (RuntimeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    click.echo(f"{role}: {len(statements)} grants applied")
