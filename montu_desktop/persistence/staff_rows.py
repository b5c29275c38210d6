"""Staff accounts' statements: the account rows, and on PostgreSQL the server's montu_staff_*
functions, which create and change the logins themselves (roles, grants, passwords).

Which account may be changed, and how, is the staff service's to decide; a function the
server refuses raises the driver's error, which `refusal` reads for the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from montu_desktop.persistence import admin_tables as at
from montu_desktop.persistence.security import server_role


@dataclass(frozen=True, slots=True)
class StaffRow:
    id: int
    username: str
    display_name: str
    role: str
    active: bool


def _row(row: at.StaffAccount) -> StaffRow:
    return StaffRow(row.id, row.username, row.display_name, row.role, row.active)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(at.StaffAccount)) or 0


def all_accounts(session: Session) -> list[StaffRow]:
    rows = session.scalars(select(at.StaffAccount).order_by(at.StaffAccount.username))
    return [_row(r) for r in rows]


def _named(session: Session, username: str) -> at.StaffAccount | None:
    return session.scalars(
        select(at.StaffAccount).where(at.StaffAccount.username == username)
    ).first()


def by_username(session: Session, username: str) -> StaffRow | None:
    row = _named(session, username)
    return None if row is None else _row(row)


def with_password_hash(session: Session, username: str) -> tuple[StaffRow, str] | None:
    """The account and its argon2 hash (on one PC, where the app checks passwords itself)."""
    row = _named(session, username)
    return None if row is None else (_row(row), row.password_hash)


def by_id(session: Session, staff_id: int) -> StaffRow | None:
    row = session.get(at.StaffAccount, staff_id)
    return None if row is None else _row(row)


def username_taken(session: Session, username: str) -> bool:
    return (
        session.scalars(
            select(at.StaffAccount.id).where(at.StaffAccount.username == username)
        ).first()
        is not None
    )


def add(
    session: Session,
    *,
    username: str,
    display_name: str,
    password_hash: str,
    role: str,
    now: datetime,
) -> StaffRow:
    row = at.StaffAccount(
        username=username,
        display_name=display_name,
        password_hash=password_hash,
        role=role,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return _row(row)


def _update(session: Session, staff_id: int, **values: object) -> None:
    row = session.get(at.StaffAccount, staff_id)
    assert row is not None
    for name, value in values.items():
        setattr(row, name, value)


def set_password_hash(
    session: Session, staff_id: int, password_hash: str, now: datetime | None = None
) -> None:
    """A new hash; `now` also stamps the account changed (a rehash at sign-in does not)."""
    if now is None:
        _update(session, staff_id, password_hash=password_hash)
    else:
        _update(session, staff_id, password_hash=password_hash, updated_at=now)


def set_active(session: Session, staff_id: int, active: bool, now: datetime) -> None:
    _update(session, staff_id, active=active, updated_at=now)


def set_role(session: Session, staff_id: int, role: str, now: datetime) -> None:
    _update(session, staff_id, role=role, updated_at=now)


def active_with_role(session: Session, role: str, *, besides: int) -> int:
    """How many active accounts other than `besides` have `role`."""
    return (
        session.scalar(
            select(func.count())
            .select_from(at.StaffAccount)
            .where(
                at.StaffAccount.role == role,
                at.StaffAccount.active.is_(True),
                at.StaffAccount.id != besides,
            )
        )
        or 0
    )


# ---------------------------------------------------------------- on a PostgreSQL server


def _call(session: Session, call: str, **params: object) -> object:
    # In a savepoint: a refusal leaves the transaction usable for the service's answer.
    with session.begin_nested():
        return session.scalar(text(f"SELECT {call}"), params)


def server_add(
    session: Session, *, username: str, display_name: str, verifier: str, role: str
) -> StaffRow:
    """A new login (CREATE ROLE … PASSWORD verifier, GRANT its group) and its account row."""
    new_id = _call(
        session,
        "montu_staff_add(:u, :n, :v, :r)",
        u=username,
        n=display_name,
        v=verifier,
        r=role,
    )
    row = session.get(at.StaffAccount, new_id)
    assert row is not None
    return _row(row)


def server_password(session: Session, username: str, verifier: str) -> None:
    _call(session, "montu_staff_password(:u, :v)", u=username, v=verifier)


def server_active(session: Session, username: str, active: bool) -> None:
    _call(session, "montu_staff_active(:u, :a)", u=username, a=active)


def server_role_change(session: Session, username: str, role: str) -> None:
    _call(session, "montu_staff_role(:u, :r)", u=username, r=role)


def refusal(exc: DBAPIError) -> tuple[str | None, str]:
    """(SQLSTATE, the server's own message) of a refused statement."""
    code = getattr(exc.orig, "sqlstate", None)
    message = str(getattr(getattr(exc.orig, "diag", None), "message_primary", "") or exc.orig)
    return code, message


def signed_in_as(session: Session, username: str) -> tuple[str | None, StaffRow | None]:
    """The login's group ('manager', 'receptionist' or None) and its account row, if any."""
    role = server_role(session.connection())
    return role, by_username(session, username)
