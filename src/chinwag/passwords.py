"""Operator and server passwords, stored as scrypt hashes.

Format: ``scrypt$N$r$p$<salt base64>$<hash base64>``; ``chinwag hash-password`` prints one.
"""

import base64
import hashlib
import hmac
import os
from collections.abc import Callable

_N, _R, _P = 2**14, 8, 1
_DKLEN = 32


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return f"scrypt${_N}${_R}${_P}${encoded[0]}${encoded[1]}"


def is_password_hash(text: str) -> bool:
    parts = text.split("$")
    return len(parts) == 6 and parts[0] == "scrypt" and all(p.isdigit() for p in parts[1:4])


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash; a malformed hash matches nothing."""
    if not is_password_hash(stored):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    try:
        expected = base64.b64decode(digest, validate=True)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def password_checker(plain: str = "", hashed: str = "") -> Callable[[str], bool] | None:
    """A check for the configured password (hash preferred), or ``None`` when there is none."""
    if hashed:
        return lambda given: verify_password(given, hashed)
    if plain:
        expected = plain.encode()
        return lambda given: hmac.compare_digest(given.encode(), expected)
    return None
