"""Shared fixtures of the unit tests."""

from __future__ import annotations

import pytest

from chinwag.passwords import hash_password

OPER_PASSWORD = "correct horse"


@pytest.fixture(scope="session")
def oper_hash() -> str:
    # scrypt is slow on purpose: hash once for the whole run.
    return hash_password(OPER_PASSWORD)
