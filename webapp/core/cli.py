"""`flask --app wsgi grant-app-role`."""
from __future__ import annotations

import click
from flask import current_app
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from ..extensions import db
from .roles import grant_app_role


@click.command("grant-app-role")
@click.argument("role")
def grant_app_role_command(role):
    """Grant the app's runtime ROLE what it needs (PostgreSQL), as the migration owner
    (MIGRATION_DATABASE_URL): read and write the tables, only add to and read the audit
    trail. Run after every `flask db upgrade`."""
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
