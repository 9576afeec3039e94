"""Passwords (argon2id via argon2-cffi), API tokens, and signing in by name and password."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from abusebox.store import users as user_store
from abusebox.store.users import User

_hasher = PasswordHasher()
TOKEN_PREFIX = "abx_"


@cache
def dummy_hash() -> str:
    """Verified when the name is unknown, so a wrong name costs as long as a wrong password.

    Made once, on first need, not at import: it is a whole argon2 hash (~0.1 s) that a
    command line process would pay for nothing. The web app makes it when it is created
    (`create_app`), so no sign-in request pays for it either and every one costs the same.
    """
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The enabled user with this name and password, else None (same cost either way)."""
    row = user_store.find_user(session, name)
    if row is None:
        verify_password(dummy_hash(), password)
        return None
    if not verify_password(row.password_hash, password) or row.disabled:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        user_store.set_password_hash(session, row.id, hash_password(password))
    return user_store.get_user(session, row.id)
