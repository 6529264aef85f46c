"""``flask --app wsgi screening ...``: score answers and check questionnaire files."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

import questionnaires
from questionnaires import AnswerError, DefinitionError

from ..core.commands import fail

screening_cli = AppGroup("screening", help="Score answers and check questionnaire files.")


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
