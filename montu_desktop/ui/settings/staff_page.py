"""The Staff page: accounts with roles; a manager adds people, resets passwords, disables.

The form beside the list shows the selected account; "Add account…" opens a form of its own,
empty, so a new account never starts as a copy of the one selected (its role included).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.errors import MontuError
from montu_desktop.domain.staff import Role
from montu_desktop.services.admin import staff
from montu_desktop.services.admin.staff import StaffMember
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.operations import run_and_wait
from montu_desktop.ui.settings.form import FieldMessages, ListEditor


def _role_box() -> QComboBox:
    """The roles, Receptionist first (the usual new account)."""
    box = QComboBox()
    box.addItem("Receptionist", Role.RECEPTIONIST.value)
    box.addItem("Manager", Role.MANAGER.value)
    return box


class AddAccountDialog(QDialog):
    """A new account: username, name, role (Receptionist unless chosen) and first password."""

    def __init__(self, ctx: ServiceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add account")
        self.setObjectName("addAccountDialog")
        self._ctx = ctx
        self.added: StaffMember | None = None
        self.username = QLineEdit()
        self.display_name = QLineEdit()
        self.role = _role_box()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("at least 8 characters")
        self.message = QLabel()
        self.messages = FieldMessages(self.message)
        form = QFormLayout()
        self.messages.add_row(form, "Username", "username", self.username)
        self.messages.add_row(form, "Name", "display_name", self.display_name)
        self.messages.add_row(form, "Role", "role", self.role)
        self.messages.add_row(form, "Password", "password", self.password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = self.buttons.addButton(
            "Add account", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.add_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.messages.clear()
        self.setMinimumWidth(420)
        self.username.setFocus()

    def submit(self) -> bool:
        """Add the account; a refusal is shown beside its field and the form stays open."""
        typed = (
            self.username.text(),
            self.display_name.text(),
            self.password.text(),
            self.role.currentData(),
        )
        try:
            self.added = run_and_wait(self, lambda: staff.add_staff(self._ctx, *typed))
        except MontuError as error:
            self.messages.show(error)
            return False
        self.accept()
        return True


class StaffPage(QWidget):
    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__()
        self._ctx = ctx
        self._members: list[StaffMember] = []
        editor = ListEditor(self, self._show)
        self.list, self.message, self.messages = editor.list, editor.message, editor.messages
        right, form = editor.right, editor.form
        self.username = QLineEdit()
        self.username.setReadOnly(True)  # the selected account's; a new one: Add account…
        self.display_name = QLineEdit()
        self.display_name.setReadOnly(True)
        self.role = _role_box()
        self.add_dialog: AddAccountDialog | None = None
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("at least 8 characters")
        self.messages.add_row(form, "Username", "username", self.username)
        self.messages.add_row(form, "Name", "display_name", self.display_name)
        self.messages.add_row(form, "Role", "role", self.role)
        self.messages.add_row(form, "Password", "password", self.password)
        self.add_button, self.reset_button, self.role_button, self.active_button = (
            editor.add_buttons(
                ("Add account…", self.add),
                ("Set this password", self.reset_password),
                ("Change role", self.change_role),
                ("Disable", self.toggle_active),
            )
        )
        self.messages._labels["account"] = self.message
        right.addStretch(1)
        self.messages.clear()
        self.load()

    def load(self) -> None:
        keep = self.list.currentRow()
        self._members = run_and_wait(self, lambda: staff.list_staff(self._ctx))
        self.list.clear()
        for member in self._members:
            state = "" if member.active else " — disabled"
            self.list.addItem(f"{member.display_name} ({member.username}, {member.role}){state}")
        if 0 <= keep < self.list.count():
            self.list.setCurrentRow(keep)

    def _show(self, row: int) -> None:
        if 0 <= row < len(self._members):
            member = self._members[row]
            self.username.setText(member.username)
            self.display_name.setText(member.display_name)
            self.role.setCurrentIndex(self.role.findData(member.role.value))
            self.active_button.setText("Disable" if member.active else "Enable")

    def selected(self) -> StaffMember | None:
        row = self.list.currentRow()
        return self._members[row] if 0 <= row < len(self._members) else None

    def _run(self, work, done: str) -> bool:  # type: ignore[no-untyped-def]
        try:
            run_and_wait(self, work)
        except MontuError as error:
            self.messages.show(error)
            return False
        self.password.clear()
        self.load()
        self.messages.done(done)
        return True

    def add(self) -> AddAccountDialog:
        """Open the empty new-account form; once added, the account is selected here."""
        dialog = AddAccountDialog(self._ctx, self)
        dialog.accepted.connect(lambda: self._added(dialog))
        self.add_dialog = dialog
        dialog.open()
        return dialog

    def _added(self, dialog: AddAccountDialog) -> None:
        member = dialog.added
        self.load()
        if member is not None:
            ids = [m.id for m in self._members]
            if member.id in ids:
                self.list.setCurrentRow(ids.index(member.id))
            self.messages.done(f"Account added: {member.display_name} ({member.role}).")

    def reset_password(self) -> bool:
        member = self.selected()
        if member is None:
            return False
        password = self.password.text()
        return self._run(
            lambda: staff.reset_password(self._ctx, member.id, password),
            f"New password set for {member.username}.",
        )

    def change_role(self) -> bool:
        member = self.selected()
        if member is None:
            return False
        role = self.role.currentData()
        return self._run(lambda: staff.set_role(self._ctx, member.id, role), "Role changed.")

    def toggle_active(self) -> bool:
        member = self.selected()
        if member is None:
            return False
        return self._run(
            lambda: staff.set_account_active(self._ctx, member.id, not member.active),
            "Account enabled." if not member.active else "Account disabled.",
        )
