"""Settings → Database: this PC's embedded file or the clinic's shared server, tested and saved."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.config.secrets import KeyringUnavailable
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.services import database_settings as choice
from montu_desktop.services.database_settings import ConnectionCheck, ServerSettings
from montu_desktop.ui.operations import run_op

RESTART_NOTE = "Saved. Restart Montu Desktop on this PC to use this database."
_FIELD_LABELS = {
    "host": "Server",
    "port": "Port",
    "database": "Database",
    "user": "User",
    "tls_mode": "Encryption (TLS)",
    "ca_file": "CA certificate",
}


class DatabaseDialog(QDialog):
    """Choose, test and save where this PC's clinic data lives (takes effect at next start)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Database")
        current = choice.current_choice()
        self.embedded = QRadioButton("Embedded: a file on this PC only")
        self.server = QRadioButton("Server: shared by every desk in the clinic")
        modes = QButtonGroup(self)
        modes.addButton(self.embedded)
        modes.addButton(self.server)
        embedded_path = QLabel(current.embedded_path)
        embedded_path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.host = QLineEdit()
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(5432)
        self.database = QLineEdit("montu")
        self.user = QLineEdit("montu")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.tls_mode = QComboBox()
        self.tls_mode.addItems(choice.TLS_MODES)
        self.tls_mode.setCurrentText("prefer")
        self.ca_file = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file)
        ca_row.addWidget(browse)

        self.server_form = QWidget()
        form = QFormLayout(self.server_form)
        form.addRow(_FIELD_LABELS["host"], self.host)
        form.addRow(_FIELD_LABELS["port"], self.port)
        form.addRow(_FIELD_LABELS["database"], self.database)
        form.addRow(_FIELD_LABELS["user"], self.user)
        form.addRow("Password", self.password)
        form.addRow(_FIELD_LABELS["tls_mode"], self.tls_mode)
        form.addRow(_FIELD_LABELS["ca_file"], ca_row)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.embedded)
        layout.addWidget(embedded_path)
        layout.addWidget(self.server)
        layout.addWidget(self.server_form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

        self.server.toggled.connect(self._mode_changed)
        self._fill(current)

    def _fill(self, current: choice.CurrentChoice) -> None:
        if current.server is None:
            self.embedded.setChecked(True)
        else:
            self.server.setChecked(True)
            self.host.setText(current.server.host)
            self.port.setValue(current.server.port)
            self.database.setText(current.server.database)
            self.user.setText(current.server.user)
            self.tls_mode.setCurrentText(current.server.tls_mode)
            self.ca_file.setText(current.server.ca_file)
        if current.has_password:
            self.password.setPlaceholderText("kept in this PC's keyring; type to change")
        self._mode_changed()

    def _mode_changed(self) -> None:
        using_server = self.server.isChecked()
        self.server_form.setEnabled(using_server)
        self.test_button.setEnabled(using_server)

    def server_settings(self) -> ServerSettings:
        return ServerSettings(
            host=self.host.text(),
            port=self.port.value(),
            database=self.database.text(),
            user=self.user.text(),
            tls_mode=self.tls_mode.currentText(),
            ca_file=self.ca_file.text(),
        )

    def test_connection(self) -> None:
        """Try the server in the background (it can take seconds); the answer appears below."""
        settings, password = self.server_settings(), self.password.text()
        self.test_button.setEnabled(False)
        self.message.setText("Testing the connection…")

        def work() -> ConnectionCheck:
            try:
                return choice.check_server(settings, password)
            except InvalidRequest as exc:
                return ConnectionCheck(False, _refusal(exc))

        def failed(exc: BaseException) -> None:  # the dialog must answer, whatever went wrong
            self._show_check(ConnectionCheck(False, f"Could not connect: {exc}"))

        run_op(self, work, self._show_check, failed)

    def _show_check(self, outcome: ConnectionCheck) -> None:
        self.test_button.setEnabled(self.server.isChecked())
        self.message.setText(outcome.message)
        self.message.setProperty("ok", outcome.ok)

    def save(self) -> None:
        """Keep this PC's choice; refusals are shown here and nothing is saved."""
        try:
            if self.server.isChecked():
                choice.save_server(self.server_settings(), self.password.text())
            else:
                choice.save_embedded()
        except InvalidRequest as exc:
            self.message.setText(_refusal(exc))
            field = getattr(self, exc.field, None)
            if isinstance(field, QWidget):
                field.setFocus()
            return
        except KeyringUnavailable as exc:
            self.message.setText(f"Not saved: {exc}")
            return
        self.message.setText(RESTART_NOTE)
        self.accept()

    def _browse_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Clinic CA certificate", "", "Certificates (*.crt *.pem);;All files (*)"
        )
        if path:
            self.ca_file.setText(path)


def _refusal(exc: InvalidRequest) -> str:
    return f"{_FIELD_LABELS.get(exc.field, exc.field)}: {exc.reason}"
