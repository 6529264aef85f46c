"""Error pages that say what happened in words, and nothing about any record."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ..extensions import db

logger = logging.getLogger(__name__)

MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    401: _l("Please log in."),
    403: _l("You do not have access to this page."),
    404: _l("This page does not exist, or it is not yours to see."),
    405: _l("This page does not take that kind of request."),
    413: _l("What you sent is too large."),
    422: _l("Some of what you sent is not valid."),
    429: _l("Too many attempts. Wait a minute and try again."),
    500: _l("Something went wrong on our side. Nothing you entered was lost; try again in a moment."),
    503: _l("The service is busy or being updated. Try again in a moment."),
}


def init_app(app: Flask) -> None:
    # Unhandled exceptions reach this as InternalServerError (Flask logs them first, and
    # the log record is redacted).
    app.register_error_handler(HTTPException, handle)


def handle(error: HTTPException):
    code = error.code or 500
    # After a database error the session refuses every query until rolled back, and the
    # page below reads the user (language, menu): roll back first.
    try:
        db.session.rollback()
    except SQLAlchemyError:
        logger.warning("rollback failed in the error handler")
    message = str(MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400]))
    plain = (message, code, {"Content-Type": "text/plain; charset=utf-8"})
    if request.is_json or request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify(error=message), code
    if request.path in ("/ussd",) or request.path.startswith("/sms/"):
        return plain
    try:
        return render_template("error.html", code=code, message=message), code
    except SQLAlchemyError:  # the database is gone: words without the page around them
        logger.exception("error page could not be rendered")
        return plain
