"""The Email (SMTP) and SMS provider pages of the notification settings."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from montu_desktop.services.clinic_settings import secret_is_set
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.notifications.fields import (
    FieldNotes,
    choice_box,
    hint,
    spin_box,
    text_field,
)
from montu_desktop.ui.notifications.test_message import TestMessageRow

USUAL_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def set_choice(box: QComboBox, value: str) -> None:
    index = box.findData(value)
    box.setCurrentIndex(max(index, 0))


def secret_field(what: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(what)
    return field


class _ChannelPage(QWidget):
    """Shared by both pages: a form of fields with messages, a secret, and a test row."""

    secret_name = ""
    secret_words = ""

    def __init__(self, notes: FieldNotes, show_page: Callable[[QWidget], None]) -> None:
        super().__init__()
        self.notes = notes
        self.reveal = lambda: show_page(self)
        self.form = QFormLayout()
        self.secret = secret_field(self.secret_words)
        self.secret_state = hint("")

    def add(self, label: str, key: str, widget: QWidget, help_text: str = "") -> None:
        self.notes.add(self.form, label, key, widget, self.reveal, help_text)

    def add_secret(self, label: str) -> None:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.secret)
        column.addWidget(self.secret_state)
        column.addWidget(
            self.notes.message_label(self.secret_name, self.secret, self.reveal, label)
        )
        self.form.addRow(label, box)

    def show_secret_state(self) -> None:
        """Says whether the secret is stored on this PC; the secret itself is never shown."""
        self.secret.clear()
        if secret_is_set(self.secret_name):
            self.secret.setPlaceholderText("stored: type a new one to replace it")
            self.secret_state.setText(
                f"The {self.secret_words} is kept in this PC's keyring, not in the database: "
                "each PC that sends messages needs it."
            )
        else:
            self.secret.setPlaceholderText("not stored on this PC")
            self.secret_state.setText(
                f"No {self.secret_words} is stored on this PC. It is kept in the keyring, "
                "never in the database."
            )

    def typed_secret(self) -> dict[str, str]:
        value = self.secret.text()
        return {self.secret_name: value} if value else {}


class EmailPage(_ChannelPage):
    """SMTP server, security, login and sender; password in the keyring."""

    secret_name = "smtp.password"
    secret_words = "SMTP password"

    def __init__(
        self,
        ctx: ServiceContext,
        notes: FieldNotes,
        show_page: Callable[[QWidget], None],
        save_first: Callable[[], bool],
    ) -> None:
        super().__init__(notes, show_page)
        self.host = QLineEdit()
        self.host.setPlaceholderText("smtp.example.com.au")
        self.port = spin_box("smtp.port")
        self.security = choice_box("smtp.security")
        self.security.currentIndexChanged.connect(self._usual_port)
        self.username = text_field("smtp.username")
        self.sender = QLineEdit()
        self.sender.setPlaceholderText("Southbank Clinic <desk@clinic.example>")
        self.add("Mail server", "smtp.host", self.host)
        self.add("Port", "smtp.port", self.port)
        self.add("Security", "smtp.security", self.security)
        self.add("Username", "smtp.username", self.username)
        self.add_secret("Password")
        self.add("From address", "smtp.sender", self.sender)
        self.test = TestMessageRow(ctx, "email", "manager@clinic.example", save_first)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addSpacing(8)
        layout.addWidget(self.test)
        layout.addStretch(1)

    def _usual_port(self) -> None:
        if self.port.value() in USUAL_PORTS.values():
            self.port.setValue(USUAL_PORTS[self.security.currentData()])

    def load(self, values: dict[str, str]) -> None:
        self.host.setText(values["smtp.host"])
        self.security.blockSignals(True)
        set_choice(self.security, values["smtp.security"])
        self.security.blockSignals(False)
        self.port.setValue(int(values["smtp.port"]))
        self.username.setText(values["smtp.username"])
        self.sender.setText(values["smtp.sender"])
        self.show_secret_state()

    def values(self) -> dict[str, str]:
        return {
            "smtp.host": self.host.text(),
            "smtp.port": str(self.port.value()),
            "smtp.security": self.security.currentData(),
            "smtp.username": self.username.text(),
            "smtp.sender": self.sender.text(),
        }


class SmsPage(_ChannelPage):
    """SMS provider, its address, account and sender; auth token in the keyring."""

    secret_name = "sms.token"
    secret_words = "auth token"

    def __init__(
        self,
        ctx: ServiceContext,
        notes: FieldNotes,
        show_page: Callable[[QWidget], None],
        save_first: Callable[[], bool],
    ) -> None:
        super().__init__(notes, show_page)
        self.provider = choice_box("sms.provider")
        self.provider.currentIndexChanged.connect(self._provider_chosen)
        self.base_url = QLineEdit()
        self.account = text_field("sms.account", "e.g. AC0123456789abcdef")
        self.sender = QLineEdit()
        self.sender.setPlaceholderText("+61400000000 or SouthbankGP")
        self.add("Provider", "sms.provider", self.provider)
        self.add("API address", "sms.base_url", self.base_url)
        self.add("Account", "sms.account", self.account)
        self.add_secret("Auth token")
        self.add("Sender", "sms.sender", self.sender)
        # Replies and delivery receipts come to `serve` at this address (README: two-way SMS).
        self.two_way = choice_box("sms.two_way")
        self.public_url = QLineEdit()
        self.public_url.setPlaceholderText("https://book.clinic.example")
        self.add("Replies", "sms.two_way", self.two_way)
        self.add("Public address", "online.public_url", self.public_url)
        self.test = TestMessageRow(ctx, "sms", "+61412345678", save_first)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addSpacing(8)
        layout.addWidget(self.test)
        layout.addStretch(1)

    def _provider_chosen(self) -> None:
        on = self.provider.currentData() != "none"
        for widget in (
            self.base_url,
            self.account,
            self.sender,
            self.secret,
            self.test,
            self.two_way,
            self.public_url,
        ):
            widget.setEnabled(on)

    def load(self, values: dict[str, str]) -> None:
        set_choice(self.provider, values["sms.provider"])
        self.base_url.setText(values["sms.base_url"])
        self.account.setText(values["sms.account"])
        self.sender.setText(values["sms.sender"])
        set_choice(self.two_way, values["sms.two_way"])
        self.public_url.setText(values["online.public_url"])
        self.show_secret_state()
        self._provider_chosen()

    def values(self) -> dict[str, str]:
        return {
            "sms.provider": self.provider.currentData(),
            "sms.base_url": self.base_url.text(),
            "sms.account": self.account.text(),
            "sms.sender": self.sender.text(),
            "sms.two_way": self.two_way.currentData(),
            "online.public_url": self.public_url.text(),
        }
