"""Sign-in at start: the first manager account, then username and password."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from montu_desktop.domain.staff import Role
from montu_desktop.services.admin import staff
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.sign_in import SignInDialog


def test_the_first_start_creates_the_manager_account(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    dialog = SignInDialog(sqlite_ctx)
    qtbot.addWidget(dialog)
    assert dialog.first_account
    dialog.username.setText("maria")
    dialog.display_name.setText("Maria Rossi")
    dialog.password.setText("correct horse")
    dialog.repeat.setText("correct horse!")
    assert not dialog.submit()
    assert dialog.messages.label("repeat").text() == "the two passwords are different"
    assert not staff.has_accounts(sqlite_ctx)

    dialog.repeat.setText("correct horse")
    assert dialog.submit()
    assert dialog.member is not None and dialog.member.role is Role.MANAGER
    assert sqlite_ctx.actor == "maria"


def test_a_wrong_password_is_refused_without_saying_which_part(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    staff.create_first_manager(sqlite_ctx, "maria", "Maria", "correct horse")
    staff.add_staff(sqlite_ctx, "ros", "Ros", "front desk 1", "receptionist")
    dialog = SignInDialog(sqlite_ctx)
    qtbot.addWidget(dialog)
    assert not dialog.first_account
    dialog.username.setText("ros")
    dialog.password.setText("front desk 2")
    assert not dialog.submit()
    assert "username or password is wrong" in dialog.messages.label("password").text()
    assert dialog.password.text() == ""

    dialog.password.setText("front desk 1")
    assert dialog.submit()
    assert dialog.member is not None and dialog.member.role is Role.RECEPTIONIST
