"""API token keys: `<prefix>.<secret>`. Only a SHA-256 of the whole key is stored.

A key carries 256 random bits, so a fast hash is enough: there is nothing to brute-force.
"""

import hashlib
import hmac
import secrets

PREFIX_BYTES = 6
SECRET_BYTES = 32


def new_key() -> tuple[str, str]:
    """A fresh (prefix, key) pair."""
    prefix = secrets.token_hex(PREFIX_BYTES)
    return prefix, f"{prefix}.{secrets.token_urlsafe(SECRET_BYTES)}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def split_key(key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    prefix, dot, secret = key.partition(".")
    if not dot or len(prefix) != 2 * PREFIX_BYTES or not secret:
        return None
    return prefix


def key_matches(key: str, key_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), key_hash)
