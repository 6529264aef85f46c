"""`flask --app wsgi screening score FILE` and `... validate`: in-process through Flask's CLI
runner (the same Click commands the `flask` script runs), and once as a real process for the
exit status and stderr the shell sees."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SHARED, make_config
from webapp import create_app

VIGNETTES = json.loads((SHARED / "vignettes" / "examples.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    """These commands read files and score them: the app's database is never opened."""
    app = create_app(make_config(f"sqlite:///{tmp_path_factory.mktemp('cli') / 'unused.db'}"))
    return app.test_cli_runner()


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_every_vignette_scores_as_expected_through_the_cli(vignette, runner, tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"answers": vignette["answers"], "questionnaire": 1}), encoding="utf-8")
    out = runner.invoke(args=["screening", "score", str(path)])
    assert out.exit_code == 0, out.output
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
def test_bad_input_exits_2_with_one_clear_line(case, payload, named, runner, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    out = runner.invoke(args=["screening", "score", str(path)])
    assert out.exit_code == 2  # an exception escaping the command would be exit code 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert named in lines[0]
    assert out.stdout == ""


def test_malformed_json_exits_2(runner, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"answers": {"consent": "yes",}', encoding="utf-8")
    out = runner.invoke(args=["screening", "score", str(path)])
    assert out.exit_code == 2
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]
    assert "not valid JSON" in out.stderr


def test_missing_file_exits_2(runner, tmp_path):
    out = runner.invoke(args=["screening", "score", str(tmp_path / "nope.json")])
    assert out.exit_code == 2
    assert "cannot read" in out.stderr


def test_score_reads_stdin(runner):
    out = runner.invoke(args=["screening", "score", "-"], input='{"answers": {"consent": "no"}}')
    assert out.exit_code == 0
    assert json.loads(out.stdout)["tier"] == "not_screened"


def test_validate_shipped_and_broken_files(runner, tmp_path):
    out = runner.invoke(args=["screening", "validate"])
    assert out.exit_code == 0 and "v1.yaml: version 1" in out.stdout
    broken = tmp_path / "v1.yaml"
    text = (ROOT / "questionnaires" / "definitions" / "v1.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace("element: means", "element: meanz", 1), encoding="utf-8")
    out = runner.invoke(args=["screening", "validate", str(broken)])
    assert out.exit_code == 2
    assert "unknown element 'meanz'" in out.stderr


def test_the_real_flask_command_exits_2_on_bad_input(tmp_path):
    """One real process (`python -m flask --app wsgi`, the app the README's commands load):
    the shell sees exit status 2 and one line on stderr, not a traceback."""
    env = dict(os.environ, APP_ENV="development", INSTANCE_DIR=str(tmp_path / "instance"))
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"answers": {"consent": "yes", "A1": "maybe"}}), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "screening", "score", str(path)],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [out.stderr.strip()] and '"maybe"' in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
