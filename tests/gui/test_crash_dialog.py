"""Unexpected errors: logged with their traceback, then one dialog that shows where the log is."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from montu_desktop import logging_setup
from montu_desktop.ui.crash import CrashDialog, CrashReporter, install_crash_reporter


@pytest.fixture
def log_file() -> Iterator[Path]:
    path = logging_setup.configure_logging()
    yield path
    logging_setup.stop_logging()


@pytest.fixture
def reporter(log_file: Path, qtbot: QtBot) -> Iterator[CrashReporter]:
    installed = install_crash_reporter(log_file)
    yield installed
    installed.uninstall()
    if installed.dialog is not None:
        installed.dialog.close()


def _log_text(path: Path) -> str:
    logging_setup.stop_logging()  # flushes and closes the file
    return path.read_text(encoding="utf-8")


def test_an_error_in_a_slot_is_logged_and_shows_the_dialog(
    reporter: CrashReporter, log_file: Path, qtbot: QtBot
) -> None:
    def broken_slot() -> None:
        raise RuntimeError("week grid fell over")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    assert reporter.dialog.location.text() == str(log_file)
    assert "RuntimeError" in reporter.dialog.windowTitle() + _labels(reporter.dialog)
    text = _log_text(log_file)
    assert "CRITICAL" in text
    assert "RuntimeError: week grid fell over" in text
    assert "broken_slot" in text


def test_copy_puts_the_log_location_on_the_clipboard(
    reporter: CrashReporter, log_file: Path, qtbot: QtBot
) -> None:
    QApplication.clipboard().setText("something else")
    _raise_through_hook(ValueError("bad"))
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    reporter.dialog.copy_button.click()
    assert QApplication.clipboard().text() == str(log_file)
    assert reporter.dialog.copy_button.text() == "Copied"


def test_an_error_in_a_worker_thread_shows_the_dialog_on_the_gui_thread(
    reporter: CrashReporter, log_file: Path, qtbot: QtBot
) -> None:
    def work() -> None:
        raise LookupError("reminder batch failed")

    worker = threading.Thread(target=work, name="reminders")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    assert reporter.dialog.thread() is QApplication.instance().thread()
    text = _log_text(log_file)
    assert "unexpected error in thread reminders" in text
    assert "LookupError: reminder batch failed" in text


def test_a_burst_of_errors_opens_one_dialog_and_logs_each(
    reporter: CrashReporter, log_file: Path, qtbot: QtBot
) -> None:
    for n in range(3):
        _raise_through_hook(RuntimeError(f"failure {n}"))
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    first = reporter.dialog
    _raise_through_hook(RuntimeError("failure 3"))
    qtbot.wait(50)
    assert reporter.dialog is first
    assert (
        len(
            [
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, CrashDialog) and w.isVisible()
            ]
        )
        == 1
    )
    text = _log_text(log_file)
    assert all(f"RuntimeError: failure {n}" in text for n in range(4))


def test_uninstall_gives_back_the_previous_hooks(log_file: Path, qtbot: QtBot) -> None:
    before = (sys.excepthook, threading.excepthook)
    reporter = install_crash_reporter(log_file)
    assert sys.excepthook != before[0]
    assert threading.excepthook != before[1]
    reporter.uninstall()
    assert (sys.excepthook, threading.excepthook) == before


def test_without_a_log_file_the_dialog_says_so_and_cannot_copy(qtbot: QtBot) -> None:
    dialog = CrashDialog("OSError", None)
    qtbot.addWidget(dialog)
    assert "no log file" in dialog.location.text()
    assert not dialog.copy_button.isEnabled()


def _raise_through_hook(error: BaseException) -> None:
    try:
        raise error
    except BaseException:
        sys.excepthook(*sys.exc_info())


def _labels(dialog: CrashDialog) -> str:
    from PySide6.QtWidgets import QLabel

    return " ".join(label.text() for label in dialog.findChildren(QLabel))
