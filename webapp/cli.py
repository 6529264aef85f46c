"""Command-line groups: ``flask --app wsgi screening ...`` and the others."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

import questionnaires
from questionnaires import AnswerError, DefinitionError

screening_cli = AppGroup("screening", help="Score answers and check questionnaire files.")


def fail(message: str) -> "NoReturn":  # noqa: F821
    """One clear line on stderr and exit status 2: never a traceback for bad input."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@screening_cli.command("score")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def score_command(file: str) -> None:
    """Score FILE, a JSON object {"answers": {...}, "questionnaire": N}; '-' reads stdin."""
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{file} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), dict):
        fail(f'{file} must hold a JSON object with an "answers" object')
    unexpected = set(payload) - {"answers", "questionnaire"}
    if unexpected:
        fail(f"unknown key {sorted(unexpected)[0]!r} (expected 'answers' and optionally 'questionnaire')")
    version = payload.get("questionnaire")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        fail(f"questionnaire version must be an integer, not {json.dumps(version)}")
    try:
        q = questionnaires.load(version)
        answers = questionnaires.validate_answers(q, payload["answers"])
    except (AnswerError, DefinitionError) as exc:
        fail(str(exc))
    result = questionnaires.score(q, answers)
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False))


@screening_cli.command("validate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def validate_command(files: tuple[str, ...]) -> None:
    """Validate questionnaire FILES (default: every version shipped)."""
    paths = [Path(f) for f in files] or [
        questionnaires.loader.DEFINITIONS / f"v{v}.yaml" for v in questionnaires.available_versions()
    ]
    for path in paths:
        try:
            q = questionnaires.load_file(path)
        except DefinitionError as exc:
            fail(str(exc))
        click.echo(f"{path.name}: version {q.version}, {len(q.questions)} questions, valid")


def register_cli(app: Flask) -> None:
    from .auth.cli import users_cli
    from .core.cli import grant_app_role_command
    from .maintenance import keys_cli, purge_command
    from .demo import demo_cli
    from .outbox.cli import group as outbox_cli
    from .referrals.cli import directory_cli, referrals_cli
    from .review.cli import export_cli

    app.cli.add_command(screening_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(directory_cli)
    app.cli.add_command(referrals_cli)
    app.cli.add_command(export_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(purge_command)
    app.cli.add_command(grant_app_role_command)
