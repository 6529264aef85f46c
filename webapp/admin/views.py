"""The admin pages: administrators manage staff accounts (they do not read case content)
and keep the service directory (list, add, edit, CSV import and export)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..audit.operations import record
from ..auth import operations as accounts
from ..auth.forms import ROLE_LABELS, UserForm
from ..auth.models import User
from ..core import inputs, phones, places
from ..core.forms import options
from ..extensions import db
from ..referrals import directory
from ..referrals.models import Service
from .forms import ServiceForm, ServiceImportForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


def user_form(**kwargs) -> UserForm:
    form = UserForm(**kwargs)
    blank = [("", "—")]
    form.province_code.choices = options(blank + places.province_choices())
    form.post_code.choices = options(blank + places.post_choices())
    form.country_code.choices = options(blank + places.country_choices(exclude=("KH",)))
    return form


@bp.get("/users")
def users():
    rows = db.session.scalars(select(User).order_by(User.active.desc(), User.role, User.name)).all()
    return render_template("admin/users.html", users=rows, roles=ROLE_LABELS, mask=phones.mask)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = user_form()
    if form.validate_on_submit():
        try:
            accounts.check_admin_change(current_user, None, scope_from(form, active=True))
            user, secret = accounts.create_user(
                role=form.role.data, name=form.name.data, phone=form.phone.data, username=form.username.data or None,
                province_code=form.province_code.data, post_code=form.post_code.data,
                country_code=form.country_code.data, language=form.language.data, national=form.national.data,
            )
        except accounts.AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(account_message(str(exc)))
        else:
            record("change.user.create", user=current_user, object_type="user", object_id=user.id,
                   detail={"role": user.role, "after": accounts.scope(user)})
            db.session.commit()
            return render_template("admin/created.html", user=user, secret=secret)
    return render_template("admin/user_form.html", form=form, title=_("Add a user"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = user_form(obj=user)
    if request.method == "GET":
        form.phone.data = user.phone
    if form.validate_on_submit():
        before, after = accounts.scope(user), scope_from(form, active=form.active.data)
        try:
            accounts.check_admin_change(current_user, user, after)
            accounts.set_phone(user, form.phone.data)
        except accounts.AccountError as exc:
            getattr(form, exc.field).errors.append(account_message(str(exc)))
            return render_template("admin/user_form.html", form=form, title=user.name, user=user)
        user.name = form.name.data
        user.language = form.language.data
        if user.active and not after["active"]:
            accounts.end_sessions(user)
        for name, value in after.items():
            setattr(user, name, value)
        changed = [name for name in accounts.SCOPE_FIELDS if before[name] != after[name]]
        record("change.user.edit", user=current_user, object_type="user", object_id=user.id,
               detail={"role": user.role, "active": user.active,
                       "before": {name: before[name] for name in changed},
                       "after": {name: after[name] for name in changed}})
        db.session.commit()
        flash(_("Saved."), "ok")
        return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, title=user.name, user=user)


@bp.post("/users/<int:user_id>/reset")
def reset_password(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if not accounts.may_reset_on_web(user):
        flash(_("A national supervisor's password is reset on the server: flask users reset-password."), "error")
        return redirect(url_for(".edit_user", user_id=user.id))
    secret = accounts.reset_password(user)
    record("change.user.reset_password", user=current_user, object_type="user", object_id=user.id)
    db.session.commit()
    return render_template("admin/created.html", user=user, secret=secret)


def scope_from(form: UserForm, *, active: bool) -> dict:
    """The role and scope the form asks for, as they would be stored."""
    values = {name: getattr(form, name).data or None for name in ("role", "province_code", "post_code", "country_code")}
    return {**values, "national": bool(form.national.data), "active": bool(active)}


def account_message(problem: str) -> str:
    return {
        "own_scope": _("You cannot change your own role or scope, or deactivate yourself: ask another administrator."),
        "national_on_server": _(
            "National scope is given on the server only: flask users create --role supervisor --national."
        ),
    }.get(problem, problem)


# --- the service directory ---------------------------------------------------------------


# The directory import may be larger than MAX_CONTENT_LENGTH.
inputs.allow_large_upload(bp, "admin.import_services")


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
        saved, problems = directory.save_row(service, form_values(form))
        if problems:
            errors = [problem_words(form, p) for p in problems]
        else:
            record("change.service", user=current_user, object_type="service", object_id=saved.id)
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
