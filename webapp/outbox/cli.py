"""``flask --app wsgi outbox ...``: send queued messages, see and retry failures."""
from __future__ import annotations

import sys
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from webapp.extensions import db

from . import operations
from .providers import provider_for

group = AppGroup("outbox", help="Send queued SMS and see what failed.")
TICKS = "outbox.ticks"


def add_tick(app: Flask, job: Callable[[], object]) -> None:
    """Run ``job`` on every pass of the worker (``outbox run``), before sending: the channel
    registers its reminders and expiry here, so the outbox needs to know no channel."""
    app.extensions.setdefault(TICKS, []).append(job)


def tick() -> None:
    """Every registered periodic job, then commit."""
    for job in current_app.extensions.get(TICKS, ()):
        job()
    db.session.commit()


@group.command("run")
@click.option("--once", is_flag=True, help="One pass and exit (for a cron tick).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes when idle.")
@click.option("--limit", default=50, show_default=True, help="Messages per pass.")
def run_command(once: bool, interval: float, limit: int) -> None:
    """Send due messages through SMS_PROVIDER, retrying on temporary errors."""
    provider = provider_for(current_app.config["APP_CONFIG"])
    if once:
        tick()
        result = operations.run_once(provider, limit=limit)
        click.echo(f"claimed {result.claimed}, sent {result.sent}, retrying {result.retrying}, failed {result.failed}")
        return
    click.echo(f"outbox worker running with provider {provider.name}; Ctrl-C stops it")
    try:
        operations.run_forever(provider, interval=interval, tick=tick)
    except KeyboardInterrupt:
        click.echo("stopped")


@group.command("status")
def status_command() -> None:
    """Messages by status, and the latest failures (never the number or the text)."""
    counts = operations.counts()
    click.echo(" ".join(f"{status}={counts[status]}" for status in sorted(counts)) or "empty")
    for message in operations.failed():
        click.echo(
            f"failed #{message.id} {message.purpose} attempts={message.attempts} "
            f"created={message.created_at:%Y-%m-%d %H:%M} error={message.error or '-'}"
        )


@group.command("retry")
@click.argument("message_id", type=int)
def retry_command(message_id: int) -> None:
    """Queue failed message MESSAGE_ID again."""
    if not operations.retry(message_id):
        click.echo(f"error: message {message_id} is not a failed message", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"message {message_id} queued again")
