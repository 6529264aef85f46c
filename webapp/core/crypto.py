"""Field encryption and keyed hashes.

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with a key id stored beside each
value, so keys can be rotated: the first configured key encrypts, every configured key
decrypts. Keyed hashes (HMAC-SHA256) let us look up a phone number without storing it.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken


class CryptoError(RuntimeError):
    pass


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict
    hash_key: bytes


_keyring: Keyring | None = None


def parse_keys(spec: str) -> dict[str, Fernet]:
    """``"k2:base64key,k1:base64key"`` -> ordered {id: Fernet}; the first is current."""
    keys: dict[str, Fernet] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key_id, sep, key = part.partition(":")
        if not sep or not key_id or not key_id.isalnum():
            raise CryptoError("ENCRYPTION_KEYS must look like 'id:base64key[,id:base64key]'")
        try:
            keys[key_id] = Fernet(key.encode())
        except (ValueError, TypeError):
            raise CryptoError(f"encryption key {key_id!r} is not a valid Fernet key") from None
    if not keys:
        raise CryptoError("no encryption key configured (ENCRYPTION_KEYS)")
    return keys


def configure(spec: str, hash_key: str) -> None:
    global _keyring
    keys = parse_keys(spec)
    if not hash_key:
        raise CryptoError("no hash key configured (HASH_KEY)")
    _keyring = Keyring(next(iter(keys)), keys, hash_key.encode())


def _ring() -> Keyring:
    if _keyring is None:
        raise CryptoError("encryption keys are not configured")
    return _keyring


def current_key_id() -> str:
    return _ring().current_id


def encrypt(value: str) -> str:
    ring = _ring()
    token = ring.keys[ring.current_id].encrypt(value.encode("utf-8")).decode("ascii")
    return f"{ring.current_id}:{token}"


def key_id_of(stored: str) -> str:
    return stored.partition(":")[0]


def decrypt(stored: str) -> str:
    ring = _ring()
    key_id, _, token = stored.partition(":")
    key = ring.keys.get(key_id)
    if key is None:
        raise CryptoError(f"value encrypted with key {key_id!r}, which is not configured")
    try:
        return key.decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise CryptoError(f"value does not decrypt with key {key_id!r}") from None


def keyed_hash(value: str, purpose: str) -> str:
    """A stable, keyed digest of ``value``; ``purpose`` separates uses of the same key."""
    digest = hmac.new(_ring().hash_key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return digest.hexdigest()
