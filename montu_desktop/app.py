"""Starts the reception window: settings, then the database (migrated), then services, then Qt."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QFont, QFontInfo
from PySide6.QtWidgets import QApplication, QMessageBox

from montu_desktop import APP_NAME, __version__
from montu_desktop.config import paths
from montu_desktop.config.database import DamagedSettingsFile, reset_settings_file
from montu_desktop.domain.errors import MontuError
from montu_desktop.domain.staff import Role
from montu_desktop.logging_setup import configure_logging
from montu_desktop.persistence.engine import Database
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.runtime import open_for_desk
from montu_desktop.ui.about import app_icon
from montu_desktop.ui.crash import install_crash_reporter

if TYPE_CHECKING:
    from montu_desktop.services.connection import ConnectionMonitor

log = logging.getLogger(__name__)

EXIT_OK, EXIT_UNREACHABLE = 0, 4


def main(args: argparse.Namespace) -> int:
    """Run the desktop app until its window closes; the exit status follows the CLI's."""
    self_test = bool(getattr(args, "self_test", False))
    if self_test:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    log_file = configure_logging()
    paths.make_private()
    app = _application()
    if self_test:
        from montu_desktop import selftest

        return selftest.run(lambda ctx: _window_check(app, ctx))
    crash_reporter = install_crash_reporter(log_file)
    database = _open_database(getattr(args, "database", None), quiet=self_test)
    if database is None:
        return EXIT_UNREACHABLE
    ctx = ServiceContext(database)
    try:
        from montu_desktop.ui.sign_in import sign_in

        member = sign_in(ctx)
        if member is None:
            return EXIT_OK
        if ctx.database is not database and not _schema_ready(ctx):
            return EXIT_UNREACHABLE
        # Imported once someone has signed in: the sign-in window does not wait for it.
        from montu_desktop.services.connection import ConnectionMonitor
        from montu_desktop.ui.main_window import MainWindow

        monitor = ConnectionMonitor(ctx.database)
        window = MainWindow(ctx, monitor=monitor)
        window.signed_in(member)
        from montu_desktop.config.desk import idle_lock_minutes
        from montu_desktop.ui.desk_lock import DeskLock

        window.desk_lock = DeskLock(  # type: ignore[attr-defined]
            window,
            ctx,
            member,
            idle_minutes=idle_lock_minutes(),
            menu=window.clinic_menu,
            on_member=window.signed_in,
        )
        window.show_as_last_time()
        QTimer.singleShot(0, lambda: log.info("main window shown"))
        from montu_desktop.services.notifications import can_dispatch, running_dispatcher

        dispatching = running_dispatcher(ctx) if can_dispatch(ctx) else contextlib.nullcontext()
        with _live_refresh(ctx, monitor), _nightly_roll_forward(ctx), dispatching:
            window.start()
            return app.exec()
    finally:
        crash_reporter.uninstall()
        if ctx.database is not database:
            ctx.database.dispose()
        database.dispose()


def _schema_ready(ctx: ServiceContext) -> bool:
    """After signing in to a server as one's own login: is the schema this version's?"""
    from montu_desktop.services.runtime import check_schema

    try:
        check_schema(ctx.database)
    except Exception as exc:  # a refused upgrade must not show a traceback
        log.warning("the database schema is not ready: %s", type(exc).__name__)
        QMessageBox.critical(
            None,
            "Montu Desktop",
            "Montu Desktop could not open the clinic database.\n\n"
            f"{exc if isinstance(exc, MontuError) else 'The database needs upgrading by IT.'}",
        )
        return False
    return True


@contextlib.contextmanager
def _live_refresh(ctx: ServiceContext, monitor: ConnectionMonitor) -> Iterator[None]:
    """Other desks' changes repaint this one; the status bar follows the connection."""
    from montu_desktop.services.live import ChangeFeed

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
    """Generate schedules to the horizon now (a missed night) and every night at 02:00; the
    same scheduler takes the automatic backup of an embedded database when it is due."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from montu_desktop.services.admin.audit_head import schedule_daily_audit_head
    from montu_desktop.services.admin.rollover import roll_forward, schedule_nightly
    from montu_desktop.services.backups import schedule_automatic_backups
    from montu_desktop.services.reference import clinic_policy

    scheduler = BackgroundScheduler()
    if not ctx.database.is_sqlite and ctx.role is not Role.MANAGER:
        # A receptionist's server login may not write schedules: a manager's desk (or the
        # `schedules generate` IT runs) keeps them rolled forward.
        yield
        return
    try:
        roll_forward(ctx)
        schedule_nightly(scheduler, ctx, clinic_policy(ctx).timezone)
    except MontuError as exc:  # no clinic yet, or the server is down: the next start catches up
        log.info("schedule roll-forward not started: %s", exc)
    schedule_automatic_backups(scheduler, ctx)
    schedule_daily_audit_head(scheduler, ctx)  # "audit head: COUNT:HASH" in the log daily
    if scheduler.get_jobs():
        scheduler.start()
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
        return open_for_desk(url)
    except DamagedSettingsFile as exc:
        if not quiet and _offer_reset(exc):
            return _open_database(url, quiet=quiet)
        reason = str(exc)
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


def _offer_reset(exc: DamagedSettingsFile) -> bool:
    """Ask whether to set the damaged database choice aside (back to the embedded database)."""
    answer = QMessageBox.question(
        None,
        "Montu Desktop",
        f"This PC's database setting cannot be read:\n{exc.path}\n\n"
        "Reset it? The damaged file is kept beside it (.damaged) and the app opens the "
        "embedded database; choose Clinic → Database… afterwards to point at the server again.",
        QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    if answer != QMessageBox.StandardButton.Reset:
        return False
    try:
        reset_settings_file()
    except OSError:
        log.exception("could not set the damaged database settings file aside")
        return False
    log.info("damaged database settings file set aside")
    return True


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
