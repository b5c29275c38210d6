"""Staff accounts: the first manager, sign-in, roles, password resets and disabling.

Passwords are kept only as argon2id hashes (salted, memory-hard) and never logged.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from montu_desktop.domain.errors import InvalidRequest, MontuError, NotFound
from montu_desktop.domain.staff import Role, check_password, check_role, check_username
from montu_desktop.persistence import admin_tables as at
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this when the username is unknown keeps the answer time the same.

    Made on first use, not at import: hashing takes half a second and slows start-up.
    """
    return _hasher.hash("not a real password")


class SignInRefused(MontuError):
    """Wrong username or password, or a disabled account (deliberately not saying which)."""


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool


def _member(row: at.StaffAccount) -> StaffMember:
    return StaffMember(row.id, row.username, row.display_name, Role(row.role), row.active)


def has_accounts(ctx: ServiceContext) -> bool:
    with UnitOfWork(ctx) as uow:
        return bool(uow.session.scalar(select(func.count()).select_from(at.StaffAccount)))


def list_staff(ctx: ServiceContext) -> list[StaffMember]:
    with UnitOfWork(ctx) as uow:
        rows = uow.session.scalars(select(at.StaffAccount).order_by(at.StaffAccount.username))
        return [_member(r) for r in rows]


def _add(
    session: Session,
    ctx: ServiceContext,
    username: str,
    display_name: str,
    password: str,
    role: Role,
) -> at.StaffAccount:
    username = check_username(username)
    display_name = " ".join(display_name.split()) or username
    check_password(password, username)
    taken = session.scalars(
        select(at.StaffAccount.id).where(at.StaffAccount.username == username)
    ).first()
    if taken is not None:
        raise InvalidRequest("username", f"{username!r} is already taken")
    now = ctx.clock()
    row = at.StaffAccount(
        username=username,
        display_name=display_name[:200],
        password_hash=_hasher.hash(password),
        role=role.value,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def create_first_manager(
    ctx: ServiceContext, username: str, display_name: str, password: str
) -> StaffMember:
    """The first account of a new clinic: a manager. Refused once any account exists."""
    with UnitOfWork(ctx, write=True) as uow:
        if uow.session.scalar(select(func.count()).select_from(at.StaffAccount)):
            raise InvalidRequest("username", "this clinic already has staff accounts; sign in")
        row = _add(uow.session, ctx, username, display_name, password, Role.MANAGER)
        uow.audit("staff.created", row.username, role=row.role)
        uow.commit()
        return _member(row)


def add_staff(
    ctx: ServiceContext, username: str, display_name: str, password: str, role: str
) -> StaffMember:
    checked_role = check_role(role)
    with UnitOfWork(ctx, write=True) as uow:
        row = _add(uow.session, ctx, username, display_name, password, checked_role)
        uow.audit("staff.created", row.username, role=row.role)
        uow.commit()
        return _member(row)


def sign_in(ctx: ServiceContext, username: str, password: str) -> StaffMember:
    """The member whose username and password these are; the context now acts as them."""
    name = username.strip().lower()
    with UnitOfWork(ctx, write=True) as uow:
        row = uow.session.scalars(
            select(at.StaffAccount).where(at.StaffAccount.username == name)
        ).first()
        try:
            _hasher.verify(row.password_hash if row else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            row = None
        if row is None or not row.active:
            raise SignInRefused("username or password is wrong, or the account is disabled")
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        ctx.actor = row.username
        uow.audit("staff.signed_in", row.username)
        uow.commit()
        return _member(row)


def _account(session: Session, staff_id: int) -> at.StaffAccount:
    row = session.get(at.StaffAccount, staff_id)
    if row is None:
        raise NotFound("account", f"no staff account with id {staff_id}")
    return row


def _other_managers(session: Session, staff_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(at.StaffAccount)
            .where(
                at.StaffAccount.role == Role.MANAGER.value,
                at.StaffAccount.active.is_(True),
                at.StaffAccount.id != staff_id,
            )
        )
        or 0
    )


def reset_password(ctx: ServiceContext, staff_id: int, new_password: str) -> None:
    with UnitOfWork(ctx, write=True) as uow:
        row = _account(uow.session, staff_id)
        check_password(new_password, row.username)
        row.password_hash = _hasher.hash(new_password)
        row.updated_at = ctx.clock()
        uow.audit("staff.password_reset", row.username)
        uow.commit()


def set_account_active(ctx: ServiceContext, staff_id: int, active: bool) -> None:
    """Disable (or re-enable) an account; the last active manager cannot be disabled."""
    with UnitOfWork(ctx, write=True) as uow:
        row = _account(uow.session, staff_id)
        if (
            not active
            and row.role == Role.MANAGER.value
            and not _other_managers(uow.session, staff_id)
        ):
            raise InvalidRequest("account", "is the last active manager; add another manager first")
        row.active, row.updated_at = active, ctx.clock()
        uow.audit("staff.enabled" if active else "staff.disabled", row.username)
        uow.commit()


def set_role(ctx: ServiceContext, staff_id: int, role: str) -> None:
    checked = check_role(role)
    with UnitOfWork(ctx, write=True) as uow:
        row = _account(uow.session, staff_id)
        if (
            checked is Role.RECEPTIONIST
            and row.role == Role.MANAGER.value
            and not _other_managers(uow.session, staff_id)
        ):
            raise InvalidRequest("role", "this is the last active manager; add another first")
        row.role, row.updated_at = checked.value, ctx.clock()
        uow.audit("staff.role_changed", row.username, role=checked.value)
        uow.commit()
