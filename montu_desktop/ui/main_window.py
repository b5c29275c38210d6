"""The reception window: the week grid, day book and waiting room, and the one place every
refresh goes through (`operation_did_execute`). What the desk does to appointments and
patients is in desk_controller.py, the Clinic menu in clinic_menu.py, the notice and the
status bar in desk_status.py; the window names their parts for its callers."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QMainWindow,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from montu_desktop import APP_NAME, __version__
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import DatabaseUnavailable, NoSchedule
from montu_desktop.domain.model import AppointmentType, ClinicPolicy
from montu_desktop.domain.op_changes import ChangeKind, OpChanges
from montu_desktop.services import (
    availability,
    catalogue,
    reference,
)
from montu_desktop.services.admin.staff import StaffMember
from montu_desktop.services.connection import ConnectionMonitor, Reachability
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import DayBook, day_book
from montu_desktop.services.waiting_room import WaitingRoom, waiting_room
from montu_desktop.services.warm_weeks import WarmWeeks
from montu_desktop.ui.about import app_icon
from montu_desktop.ui.clinic_menu import ClinicMenu
from montu_desktop.ui.day_book_view import DayBookPanel
from montu_desktop.ui.desk_controller import DeskController, shown
from montu_desktop.ui.desk_status import ActionNotice, DeskStatus
from montu_desktop.ui.drop_moves import DropMoves
from montu_desktop.ui.errors import plain_words, show_error
from montu_desktop.ui.layout import WeekCell, WeekGrid, week_grid
from montu_desktop.ui.operations import (
    BusyTracker,
    ChangeBridge,
    run_op,
    wait_for_operations,
)
from montu_desktop.ui.waiting_room_view import WaitingRoomPanel
from montu_desktop.ui.week_view import WeekPanel

GEOMETRY_KEY = "main_window/geometry"
"""This PC's window size, place and maximised state (QSettings, per PC)."""
COALESCE_MS = 30
PREFETCH_DELAY_MS = 50
"""After a week is shown, how long before its neighbours and the selected day's book are
loaded (after its paint)."""


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
        self.member: StaffMember | None = None
        self._pending: set[ChangeKind] = set()
        self._serial = {"week": 0, "day": 0, "waiting": 0}
        # What was last asked for (it may still be loading): a refresh reloads that, so a
        # change notice arriving mid-navigation never drags a view back to what was shown.
        self._week_wanted: tuple[date, str] | None = None
        self._day_wanted: date | None = None
        self.select_after: int | None = None
        """What this desk just changed: selected in the day book once it is shown."""
        self.desk = DeskController(self)
        """The desk's actions (book, cancel, move, status, note, waitlist, patients)."""
        self.open_booking, self.open_patient = self.desk.open_booking, self.desk.open_patient
        self.open_merge, self.open_waitlist = self.desk.open_merge, self.desk.open_waitlist
        self.edit_note, self.cancel_appointment = self.desk.edit_note, self.desk.cancel_appointment
        self.print_day_sheet, self.save_day_sheet = (
            self.desk.print_day_sheet,
            self.desk.save_day_sheet,
        )
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
        self.action_notice = ActionNotice()
        self.notice = self.action_notice.label
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(4)
        central_layout.addWidget(self.notice)
        central_layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        # The status bar first: the Clinic menu's parts put their counts in it.
        self.status = DeskStatus(self)
        self.reachable_label, self.replies_button = (
            self.status.reachable_label,
            self.status.replies_button,
        )
        self.count_replies = self.status.count_replies
        self.clinic = ClinicMenu(self)
        self.clinic_menu, self.notification_menu = self.clinic.menu, self.clinic.notification_menu
        self.online_checks = self.clinic.online_checks
        self.settings_action, self.database_action = (
            self.clinic.settings_action,
            self.clinic.database_action,
        )
        self.open_settings, self.offer_first_start = (
            self.clinic.open_settings,
            self.clinic.offer_first_start,
        )
        self._build_shortcuts()
        self._connect()
        self.drops = DropMoves(self, ctx, self.day, self.notice, self.busy, self.say)
        self.drops.freed.connect(self.desk.offer_freed_time)
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
        screen = QGuiApplication.primaryScreen().availableGeometry()
        self.resize(min(1600, screen.width()), min(1000, screen.height()))

    # The dialogs the desk's actions opened (the latest of each; tests and refreshes look in).
    booking_dialog = property(lambda self: self.desk.booking_dialog)
    booked_out_dialog = property(lambda self: self.desk.booked_out_dialog)
    waitlist_dialog = property(lambda self: self.desk.waitlist_dialog)
    patient_panel = property(lambda self: self.desk.patient_panel)
    cancel_dialog = property(lambda self: self.desk.cancel_dialog)
    note_dialog = property(lambda self: self.desk.note_dialog)
    merge_dialog = property(lambda self: self.desk.merge_dialog)
    reschedule_dialog = property(lambda self: self.desk.reschedule_dialog)

    first_start = property(lambda self: self.clinic.first_start)
    """The first-start offer, once made (an empty database)."""

    def show_as_last_time(self) -> None:
        """Open at the size and place this PC last closed it at; the first time, maximised."""
        stored = QSettings().value(GEOMETRY_KEY)
        if isinstance(stored, QByteArray) and self.restoreGeometry(stored):
            self.show()
        else:
            self.showMaximized()

    # Building ------------------------------------------------------------------------------

    def _build_shortcuts(self) -> None:
        QShortcut(QKeySequence("Ctrl+1"), self, activated=lambda: self.show_tab(self.week))
        QShortcut(QKeySequence("Ctrl+2"), self, activated=lambda: self.show_tab(self.day))
        QShortcut(QKeySequence("Ctrl+3"), self, activated=lambda: self.show_tab(self.waiting))
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.desk.find_patient)

    def _connect(self) -> None:
        self.week.week_wanted.connect(self.load_week)
        self.week.cell_selected.connect(self._cell_selected)
        self.day.day_wanted.connect(self.load_day)
        self.desk.connect_views()

    def show_tab(self, panel: QWidget) -> None:
        self.tabs.setCurrentWidget(panel)
        if panel is self.waiting:
            self.waiting.expected.setFocus()
        else:
            (self.week.table if panel is self.week else self.day.table).setFocus()

    # Start and refresh ---------------------------------------------------------------------

    def start(self) -> None:
        """Called once the window is shown: first refresh (and first-start offer)."""
        self.status.start()
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
                    self.select_after = ids[-1]
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
            self.op(self._load_reference, self._reference_loaded, self._reference_failed)
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
            and shown(dialog)
        ):
            dialog.refresh_doctors()  # who is free (and the fair choice) follows other desks
        if ChangeKind.PATIENTS in pending:
            # Search lists follow merges and renames (a retired record leaves them).
            if panel is not None and shown(panel):
                panel.refresh_search()
            if self.booking_dialog is not None and shown(self.booking_dialog):
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
            self.background_failed(error)

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
        self.op(
            lambda: grid_of(self.warm.week(type_name, day)),
            lambda grid: self._week_loaded(serial, grid),
            self._week_failed,
        )

    def _week_loaded(self, serial: int, grid: WeekGrid) -> None:
        if serial != self._serial["week"]:
            return
        self.week.show_week(grid, self.today())
        zone = self.policy.timezone if self.policy else "UTC"
        self.status.refreshed_label.setText(
            f"Refreshed {to_local(self.ctx.clock(), zone):%H:%M:%S}"
        )
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

        self.op(work, lambda _none: None, lambda _error: None, quiet=True)

    def _week_failed(self, error: BaseException) -> None:
        if isinstance(error, NoSchedule):
            # The grid stays on the week shown, and so do the date field and later refreshes.
            if self.week.monday is not None:
                self._week_wanted = (self.week.monday, self.week.type_name)
            self.week.week_refused(plain_words(error))
            self.statusBar().showMessage(plain_words(error), 8000)
        else:
            self.background_failed(error)

    def load_day(self, day: date) -> None:
        if self.policy is None:
            return
        self._day_wanted = day
        self._serial["day"] += 1
        self.loads["day"] += 1
        serial = self._serial["day"]
        self.op(
            lambda: day_book(self.ctx, day),
            lambda book: self._day_loaded(serial, book),
            self.background_failed,
        )

    def _day_loaded(self, serial: int, book: DayBook) -> None:
        if serial != self._serial["day"]:
            return
        selected = self.day.details.entry
        self.day.show_book(book, self.today())
        # A refresh keeps what the receptionist had selected (or selects what they just changed).
        wanted = self.select_after if self.select_after is not None else (selected and selected.id)
        if wanted is not None and self.day.select_entry(wanted):
            self.select_after = None

    def load_waiting_room(self) -> None:
        """Today's waiting room (always today: it is about who is in the building)."""
        if self.policy is None:
            return
        self._serial["waiting"] += 1
        serial, day = self._serial["waiting"], self.today()

        def shown(room: WaitingRoom) -> None:
            if serial == self._serial["waiting"]:
                self.waiting.show_room(room)

        self.op(lambda: waiting_room(self.ctx, day), shown, self.background_failed)

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

    def connection_changed(self, reachable: bool) -> None:
        """The database went away or came back (safe to call from any thread)."""
        self.status.monitor_said(Reachability(reachable, self.ctx.clock()))

    def background_failed(self, error: BaseException) -> None:
        """A refresh failed: say so in the status bar (a dialog per refresh would nag)."""
        if isinstance(error, DatabaseUnavailable):
            self.status.database_trouble()
        self.statusBar().showMessage(plain_words(error), 10_000)

    def signed_in(self, member: StaffMember) -> None:
        """Who is at the desk: managers see Settings in the Clinic menu."""
        if self.member is not None and self.member != member:
            self.action_notice.idle()  # the last person's confirmation is not the new one's
        self.member = member
        self.clinic.set_member(member)

    # Saying what was done to whom -------------------------------------------------------------

    def say(self, text: str) -> None:
        """What was just done, kept on screen above the tabs until the next action."""
        self.action_notice.done(text)
        self.statusBar().showMessage(text, 15_000)

    def show_changed(self, appointment_id: int, start: datetime) -> None:
        """Select the appointment just changed in the day book, on its day (the change's own
        notice reloads the day shown; another day is loaded here)."""
        if self.policy is None:
            return
        self.select_after = appointment_id
        day = to_local(start, self.policy.timezone).date()
        if day != self.day_wanted():
            self.load_day(day)
        elif self.day.select_entry(appointment_id):
            self.select_after = None

    def action_failed(self, error: BaseException) -> None:
        """An action the receptionist asked for failed: say why in a dialog."""
        if isinstance(error, DatabaseUnavailable):
            self.status.database_trouble()
        show_error(self, "Montu Desktop", error)

    # Plumbing --------------------------------------------------------------------------------

    def op(
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
        self.status.detach()
        wait_for_operations(5_000)
        super().closeEvent(event)
