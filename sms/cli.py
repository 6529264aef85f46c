"""``flask --app wsgi outbox ...`` and ``flask --app wsgi sms ...``."""
from __future__ import annotations

import sys
import uuid

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.extensions import db

from . import channels, dialogue, outbox, segments, transcripts
from .providers import provider_for

outbox_cli = AppGroup("outbox", help="Send queued SMS and see what failed.")
sms_cli = AppGroup("sms", help="SMS/USSD channel: reminders and the training simulator.")


def tick() -> None:
    """Reminders for idle screenings, expiry of old ones, old MessageSids and idle simulator
    transcripts forgotten; commits."""
    dialogue.send_reminders()
    dialogue.expire_stale()
    dialogue.forget_old_inbound()
    transcripts.forget_idle()
    db.session.commit()


@outbox_cli.command("run")
@click.option("--once", is_flag=True, help="One pass and exit (for a cron tick).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes when idle.")
@click.option("--limit", default=50, show_default=True, help="Messages per pass.")
def run_command(once: bool, interval: float, limit: int) -> None:
    """Send due messages through SMS_PROVIDER, retrying on temporary errors."""
    provider = provider_for(current_app.config["APP_CONFIG"])
    if once:
        tick()
        result = outbox.run_once(provider, limit=limit)
        click.echo(f"claimed {result.claimed}, sent {result.sent}, retrying {result.retrying}, failed {result.failed}")
        return
    click.echo(f"outbox worker running with provider {provider.name}; Ctrl-C stops it")
    try:
        outbox.run_forever(provider, interval=interval, tick=tick)
    except KeyboardInterrupt:
        click.echo("stopped")


@outbox_cli.command("status")
def status_command() -> None:
    """Messages by status, and the latest failures (never the number or the text)."""
    counts = outbox.counts()
    click.echo(" ".join(f"{status}={counts[status]}" for status in sorted(counts)) or "empty")
    for message in outbox.failed():
        click.echo(
            f"failed #{message.id} {message.purpose} attempts={message.attempts} "
            f"created={message.created_at:%Y-%m-%d %H:%M} error={message.error or '-'}"
        )


@outbox_cli.command("retry")
@click.argument("message_id", type=int)
def retry_command(message_id: int) -> None:
    """Queue failed message MESSAGE_ID again."""
    if not outbox.retry(message_id):
        click.echo(f"error: message {message_id} is not a failed message", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"message {message_id} queued again")


@sms_cli.command("remind")
def remind_command() -> None:
    """Queue reminders for screenings idle 30 minutes; let go of those idle 24 hours."""
    reminded = dialogue.send_reminders()
    expired = dialogue.expire_stale()
    dialogue.forget_old_inbound()
    transcripts.forget_idle()
    db.session.commit()
    click.echo(f"reminders queued: {reminded}, sessions expired: {expired}")


@sms_cli.command("simulate")
@click.option("--phone", required=True, help="A registered staff phone number.")
@click.option("--ussd", is_flag=True, help="Simulate the USSD menu instead of SMS.")
@click.option("--lang", type=click.Choice(["en", "km"]), default="en", show_default=True, help="USSD menu language.")
def simulate_command(phone: str, ussd: bool, lang: str) -> None:
    """Chat with the real dialogue in the terminal: nothing is sent, screenings are training.

    Type a message and press Enter; ':quit' (or Ctrl-D) ends. USSD: ':dial' hangs up and
    dials again (a dropped session).
    """
    caller = dialogue.identify(phone, training=True)
    if caller is None:
        click.echo(f"< {channels.neutral_reply()}")
        click.echo("(this number is not an active staff phone)", err=True)
        sys.exit(2)
    if ussd:
        _simulate_ussd(caller, lang)
    else:
        _simulate_sms(caller)


def _read() -> str | None:
    try:
        line = input("> ")
    except EOFError:
        return None
    return None if line.strip() == ":quit" else line


def _simulate_sms(caller) -> None:
    click.echo("SMS training simulator: send SCREEN (or ពិនិត្យ) to start.")
    while (line := _read()) is not None:
        for text in channels.caller_sms_reply(caller, line):
            click.echo(f"< {text}  [{segments.segments(text)} segment(s)]")
        db.session.commit()


def _simulate_ussd(caller, language: str) -> None:
    gateway_session, inputs = uuid.uuid4().hex, []
    reply = channels.caller_ussd_reply(caller, gateway_session, "", language=language)
    db.session.commit()
    click.echo(reply.body)
    while (line := _read()) is not None:
        if line.strip() == ":dial" or reply.end:
            gateway_session, inputs = uuid.uuid4().hex, []
        else:
            inputs.append(line.strip())
        reply = channels.caller_ussd_reply(caller, gateway_session, "*".join(inputs), language=language)
        db.session.commit()
        click.echo(reply.body)
