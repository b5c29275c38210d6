"""The reception window's feedback lines: the notice above the tabs (what was just done to
whom, kept until the next action) and the status bar's permanent parts (unread SMS
replies, working, last refresh, whether the database is reachable, which database)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton

from montu_desktop.services import sms_replies
from montu_desktop.services.connection import Reachability
from montu_desktop.ui.elided_label import StatusLine
from montu_desktop.ui.notifications.replies_dialog import unread_words
from montu_desktop.ui.operations import gui_bridge

if TYPE_CHECKING:
    from montu_desktop.ui.main_window import MainWindow

REPLIES_POLL_MS = 30_000
"""How often the unread SMS replies are counted (the API server stores them; no desk hears it)."""
NOTICE_IDLE = (
    "QLabel#actionNotice { color: #444444; padding: 6px 10px;"
    " border: 1px solid #c8c8c8; border-radius: 4px; }"
)
NOTICE_DONE = (
    "QLabel#actionNotice { background: #e6f4ea; color: #0d4a1f; padding: 6px 10px;"
    " border: 1px solid #a8d5b5; border-radius: 4px; font-weight: bold; }"
)


class ActionNotice:
    """'Booked Ava Singh with Dr Lee on Tue 24 Nov at 10:00.' above the tabs (`label`)."""

    def __init__(self) -> None:
        self.label = QLabel()
        self.label.setObjectName("actionNotice")
        self.label.setAccessibleName("What was just done")
        self.label.setWordWrap(True)
        # Always shown, two lines high whatever it says (a line appearing or wrapping later
        # would push the grid down under the mouse).
        self.label.setFixedHeight(self.label.fontMetrics().lineSpacing() * 2 + 10)
        self.idle()

    def idle(self) -> None:
        self.label.setText(
            "Each booking, move, cancellation and status change is confirmed here, "
            "naming the patient, doctor, day and time."
        )
        self.label.setStyleSheet(NOTICE_IDLE)

    def done(self, text: str) -> None:
        self.label.setText(text)
        self.label.setStyleSheet(NOTICE_DONE)


class DeskStatus:
    """The status bar's permanent parts, put on `window`'s status bar."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        window.setStatusBar(StatusLine())  # its messages end in "…", never cut off mid-word
        self.busy_indicator = QProgressBar()
        self.busy_indicator.setRange(0, 0)
        self.busy_indicator.setMaximumWidth(110)
        self.busy_indicator.setAccessibleName("Working")
        self.busy_indicator.setVisible(False)
        self.reachable_label = QLabel("Connecting…")
        self.refreshed_label = QLabel("Not refreshed yet")
        self.database_label = QLabel(f"Database: {window.ctx.database.describe()}")
        # Patients' SMS replies waiting for the desk; a click opens Clinic → Replies….
        self.replies_button = QPushButton()
        self.replies_button.setFlat(True)
        self.replies_button.setAccessibleName("Unread SMS replies")
        self.replies_button.setVisible(False)
        # The Clinic menu (built after this) opens the replies; a click goes through it then.
        self.replies_button.clicked.connect(lambda: window.notification_menu.show_replies())
        self._replies_timer = QTimer(window)
        self._replies_timer.setInterval(REPLIES_POLL_MS)
        self._replies_timer.timeout.connect(self.count_replies)
        self._replies_timer.start()
        for widget in (
            self.replies_button,
            self.busy_indicator,
            self.refreshed_label,
            self.reachable_label,
            self.database_label,
        ):
            window.statusBar().addPermanentWidget(widget)
        window.busy.busy_changed.connect(self.busy_indicator.setVisible)
        self._monitor_listener = _weak_listener(self.monitor_said)
        window.monitor.on_status.append(self._monitor_listener)

    def count_replies(self) -> None:
        """Show how many SMS replies are unread (nothing when none, or when it cannot tell)."""

        def counted(count: int) -> None:
            self.replies_button.setText(unread_words(count))
            self.replies_button.setVisible(count > 0)

        ctx = self.window.ctx
        self.window.op(lambda: sms_replies.unread_count(ctx), counted, lambda _e: None, quiet=True)

    def start(self) -> None:
        """Say whether the database is reachable (asking once when no monitor runs)."""
        monitor = self.window.monitor
        if monitor.running:
            self.show_reachability(monitor.status)
        else:
            self.window.op(monitor.check_now, self.show_reachability, lambda _e: None)

    def monitor_said(self, status: Reachability) -> None:  # the monitor's thread
        gui_bridge().call_soon(lambda: self.show_reachability(status))

    def show_reachability(self, status: Reachability) -> None:
        if not shiboken6.isValid(self.reachable_label):
            return  # the window closed before the monitor's word arrived
        if status.reachable:
            self.reachable_label.setText("● Connected")
            self.reachable_label.setStyleSheet("color: #146c2e;")
        else:
            self.reachable_label.setText("⚠ Database unreachable")
            self.reachable_label.setStyleSheet("color: #a50e0e; font-weight: bold;")

    def database_trouble(self) -> None:
        """An action met DatabaseUnavailable: the monitor checks at once and says what it finds."""
        monitor = self.window.monitor
        if monitor.running:
            monitor.action_failed()
        else:
            self.window.op(monitor.check_now, self.show_reachability, lambda _e: None)

    def detach(self) -> None:
        """The window closes: the monitor stops telling it."""
        if self._monitor_listener in self.window.monitor.on_status:
            self.window.monitor.on_status.remove(self._monitor_listener)


def _weak_listener(method: Callable[[Reachability], None]) -> Callable[[Reachability], None]:
    """A listener for another thread that keeps no reference to the window (see ChangeBridge)."""
    ref = weakref.WeakMethod(method)

    def listener(status: Reachability) -> None:
        bound = ref()
        if bound is not None:
            bound(status)

    return listener
