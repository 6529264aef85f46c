"""Configuration: one explicit, frozen object built from environment variables.

Outside development and tests the configuration fails closed: no default secret key, no
default encryption key, no silent SQLite.
"""
from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "testing", "production")


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says which variable."""


@dataclass(frozen=True)
class Config:
    env: str = "production"
    secret_key: str = ""
    database_url: str = ""
    # The owner role that runs `flask db upgrade` and `flask grant-app-role` (PostgreSQL);
    # empty: DATABASE_URL migrates too (development, SQLite). The app never serves with it.
    migration_database_url: str = ""
    # Keys for identifying fields (issue 7): "id:base64key,id2:key2"; the first is current.
    encryption_keys: str = ""
    # Key for keyed hashes of phone numbers and linkage keys.
    hash_key: str = ""
    default_locale: str = "km"
    locales: tuple[str, ...] = ("km", "en")
    translations_dir: str = str(PROJECT_ROOT / "locales")
    public_base_url: str = "http://127.0.0.1:5000"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from_number: str = ""
    twilio_api_base: str = ""  # tests point the real client at a local stand-in
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    sms_provider: str = "log"  # twilio | http | log
    ussd_shared_secret: str = ""
    # The service the person can call later, told them in their language (issue 16).
    contact_name: str = ""
    contact_phone: str = ""
    ussd_allowed_ips: tuple[str, ...] = ()
    ratelimit_storage_uri: str = "memory://"
    ratelimit_enabled: bool = True
    sms_rate_limit: str = "30 per minute"  # per sending phone
    ussd_rate_limit: str = "60 per minute"  # per phone; a USSD screening is one request per answer
    # Request bodies: forms and webhooks are a few KB; only the administrator's directory
    # CSV import may send more (the directory import, webapp/admin/views.py). Larger bodies get 413 unread.
    max_content_length: int = 64 * 1024
    max_upload_length: int = 2 * 1024 * 1024
    session_idle_minutes: int = 30
    session_max_hours: int = 12  # a log-in ends after this long, however busy
    # Log-in throttle (auth/throttle.py): per account and client address, growing delays.
    login_free_attempts: int = 5  # failures from one address before it has to wait
    login_delay_seconds: int = 60  # the first wait; it doubles with every further failure
    login_delay_max_minutes: int = 60
    login_account_cap: int = 20  # failures from anywhere in an hour: every address waits after one
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
    trusted_proxy_hops: int = 0
    secure_cookies: bool = True
    log_level: str = "INFO"
    # Retention (``flask purge``): unfinished screenings lose their identifying fields after
    # this long without an answer (an SMS/USSD dialogue expires after 24 hours).
    sms_draft_hours: int = 24
    web_draft_days: int = 3
    # The in-browser form: a new screen takes no tap for this long, so the second tap of a
    # quick double tap does not answer what appears under the finger (static/js/screen.js).
    screen_settle_ms: int = 450
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = dict(os.environ if environ is None else environ)
        name = env.get("APP_ENV", "production")
        if name not in ENVIRONMENTS:
            raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {name!r}")
        instance = Path(env.get("INSTANCE_DIR", PROJECT_ROOT / "instance"))
        config = cls(
            env=name,
            secret_key=env.get("SECRET_KEY", ""),
            database_url=env.get("DATABASE_URL", ""),
            migration_database_url=env.get("MIGRATION_DATABASE_URL", ""),
            encryption_keys=env.get("ENCRYPTION_KEYS", ""),
            hash_key=env.get("HASH_KEY", ""),
            default_locale=env.get("DEFAULT_LOCALE", "km"),
            public_base_url=env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
            twilio_from_number=env.get("TWILIO_FROM_NUMBER", ""),
            twilio_api_base=env.get("TWILIO_API_BASE", ""),
            sms_gateway_url=env.get("SMS_GATEWAY_URL", ""),
            sms_gateway_token=env.get("SMS_GATEWAY_TOKEN", ""),
            sms_provider=env.get("SMS_PROVIDER", "log"),
            ussd_shared_secret=env.get("USSD_SHARED_SECRET", ""),
            contact_name=env.get("CONTACT_NAME", ""),
            contact_phone=env.get("CONTACT_PHONE", ""),
            ussd_allowed_ips=tuple(ip.strip() for ip in env.get("USSD_ALLOWED_IPS", "").split(",") if ip.strip()),
            ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI", "memory://"),
            sms_rate_limit=env.get("SMS_RATE_LIMIT", "30 per minute"),
            ussd_rate_limit=env.get("USSD_RATE_LIMIT", "60 per minute"),
            max_content_length=_int(env, "MAX_CONTENT_LENGTH", 64 * 1024),
            max_upload_length=_int(env, "MAX_UPLOAD_LENGTH", 2 * 1024 * 1024),
            session_idle_minutes=_int(env, "SESSION_IDLE_MINUTES", 30),
            session_max_hours=_int(env, "SESSION_MAX_HOURS", 12),
            trusted_proxy_hops=_int(env, "TRUSTED_PROXY_HOPS", 0),
            secure_cookies=name == "production" or env.get("SECURE_COOKIES") == "1",
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            sms_draft_hours=int(env.get("SMS_DRAFT_HOURS", "24")),
            web_draft_days=int(env.get("WEB_DRAFT_DAYS", "3")),
            screen_settle_ms=_int(env, "SCREEN_SETTLE_MS", 450),
        )
        if name == "development":
            config = config.with_development_defaults(instance)
        config.check()
        return config

    def with_development_defaults(self, instance: Path) -> Config:
        """Development on a fresh machine: SQLite and keys kept in ``instance/``."""
        instance.mkdir(parents=True, exist_ok=True)
        return replace(
            self,
            database_url=self.database_url or f"sqlite:///{instance / 'screening.db'}",
            secret_key=self.secret_key or _instance_secret(instance / "secret_key"),
            hash_key=self.hash_key or _instance_secret(instance / "hash_key"),
            encryption_keys=self.encryption_keys or "dev:" + _instance_secret(instance / "encryption_key", fernet=True),
        )

    def check(self) -> None:
        """Refuse to run with unsafe settings outside development and tests."""
        if self.env in ("development", "testing"):
            return
        missing = [
            name
            for name, value in (
                ("SECRET_KEY", self.secret_key),
                ("DATABASE_URL", self.database_url),
                ("ENCRYPTION_KEYS", self.encryption_keys),
                ("HASH_KEY", self.hash_key),
            )
            if not value
        ]
        if missing:
            raise ConfigError(f"production needs these environment variables: {', '.join(missing)}")
        if len(self.secret_key) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters")

    def engine_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"pool_pre_ping": True}
        if self.database_url.startswith("sqlite"):
            # SQLite has one writer at a time; under a burst (an offline queue of a hundred
            # screenings arriving at once) a writer may wait longer than sqlite3's default 5 s.
            # Waiting is better than a 500: the client would only send again.
            options["connect_args"] = {"timeout": 30}
        return options

    def flask_settings(self) -> dict[str, Any]:
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": self.engine_options(),
            "TESTING": self.env == "testing",
            "BABEL_DEFAULT_LOCALE": self.default_locale,
            "BABEL_TRANSLATION_DIRECTORIES": self.translations_dir,
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "WTF_CSRF_TIME_LIMIT": None,  # a screening may take an hour on a slow phone
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_uri,
            "RATELIMIT_ENABLED": self.ratelimit_enabled,
            "APP_CONFIG": self,
            **dict(self.extra),
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def _instance_secret(path: Path, fernet: bool = False) -> str:
    if path.exists():
        return path.read_text().strip()
    value = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() if fernet else secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value
