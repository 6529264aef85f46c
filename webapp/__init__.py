"""The web application: factory, extensions, blueprints."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, request, session
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from .config import Config, ConfigError
from .core import crypto
from .extensions import babel, compress, csrf, db, limiter, login_manager, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    from .core import logs

    logs.configure(config.log_level)
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(config.flask_settings())
    from .core import inputs

    inputs.install_converters(app)

    _check_locales(config)
    crypto.configure(config.encryption_keys, config.hash_key)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    # HTML, JSON, CSS, JavaScript and SVG go compressed (zstd, br or gzip, as the phone asks);
    # static files too, which Flask sends as a stream.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["zstd", "br", "gzip", "deflate"])
    compress.init_app(app)
    from .core import static_urls

    static_urls.init_app(app)

    from . import models  # noqa: F401  (register every table with the metadata)
    from .core import security
    from .auth.views import bp as auth_bp
    from .admin import services as _admin_services  # noqa: F401  (routes on the admin blueprint)
    from .admin.views import bp as admin_bp
    from .audit.views import bp as audit_bp
    from .core.health import bp as health_bp
    from .core.views import bp as core_bp
    from .referrals.views import bp as referrals_bp
    from .review.dashboard import bp as figures_bp
    from .review.views import bp as review_bp
    from .screening.api import bp as screening_api_bp
    from .screening.views import bp as screening_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(screening_bp)
    app.register_blueprint(screening_api_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(referrals_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(figures_bp)
    app.register_blueprint(audit_bp)
    security.init_app(app)
    inputs.init_app(app)
    from .core import errors

    errors.init_app(app)

    import sms

    sms.init_app(app)

    from .cli import register_cli

    register_cli(app)
    if config.trusted_proxy_hops:
        # Behind a load balancer the TCP peer is the balancer: the client's address (and
        # the scheme) come from the last ``hops`` X-Forwarded-For/-Proto entries, which only
        # the trusted proxies wrote. Every limit keyed on request.remote_addr (log-in
        # throttle, SMS/USSD fallback, USSD_ALLOWED_IPS) then sees the real client.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxy_hops, x_proto=config.trusted_proxy_hops)
    return app


def select_locale() -> str:
    config: Config = _config()
    try:
        language = current_user.language if getattr(current_user, "is_authenticated", False) else None
    except SQLAlchemyError:  # the database failed: the error page still needs words
        language = None
    if language in config.locales:
        return language
    chosen = session.get("lang")
    if chosen in config.locales:
        return chosen
    return config.default_locale


def _config() -> Config:
    from flask import current_app

    return current_app.config["APP_CONFIG"]


def _check_locales(config: Config) -> None:
    """Refuse to start when a configured locale has no compiled catalog (SecureDrop)."""
    base = Path(config.translations_dir)
    for locale in config.locales:
        catalog = base / locale / "LC_MESSAGES" / "messages.mo"
        if not catalog.exists():
            raise ConfigError(
                f"locale {locale!r} has no compiled catalog at {catalog}; run: pybabel compile -d locales"
            )
    if config.default_locale not in config.locales:
        raise ConfigError(f"DEFAULT_LOCALE {config.default_locale!r} is not one of {config.locales}")


__all__ = ["create_app", "Config", "ConfigError", "request"]
