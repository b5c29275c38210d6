"""Starts the reception window: settings, then the database (migrated), then services, then Qt."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QFontInfo
from PySide6.QtWidgets import QApplication, QMessageBox

from montu_desktop.domain.errors import MontuError
from montu_desktop.persistence.engine import Database
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.runtime import open_database

log = logging.getLogger(__name__)

EXIT_OK, EXIT_UNREACHABLE, EXIT_BROKEN = 0, 4, 1


def main(args: argparse.Namespace) -> int:
    """Run the desktop app until its window closes; the exit status follows the CLI's."""
    self_test = bool(getattr(args, "self_test", False))
    if self_test:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = _application()
    database = _open_database(getattr(args, "database", None), quiet=self_test)
    if database is None:
        return EXIT_UNREACHABLE
    try:
        ctx = ServiceContext(database)
        from montu_desktop.ui.main_window import MainWindow

        window = MainWindow(ctx)
        window.show()
        if self_test:
            return _self_test(app, window)
        window.start()
        return app.exec()
    finally:
        database.dispose()


def _application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Montu Desktop")
    app.setOrganizationName("Montu")
    from montu_desktop.ui.style import apply_style

    apply_style(app)
    return app


def _open_database(url: str | None, *, quiet: bool) -> Database | None:
    """The migrated database, or None after telling the person in plain words why not."""
    try:
        return open_database(url)
    except MontuError as exc:
        reason = str(exc)
    except Exception as exc:  # a broken file or a refused login must not show a traceback
        log.exception("could not open the database")
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    message = f"Montu Desktop could not open the clinic database.\n\n{reason}"
    if quiet:
        print(message, file=sys.stderr)
    else:
        QMessageBox.critical(None, "Montu Desktop", message)
    return None


def _self_test(app: QApplication, window: object) -> int:
    """Start offscreen, let the first refresh run, and say whether the basics work."""
    if not QFontInfo(QFont()).family():
        print("self-test: no font found (install a font package)", file=sys.stderr)
        return EXIT_BROKEN
    QTimer.singleShot(0, app.quit)
    app.exec()
    print("self-test: ok")
    return EXIT_OK
