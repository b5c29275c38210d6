"""Signing in at start; on a clinic with no accounts yet, creating the first manager instead."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.errors import InvalidRequest, MontuError
from montu_desktop.services.admin import staff
from montu_desktop.services.admin.staff import StaffMember
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.settings.form import FieldMessages


class SignInDialog(QDialog):
    """Username and password; `member` holds who signed in once the dialog is accepted.

    With `locked` it is the lock screen in front of a desk left unused (or signed out): the
    window behind keeps what was typed, and Cancel becomes Quit.
    """

    def __init__(
        self, ctx: ServiceContext, parent: QWidget | None = None, *, locked: str = ""
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.member: StaffMember | None = None
        self.locked = bool(locked)
        # On a server, accounts are the server's logins: IT creates the first manager.
        self.first_account = (
            not self.locked and not staff.accounts_on_server(ctx) and not staff.has_accounts(ctx)
        )
        self.setWindowTitle("Create the manager account" if self.first_account else "Sign in")
        layout = QVBoxLayout(self)
        if self.locked:
            self.setWindowTitle("Montu Desktop is locked")
            layout.addWidget(QLabel(locked))
        if self.first_account:
            intro = QLabel(
                "No one has an account on this clinic yet. Create the first one: it is a\n"
                "manager account, which can add receptionists and change the settings."
            )
            layout.addWidget(intro)
            layout.addSpacing(8)
        self.message = QLabel()
        self.messages = FieldMessages(self.message)
        form = QFormLayout()
        self.username = QLineEdit()
        self.display_name = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.messages.add_row(form, "Username", "username", self.username)
        if self.first_account:
            self.messages.add_row(form, "Your name", "display_name", self.display_name)
        self.messages.add_row(form, "Password", "password", self.password)
        if self.first_account:
            self.messages.add_row(form, "Password again", "repeat", self.repeat)
        layout.addLayout(form)
        # Under the fields, so a message never pushes them down; spare height (the dialog
        # made taller) goes below them too, not into a gap above Username.
        layout.addWidget(self.message)
        layout.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        if self.locked:
            cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
            cancel.setText("Quit Montu Desktop")
        self.ok_button = buttons.addButton(
            "Create account" if self.first_account else "Sign in",
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.messages.clear()
        self.setMinimumWidth(420)

    def submit(self) -> bool:
        try:
            if self.first_account:
                if self.password.text() != self.repeat.text():
                    raise InvalidRequest("repeat", "the two passwords are different")
                staff.create_first_manager(
                    self._ctx, self.username.text(), self.display_name.text(), self.password.text()
                )
            self.member = staff.sign_in(self._ctx, self.username.text(), self.password.text())
        except staff.SignInRefused as refused:
            self.messages.show(InvalidRequest("password", str(refused)))
            self.password.clear()
            self._fit()
            return False
        except MontuError as error:
            self.messages.show(error)
            self._fit()
            return False
        self.accept()
        return True

    def _fit(self) -> None:
        """Exactly as tall as the fields and the messages shown now: room for a message (it
        must not be clipped at the bottom), and none left over from one just hidden."""
        # The rows' layouts settle first: a message hidden a moment ago still counted.
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        layout = self.layout()
        height = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else -1
        self.resize(self.width(), max(height, self.minimumSizeHint().height()))


def sign_in(ctx: ServiceContext, parent: QWidget | None = None) -> StaffMember | None:
    """Ask who is at the desk; None if they cancel."""
    dialog = SignInDialog(ctx, parent)
    dialog.exec()
    return dialog.member
