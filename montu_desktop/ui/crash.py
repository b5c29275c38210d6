"""When something unexpected fails: log it, then tell the person at the desk where the log is.

Installed through sys.excepthook (which Qt for Python calls for an exception escaping a slot)
and threading.excepthook. The dialog always opens on the GUI thread, after the failing call
has returned, and only one at a time.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from montu_desktop import APP_NAME
from montu_desktop.ui.about import app_icon

log = logging.getLogger(__name__)


class CrashDialog(QDialog):
    """Something went wrong: what to do, where the log is, and a button to copy its location."""

    def __init__(self, error_kind: str, log_file: Path | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.log_file = log_file
        self.setWindowTitle(f"{APP_NAME}: unexpected error")
        self.setWindowIcon(app_icon())
        heading = QLabel(f"<b>{APP_NAME} hit an unexpected problem ({error_kind}).</b>")
        advice = QLabel(
            "The last thing you did may not have been saved: please check it. "
            "If this happens again, send the log file below to your IT support."
        )
        advice.setWordWrap(True)
        self.location = QLineEdit(str(log_file) if log_file else "(no log file: logging is off)")
        self.location.setReadOnly(True)
        self.location.setAccessibleName("Log file location")
        self.copy_button = QPushButton("&Copy log location")
        self.copy_button.setEnabled(log_file is not None)
        self.copy_button.clicked.connect(self.copy_location)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (heading, advice, QLabel("Log file:"), self.location, buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(520)

    def copy_location(self) -> None:
        if self.log_file is None:
            return
        QGuiApplication.clipboard().setText(str(self.log_file))
        self.copy_button.setText("Copied")


class CrashReporter(QObject):
    """Owns the hooks: logs every unexpected exception and shows one CrashDialog for them."""

    _reported = Signal(str)

    def __init__(self, log_file: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self.dialog: CrashDialog | None = None
        self._previous: tuple[object, object] | None = None
        self._reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> CrashReporter:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._on_exception
        threading.excepthook = self._on_thread_exception
        return self

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous  # type: ignore[assignment]
            self._previous = None

    def _on_exception(
        self,
        kind: type[BaseException],
        error: BaseException,
        trace: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        log.critical("unexpected error", exc_info=(kind, error, trace))
        self._reported.emit(kind.__name__)

    def _on_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread else "unknown"
        log.critical(
            "unexpected error in thread %s",
            name,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),  # type: ignore[arg-type]
        )
        self._reported.emit(args.exc_type.__name__)

    @Slot(str)
    def _show(self, error_kind: str) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            return  # one dialog for a burst of failures; each one is in the log
        self.dialog = CrashDialog(error_kind, self.log_file)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.dialog.show()
        self.dialog.activateWindow()


def install_crash_reporter(log_file: Path | None) -> CrashReporter:
    """Create the reporter on the GUI thread (after the QApplication) and install its hooks."""
    return CrashReporter(log_file).install()
