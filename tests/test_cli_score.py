"""`flask --app wsgi screening score FILE` and `... validate`, run as real processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED

VIGNETTES = json.loads((SHARED / "vignettes" / "examples.json").read_text(encoding="utf-8"))


def flask_cli(*args: str, tmp_path: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, APP_ENV="development", INSTANCE_DIR=str(tmp_path / "instance"))
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        capture_output=True, text=True, cwd=ROOT, env=env, input=stdin, timeout=60,
    )


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_every_vignette_scores_as_expected_through_the_cli(vignette, tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"answers": vignette["answers"], "questionnaire": 1}), encoding="utf-8")
    out = flask_cli("screening", "score", str(path), tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    expected = vignette["expected"]
    assert result["tier"] == expected["tier"]
    assert sorted(result["flags"]) == sorted(expected["flags"])
    for element, level in expected.get("elements", {}).items():
        assert result["elements"][element]["level"] == level
    assert result["questionnaire_version"] == 1
    assert isinstance(result["reasons"], list)


BAD_INPUT = [
    ("unknown code", {"answers": {"consent": "yes", "Z9": "yes"}}, "Z9"),
    ("maybe", {"answers": {"consent": "yes", "A1": "maybe"}}, '"maybe"'),
    ("negative age", {"answers": {"consent": "yes", "age": -3}}, "-3"),
    ("no answers", {"answer": {}}, '"answers"'),
    ("unknown version", {"answers": {}, "questionnaire": 99}, "version 99"),
]


@pytest.mark.parametrize("case,payload,named", BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_exits_2_with_one_clear_line(case, payload, named, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    out = flask_cli("screening", "score", str(path), tmp_path=tmp_path)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert named in lines[0]
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_malformed_json_exits_2(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"answers": {"consent": "yes",}', encoding="utf-8")
    out = flask_cli("screening", "score", str(path), tmp_path=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]
    assert "not valid JSON" in out.stderr


def test_missing_file_exits_2(tmp_path):
    out = flask_cli("screening", "score", str(tmp_path / "nope.json"), tmp_path=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def test_score_reads_stdin(tmp_path):
    out = flask_cli("screening", "score", "-", tmp_path=tmp_path, stdin='{"answers": {"consent": "no"}}')
    assert out.returncode == 0
    assert json.loads(out.stdout)["tier"] == "not_screened"


def test_validate_shipped_and_broken_files(tmp_path):
    out = flask_cli("screening", "validate", tmp_path=tmp_path)
    assert out.returncode == 0 and "v1.yaml: version 1" in out.stdout
    broken = tmp_path / "v1.yaml"
    text = (ROOT / "questionnaires" / "definitions" / "v1.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace("element: means", "element: meanz", 1), encoding="utf-8")
    out = flask_cli("screening", "validate", str(broken), tmp_path=tmp_path)
    assert out.returncode == 2
    assert "unknown element 'meanz'" in out.stderr
