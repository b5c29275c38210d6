"""Starts the reception window: settings, then the database (migrated), then services, then Qt."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QFont, QFontInfo
from PySide6.QtWidgets import QApplication, QMessageBox

from montu_desktop import APP_NAME, __version__
from montu_desktop.domain.errors import MontuError
from montu_desktop.logging_setup import configure_logging
from montu_desktop.persistence.engine import Database
from montu_desktop.services.connection import ConnectionMonitor
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.live import ChangeFeed
from montu_desktop.services.runtime import open_database
from montu_desktop.ui.about import app_icon
from montu_desktop.ui.crash import install_crash_reporter

log = logging.getLogger(__name__)

EXIT_OK, EXIT_UNREACHABLE = 0, 4


def main(args: argparse.Namespace) -> int:
    """Run the desktop app until its window closes; the exit status follows the CLI's."""
    self_test = bool(getattr(args, "self_test", False))
    if self_test:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    log_file = configure_logging()
    app = _application()
    if self_test:
        from montu_desktop import selftest

        return selftest.run(lambda ctx: _window_check(app, ctx))
    crash_reporter = install_crash_reporter(log_file)
    database = _open_database(getattr(args, "database", None), quiet=self_test)
    if database is None:
        return EXIT_UNREACHABLE
    try:
        ctx = ServiceContext(database)
        from montu_desktop.ui.main_window import MainWindow
        from montu_desktop.ui.sign_in import sign_in

        member = sign_in(ctx)
        if member is None:
            return EXIT_OK
        from montu_desktop.services.notifications import running_dispatcher

        monitor = ConnectionMonitor(ctx.database)
        window = MainWindow(ctx, monitor=monitor)
        window.signed_in(member)
        window.showMaximized()
        QTimer.singleShot(0, lambda: log.info("main window shown"))
        with _live_refresh(ctx, monitor), _nightly_roll_forward(ctx), running_dispatcher(ctx):
            window.start()
            return app.exec()
    finally:
        crash_reporter.uninstall()
        database.dispose()


@contextlib.contextmanager
def _live_refresh(ctx: ServiceContext, monitor: ConnectionMonitor) -> Iterator[None]:
    """Other desks' changes repaint this one; the status bar follows the connection."""
    feed = ChangeFeed(ctx)
    feed.start()
    monitor.start()
    try:
        yield
    finally:
        monitor.stop()
        feed.stop()


@contextlib.contextmanager
def _nightly_roll_forward(ctx: ServiceContext) -> Iterator[None]:
    """Generate schedules to the horizon now (a missed night) and every night at 02:00."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from montu_desktop.services.admin.rollover import roll_forward, schedule_nightly
    from montu_desktop.services.reference import clinic_policy

    scheduler = BackgroundScheduler()
    try:
        roll_forward(ctx)
        schedule_nightly(scheduler, ctx, clinic_policy(ctx).timezone)
        scheduler.start()
    except MontuError as exc:  # no clinic yet, or the server is down: the next start catches up
        log.info("schedule roll-forward not started: %s", exc)
    try:
        yield
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)


def _application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Montu Desktop")
    app.setOrganizationName("Montu")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    from montu_desktop.ui.operations import collect_garbage_on_gui_thread
    from montu_desktop.ui.style import apply_style

    apply_style(app)
    collect_garbage_on_gui_thread()
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


def _window_check(app: QApplication, ctx: ServiceContext) -> str | None:
    """For --self-test: open the main window offscreen, let its first refresh run, close it."""
    if not QFontInfo(QFont()).family():
        return "no font found (install a font package)"
    from montu_desktop.ui.main_window import MainWindow

    errors: list[str] = []
    previous_hook = sys.excepthook
    sys.excepthook = lambda kind, error, _trace: errors.append(f"{kind.__name__}: {error}")
    try:
        window = MainWindow(ctx)
        window.show()
        window.start()
        seen: list[tuple[bool, str]] = []

        def look_and_quit() -> None:  # before quit(): Qt 6 closes every window on quit
            seen.append((window.isVisible(), window.windowTitle()))
            app.quit()

        QTimer.singleShot(200, look_and_quit)
        app.exec()
        shown, title = seen[0] if seen else (False, "")
        # Let the first refresh finish and deliver, then delete the window while Qt is still
        # up: left to interpreter shutdown, PySide6 can abort in its finaliser.
        from montu_desktop.ui.operations import wait_for_operations

        wait_for_operations()
        app.processEvents()
        window.close()
        window.deleteLater()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
    finally:
        sys.excepthook = previous_hook
    expected = f"{APP_NAME} {__version__}"
    if errors:
        return f"the main window raised {errors[0]}"
    if not shown:
        return "the main window did not show"
    if title != expected:
        return f"the window title is {title!r}, expected {expected!r}"
    return None
