"""`flask --app wsgi keys rotate` and `flask --app wsgi purge`.

The composition root of retention: each part keeps its own step (cases in
``webapp.screening.retention``, dialogue sessions and simulator transcripts in ``sms``,
sent messages in ``webapp.outbox``) and only this module knows them all, so ``webapp.core``
knows no feature."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from sms import dialogue, transcripts

from .audit.operations import record
from .core import keys
from .core.types import utcnow
from .extensions import db
from .outbox import operations as outbox
from .screening import retention as cases

keys_cli = AppGroup("keys", help="Encryption keys of identifying fields.")


@dataclass
class PurgeReport:
    cases: int = 0
    drafts: int = 0
    fields: dict[str, int] = field(default_factory=dict)
    sms_sessions: int = 0
    outbox_messages: int = 0
    simulator_transcripts: int = 0

    def lines(self) -> list[str]:
        lines = [f"closed cases de-identified: {self.cases}",
                 f"unfinished screenings de-identified: {self.drafts}"]
        lines += [f"  {name}: {count}" for name, count in sorted(self.fields.items())]
        lines.append(f"finished SMS/USSD sessions removed: {self.sms_sessions}")
        lines.append(f"sent or failed outbox messages removed: {self.outbox_messages}")
        lines.append(f"idle simulator transcripts removed: {self.simulator_transcripts}")
        return lines


def purge(case_days: int = 365, session_days: int = 30, sms_draft_hours: int = 24,
          web_draft_days: int = 3) -> PurgeReport:
    """Every retention step: identifying fields of old closed cases and expired drafts
    (:func:`webapp.screening.retention.deidentify_expired`), finished SMS/USSD sessions and
    sent messages older than ``session_days``, and idle simulator transcripts."""
    now = utcnow()
    done = cases.deidentify_expired(now, case_days, sms_draft_hours, web_draft_days)
    report = PurgeReport(cases=done.cases, drafts=done.drafts, fields=done.fields)
    cutoff = now - timedelta(days=session_days)
    report.sms_sessions = dialogue.forget_sessions(cutoff)
    report.outbox_messages = outbox.forget_sent(cutoff)
    # Training chats of the browser simulator: a day without use ends them (as `sms remind` does).
    report.simulator_transcripts = transcripts.forget_idle(now)
    db.session.flush()
    return report


@keys_cli.command("rotate")
def rotate_command():
    """Re-encrypt every identifying field under the first key of ENCRYPTION_KEYS.

    Put the new key first and keep the old ones after it; run this; then drop the old keys.
    """
    changed = keys.rotate_keys()
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
    report = purge(days, session_days, draft_hours, web_draft_days)
    record("purge", detail={"days": days, "session_days": session_days, "draft_hours": draft_hours,
                            "web_draft_days": web_draft_days}, count=report.cases + report.drafts)
    db.session.commit()
    for line in report.lines():
        click.echo(line)
