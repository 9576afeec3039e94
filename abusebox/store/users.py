"""Users of the web UI and API, and their API tokens (only a token's sha256 is kept)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from abusebox.core.choices import USER_ROLES
from abusebox.store.schema import ApiTokenRow, UserRow

ROLES = USER_ROLES


@dataclass(frozen=True)
class User:
    pk: int
    name: str
    role: str
    disabled: bool
    language: str | None
    created_at: datetime
    tokens: int = 0


def _user(row: UserRow, tokens: int = 0) -> User:
    return User(row.id, row.name, row.role, row.disabled, row.language, row.created_at, tokens)


def token_hash(token: str) -> str:
    """Tokens are 256 random bits: a plain sha256 is enough and can be looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(session: Session, name: str, role: str, password_hash: str) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    row = UserRow(name=name, role=role, password_hash=password_hash, disabled=False)
    session.add(row)
    session.flush()
    return _user(row)


def find_user(session: Session, name: str) -> UserRow | None:
    return session.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()


def get_user(session: Session, pk: int) -> User | None:
    row = session.get(UserRow, pk)
    return None if row is None else _user(row)


def list_users(session: Session) -> list[User]:
    rows = session.scalars(select(UserRow).order_by(UserRow.name)).all()
    counts: dict[int, int] = {}
    for user_pk in session.scalars(select(ApiTokenRow.user_pk)):
        counts[user_pk] = counts.get(user_pk, 0) + 1
    return [_user(r, counts.get(r.id, 0)) for r in rows]


def set_disabled(session: Session, name: str, disabled: bool = True) -> bool:
    row = find_user(session, name)
    if row is None:
        return False
    row.disabled = disabled
    return True


def set_password_hash(session: Session, pk: int, password_hash: str) -> None:
    row = session.get(UserRow, pk)
    if row is not None:
        row.password_hash = password_hash


def set_language(session: Session, pk: int, language: str | None) -> None:
    row = session.get(UserRow, pk)
    if row is not None:
        row.language = language


def add_token(session: Session, user_pk: int, token: str) -> None:
    session.add(ApiTokenRow(user_pk=user_pk, token_hash=token_hash(token)))
    session.flush()


def user_for_token(session: Session, token: str) -> User | None:
    """The enabled user a token belongs to, else None."""
    row = session.scalars(
        select(UserRow)
        .join(ApiTokenRow, ApiTokenRow.user_pk == UserRow.id)
        .where(ApiTokenRow.token_hash == token_hash(token))
    ).one_or_none()
    if row is None or row.disabled:
        return None
    return _user(row)
