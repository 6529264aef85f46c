"""``flask --app wsgi sms ...``, and the channel's tick on each pass of ``flask outbox run``."""
from __future__ import annotations

import sys
import uuid

import click
from flask.cli import AppGroup

from webapp.extensions import db
from webapp.outbox import segments

from . import channels, dialogue, transcripts

sms_cli = AppGroup("sms", help="SMS/USSD channel: reminders and the training simulator.")


def tick() -> None:
    """Reminders for idle screenings, expiry of old ones, old MessageSids and idle simulator
    transcripts forgotten (the outbox worker commits)."""
    dialogue.send_reminders()
    dialogue.expire_stale()
    dialogue.forget_old_inbound()
    transcripts.forget_idle()


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
