"""What the benches share: the settings of an app on a throwaway SQLite database."""
from __future__ import annotations

from cryptography.fernet import Fernet

from webapp.config import Config


def throwaway_config(directory: str, **overrides) -> Config:
    """Settings for an app on ``directory``/bench.db, with a fresh encryption key."""
    settings = dict(
        env="testing",
        secret_key="bench-" + "x" * 40,
        database_url=f"sqlite:///{directory}/bench.db",
        encryption_keys="bench:" + Fernet.generate_key().decode(),
        hash_key="bench-hash-key",
        secure_cookies=False,
    )
    settings.update(overrides)
    return Config(**settings)
