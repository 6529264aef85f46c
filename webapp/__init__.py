"""The web application: factory, extensions, blueprints."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request, session
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Config, ConfigError
from .core import crypto, errors, inputs, logs, security, static_urls
from .extensions import babel, compress, csrf, db, limiter, login_manager, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    logs.configure(config.log_level)
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(config.flask_settings())
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
    static_urls.init_app(app)

    _register_features(app)
    security.init_app(app)
    inputs.init_app(app)
    errors.init_app(app)
    if config.trusted_proxy_hops:
        # Behind a load balancer the TCP peer is the balancer: the client's address (and
        # the scheme) come from the last ``hops`` X-Forwarded-For/-Proto entries, which only
        # the trusted proxies wrote. Every limit keyed on request.remote_addr (log-in
        # throttle, SMS/USSD fallback, USSD_ALLOWED_IPS) then sees the real client.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxy_hops, x_proto=config.trusted_proxy_hops)
    return app


def _register_features(app: Flask) -> None:
    """Every blueprint and every command-line group, in one place, and the log-in guard.

    Imported here rather than at the top: the features and the SMS channel import
    ``webapp.*`` submodules, so importing them while this package initialises would be a
    cycle (the flaskr pattern: the factory imports the blueprints)."""
    from sms import cli as sms_commands
    from sms import views as sms_views

    from . import maintenance, models  # noqa: F401  (models: register every table with the metadata)
    from .admin import views as admin_views
    from .audit import views as audit_views
    from .auth import cli as auth_cli
    from .auth import guard
    from .auth import views as auth_views
    from .core import cli as core_cli
    from .core import health
    from .core import views as core_views
    from .demo import demo_cli
    from .figures import cli as figures_cli
    from .figures import views as figures_views
    from .outbox import cli as outbox_commands
    from .recordings import cli as recordings_cli
    from .recordings import views as recordings_views
    from .referrals import cli as referrals_cli
    from .referrals import views as referrals_views
    from .review import views as review_views
    from .screening import api as screening_api
    from .screening import cli as screening_cli
    from .screening import handover as screening_handover
    from .screening import views as screening_views

    for blueprint in (
        core_views.bp, health.bp, auth_views.bp, screening_views.bp, screening_api.bp, screening_handover.bp,
        admin_views.bp,
        referrals_views.bp, review_views.bp, figures_views.bp, audit_views.bp, recordings_views.bp, sms_views.webhooks,
        sms_views.simulator,
    ):
        app.register_blueprint(blueprint)
    for command in (
        screening_cli.screening_cli, auth_cli.users_cli, demo_cli, referrals_cli.directory_cli,
        referrals_cli.referrals_cli, figures_cli.export_cli, outbox_commands.group, sms_commands.sms_cli,
        maintenance.keys_cli, maintenance.purge_command, core_cli.grant_app_role_command,
        recordings_cli.recordings_cli,
    ):
        app.cli.add_command(command)
    outbox_commands.add_tick(app, sms_commands.tick)  # reminders and expiry on each pass of the worker
    guard.init_app(app)


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


__all__ = ["Config", "ConfigError", "create_app", "request"]
