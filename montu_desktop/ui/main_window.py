"""The reception window: the Clinic menu, the week grid and day book, the status bar, and
the one place every refresh goes through (`operation_did_execute`)."""

from __future__ import annotations

import contextlib
import weakref
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QByteArray, QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from montu_desktop import APP_NAME, __version__
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import DatabaseUnavailable, NoSchedule
from montu_desktop.domain.model import AppointmentStatus, AppointmentType, ClinicPolicy
from montu_desktop.domain.op_changes import ChangeKind, OpChanges
from montu_desktop.domain.wording import day_label
from montu_desktop.services import (
    availability,
    booking,
    catalogue,
    demo_data,
    patients,
    reference,
    series,
    sms_replies,
    waitlist,
)
from montu_desktop.services.admin.staff import StaffMember
from montu_desktop.services.booking import BookedAppointment
from montu_desktop.services.cards import AppointmentCard, appointment_card
from montu_desktop.services.connection import ConnectionMonitor, Reachability
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import DayBook, DayBookEntry, day_book
from montu_desktop.services.waiting_room import WaitingRoom, waiting_room
from montu_desktop.services.warm_weeks import WarmWeeks
from montu_desktop.ui.about import AboutDialog, app_icon
from montu_desktop.ui.appointment_card import offer_card
from montu_desktop.ui.appointment_dialogs import (
    AppointmentSummary,
    CancelDialog,
    NoteDialog,
    said,
    when_words,
)
from montu_desktop.ui.booked_out import BookedOutDialog
from montu_desktop.ui.booking_dialog import BookingDialog
from montu_desktop.ui.day_book_view import DayBookPanel
from montu_desktop.ui.day_sheet import print_day_sheet, save_day_sheet_pdf
from montu_desktop.ui.drop_moves import DropMoves
from montu_desktop.ui.elided_label import StatusLine
from montu_desktop.ui.errors import plain_words, show_error
from montu_desktop.ui.first_start import FirstStartDialog
from montu_desktop.ui.layout import WeekCell, WeekGrid, week_grid
from montu_desktop.ui.notifications.menu import NotificationMenu
from montu_desktop.ui.notifications.replies_dialog import unread_words
from montu_desktop.ui.online_check import OnlineChecks
from montu_desktop.ui.operations import (
    BusyTracker,
    ChangeBridge,
    gui_bridge,
    run_op,
    wait_for_operations,
)
from montu_desktop.ui.patient_merge import MergeDialog
from montu_desktop.ui.patient_panel import PatientPanel
from montu_desktop.ui.recalls_window import open_recalls
from montu_desktop.ui.reschedule_dialog import RescheduleDialog
from montu_desktop.ui.settings.settings_dialog import NotAllowed, SettingsDialog
from montu_desktop.ui.waiting_room_view import WaitingRoomPanel
from montu_desktop.ui.waitlist_dialog import WaitlistDialog
from montu_desktop.ui.week_view import WeekPanel

GEOMETRY_KEY = "main_window/geometry"
"""This PC's window size, place and maximised state (QSettings, per PC)."""
COALESCE_MS = 30
REPLIES_POLL_MS = 30_000
"""How often the unread SMS replies are counted (the API server stores them; no desk hears it)."""
PREFETCH_DELAY_MS = 50
"""After a week is shown, how long before its neighbours and the selected day's book are
loaded (after its paint)."""
NOTICE_IDLE = (
    "QLabel#actionNotice { color: #444444; padding: 6px 10px;"
    " border: 1px solid #c8c8c8; border-radius: 4px; }"
)
NOTICE_DONE = (
    "QLabel#actionNotice { background: #e6f4ea; color: #0d4a1f; padding: 6px 10px;"
    " border: 1px solid #a8d5b5; border-radius: 4px; font-weight: bold; }"
)
STATUS_SAID = {
    AppointmentStatus.ARRIVED: "Marked arrived:",
    AppointmentStatus.CALLED_IN: "Called in:",
    AppointmentStatus.IN_CONSULTATION: "In consultation:",
    AppointmentStatus.DID_NOT_WAIT: "Did not wait:",
    AppointmentStatus.COMPLETED: "Marked completed:",
    AppointmentStatus.NO_SHOW: "Marked no-show:",
    AppointmentStatus.BOOKED: "Undone, back to booked:",
}


