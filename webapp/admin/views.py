"""Administrators manage staff accounts (they do not read case content)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth import operations as accounts
from ..auth.forms import ROLE_LABELS, UserForm
from ..auth.models import User
from ..core import phones, places
from ..audit.operations import record
from ..extensions import db
from ..core.forms import options

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
            user, secret = accounts.create_user(
                role=form.role.data, name=form.name.data, phone=form.phone.data, username=form.username.data or None,
                province_code=form.province_code.data, post_code=form.post_code.data,
                country_code=form.country_code.data, language=form.language.data, national=form.national.data,
            )
        except accounts.AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(str(exc))
        else:
            record("change.user.create", user=current_user, object_type="user", object_id=user.id,
                   detail={"role": user.role})
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
        try:
            accounts.set_phone(user, form.phone.data)
        except accounts.AccountError as exc:
            form.phone.errors.append(str(exc))
            return render_template("admin/user_form.html", form=form, title=user.name, user=user)
        for name in ("name", "role", "province_code", "post_code", "country_code", "language", "national"):
            setattr(user, name, getattr(form, name).data or (False if name == "national" else None))
        if user.active and not form.active.data:
            accounts.end_sessions(user)
        user.active = form.active.data
        record("change.user.edit", user=current_user, object_type="user", object_id=user.id,
               detail={"role": user.role, "active": user.active})
        db.session.commit()
        flash(_("Saved."), "ok")
        return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, title=user.name, user=user)


@bp.post("/users/<int:user_id>/reset")
def reset_password(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    secret = accounts.reset_password(user)
    record("change.user.reset_password", user=current_user, object_type="user", object_id=user.id)
    db.session.commit()
    return render_template("admin/created.html", user=user, secret=secret)
