"""The service directory as CSV: import all-or-nothing with row-level errors, and export."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

import questionnaires
from questionnaires import replies
from questionnaires.loader import country_codes

from ..core import csvsafe, phones
from ..core.inputs import MAX_INTEGER
from ..extensions import db
from .matching import SERVICE_TYPES, SEXES
from .models import SERVICE_KINDS, Service

COLUMNS = (
    "registration_number", "name_km", "name_en", "kind", "service_types", "accepts_sexes", "age_min", "age_max",
    "nationalities", "provinces", "countries", "lat", "lon", "address", "phone", "places", "hours", "active", "language",
)
LANGUAGES = ("km", "en")
LIST_COLUMNS = ("service_types", "accepts_sexes", "nationalities", "provinces", "countries")
# "provinces" is required of a service in Cambodia; a consulate abroad names its countries instead.
REQUIRED = ("registration_number", "name_km", "name_en", "kind", "service_types", "lat", "lon")
ADDRESS_MAX = 300  # as on the admin form


def max_length(field: str) -> int | None:
    """The longest value the column (or the form, for the unbounded address) takes."""
    if field == "address":
        return ADDRESS_MAX
    column = Service.__table__.c.get(field)
    return getattr(column.type, "length", None) if column is not None else None


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


class ImportError_(ValueError):
    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s); nothing imported")
        self.errors = errors


def split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").replace(",", ";").split(";") if part.strip()]


def parse_row(row: dict[str, str], line: int) -> tuple[dict[str, Any], list[RowError]]:
    """Validate one CSV row; returns the service's values and every problem found."""
    errors: list[RowError] = []
    values: dict[str, Any] = {}

    def bad(field: str, message: str) -> None:
        errors.append(RowError(line, field, message))

    for field in REQUIRED:
        if not (row.get(field) or "").strip():
            bad(field, "required")
    if not (row.get("provinces") or "").strip() and not (row.get("countries") or "").strip():
        bad("provinces", "required (or the countries abroad, for a consulate)")
    for field in COLUMNS:
        raw = (row.get(field) or "").strip()
        limit = max_length(field)
        if "\x00" in raw:
            bad(field, "contains a NUL character")
        elif limit is not None and len(raw) > limit:
            bad(field, f"longer than {limit} characters")
    values["registration_number"] = (row.get("registration_number") or "").strip()
    values["name_km"] = csvsafe.restore((row.get("name_km") or "").strip())
    values["name_en"] = csvsafe.restore((row.get("name_en") or "").strip())
    values["kind"] = (row.get("kind") or "").strip()
    if values["kind"] and values["kind"] not in SERVICE_KINDS:
        bad("kind", f"must be one of {', '.join(SERVICE_KINDS)}")
    places = questionnaires.load_places()
    checks = {
        "service_types": (set(SERVICE_TYPES), "unknown service type"),
        "accepts_sexes": (set(SEXES), "unknown sex"),
        "nationalities": (set(country_codes()), "unknown country code"),
        "provinces": ({p.code for p in places.provinces}, "unknown province code"),
        "countries": (set(country_codes()) - {"KH"}, "unknown country code abroad"),
    }
    for field in LIST_COLUMNS:
        items = split(row.get(field, ""))
        if field in ("nationalities", "countries"):
            items = [item.upper() for item in items]
        allowed, message = checks[field]
        wrong = [item for item in items if item not in allowed]
        if wrong:
            bad(field, f"{message}: {', '.join(wrong)}")
        values[field] = items
    for field, low, high in (("lat", -90, 90), ("lon", -180, 180)):
        raw = (row.get(field) or "").strip()
        try:
            number = float(raw)
            if not low <= number <= high:
                raise ValueError
            values[field] = number
        except ValueError:
            if raw:
                bad(field, f"must be a number from {low} to {high}")
    for field in ("age_min", "age_max", "places"):
        raw = (row.get(field) or "").strip()
        if not raw:
            values[field] = None
            continue
        if not replies.is_number(raw) or int(raw) > MAX_INTEGER:  # "²" is a digit int() refuses
            bad(field, "must be a whole number")
        else:
            values[field] = int(raw)
    if values.get("age_min") is not None and values.get("age_max") is not None and values["age_min"] > values["age_max"]:
        bad("age_max", "is below age_min")
    raw_phone = (row.get("phone") or "").strip()
    values["phone"] = None
    if raw_phone:
        try:
            values["phone"] = phones.normalise(raw_phone)
        except phones.PhoneError:
            bad("phone", "not a phone number")
    values["address"] = csvsafe.restore((row.get("address") or "").strip())
    values["hours"] = csvsafe.restore((row.get("hours") or "").strip())[:120]
    active = (row.get("active") or "yes").strip().lower()
    if active not in ("yes", "no", "true", "false", "1", "0"):
        bad("active", "must be yes or no")
    values["active"] = active in ("yes", "true", "1")
    if row.get("language") is not None:  # a file without the column keeps each service's language
        language = row["language"].strip().lower() or "km"
        if language not in LANGUAGES:
            bad("language", "must be km or en")
        values["language"] = language
    return values, errors


def import_csv(text: str) -> tuple[int, int]:
    """Import every row or none. Returns (created, updated); raises ImportError_ with every
    problem (line number and field) when any row is bad."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportError_([RowError(1, c, "column missing") for c in missing])
    parsed: list[dict[str, Any]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(reader):
        line = index + 2  # the header is line 1
        values, row_errors = parse_row(row, line)
        number = values["registration_number"]
        if number and number in seen:
            row_errors.append(RowError(line, "registration_number", f"duplicate of line {seen[number]}"))
        seen.setdefault(number, line)
        errors.extend(row_errors)
        parsed.append(values)
    if errors:
        raise ImportError_(errors)
    existing = {s.registration_number: s for s in db.session.scalars(select(Service))}
    created = updated = 0
    for values in parsed:
        service = existing.get(values["registration_number"])
        if service is None:
            service = Service()
            db.session.add(service)
            created += 1
        else:
            updated += 1
        apply(service, values)
    db.session.flush()
    return created, updated


def save_row(service: Service | None, row: dict[str, str]) -> tuple[Service | None, list[RowError]]:
    """One service from the admin's form (as a CSV row), checked as an import checks it, and
    refused when another service already has its registration number. ``service`` None: a
    new one. Returns the saved service, or None and the problems."""
    values, problems = parse_row(row, line=0)
    other = db.session.scalar(select(Service).where(Service.registration_number == values["registration_number"]))
    if other is not None and other is not service:
        problems.append(RowError(0, "registration_number", "already registered"))
    if problems:
        return None, problems
    if service is None:
        service = Service()
        db.session.add(service)
    apply(service, values)
    db.session.flush()
    return service, []


def apply(service: Service, values: dict[str, Any]) -> None:
    phone = values.pop("phone", None)
    for key, value in values.items():
        setattr(service, key, value)
    service.phone = phone
    service.phone_hash = phones.phone_hash(phone) if phone else None


def export_csv(services: Iterable[Service]) -> str:
    out = io.StringIO()
    writer = csvsafe.dict_writer(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for service in services:
        row = {column: getattr(service, column) for column in COLUMNS}
        for column in LIST_COLUMNS:
            row[column] = ";".join(row[column] or [])
        row["active"] = "yes" if service.active else "no"
        row["phone"] = service.phone or ""
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def find_by_phone(e164: str) -> Service | None:
    return db.session.scalar(select(Service).where(Service.phone_hash == phones.phone_hash(e164), Service.active.is_(True)))
