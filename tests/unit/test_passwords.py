"""Operator passwords: scrypt hashes that verify the right password and nothing else."""

from __future__ import annotations

import pytest

from chinwag.passwords import hash_password, is_password_hash, verify_password
from tests.unit.conftest import OPER_PASSWORD


def test_round_trip(oper_hash: str) -> None:
    assert is_password_hash(oper_hash)
    assert oper_hash.startswith("scrypt$16384$8$1$")
    assert verify_password(OPER_PASSWORD, oper_hash)


@pytest.mark.parametrize("wrong", ["", "correct horse ", "Correct horse", "correct"])
def test_wrong_password(oper_hash: str, wrong: str) -> None:
    assert not verify_password(wrong, oper_hash)


def test_unicode_password() -> None:
    stored = hash_password("пароль🙂")
    assert verify_password("пароль🙂", stored)
    assert not verify_password("пароль", stored)


def test_salted(oper_hash: str) -> None:
    # The same password hashes differently each time, so equal hashes reveal nothing.
    again = hash_password(OPER_PASSWORD)
    assert again != oper_hash
    assert verify_password(OPER_PASSWORD, again)


def test_tampered_digest(oper_hash: str) -> None:
    *head, digest = oper_hash.split("$")
    flipped = ("B" if digest[0] == "A" else "A") + digest[1:]
    assert not verify_password(OPER_PASSWORD, "$".join([*head, flipped]))


def malformed(oper_hash: str) -> list[str]:
    _, n, r, p, salt, digest = oper_hash.split("$")
    return [
        "",
        OPER_PASSWORD,
        "scrypt",
        f"bcrypt${n}${r}${p}${salt}${digest}",
        f"scrypt${n}${r}${p}${salt}",  # a part missing
        f"scrypt$x${r}${p}${salt}${digest}",
        f"scrypt$1000${r}${p}${salt}${digest}",  # N must be a power of two
        f"scrypt$0${r}${p}${salt}${digest}",
        f"scrypt${n}${r}${p}$!!!${digest}",  # not base64
        f"scrypt${n}${r}${p}${salt}$!!!",
        f"scrypt${n}${r}${p}${salt}$",  # no digest at all
        f"scrypt${2**30}${r}${p}${salt}${digest}",  # far beyond the memory limit
    ]


def test_malformed_hashes_match_nothing(oper_hash: str) -> None:
    for stored in malformed(oper_hash):
        assert not verify_password(OPER_PASSWORD, stored), stored


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("scrypt$16384$8$1$c2FsdA==$ZGlnZXN0", True),
        ("scrypt$16384$8$1$c2FsdA==", False),
        ("scrypt$a$8$1$c2FsdA==$ZGlnZXN0", False),
        ("pbkdf2$16384$8$1$c2FsdA==$ZGlnZXN0", False),
        ("", False),
    ],
)
def test_is_password_hash(text: str, expected: bool) -> None:
    assert is_password_hash(text) is expected
