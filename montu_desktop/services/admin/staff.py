"""Staff accounts: the first manager, sign-in, roles, password resets and disabling.

On SQLite (one PC) passwords are kept only as argon2id hashes (salted, memory-hard) and
never logged. On PostgreSQL every account is a login role of the server, member of
montu_reception or montu_manager: signing in is connecting with one's own password (SCRAM),
and accounts are changed through the server's montu_staff_* functions, which a manager's
login may call (only a SCRAM verifier of a new password reaches the server).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from montu_desktop.domain.errors import DatabaseUnavailable, InvalidRequest, MontuError, NotFound
from montu_desktop.domain.staff import Role, check_password, check_role, check_username
from montu_desktop.persistence import staff_rows
from montu_desktop.persistence.engine import Database
from montu_desktop.persistence.errors import DBAPIError
from montu_desktop.persistence.security import scram_verifier
from montu_desktop.services.context import NotAllowed, ServiceContext, require_manager
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


def _member(row: staff_rows.StaffRow) -> StaffMember:
    return StaffMember(row.id, row.username, row.display_name, Role(row.role), row.active)


def accounts_on_server(ctx: ServiceContext) -> bool:
    """True when people sign in as their own PostgreSQL logins (set up by IT, not the app)."""
    return _on_server(ctx)


def has_accounts(ctx: ServiceContext) -> bool:
    with UnitOfWork(ctx) as uow:
        return bool(staff_rows.count(uow.session))


def list_staff(ctx: ServiceContext) -> list[StaffMember]:
    with UnitOfWork(ctx) as uow:
        return [_member(r) for r in staff_rows.all_accounts(uow.session)]


def _add(
    uow: UnitOfWork,
    ctx: ServiceContext,
    username: str,
    display_name: str,
    password: str,
    role: Role,
) -> staff_rows.StaffRow:
    username = check_username(username)
    display_name = " ".join(display_name.split()) or username
    check_password(password, username)
    if staff_rows.username_taken(uow.session, username):
        raise InvalidRequest("username", f"{username!r} is already taken")
    return staff_rows.add(
        uow.session,
        username=username,
        display_name=display_name[:200],
        password_hash=_hasher.hash(password),
        role=role.value,
        now=ctx.clock(),
    )


def create_first_manager(
    ctx: ServiceContext, username: str, display_name: str, password: str
) -> StaffMember:
    """The first account of a new clinic: a manager. Refused once any account exists."""
    with UnitOfWork(ctx, write=True) as uow:
        if staff_rows.count(uow.session):
            raise InvalidRequest("username", "this clinic already has staff accounts; sign in")
        if _on_server(ctx):
            row = _add_login(uow, username, display_name, password, Role.MANAGER)
        else:
            row = _add(uow, ctx, username, display_name, password, Role.MANAGER)
        uow.audit("staff.created", row.username, role=row.role)
        uow.commit()
        return _member(row)


def add_staff(
    ctx: ServiceContext, username: str, display_name: str, password: str, role: str
) -> StaffMember:
    require_manager(ctx, "add staff")
    checked_role = check_role(role)
    with UnitOfWork(ctx, write=True) as uow:
        if _on_server(ctx):
            row = _add_login(uow, username, display_name, password, checked_role)
        else:
            row = _add(uow, ctx, username, display_name, password, checked_role)
        uow.audit("staff.created", row.username, role=row.role)
        uow.commit()
        return _member(row)


def sign_in(ctx: ServiceContext, username: str, password: str) -> StaffMember:
    """The member whose username and password these are; the context now acts as them.

    On PostgreSQL the context's database becomes a connection as that person's own login
    (see `sign_in_server`).
    """
    name = username.strip().lower()
    if _on_server(ctx):
        member, previous = sign_in_server(ctx, name, password)
        # Anything still holding the old engine gets fresh connections from it if it asks.
        previous.dispose()
        return member
    with UnitOfWork(ctx, write=True) as uow:
        found = staff_rows.with_password_hash(uow.session, name)
        row, stored = found if found is not None else (None, _dummy_hash())
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            row = None
        if row is None or not row.active:
            raise SignInRefused("username or password is wrong, or the account is disabled")
        if _hasher.check_needs_rehash(stored):
            staff_rows.set_password_hash(uow.session, row.id, _hasher.hash(password))
        ctx.actor = row.username
        ctx.role = Role(row.role)
        uow.audit("staff.signed_in", row.username)
        uow.commit()
        return _member(row)


def _account(uow: UnitOfWork, staff_id: int) -> staff_rows.StaffRow:
    row = staff_rows.by_id(uow.session, staff_id)
    if row is None:
        raise NotFound("account", f"no staff account with id {staff_id}")
    return row


def _other_managers(uow: UnitOfWork, staff_id: int) -> int:
    return staff_rows.active_with_role(uow.session, Role.MANAGER.value, besides=staff_id)


def reset_password(ctx: ServiceContext, staff_id: int, new_password: str) -> None:
    require_manager(ctx, "reset passwords")
    with UnitOfWork(ctx, write=True) as uow:
        row = _account(uow, staff_id)
        check_password(new_password, row.username)
        if _on_server(ctx):
            verifier = scram_verifier(new_password)
            with _server_refusals():
                staff_rows.server_password(uow.session, row.username, verifier)
        else:
            staff_rows.set_password_hash(
                uow.session, row.id, _hasher.hash(new_password), ctx.clock()
            )
        uow.audit("staff.password_reset", row.username)
        uow.commit()


def set_account_active(ctx: ServiceContext, staff_id: int, active: bool) -> None:
    """Disable (or re-enable) an account; the last active manager cannot be disabled."""
    require_manager(ctx, "disable or enable staff")
    with UnitOfWork(ctx, write=True) as uow:
        row = _account(uow, staff_id)
        if not active and row.role == Role.MANAGER.value and not _other_managers(uow, staff_id):
            raise InvalidRequest("account", "is the last active manager; add another manager first")
        if _on_server(ctx):  # the login itself is refused from now on, not just the app
            with _server_refusals():
                staff_rows.server_active(uow.session, row.username, active)
        else:
            staff_rows.set_active(uow.session, row.id, active, ctx.clock())
        uow.audit("staff.enabled" if active else "staff.disabled", row.username)
        uow.commit()


def set_role(ctx: ServiceContext, staff_id: int, role: str) -> None:
    require_manager(ctx, "change staff roles")
    checked = check_role(role)
    with UnitOfWork(ctx, write=True) as uow:
        row = _account(uow, staff_id)
        if (
            checked is Role.RECEPTIONIST
            and row.role == Role.MANAGER.value
            and not _other_managers(uow, staff_id)
        ):
            raise InvalidRequest("role", "this is the last active manager; add another first")
        if _on_server(ctx):
            with _server_refusals():
                staff_rows.server_role_change(uow.session, row.username, checked.value)
        else:
            staff_rows.set_role(uow.session, row.id, checked.value, ctx.clock())
        uow.audit("staff.role_changed", row.username, role=checked.value)
        uow.commit()


def find_account(ctx: ServiceContext, username: str) -> StaffMember:
    """The account with this username (for IT's scripts, which name people, not ids)."""
    name = username.strip().lower()
    with UnitOfWork(ctx) as uow:
        row = staff_rows.by_username(uow.session, name)
        if row is None:
            raise NotFound("username", f"no staff account named {name!r}")
        return _member(row)


# ---------------------------------------------------------------- on a PostgreSQL server


def _on_server(ctx: ServiceContext) -> bool:
    return not ctx.database.is_sqlite


@contextlib.contextmanager
def _server_refusals() -> Iterator[None]:
    """Around a call of the server's montu_staff_* functions: its refusals become plain errors."""
    try:
        yield
    except DBAPIError as exc:
        code, message = staff_rows.refusal(exc)
        if code == "42501":
            raise NotAllowed("role", message) from None
        if code in ("23505", "22023", "P0002", "23514"):
            field, _, reason = message.partition(": ")
            if not reason:
                field, reason = "account", message
            raise InvalidRequest(field, reason) from None
        raise


def _add_login(
    uow: UnitOfWork, username: str, display_name: str, password: str, role: Role
) -> staff_rows.StaffRow:
    username = check_username(username)
    display_name = " ".join(display_name.split()) or username
    check_password(password, username)
    with _server_refusals():
        return staff_rows.server_add(
            uow.session,
            username=username,
            display_name=display_name[:200],
            verifier=scram_verifier(password),
            role=role.value,
        )


_REFUSED_LOGIN = ("password authentication failed", "not permitted to log in")


def sign_in_server(
    ctx: ServiceContext, username: str, password: str
) -> tuple[StaffMember, Database]:
    """Connect to the server as this person's own login; the context now uses that connection.

    Returns who signed in and the database the context used before (the caller disposes of
    it when nothing else uses it).
    """
    name = username.strip().lower()
    if not name or not password:
        raise SignInRefused("username or password is wrong, or the account is disabled")
    signed = Database(ctx.database.url.set(username=name, password=password))
    try:
        signed.ping()
        with signed.session() as session:
            role, row = staff_rows.signed_in_as(session, name)
            member = _member(row) if row is not None else None
    except DatabaseUnavailable as exc:
        signed.dispose()
        if any(words in str(exc) for words in _REFUSED_LOGIN) or (
            f'role "{name}" does not exist' in str(exc)
        ):
            raise SignInRefused(
                "username or password is wrong, or the account is disabled"
            ) from None
        raise
    except BaseException:
        signed.dispose()
        raise
    if member is None or not member.active or role is None:
        signed.dispose()
        raise SignInRefused("this server login is not a Montu Desktop staff account")
    previous = ctx.database
    ctx.database, ctx.actor, ctx.role = signed, name, Role(role)
    ctx.cache.invalidate()
    with UnitOfWork(ctx, write=True) as uow:
        uow.audit("staff.signed_in", name)
        uow.commit()
    return StaffMember(member.id, member.username, member.display_name, Role(role), True), previous
