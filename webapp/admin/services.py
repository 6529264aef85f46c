"""Administrators keep the service directory: list, add, edit, CSV import and export."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..audit.operations import record
from ..core import places
from ..extensions import db
from ..referrals import directory
from ..referrals.models import Service
from ..core.forms import options
from .forms import ServiceForm, ServiceImportForm
from .blueprint import bp


@bp.url_value_preprocessor
def allow_csv_upload(endpoint: str | None, values: dict | None) -> None:
    """The directory import may be larger than MAX_CONTENT_LENGTH, for an administrator only.

    A URL value preprocessor because it runs before every before_request hook: CSRF
    protection reads the form in the app's, which would apply the smaller limit first."""
    if endpoint == "admin.import_services" and current_user.is_authenticated and current_user.role == "admin":
        request.max_content_length = current_app.config["APP_CONFIG"].max_upload_length


@bp.get("/services")
def services():
    rows = db.session.scalars(select(Service).order_by(Service.active.desc(), Service.name_en)).all()
    return render_template("admin/services.html", services=rows, form=ServiceImportForm(),
                           province_name=places.province_name, country_name=places.country_name)


def form_values(form: ServiceForm) -> dict:
    """The form as a CSV row: lists joined with ;, a decimal comma read as a point."""
    row = {}
    for name in directory.COLUMNS:
        if hasattr(form, name):
            value = getattr(form, name).data or ""
            row[name] = ";".join(value) if isinstance(value, list) else value
    for name in ("lat", "lon"):
        row[name] = row.get(name, "").strip().replace(",", ".")
    row["active"] = "yes" if form.active.data else "no"
    return row


def service_form() -> ServiceForm:
    form = ServiceForm(obj=None)
    form.provinces.choices = options(places.province_choices())
    form.nationalities.choices = options(places.country_choices())
    form.countries.choices = options(places.country_choices(exclude=("KH",)))
    return form


# What parse_row found wrong, in the admin's language (parse_row speaks CSV, in English, for
# the import report); the field is named by its label, the wrong value shown as typed.
PROBLEM_WORDS = (
    ("required", _l("This field is required.")),
    ("unknown", _l("Not one of the values offered.")),
    ("must be a number", _l("Enter a number (a point or a comma for decimals).")),
    ("must be a whole number", _l("Enter a whole number.")),
    ("is below", _l("Must not be below the youngest age.")),
    ("not a phone number", _l("Not a phone number.")),
    ("already registered", _l("Another service already has this registration number.")),
    ("must be one of", _l("Not one of the values offered.")),
    ("longer than", _l("Too long.")),
)


def problem_words(form: ServiceForm, problem: directory.RowError) -> str:
    field = getattr(form, problem.field, None)
    label = field.label.text if field is not None else problem.field
    words = next((w for start, w in PROBLEM_WORDS if problem.message.startswith(start)), _l("Check this value."))
    return f"{label}: {words}"


@bp.route("/services/new", methods=["GET", "POST"], endpoint="new_service")
@bp.route("/services/<int:service_id>", methods=["GET", "POST"], endpoint="edit_service")
def edit_service(service_id: int | None = None):
    service = db.session.get(Service, service_id) if service_id else None
    if service_id and service is None:
        abort(404)
    form = service_form()
    if request.method == "GET" and service is not None:
        for column in directory.COLUMNS:
            if hasattr(form, column):
                value = getattr(service, column)
                if column in directory.LIST_COLUMNS:
                    value = list(value or [])
                getattr(form, column).data = value if column != "active" else service.active
    errors = []
    if form.validate_on_submit():
        values, problems = directory.parse_row(form_values(form), line=0)
        other = db.session.scalar(select(Service).where(Service.registration_number == values["registration_number"]))
        if other is not None and other is not service:
            problems.append(directory.RowError(0, "registration_number", "already registered"))
        if problems:
            errors = [problem_words(form, p) for p in problems]
        else:
            if service is None:
                service = Service()
                db.session.add(service)
            directory.apply(service, values)
            db.session.flush()
            record("change.service", user=current_user, object_type="service", object_id=service.id)
            db.session.commit()
            flash(_("Saved."), "ok")
            return redirect(url_for(".services"))
    return render_template("admin/service_form.html", form=form, service=service, errors=errors), (422 if errors else 200)


@bp.post("/services/import")
def import_services():
    form = ServiceImportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        text = form.file.data.read().decode("utf-8")
        created, updated = directory.import_csv(text)
    except UnicodeDecodeError:
        flash(_("The file is not UTF-8 text."), "error")
        return redirect(url_for(".services"))
    except directory.ImportError_ as exc:
        db.session.rollback()
        rows = db.session.scalars(select(Service).order_by(Service.name_en)).all()
        return render_template("admin/services.html", services=rows, form=form, import_errors=exc.errors,
                               province_name=places.province_name, country_name=places.country_name), 422
    record("change.service.import", user=current_user, count=created + updated)
    db.session.commit()
    flash(_("Imported %(new)d new and %(updated)d updated services.", new=created, updated=updated), "ok")
    return redirect(url_for(".services"))


@bp.get("/services/export.csv")
def export_services():
    body = directory.export_csv(db.session.scalars(select(Service).order_by(Service.registration_number)))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="services.csv"'
    return response
