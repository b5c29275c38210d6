"""The "Send test message" row of a channel: sends off the GUI thread, says what happened."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.notifications import send_test_message
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.notifications.fields import DONE_STYLE, ERROR_STYLE, hint
from montu_desktop.ui.operations import run_op


class TestMessageRow(QWidget):
    """Where to send a sample reminder, the button, and the outcome in plain words."""

    __test__ = False  # not a pytest class, despite the name
    finished = Signal(bool)
    """Emitted with True when the test message went out, False when it did not."""

    def __init__(
        self,
        ctx: ServiceContext,
        channel: str,
        placeholder: str,
        save_first: Callable[[], bool],
    ) -> None:
        super().__init__()
        self._ctx, self._channel, self._save_first = ctx, channel, save_first
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.to = QLineEdit()
        self.to.setPlaceholderText(placeholder)
        self.to.setAccessibleName(f"Send a test {channel} to")
        self.button = QPushButton("Send test message")
        self.button.clicked.connect(self.send)
        self.to.returnPressed.connect(self.send)
        row.addWidget(QLabel("Send a test message to"))
        row.addWidget(self.to, 1)
        row.addWidget(self.button)
        layout.addLayout(row)
        layout.addWidget(
            hint("Saves your changes first, then sends a sample reminder marked [TEST].")
        )
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setObjectName(f"test_result_{channel}")
        layout.addWidget(self.result)

    def send(self) -> None:
        if not self.button.isEnabled():
            return
        to = self.to.text().strip()
        if not to:
            self._show(False, "Type where to send the test message first.")
            return
        if not self._save_first():
            self._show(False, "Not sent: fix the settings marked in red first.")
            return
        self.button.setEnabled(False)
        self.result.setStyleSheet("")
        self.result.setText(f"Sending a test message to {to}…")
        run_op(
            self,
            lambda: send_test_message(self._ctx, self._channel, to),
            lambda _ref: self._show(True, f"Sent to {to}. Check that it arrived."),
            self._failed,
        )

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, InvalidRequest):
            self._show(False, f"Not sent: {error.reason}")
        else:
            self._show(False, f"Not sent. {plain_words(error)}")

    def _show(self, ok: bool, text: str) -> None:
        self.button.setEnabled(True)
        self.result.setStyleSheet(DONE_STYLE if ok else ERROR_STYLE)
        self.result.setText(text)
        # From the event loop, not inside the operation's callback (see log_window.py).
        QTimer.singleShot(0, lambda: self.finished.emit(ok))
