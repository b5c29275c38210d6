"""Staff accounts: the first manager, sign-in, argon2 hashes, resets, disabling, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.staff import Role
from montu_desktop.persistence import admin_tables as at
from montu_desktop.services.admin import staff
from montu_desktop.services.admin.audit import audit_log
from montu_desktop.services.context import NotAllowed, ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork


def test_first_manager_signs_in_and_the_password_is_only_a_salted_hash(
    sqlite_ctx: ServiceContext,
) -> None:
    """On one PC (SQLite); on a server the accounts are login roles (test_security_pg.py)."""
    ctx = sqlite_ctx
    assert not staff.has_accounts(ctx)
    boss = staff.create_first_manager(ctx, "Maria", "Maria Rossi", "correct horse")
    assert (boss.username, boss.role) == ("maria", Role.MANAGER)
    with pytest.raises(InvalidRequest):
        staff.create_first_manager(ctx, "other", "Other", "another secret")

    staff.add_staff(ctx, "ros", "Ros", "correct horse", "receptionist")
    with UnitOfWork(ctx) as uow:
        hashes = list(uow.session.scalars(select(at.StaffAccount.password_hash)))
    assert all(h.startswith("$argon2id$") and "correct horse" not in h for h in hashes)
    assert hashes[0] != hashes[1]  # same password, different salt

    signed_in = staff.sign_in(ctx, " MARIA ", "correct horse")
    assert signed_in.role.can_manage and ctx.actor == "maria"
    assert not staff.sign_in(ctx, "ros", "correct horse").role.can_manage
    assert [e.actor for e in audit_log(ctx, action="staff.signed_in")] == ["ros", "maria"]


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("a b", "long enough", "username"),
        ("ann", "short", "password"),
        ("annabel", "annabel", "password"),
    ],
)
def test_bad_accounts_are_refused(
    ctx: ServiceContext, username: str, password: str, field: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        staff.create_first_manager(ctx, username, "Ann", password)
    assert refused.value.field == field
    assert not staff.has_accounts(ctx)


def test_wrong_password_reset_and_disable(sqlite_ctx: ServiceContext) -> None:
    ctx = sqlite_ctx
    boss = staff.create_first_manager(ctx, "maria", "Maria", "correct horse")
    ros = staff.add_staff(ctx, "ros", "Ros", "first password", "receptionist")
    with pytest.raises(staff.SignInRefused):
        staff.sign_in(ctx, "ros", "wrong password")
    with pytest.raises(staff.SignInRefused):
        staff.sign_in(ctx, "nobody", "first password")

    staff.reset_password(ctx, ros.id, "second password")
    with pytest.raises(staff.SignInRefused):
        staff.sign_in(ctx, "ros", "first password")
    assert staff.sign_in(ctx, "ros", "second password").username == "ros"

    with pytest.raises(NotAllowed):  # ros is signed in now, and is a receptionist
        staff.set_account_active(ctx, ros.id, False)
    staff.sign_in(ctx, "maria", "correct horse")
    staff.set_account_active(ctx, ros.id, False)
    with pytest.raises(staff.SignInRefused):
        staff.sign_in(ctx, "ros", "second password")
    with pytest.raises(InvalidRequest) as refused:
        staff.set_account_active(ctx, boss.id, False)
    assert "last active manager" in refused.value.reason
    with pytest.raises(InvalidRequest):
        staff.set_role(ctx, boss.id, "receptionist")
    staff.set_role(ctx, ros.id, "manager")
    staff.set_account_active(ctx, ros.id, True)
    staff.set_account_active(ctx, boss.id, False)
    assert [(m.username, m.active) for m in staff.list_staff(ctx)] == [
        ("maria", False),
        ("ros", True),
    ]