class MainWindow(QMainWindow):
    """What the front desk sees all day."""

    refreshed = Signal()
    """Emitted after the week grid has been repainted with fresh data."""

    def __init__(
        self,
        ctx: ServiceContext,
        parent: QWidget | None = None,
        *,
        monitor: ConnectionMonitor | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.monitor = monitor or ConnectionMonitor(ctx.database)
        """The one source of "is the database reachable" (started by the app; checked once
        here at start when nobody started it, as in screen tests)."""
        self.changes = ChangeBridge(ctx)
        self.warm = WarmWeeks(ctx)
        """The weeks this desk shows and is about to show, kept computed (dropped on changes)."""
        self.loads: Counter[str] = Counter()
        """How many times each view ("week", "day", "reference") was fetched (for tests)."""
        self.policy: ClinicPolicy | None = None
        self.types: list[AppointmentType] = []
        self.booking_dialog: BookingDialog | None = None
        self.booked_out_dialog: BookedOutDialog | None = None
        self.waitlist_dialog: WaitlistDialog | None = None
        self.first_start: FirstStartDialog | None = None
        self.patient_panel: PatientPanel | None = None
        self.cancel_dialog: CancelDialog | None = None
        self.ask_following = self._ask_following
        """Asks whether a series' later visits go too; tests answer for the person."""
        self.note_dialog: NoteDialog | None = None
        self.merge_dialog: MergeDialog | None = None
        self.reschedule_dialog: RescheduleDialog | None = None
        self.member: StaffMember | None = None
        self._pending: set[ChangeKind] = set()
        self._serial = {"week": 0, "day": 0, "waiting": 0}
        # What was last asked for (it may still be loading): a refresh reloads that, so a
        # change notice arriving mid-navigation never drags a view back to what was shown.
        self._week_wanted: tuple[date, str] | None = None
        self._day_wanted: date | None = None
        self._select_after: int | None = None
        self.setWindowTitle(f"{APP_NAME} {__version__}")
        self.setWindowIcon(app_icon())
        self.busy = BusyTracker(self)
        self.week = WeekPanel()
        self.day = DayBookPanel()
        self.waiting = WaitingRoomPanel(ctx.clock)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.week, "&Week availability")
        self.tabs.addTab(self.day, "&Day book")
        self.tabs.addTab(self.waiting, "Wa&iting room")
        self.day.details.clock = ctx.clock
        self.notice = QLabel()
        self.notice.setObjectName("actionNotice")
        self.notice.setAccessibleName("What was just done")
        self.notice.setWordWrap(True)
        # Always shown, two lines high whatever it says (a line appearing or wrapping later
        # would push the grid down under the mouse).
        self.notice.setFixedHeight(self.notice.fontMetrics().lineSpacing() * 2 + 10)
        self._idle_notice()
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(4)
        central_layout.addWidget(self.notice)
        central_layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        # The status bar first: the Clinic menu's parts put their counts in it.
        self._build_status_bar()
        self.clinic_menu = self.menuBar().addMenu("&Clinic")
        self._build_clinic_menu(self.clinic_menu)
        self._build_shortcuts()
        self._connect()
        self.drops = DropMoves(self, ctx, self.day, self.notice, self.busy, self.say)
        self.drops.freed.connect(self.offer_freed_time)
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.setInterval(COALESCE_MS)
        self._coalesce.timeout.connect(self._refresh_pending)
        self._day_follows: date | None = None
        self._day_follow = QTimer(self)
        self._day_follow.setSingleShot(True)
        self._day_follow.setInterval(PREFETCH_DELAY_MS)
        self._day_follow.timeout.connect(self._follow_day)
        self._prefetch = QTimer(self)
        self._prefetch.setSingleShot(True)
        self._prefetch.setInterval(PREFETCH_DELAY_MS)
        self._prefetch.timeout.connect(self._prefetch_around)
        self.changes.subscribe(self.operation_did_execute)
        self._monitor_listener = _weak_listener(self._monitor_said)
        self.monitor.on_status.append(self._monitor_listener)
        screen = QGuiApplication.primaryScreen().availableGeometry()
        self.resize(min(1600, screen.width()), min(1000, screen.height()))

    def show_as_last_time(self) -> None:
        """Open at the size and place this PC last closed it at; the first time, maximised."""
        stored = QSettings().value(GEOMETRY_KEY)
        if isinstance(stored, QByteArray) and self.restoreGeometry(stored):
            self.show()
        else:
            self.showMaximized()

    # Building ------------------------------------------------------------------------------

    def _build_clinic_menu(self, menu: QMenu) -> None:
        """Every entry of the Clinic menu, in order (other screens add theirs here)."""
        refresh_action = QAction("&Refresh", self)
        refresh_action.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh_action.triggered.connect(lambda: self.refresh(ChangeKind.REFERENCE))
        menu.addAction(refresh_action)
        print_action = QAction("&Print day sheet…", self)
        print_action.setShortcut(QKeySequence.StandardKey.Print)
        print_action.triggered.connect(lambda: self.print_day_sheet(None))
        menu.addAction(print_action)
        patient_action = QAction("Pat&ient record…", self)
        patient_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        patient_action.triggered.connect(lambda: self.open_patient(None))
        menu.addAction(patient_action)
        self.database_action = QAction("&Database…", self)
        self.database_action.triggered.connect(self.open_database_settings)
        self.database_action.setVisible(False)  # managers only: see signed_in()
        menu.addAction(self.database_action)
        self.waitlist_action = QAction("&Waitlist…", self)
        self.waitlist_action.triggered.connect(lambda: self.open_waitlist(None))
        menu.addAction(self.waitlist_action)
        self.online_checks = OnlineChecks(self.ctx, menu, self, self.statusBar(), self.changes)
        recalls_action = QAction("Re&calls…", self)  # ui/recalls_window.py
        recalls_action.triggered.connect(lambda: open_recalls(self))
        menu.addAction(recalls_action)
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.triggered.connect(self.open_settings)
        self.settings_action.setVisible(False)  # managers only: see signed_in()
        menu.addAction(self.settings_action)
        self.notification_menu = NotificationMenu(self.ctx, menu, self)
        self.notification_menu.replies_read.append(self.count_replies)
        menu.addSeparator()
        about_action = QAction(f"&About {APP_NAME}", self)
        about_action.setMenuRole(QAction.MenuRole.AboutRole)
        about_action.triggered.connect(lambda: AboutDialog(self).exec())
        menu.addAction(about_action)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        menu.addAction(quit_action)

    def _build_status_bar(self) -> None:
        self.setStatusBar(StatusLine())  # its messages end in "…", never cut off mid-word
        bar = self.statusBar()
        self.busy_indicator = QProgressBar()
        self.busy_indicator.setRange(0, 0)
        self.busy_indicator.setMaximumWidth(110)
        self.busy_indicator.setAccessibleName("Working")
        self.busy_indicator.setVisible(False)
        self.reachable_label = QLabel("Connecting…")
        self.refreshed_label = QLabel("Not refreshed yet")
        self.database_label = QLabel(f"Database: {self.ctx.database.describe()}")
        # Patients' SMS replies waiting for the desk; a click opens Clinic → Replies….
        self.replies_button = QPushButton()
        self.replies_button.setFlat(True)
        self.replies_button.setAccessibleName("Unread SMS replies")
        self.replies_button.setVisible(False)
        # The Clinic menu (built next) opens the replies; a click goes through it then.
        self.replies_button.clicked.connect(lambda: self.notification_menu.show_replies())
        self._replies_timer = QTimer(self)
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
            bar.addPermanentWidget(widget)
        self.busy.busy_changed.connect(self.busy_indicator.setVisible)

    def _build_shortcuts(self) -> None:
        QShortcut(QKeySequence("Ctrl+1"), self, activated=lambda: self.show_tab(self.week))
        QShortcut(QKeySequence("Ctrl+2"), self, activated=lambda: self.show_tab(self.day))
        QShortcut(QKeySequence("Ctrl+3"), self, activated=lambda: self.show_tab(self.waiting))
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.find_patient)

    def _connect(self) -> None:
        self.week.week_wanted.connect(self.load_week)
        self.week.book_wanted.connect(self.open_booking)
        self.week.cell_selected.connect(self._cell_selected)
        self.week.booked_out.connect(self.offer_booked_out)
        self.day.day_wanted.connect(self.load_day)
        self.day.print_wanted.connect(self.print_day_sheet)
        self.day.pdf_wanted.connect(self.save_day_sheet)
        self.day.details.status_wanted.connect(self.set_status)
        self.day.details.cancel_wanted.connect(self.cancel_appointment)
        self.day.details.reschedule_wanted.connect(self.reschedule)
        self.waiting.status_wanted.connect(self.set_status)
        self.day.details.note_wanted.connect(self.edit_note)
        self.day.details.patient_wanted.connect(self.open_patient)
        self.day.details.card_wanted.connect(self.appointment_card)

    def show_tab(self, panel: QWidget) -> None:
        self.tabs.setCurrentWidget(panel)
        if panel is self.waiting:
            self.waiting.expected.setFocus()
        else:
            (self.week.table if panel is self.week else self.day.table).setFocus()

    # Start and refresh ---------------------------------------------------------------------

    def count_replies(self) -> None:
        """Show how many SMS replies are unread (nothing when none, or when it cannot tell)."""

        def shown(count: int) -> None:
            self.replies_button.setText(unread_words(count))
            self.replies_button.setVisible(count > 0)

        self._op(lambda: sms_replies.unread_count(self.ctx), shown, lambda _e: None, quiet=True)

    def start(self) -> None:
        """Called once the window is shown: first refresh (and first-start offer)."""
        if self.monitor.running:
            self._show_reachability(self.monitor.status)
        else:
            self._op(self.monitor.check_now, self._show_reachability, lambda _e: None)
        self.refresh(ChangeKind.REFERENCE)
        self.count_replies()
        self.week.table.setFocus()

    def operation_did_execute(self, burst: list[OpChanges]) -> None:
        """The one place every refresh goes through: this desk's commits and other desks'.

        Called on the GUI thread, once per burst of notices, by the window's ChangeBridge.
        What this desk just changed is selected in the day book after the reload.
        """
        for changes in burst:
            if not changes.remote:
                ids = changes.ids_of(ChangeKind.APPOINTMENTS)
                if ids:
                    self._select_after = ids[-1]
            self._pending.update(changes.kinds)
        if any(c.touches(ChangeKind.APPOINTMENTS, ChangeKind.NOTIFICATIONS) for c in burst):
            self.count_replies()  # a reply that cancels or confirms changes an appointment
        if self._pending & {ChangeKind.REFERENCE, ChangeKind.APPOINTMENTS, ChangeKind.PATIENTS}:
            self._coalesce.start()

    def refresh(self, *kinds: ChangeKind) -> None:
        """Reload what shows `kinds` (Clinic → Refresh reloads everything)."""
        self._pending.update(kinds)
        self._coalesce.start()

    def _refresh_pending(self) -> None:
        pending, self._pending = self._pending, set()
        if ChangeKind.REFERENCE in pending:
            self._op(self._load_reference, self._reference_loaded, self._reference_failed)
        elif pending & {ChangeKind.APPOINTMENTS, ChangeKind.PATIENTS}:
            self.reload()  # the day book shows patients' names and phones too
        panel = self.patient_panel
        if (
            pending & {ChangeKind.APPOINTMENTS, ChangeKind.PATIENTS}
            and panel is not None
            and panel.isVisible()
        ):
            panel.reload()
        dialog = self.booking_dialog
        if (
            pending & {ChangeKind.APPOINTMENTS, ChangeKind.REFERENCE}
            and dialog is not None
            and self._visible(dialog)
        ):
            dialog.refresh_doctors()  # who is free (and the fair choice) follows other desks
        if ChangeKind.PATIENTS in pending:
            # Search lists follow merges and renames (a retired record leaves them).
            if panel is not None and self._visible(panel):
                panel.refresh_search()
            if self.booking_dialog is not None and self._visible(self.booking_dialog):
                self.booking_dialog.refresh_search()

    def _load_reference(self) -> tuple[ClinicPolicy, list[AppointmentType]]:
        self.loads["reference"] += 1
        return reference.clinic_policy(self.ctx), catalogue.types_by_use(self.ctx)

    def _reference_loaded(self, loaded: tuple[ClinicPolicy, list[AppointmentType]]) -> None:
        self.policy, self.types = loaded
        self.week.set_clock(self.ctx.clock, self.policy.timezone)
        self.day.set_clock(self.ctx.clock, self.policy.timezone)
        self.week.set_types(self.types)
        self.reload()

    def _reference_failed(self, error: BaseException) -> None:
        if isinstance(error, NoSchedule) and error.field == "clinic":
            self.offer_first_start()
        else:
            self._background_failed(error)

    def today(self) -> date:
        zone = self.policy.timezone if self.policy else "UTC"
        return to_local(self.ctx.clock(), zone).date()

    def reload(self) -> None:
        """Fetch the shown (or being loaded) week and day again (after any change)."""
        week, type_name = self._week_wanted or (
            self.week.monday or self.today(),
            self.week.type_name,
        )
        self.load_week(week, type_name)
        self.load_day(self.day_wanted())
        self.load_waiting_room()

    def day_wanted(self) -> date:
        """The day the day book shows, or is loading."""
        return self._day_wanted or self.day.day or self.today()

    def load_week(self, day: date, type_name: str) -> None:
        if self.policy is None or not type_name:
            return
        self._week_wanted = (day, type_name)
        self._serial["week"] += 1
        self.loads["week"] += 1
        serial, policy = self._serial["week"], self.policy

        def grid_of(week: availability.WeekAvailability) -> WeekGrid:
            return week_grid(
                week.days,
                policy.timezone,
                policy.slot_minutes,
                self.ctx.clock(),
                week.closed_reasons,
            )

        kept = self.warm.kept(type_name, day)
        if kept is not None:  # computed already and still right: shown within this frame
            self._week_loaded(serial, grid_of(kept))
            return
        self._op(
            lambda: grid_of(self.warm.week(type_name, day)),
            lambda grid: self._week_loaded(serial, grid),
            self._week_failed,
        )

    def _week_loaded(self, serial: int, grid: WeekGrid) -> None:
        if serial != self._serial["week"]:
            return
        self.week.show_week(grid, self.today())
        zone = self.policy.timezone if self.policy else "UTC"
        self.refreshed_label.setText(f"Refreshed {to_local(self.ctx.clock(), zone):%H:%M:%S}")
        # Started a little later, so its work does not slow down painting this week.
        self._prefetch.start()
        self.refreshed.emit()

    def _prefetch_around(self) -> None:
        """Compute the next week (then the previous one) of the week shown in the background,
        so Page Down and Page Up repaint from the warm store; quietly, no busy indicator."""
        warm, monday, type_name = self.warm, self.week.monday, self.week.type_name
        if monday is None or not type_name or not warm.enabled:
            return

        def work() -> None:
            for step in (1, -1):
                # Beyond the horizon or before the schedule there is nothing to show.
                with contextlib.suppress(NoSchedule):
                    warm.warm(type_name, monday + timedelta(weeks=step))

        self._op(work, lambda _none: None, lambda _error: None, quiet=True)

    def _week_failed(self, error: BaseException) -> None:
        if isinstance(error, NoSchedule):
            # The grid stays on the week shown, and so do the date field and later refreshes.
            if self.week.monday is not None:
                self._week_wanted = (self.week.monday, self.week.type_name)
            self.week.week_refused(plain_words(error))
            self.statusBar().showMessage(plain_words(error), 8000)
        else:
            self._background_failed(error)

    def load_day(self, day: date) -> None:
        if self.policy is None:
            return
        self._day_wanted = day
        self._serial["day"] += 1
        self.loads["day"] += 1
        serial = self._serial["day"]
        self._op(
            lambda: day_book(self.ctx, day),
            lambda book: self._day_loaded(serial, book),
            self._background_failed,
        )

    def _day_loaded(self, serial: int, book: DayBook) -> None:
        if serial != self._serial["day"]:
            return
        selected = self.day.details.entry
        self.day.show_book(book, self.today())
        # A refresh keeps what the receptionist had selected (or selects what they just changed).
        wanted = (
            self._select_after if self._select_after is not None else (selected and selected.id)
        )
        if wanted is not None and self.day.select_entry(wanted):
            self._select_after = None

    def load_waiting_room(self) -> None:
        """Today's waiting room (always today: it is about who is in the building)."""
        if self.policy is None:
            return
        self._serial["waiting"] += 1
        serial, day = self._serial["waiting"], self.today()

        def shown(room: WaitingRoom) -> None:
            if serial == self._serial["waiting"]:
                self.waiting.show_room(room)

        self._op(lambda: waiting_room(self.ctx, day), shown, self._background_failed)

    def _cell_selected(self, cell: WeekCell) -> None:
        if cell.start is None or self.policy is None:
            return
        day = to_local(cell.start, self.policy.timezone).date()
        if day != self.day_wanted():
            # The day book follows a moment later: loading it while the week grid paints
            # would slow that paint down (the load's thread shares the interpreter).
            self._day_follows = day
            self._day_follow.start()

    def _follow_day(self) -> None:
        day, self._day_follows = self._day_follows, None
        if day is not None and day != self.day_wanted():
            self.load_day(day)

    def _monitor_said(self, status: Reachability) -> None:  # the monitor's thread
        gui_bridge().call_soon(lambda: self._show_reachability(status))

    def connection_changed(self, reachable: bool) -> None:
        """The database went away or came back (safe to call from any thread)."""
        self._monitor_said(Reachability(reachable, self.ctx.clock()))

    def open_database_settings(self) -> None:
        """Clinic → Database…: this PC's database, used from the next start (managers only)."""
        from montu_desktop.ui.database_dialog import RESTART_NOTE, DatabaseDialog

        if self.member is None or not self.member.role.can_manage:
            self.statusBar().showMessage("Only a manager can change this PC's database.", 10_000)
            return
        if DatabaseDialog(self).exec():
            self.statusBar().showMessage(RESTART_NOTE, 30_000)

    def _show_reachability(self, status: Reachability) -> None:
        if not shiboken6.isValid(self.reachable_label):
            return  # the window closed before the monitor's word arrived
        if status.reachable:
            self.reachable_label.setText("● Connected")
            self.reachable_label.setStyleSheet("color: #146c2e;")
        else:
            self.reachable_label.setText("⚠ Database unreachable")
            self.reachable_label.setStyleSheet("color: #a50e0e; font-weight: bold;")

    def _background_failed(self, error: BaseException) -> None:
        """A refresh failed: say so in the status bar (a dialog per refresh would nag)."""
        if isinstance(error, DatabaseUnavailable):
            self._database_trouble()
        self.statusBar().showMessage(plain_words(error), 10_000)

    def _database_trouble(self) -> None:
        """An action met DatabaseUnavailable: the monitor checks at once and says what it finds."""
        if self.monitor.running:
            self.monitor.action_failed()
        else:
            self._op(self.monitor.check_now, self._show_reachability, lambda _e: None)

    # First start ---------------------------------------------------------------------------

    def offer_first_start(self) -> FirstStartDialog:
        dialog = FirstStartDialog(self)
        dialog.add_choice(
            "Set up my clinic",
            "Enter the clinic's details and hours, then its appointment types, doctors and rosters.",
            self.open_settings,
        )
        dialog.add_choice(
            "Open the demo clinic",
            "A made-up Melbourne clinic with doctors, patients and bookings, to try things out.",
            self.open_demo_clinic,
        )
        dialog.quit_wanted.connect(self.close)
        self.first_start = dialog
        dialog.open()
        return dialog

    def _idle_notice(self) -> None:
        self.notice.setText(
            "Each booking, move, cancellation and status change is confirmed here, "
            "naming the patient, doctor, day and time."
        )
        self.notice.setStyleSheet(NOTICE_IDLE)

    def signed_in(self, member: StaffMember) -> None:
        """Who is at the desk: managers see Settings in the Clinic menu."""
        if self.member is not None and self.member != member:
            self._idle_notice()  # the last person's confirmation is not the new one's
        self.member = member
        self.settings_action.setVisible(member.role.can_manage)
        self.database_action.setVisible(member.role.can_manage)
        self.notification_menu.set_role(member.role)

    def open_settings(self) -> SettingsDialog | None:
        """The settings window, for managers; changes repaint the grid as they are saved."""
        role = self.member.role if self.member else None
        try:
            dialog = SettingsDialog(self.ctx, role, self)
        except NotAllowed as refused:
            self.statusBar().showMessage(str(refused), 10_000)
            return None
        dialog.open()
        return dialog

    def open_demo_clinic(self) -> None:
        self.statusBar().showMessage("Creating the demo clinic…")

        def done(_summary: Any) -> None:
            self.statusBar().showMessage("The demo clinic is ready.", 5000)

        self._op(lambda: demo_data.create_demo_clinic(self.ctx), done, self._action_failed)

    # Booking and appointment actions ----------------------------------------------------------

    def find_patient(self) -> None:
        """Ctrl+F: on a free time in the week, book it starting with the patient search;
        anywhere else, open the patient record with its search."""
        if self.booking_dialog is not None and self.booking_dialog.isVisible():
            self.booking_dialog.search.setFocus()
            return
        cell = self.week.selected_cell()
        on_week = self.tabs.currentWidget() is self.week
        if (
            on_week
            and cell is not None
            and (cell.bookable or cell.urgent_only)
            and cell.start is not None
        ):
            self.open_booking(cell.start, self.week.type_name)
        else:
            self.open_patient(None)

    def open_patient(self, patient_id: int | None) -> PatientPanel | None:
        """The patient record (from Ctrl+F, the booking dialog or the day book's details)."""
        if self.policy is None:
            return None
        if self.patient_panel is not None and self.patient_panel.isVisible():
            self.patient_panel.close()
        can_merge = self.member is not None and self.member.role.can_manage
        parent = self.booking_dialog if self._visible(self.booking_dialog) else self
        panel = PatientPanel(
            self.ctx, self.policy.timezone, patient_id, self.busy, can_merge, parent
        )
        panel.cancel_wanted.connect(self.ask_cancel)
        panel.reschedule_wanted.connect(self.reschedule)
        panel.merge_wanted.connect(self.open_merge)
        self.patient_panel = panel
        panel.open()
        return panel

    def open_merge(self, keep: patients.PatientRecord) -> MergeDialog | None:
        """Managers only: merge a duplicate into `keep`, after a preview of what moves."""
        if self.policy is None or self.member is None or not self.member.role.can_manage:
            self.statusBar().showMessage("Only a manager can merge patient records.", 8000)
            return None
        parent = self.patient_panel if self.patient_panel is not None else self
        dialog = MergeDialog(self.ctx, keep, self.policy.timezone, self.busy, parent)
        dialog.merged.connect(lambda result: self._merged(keep, result))
        self.merge_dialog = dialog
        dialog.open()
        return dialog

    def _merged(self, keep: patients.PatientRecord, result: patients.MergeResult) -> None:
        moved = len(result.appointment_ids)
        self.say(
            f"Merged patient {result.duplicate_id} into {keep.details.given_name} "
            f"{keep.details.family_name} (patient {keep.id}): {moved} appointment"
            f"{'s' if moved != 1 else ''} and {result.notifications} message"
            f"{'s' if result.notifications != 1 else ''} moved."
        )
        if self.patient_panel is not None and self.patient_panel.isVisible():
            self.patient_panel.load(keep.id)

    def open_booking(
        self, start: datetime, type_name: str, *, work_in: bool = False
    ) -> BookingDialog | None:
        if self.policy is None:
            return None
        dialog = BookingDialog(
            self.ctx,
            self.types,
            type_name,
            start,
            self.policy.timezone,
            self.busy,
            self,
            work_in=work_in,
        )
        if self._held_at(start) and not work_in:
            dialog.urgent.setChecked(True)
        dialog.accepted.connect(lambda: self._booked(dialog))
        dialog.patient_wanted.connect(self.open_patient)
        dialog.finished.connect(lambda _r: self._back_to_grid())
        self.booking_dialog = dialog
        dialog.open()
        return dialog

    def offer_booked_out(self, start: datetime, type_name: str) -> BookedOutDialog | None:
        """Enter on a booked-out time: the nearest free times, or the waitlist for it."""
        if self.policy is None:
            return None
        dialog = BookedOutDialog(self.ctx, type_name, start, self.policy.timezone, self.busy, self)
        dialog.book_wanted.connect(self.open_booking)
        dialog.waitlist_wanted.connect(self._waitlist_for)
        dialog.work_in_wanted.connect(lambda at, kind: self.open_booking(at, kind, work_in=True))
        self.booked_out_dialog = dialog
        dialog.open()
        return dialog

    def _waitlist_for(self, type_name: str, wanted: datetime) -> None:
        waiting = self.open_waitlist(None)
        if waiting is not None:
            waiting.prefill(type_name, wanted)

    def _held_at(self, start: datetime) -> bool:
        """True when the week grid shows `start` as held for urgent patients."""
        grid = self.week.model.grid
        where = grid.position_of(start) if grid is not None else None
        return where is not None and grid is not None and grid.cell(*where).urgent_only

    def _back_to_grid(self) -> None:
        self.activateWindow()
        self.week.table.setFocus()

    # Saying what was done to whom ---------------------------------------------------------------

    def say(self, text: str) -> None:
        """What was just done, kept on screen above the tabs until the next action."""
        self.notice.setText(text)
        self.notice.setStyleSheet(NOTICE_DONE)
        self.statusBar().showMessage(text, 15_000)

    def _summarise(self, done: BookedAppointment) -> AppointmentSummary:
        """Patient and doctor names for an appointment (runs off the GUI thread)."""
        record = patients.get_patient(self.ctx, done.patient_id)
        doctor = next(
            (d.name for d in reference.doctors(self.ctx) if d.id == done.doctor_id),
            f"doctor {done.doctor_id}",
        )
        name = f"{record.details.given_name} {record.details.family_name}"
        return AppointmentSummary(done.id, name, doctor, done.start, done.type_name)

    def _show_done(self, summary: AppointmentSummary) -> None:
        """Select the appointment just changed in the day book, on its day (the change's own
        notice reloads the day shown; another day is loaded here)."""
        if self.policy is None:
            return
        self._select_after = summary.id
        day = to_local(summary.start, self.policy.timezone).date()
        if day != self.day_wanted():
            self.load_day(day)
        elif self.day.select_entry(summary.id):
            self._select_after = None

    def _zone(self) -> str:
        return self.policy.timezone if self.policy else "UTC"

    def _booked(self, dialog: BookingDialog | WaitlistDialog) -> None:
        booked = dialog.booked
        if booked is None or self.policy is None:
            return
        # The booking itself says whether a doctor was asked for (the waitlist asks for the
        # entry's doctor without a doctor list of its own).
        choice = booked.choice
        fair = (
            not choice.requested
            if choice is not None
            else getattr(dialog, "requested_doctor", None) is None
        )
        local = to_local(booked.start, self.policy.timezone)
        # The booking's change notice reloads the shown views (and selects the booking);
        # only a booking on another day than the day book shows moves the day book there.
        self._select_after = booked.id
        if local.date() != self.day_wanted():
            self.load_day(local.date())
        elif self.day.select_entry(booked.id):
            self._select_after = None
        made = getattr(dialog, "series_result", None)
        if made is not None:
            doctors = {a.doctor_id for a in made.appointments}

            def series_said(summary: AppointmentSummary) -> None:
                shared = f" with {summary.doctor}" if len(doctors) == 1 else ""
                self.say(
                    f"Booked a series of {len(made.appointments)} {booked.type_name} "
                    f"appointments for {summary.patient}{shared}, the first on "
                    f"{when_words(booked.start, self._zone())}."
                )

            def series_unnamed(error: BaseException) -> None:
                self.say(
                    f"Booked a series of {len(made.appointments)} {booked.type_name} "
                    f"appointments (patient {booked.patient_id}), the first on "
                    f"{when_words(booked.start, self._zone())}."
                )

            self._op(lambda: self._summarise(booked), series_said, series_unnamed)
            return
        why_text = getattr(dialog, "why_text", None)
        why = why_text(booked) if why_text and booked.choice is not None else ""

        def done(summary: AppointmentSummary) -> None:
            # `why` names the doctor itself: "Dr Chen: 2 h of 7 h booked, the least of 3 free".
            took = why or summary.doctor
            extra = f" (Any doctor: the fair choice took {took})" if fair else ""
            if booked.work_in_reason:
                extra = f" (a work-in with {summary.doctor}: {booked.work_in_reason})"
            self.say(said("Booked", summary, self._zone(), f", {summary.type_name}{extra}"))
            self._show_done(summary)

        def names_failed(error: BaseException) -> None:
            # Booked all the same: say what is known, and why the names are missing.
            self.say(
                f"Booked {booked.type_name} on {when_words(booked.start, self._zone())} "
                f"(patient {booked.patient_id}); the names could not be read: {plain_words(error)}"
            )

        self._op(lambda: self._summarise(booked), done, names_failed)

    def set_status(self, appointment_id: int, status: AppointmentStatus) -> None:
        self._select_after = appointment_id

        def work() -> AppointmentSummary:
            return self._summarise(booking.mark_status(self.ctx, appointment_id, status))

        def done(summary: AppointmentSummary) -> None:
            self.say(said(STATUS_SAID[status], summary, self._zone()))
            self._show_done(summary)

        self._op(work, done, self._action_failed)

    def cancel_appointment(self, appointment_id: int) -> None:
        """The day book's Cancel: name the patient, day and time, and ask for a reason."""
        book = self.day.model.book
        entry = (
            next((e for e in book.appointments if e.id == appointment_id), None) if book else None
        )
        if entry is None or book is None:
            return
        doctor = next((d.name for d in book.doctors if d.id == entry.doctor_id), "the doctor")
        self.ask_cancel(
            AppointmentSummary(entry.id, entry.patient_name, doctor, entry.start, entry.type_name)
        )

    def ask_cancel(self, summary: AppointmentSummary) -> CancelDialog:
        dialog = CancelDialog(summary, self._zone(), self._top_parent())
        dialog.accepted.connect(lambda: self._cancel_confirmed(summary, dialog.reason()))
        self.cancel_dialog = dialog
        dialog.open()
        return dialog

    def _cancel_confirmed(self, summary: AppointmentSummary, reason: str | None) -> None:
        def done(_cancelled: object) -> None:
            self.say(said("Cancelled", summary, self._zone(), f" (reason: {reason})"))
            if self.policy is not None:
                self.load_day(to_local(summary.start, self.policy.timezone).date())
            self.offer_freed_time(summary.type_name, summary.start)

        def go(series_ids: list[int]) -> None:
            later = len(series_ids) - 1
            if later > 0 and self.ask_following(later):
                self._op(
                    lambda: series.cancel_following(self.ctx, summary.id), done, self._action_failed
                )
                return
            self._op(
                lambda: booking.cancel_appointment(self.ctx, summary.id, reason=reason),
                done,
                self._action_failed,
            )

        self._op(lambda: series.following_ids(self.ctx, summary.id), go, self._action_failed)

    def _ask_following(self, later: int) -> bool:
        """A visit of a series: cancel its later visits too?"""
        answer = QMessageBox.question(
            self._top_parent(),
            "Cancel the series too?",
            f"This visit is part of a series with {later} later visit(s). Cancel those as well?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def edit_note(self, entry: DayBookEntry) -> NoteDialog:
        title = f"Note for {entry.patient_name}, {when_words(entry.start, self._zone())}:"
        dialog = NoteDialog(title, entry.note, self)
        dialog.accepted.connect(lambda: self._save_note(entry, dialog.note()))
        self.note_dialog = dialog
        dialog.open()
        return dialog

    def _save_note(self, entry: DayBookEntry, note: str) -> None:
        def work() -> AppointmentSummary:
            return self._summarise(booking.set_note(self.ctx, entry.id, note or None))

        def done(summary: AppointmentSummary) -> None:
            self.say(said("Note saved for", summary, self._zone()))
            self._show_done(summary)

        self._op(work, done, self._action_failed)

    def _top_parent(self) -> QWidget:
        """The window a new dialog belongs on: the open patient record or booking, else this."""
        for window in (self.patient_panel, self.booking_dialog):
            if window is not None and self._visible(window):
                return window
        return self

    @staticmethod
    def _visible(window: QWidget | None) -> bool:
        return window is not None and shiboken6.isValid(window) and window.isVisible()

    def offer_freed_time(self, type_name: str, start: datetime) -> None:
        """Time was freed: if anyone on the waitlist fits it, show them (oldest first)."""
        if start <= self.ctx.clock():
            return

        def found(matches: list[Any]) -> None:
            if matches:
                self.statusBar().showMessage(
                    f"{len(matches)} waiting patient(s) fit the freed time.", 8000
                )
                self.open_waitlist((type_name, start))

        self._op(
            lambda: waitlist.waitlist_matches(self.ctx, type_name, start),
            found,
            lambda _e: None,  # only an offer: a failure here must not disturb the desk
        )

    def open_waitlist(self, freed: tuple[str, datetime] | None) -> WaitlistDialog | None:
        if self.policy is None:
            return None
        dialog = WaitlistDialog(
            self.ctx,
            self.types,
            reference.doctors(self.ctx),
            self.policy.timezone,
            freed=freed,
            busy=self.busy,
            parent=self,
        )
        dialog.accepted.connect(lambda: self._booked(dialog))  # type: ignore[arg-type]
        self.waitlist_dialog = dialog
        dialog.open()
        return dialog

    def reschedule(self, entry: DayBookEntry) -> None:
        if self.policy is None:
            return
        book = self.day.model.book
        doctor = next((d.name for d in book.doctors if d.id == entry.doctor_id), "") if book else ""
        dialog = RescheduleDialog(
            self.ctx,
            entry,
            self.policy.timezone,
            self.busy,
            self._top_parent(),
            doctor_name=doctor,
        )
        dialog.accepted.connect(lambda: self._moved(dialog))
        self.reschedule_dialog = dialog
        dialog.open()

    def _moved(self, dialog: RescheduleDialog) -> None:
        moved = dialog.moved
        if moved is not None and self.policy is not None:
            self._select_after = moved.id
            moved_to = to_local(moved.start, self.policy.timezone).date()
            if moved_to != self.day_wanted():
                self.load_day(moved_to)

            def done(summary: AppointmentSummary) -> None:
                origin = f" (from {when_words(dialog.entry.start, self._zone())})"
                self.say(said("Moved", summary, self._zone(), f"{origin}, {summary.type_name}"))
                if not dialog.following.isChecked():  # one visit moved: Undo puts it back
                    self.drops.offer_undo(dialog.entry, moved)
                self._show_done(summary)

            self._op(lambda: self._summarise(moved), done, self._background_failed)
            if moved.start != dialog.entry.start:
                self.offer_freed_time(dialog.entry.type_name, dialog.entry.start)

    def _action_failed(self, error: BaseException) -> None:
        if isinstance(error, DatabaseUnavailable):
            self._database_trouble()
        show_error(self, "Montu Desktop", error)

    # Printing --------------------------------------------------------------------------------

    def print_day_sheet(self, doctor_id: int | None) -> None:
        book = self.day.model.book
        if book is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, self).exec() == QPrintDialog.DialogCode.Accepted:
            print_day_sheet(book, printer, doctor_id)
            sheet = f"Day sheet for {day_label(book.day)}"
            if printer.outputFileName():
                self.say(f"{sheet} printed to the file {printer.outputFileName()}")
            else:
                self.say(f"{sheet} sent to the printer {printer.printerName() or '(default)'}.")

    def appointment_card(self, appointment_id: int) -> None:
        """Print or save as PDF the patient's card for this appointment (never its note)."""

        def offer(card: AppointmentCard) -> None:
            if done := offer_card(self, card):
                self.say(done)

        self._op(lambda: appointment_card(self.ctx, appointment_id), offer, self._action_failed)

    def save_day_sheet(self, doctor_id: int | None) -> None:
        book = self.day.model.book
        if book is None:
            return
        suggested = str(Path.home() / f"day-sheet-{book.day.isoformat()}.pdf")
        path, _filter = QFileDialog.getSaveFileName(
            self, "Save day sheet as PDF", suggested, "PDF files (*.pdf)"
        )
        if path:
            save_day_sheet_pdf(book, Path(path), doctor_id)
            self.say(f"Day sheet for {day_label(book.day)} saved as PDF: {path}")

    # Plumbing --------------------------------------------------------------------------------

    def _op(
        self,
        work: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
        *,
        quiet: bool = False,
    ) -> None:
        run_op(self, work, done, failed, None if quiet else self.busy)

    def closeEvent(self, event: QCloseEvent) -> None:
        QSettings().setValue(GEOMETRY_KEY, self.saveGeometry())
        self.changes.detach()
        self.warm.close()
        if self._monitor_listener in self.monitor.on_status:
            self.monitor.on_status.remove(self._monitor_listener)
        wait_for_operations(5_000)
        super().closeEvent(event)


def _weak_listener(method: Callable[[Reachability], None]) -> Callable[[Reachability], None]:
    """A listener for another thread that keeps no reference to the window (see ChangeBridge)."""
    ref = weakref.WeakMethod(method)

    def listener(status: Reachability) -> None:
        bound = ref()
        if bound is not None:
            bound(status)

    return listener
