"""The service directory: CSV import all-or-nothing, export, and the `nearest` CLI."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from webapp.referrals import directory
from webapp.referrals.models import Service


def synthetic_rows(n=50):
    rows = []
    for i in range(n):
        rows.append({
            "registration_number": f"SYN-{i:03d}", "name_km": f"សេវាសាកល្បង {i}", "name_en": f"DEMO Service {i}",
            "kind": "ngo", "service_types": "shelter;psychosocial", "accepts_sexes": "female" if i % 3 == 0 else "",
            "age_min": "18" if i % 4 == 0 else "", "age_max": "", "nationalities": "", "provinces": "BMC;BTB",
            "lat": f"{13.0 + i * 0.01:.2f}", "lon": f"{102.5 + i * 0.01:.2f}", "address": "DEMO address",
            "phone": f"+8551200{2000 + i}", "places": str(i % 7), "hours": "08:00-17:00", "active": "yes",
        })
    return rows


def as_csv(rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=directory.COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_import_of_50_rows_with_3_bad_imports_nothing_and_names_each(app, db):
    rows = synthetic_rows()
    rows[4]["lat"] = "north"                 # line 6
    rows[20]["service_types"] = "hotel"      # line 22
    rows[41]["provinces"] = "BMC;XYZ"        # line 43
    try:
        directory.import_csv(as_csv(rows))
    except directory.ImportError_ as exc:
        problems = [(e.line, e.field) for e in exc.errors]
    else:
        raise AssertionError("a bad file was imported")
    assert problems == [(6, "lat"), (22, "service_types"), (43, "provinces")]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Service)) == 0


def test_import_names_numbers_the_database_cannot_hold_instead_of_failing(app, db):
    rows = synthetic_rows(3)
    rows[0]["places"] = "²"                  # line 2: a digit to isdigit(), not to int()
    rows[1]["age_min"] = "99999999999"       # line 3: past the integer column
    with pytest.raises(directory.ImportError_) as raised:
        directory.import_csv(as_csv(rows))
    assert [(e.line, e.field) for e in raised.value.errors] == [(2, "places"), (3, "age_min")]
    db.session.rollback()


def test_import_then_export_round_trips(app, db):
    rows = synthetic_rows(5)
    assert directory.import_csv(as_csv(rows)) == (5, 0)
    db.session.commit()
    exported = directory.export_csv(db.session.scalars(select(Service).order_by(Service.registration_number)))
    again = list(csv.DictReader(io.StringIO(exported)))
    assert [r["registration_number"] for r in again] == [r["registration_number"] for r in rows]
    assert again[0]["phone"] == "+85512002000" and again[0]["service_types"] == "shelter;psychosocial"
    assert directory.import_csv(exported) == (0, 5)  # idempotent: updates, no duplicates


def test_language_column_sets_what_the_service_reads_and_a_file_without_it_keeps_it(app, db):
    rows = synthetic_rows(3)
    rows[1]["language"] = "en"
    rows[2]["language"] = "EN"
    assert directory.import_csv(as_csv(rows)) == (3, 0)
    db.session.commit()
    languages = db.session.scalars(select(Service.language).order_by(Service.registration_number)).all()
    assert languages == ["km", "en", "en"]  # empty: Khmer, the default
    exported = list(csv.DictReader(io.StringIO(directory.export_csv(db.session.scalars(select(Service))))))
    assert sorted(r["language"] for r in exported) == ["en", "en", "km"]
    without = io.StringIO()
    columns = [c for c in directory.COLUMNS if c != "language"]
    writer = csv.DictWriter(without, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(synthetic_rows(3))
    assert directory.import_csv(without.getvalue()) == (0, 3)
    db.session.commit()
    assert db.session.scalars(select(Service.language).order_by(Service.registration_number)).all() == languages
    rows[0]["language"] = "fr"
    with pytest.raises(directory.ImportError_) as refused:
        directory.import_csv(as_csv(rows))
    assert [(e.line, e.field) for e in refused.value.errors] == [(2, "language")]


def test_duplicate_registration_numbers_rejected(app, db):
    rows = synthetic_rows(3)
    rows[2]["registration_number"] = rows[0]["registration_number"]
    with pytest.raises(directory.ImportError_) as refused:
        directory.import_csv(as_csv(rows))
    assert str(refused.value.errors[0]) == "line 4, registration_number: duplicate of line 2"


def test_phone_stored_encrypted_and_found_by_hash(app, db):
    from sqlalchemy import text

    directory.import_csv(as_csv(synthetic_rows(2)))
    db.session.commit()
    raw = db.session.execute(text("SELECT phone FROM services ORDER BY id")).scalars().all()
    assert all("+855" not in value for value in raw)
    assert directory.find_by_phone("+85512002001").name_en == "DEMO Service 1"


def test_nearest_cli(app, db):
    directory.import_csv(as_csv(synthetic_rows(10)))
    db.session.commit()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["directory", "nearest", "--point", "13.0,102.5", "--need", "shelter",
                              "--sex", "male", "--age", "30", "--nationality", "KH"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["chosen"]["name"] == "DEMO Service 1"  # 0 is women-only, 0 and 4 are 18+ (fine), 0 has no place
    assert len(result["alternatives"]) == 3
    assert result["chosen"]["distance_km"] > 0


def test_nearest_cli_bad_arguments_exit_2(app):
    runner = app.test_cli_runner()
    for args in (["--point", "north", "--need", "shelter"], ["--point", "13,102", "--need", "hotel"],
                 ["--point", "13,102", "--need", "shelter", "--age", "-4"], ["--point", "99,102", "--need", "shelter"]):
        out = runner.invoke(args=["directory", "nearest", *args])
        assert out.exit_code == 2, args
        assert "Traceback" not in out.output
