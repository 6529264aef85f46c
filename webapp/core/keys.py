"""Key rotation: every encrypted column, found from the models registered with the metadata,
re-encrypted under the current key. It knows no feature: a new encrypted column in any
feature is rotated without anyone listing it."""
from __future__ import annotations

from sqlalchemy import Text, select, type_coerce, update

from ..extensions import db
from . import crypto
from .types import EncryptedText


def encrypted_columns():
    """Every (table, column) stored with EncryptedText, found from the models themselves."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                yield table, column


def rotate_keys(batch: int = 500) -> dict[str, int]:
    """Re-encrypt every value not under the current key. Returns rows changed per column."""
    current = crypto.current_key_id()
    changed: dict[str, int] = {}
    for table, column in encrypted_columns():
        raw = type_coerce(column, Text)
        key = next(iter(table.primary_key.columns))
        rows = db.session.execute(select(key, raw).where(raw.is_not(None), ~raw.startswith(f"{current}:"))).all()
        for start in range(0, len(rows), batch):
            for row_id, stored in rows[start:start + batch]:
                fresh = crypto.encrypt(crypto.decrypt(stored))
                db.session.execute(update(table).where(key == row_id).values({column.name: type_coerce(fresh, Text)}))
            db.session.flush()
        changed[f"{table.name}.{column.name}"] = len(rows)
    return changed
