"""Security headers on every response (deny-by-default access is ``webapp.auth.guard``)."""
from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
    app.session_interface = CookieSessions()


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, unchanged, with the signing serializer built once per
    secret key instead of on every request (the SMS webhook, which has no cookie, paid for it
    on each message)."""

    def __init__(self) -> None:
        self._serializer: tuple | None = None

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._serializer is None or self._serializer[0] != keys:
            self._serializer = (keys, super().get_signing_serializer(app))
        return self._serializer[1]


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    # A view may widen it for its own page (the administrator's recording page: microphone).
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
    config = current_app.config["APP_CONFIG"]
    if config.is_production and config.secure_cookies:
        # Production is served over HTTPS only: browsers never try plain HTTP again.
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static" and request.endpoint not in ("core.manifest",) \
            and not getattr(response, "keeps_cache_control", False):
        # Case data must not sit in a shared phone's or proxy's cache.
        headers["Cache-Control"] = "no-store"
    return response


def keep_cache_control(response: Response) -> Response:
    """Let ``response`` keep its own Cache-Control: for content that is no case data and is
    versioned (the recordings of the questionnaire's texts), not the default no-store."""
    response.keeps_cache_control = True
    return response
