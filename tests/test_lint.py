"""Lint: `ruff check .` with the rule set of pyproject.toml ([tool.ruff]) finds nothing.
A finding fails here with ruff's own line for it (file, line, rule, message)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")


def test_ruff_finds_nothing():
    result = subprocess.run([str(RUFF), "check", "--no-cache", "--output-format", "concise", "."],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"ruff check:\n{result.stdout[-6000:]}{result.stderr[-2000:]}"
