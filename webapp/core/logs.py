"""Logs without personal data.

Our own code logs ids, codes and counts only. As a second line of defence every record
passes through :class:`Redactor` before any handler writes it: phone numbers, e-mail
addresses, secrets in query strings and request bodies of libraries (Twilio's HTTP client,
Werkzeug's access log) are masked. One JSON object per line, for log shippers.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime

PATTERNS = [
    # Client addresses are not ours to keep either (and look like phone numbers to the next rule).
    (re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])"), "[ip]"),
    # Phone numbers: +855 12 345 678, 012345678, 85512345678 (7+ digits, spaces/dashes allowed).
    (re.compile(r"(?<![\w.])\+?\d[\d\s().-]{6,}\d(?![\w])"), "[phone]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    # Secrets and message content in query strings and form bodies.
    (re.compile(r"(?i)\b(token|signature|password|body|text|from|to|phoneNumber|phone)=([^&\s\"']+)"), r"\1=[redacted]"),
]


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def sanitise(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a record in place: its message (args merged in) and its exception, of which
    only the type and the stack frames are kept (exception texts quote values: an
    IntegrityError quotes the row it could not write)."""
    if getattr(record, "_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken format must not break logging
        message = str(record.msg)
    record.msg = redact(message)
    record.args = None
    if record.exc_info and record.exc_info[1] is not None:
        kind, _error, tb = record.exc_info
        frames = "".join(traceback.format_tb(tb))
        record.exc_text = f"{frames}{kind.__name__} (message withheld)"
        record.exc_info = None
    record._redacted = True  # type: ignore[attr-defined]
    return record


def install_record_factory() -> None:
    """Every record, from every library, is redacted as it is made: no handler, ours or a
    test's or gunicorn's, ever sees the raw text."""
    current = logging.getLogRecordFactory()
    if getattr(current, "_screening", False):
        return

    def factory(*args, **kwargs):
        return sanitise(current(*args, **kwargs))

    factory._screening = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **({"error": record.exc_text} if record.exc_text else {}),
        }, ensure_ascii=False)


def configure(level: str = "INFO") -> None:
    """Redact every record; one stderr handler on the root logger writing JSON lines."""
    install_record_factory()
    root = logging.getLogger()
    if any(getattr(handler, "_screening", False) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._screening = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
