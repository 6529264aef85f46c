"""`flask --app wsgi recordings coverage`: which texts lack a recording, per language."""
from __future__ import annotations

import click
from flask.cli import AppGroup

import questionnaires

from . import operations

recordings_cli = AppGroup("recordings", help="Recorded audio of the person-facing texts.")


@recordings_cli.command("coverage")
@click.option("--lang", help="Only this language; lists the texts without a recording.")
def coverage_command(lang):
    """Texts, recordings, reviewed, outdated and bytes of audio per language."""
    q = questionnaires.load()
    for code in [lang] if lang else list(q.languages):
        if q.language(code) is None:
            raise click.BadParameter(f"the questionnaire has no language {code!r}", param_hint="--lang")
        rows = operations.text_rows(code, q)
        c = operations.coverage(code, q, rows)
        click.echo(f"{code:8} {c.recorded:3}/{c.texts} recorded, {c.reviewed} reviewed, {c.outdated} outdated, "
                   f"{c.audio_bytes} bytes")
        if lang:
            for text, recording, _outdated in rows:
                if recording is None:
                    click.echo(f"  missing {text.key}")
