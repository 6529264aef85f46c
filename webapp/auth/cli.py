"""`flask --app wsgi users ...`: create and manage staff accounts from the shell."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from . import operations
from .models import ROLES

users_cli = AppGroup("users", help="Create and manage staff accounts.")


@users_cli.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", required=True)
@click.option("--phone", required=True, help="Phone number; +855... or a Cambodian local number")
@click.option("--username", default=None)
@click.option("--province", "province_code", default=None, help="Province code, e.g. BMC")
@click.option("--post", "post_code", default=None, help="Border post code, e.g. POIPET")
@click.option("--country", "country_code", default=None, help="Country code for consular staff, e.g. TH")
@click.option("--language", default="km", type=click.Choice(["km", "en"]))
@click.option("--national", is_flag=True, help="Supervisor with national scope")
def create_command(role, name, phone, username, province_code, post_code, country_code, language, national):
    """Create a user and print a one-time password (changed at first log-in)."""
    try:
        user, secret = operations.create_user(
            role=role, name=name, phone=phone, username=username, province_code=province_code,
            post_code=post_code, country_code=country_code, language=language, national=national,
        )
    except operations.AccountError as exc:
        db.session.rollback()
        raise click.UsageError(f"{exc.field}: {exc}") from None
    db.session.commit()
    click.echo(f"created {user.role} user {user.username!r}; one-time password: {secret}")


@users_cli.command("reset-password")
@click.argument("username")
def reset_password_command(username):
    """Give USERNAME a new one-time password."""
    user = operations.find_by_login(username)
    if user is None:
        raise click.UsageError(f"no user {username!r}")
    secret = operations.reset_password(user)
    db.session.commit()
    click.echo(f"one-time password for {user.username!r}: {secret}")
