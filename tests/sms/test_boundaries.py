"""Import direction: only the Twilio adapter and the webhook module know Twilio; the
dialogue knows no provider and no HTTP."""
from __future__ import annotations

import ast
from pathlib import Path

SMS = Path(__file__).resolve().parents[2] / "sms"
TWILIO_ALLOWED = {"views.py", "twilio_rest.py"}
PROVIDER_FREE = {"dialogue.py", "channels.py", "render.py", "segments.py", "messages.py", "models.py", "outbox.py"}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_adapter_and_the_webhooks_import_twilio():
    for path in SMS.rglob("*.py"):
        if "twilio" in imported(path):
            assert path.name in TWILIO_ALLOWED, f"{path.relative_to(SMS)} imports twilio"


def test_the_dialogue_knows_no_provider_and_no_http():
    for name in PROVIDER_FREE:
        found = imported(SMS / name) & {"twilio", "requests", "flask", "werkzeug"}
        assert not found, f"{name} imports {found}"
