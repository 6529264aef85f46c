"""Import direction: only the Twilio adapter and the webhook module know Twilio; the
dialogue knows no provider and no HTTP."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TWILIO_ALLOWED = {"sms/views.py", "webapp/outbox/providers/twilio_rest.py"}
PROVIDER_FREE = {"sms/dialogue.py", "sms/channels.py", "sms/render.py", "sms/messages.py", "sms/models.py",
                 "webapp/outbox/segments.py", "webapp/outbox/operations.py", "webapp/outbox/models.py"}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_adapter_and_the_webhooks_import_twilio():
    for path in [*(ROOT / "sms").rglob("*.py"), *(ROOT / "webapp").rglob("*.py")]:
        if "twilio" in imported(path):
            assert path.relative_to(ROOT).as_posix() in TWILIO_ALLOWED, f"{path.relative_to(ROOT)} imports twilio"


def test_the_dialogue_knows_no_provider_and_no_http():
    for name in PROVIDER_FREE:
        found = imported(ROOT / name) & {"twilio", "requests", "flask", "werkzeug"}
        assert not found, f"{name} imports {found}"
