"""The waiting room tab (the patient flow board): who is waiting (longest wait first in line),
called in or in consultation, for how long at that stage, and who is due; buttons and keys move
a patient on or back one stage through the domain's rules (montu_desktop.domain.visits)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain import visits as rules
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.wording import long_day_label, plural
from montu_desktop.services.context import utc_now
from montu_desktop.services.waiting_room import Visit, WaitingRoom

TICK_MS = 30_000
LEVEL_FILLS = {"amber": QColor("#fde293"), "red": QColor("#f4a29c")}
STAGE_FILLS = {
    AppointmentStatus.CALLED_IN: QColor("#d2e3fc"),
    AppointmentStatus.IN_CONSULTATION: QColor("#e9d7fd"),
}
"""Called in and in consultation rows stand apart from the waiting ones (the words say it too)."""
STAGE_WORDS = {
    AppointmentStatus.ARRIVED: "Waiting",
    AppointmentStatus.CALLED_IN: "Called in",
    AppointmentStatus.IN_CONSULTATION: "In consultation",
}
Index = QModelIndex | QPersistentModelIndex


class VisitModel(QAbstractTableModel):
    """Rows of visits; for the waiting list the minutes follow the injected clock."""

    def __init__(self, columns: tuple[str, ...], clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.columns = columns
        self.clock = clock
        self.room: WaitingRoom | None = None
        self.visits: tuple[Visit, ...] = ()

    def set_visits(self, room: WaitingRoom, visits: tuple[Visit, ...]) -> None:
        self.beginResetModel()
        self.room, self.visits = room, visits
        self.endResetModel()

    def tick(self) -> None:
        """The clock moved on: repaint the minutes."""
        if self.visits:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self.visits) - 1, len(self.columns) - 1)
            )

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.visits)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section] if 0 <= section < len(self.columns) else None
        return None

    def visit(self, row: int) -> Visit | None:
        return self.visits[row] if 0 <= row < len(self.visits) else None

    def minutes(self, visit: Visit) -> int:
        """Minutes at the patient's present stage (waiting, called in, in consultation)."""
        return visit.stage_minutes(self.clock())

    def level(self, visit: Visit) -> str:
        """The wait's colour; only a patient still waiting has one."""
        if self.room is None or visit.status is not AppointmentStatus.ARRIVED:
            return ""
        return self.room.level(self.minutes(visit))

    def text(self, visit: Visit, column: str) -> str:
        zone = self.room.timezone if self.room else "UTC"
        if column == "Arrived":
            return f"{to_local(visit.arrived_at, zone):%H:%M}" if visit.arrived_at else ""
        if column == "Stage":
            minutes = self.minutes(visit)
            stage = STAGE_WORDS.get(visit.status, "")
            level = self.level(visit)
            if level and self.room is not None:
                at = self.room.red_minutes if level == "red" else self.room.amber_minutes
                return f"{stage} {minutes} min ({level} at {at})"
            return f"{stage} {minutes} min"
        if column == "Patient":
            return visit.patient_name
        if column == "Doctor":
            return visit.doctor_name
        if column == "Appointment":
            return f"{to_local(visit.starts_at, zone):%H:%M} {visit.type_name}"
        return ""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        visit = self.visit(index.row()) if index.isValid() else None
        if visit is None:
            return None
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.text(visit, column)
        level = self.level(visit)
        if role == Qt.ItemDataRole.BackgroundRole and column == "Stage":
            return LEVEL_FILLS[level] if level else STAGE_FILLS.get(visit.status)
        if role == Qt.ItemDataRole.FontRole and level and column == "Stage":
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{visit.patient_name}, {self.text(visit, 'Appointment')} with {visit.doctor_name}"
            )
        if role == Qt.ItemDataRole.UserRole:
            return visit
        return None


class _VisitTable(QTableView):
    """Enter does the list's main action (mark arrived, or move on one stage)."""

    activated_row = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated_row.emit(self.currentIndex().row())
        else:
            super().keyPressEvent(event)


def _table(model: VisitModel, name: str) -> _VisitTable:
    table = _VisitTable()
    table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(model.columns.index("Patient"), QHeaderView.ResizeMode.Stretch)
    table.doubleClicked.connect(lambda index: table.activated_row.emit(index.row()))
    return table


class WaitingRoomPanel(QWidget):
    """Today's flow board; asks its controller to move patients on (or back) a stage."""

    status_wanted = Signal(int, object)
    """(appointment id, the AppointmentStatus wanted)."""

    def __init__(
        self, clock: Callable[[], datetime] = utc_now, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.room: WaitingRoom | None = None
        self.title = QLabel("Waiting room")
        self.title.setObjectName("waitingTitle")
        self.title.setStyleSheet("QLabel { font-weight: bold; font-size: 11pt; }")
        self.summary = QLabel()
        self.waiting_model = VisitModel(
            ("Arrived", "Stage", "Patient", "Doctor", "Appointment"), clock
        )
        self.expected_model = VisitModel(("Appointment", "Patient", "Doctor"), clock)
        self.waiting = _table(self.waiting_model, "Patients in the building")
        self.expected = _table(self.expected_model, "Still to come today")
        self.call_in_button = QPushButton("Call i&n")
        self.consultation_button = QPushButton("In c&onsultation")
        self.seen_button = QPushButton("&Seen (completed)")
        self.did_not_wait_button = QPushButton("Did not wait (&left)")
        self.back_button = QPushButton("&Back a stage")
        self.stage_buttons = {
            self.call_in_button: AppointmentStatus.CALLED_IN,
            self.consultation_button: AppointmentStatus.IN_CONSULTATION,
            self.seen_button: AppointmentStatus.COMPLETED,
            self.did_not_wait_button: AppointmentStatus.DID_NOT_WAIT,
        }
        self.arrived_button = QPushButton("&Arrived")
        self.arrived_button.setToolTip("The selected patient is here (Enter)")
        self._build_layout()
        for button, status in self.stage_buttons.items():
            button.clicked.connect(lambda _=False, s=status: self._want(self.waiting, s))
        self.back_button.clicked.connect(self._back)
        self.waiting.selectionModel().selectionChanged.connect(self._offer)
        self.expected.selectionModel().selectionChanged.connect(self._offer)
        self.arrived_button.clicked.connect(
            lambda: self._want(self.expected, AppointmentStatus.ARRIVED)
        )
        self.expected.activated_row.connect(
            lambda row: self._want_row(self.expected_model, row, AppointmentStatus.ARRIVED)
        )
        self.waiting.activated_row.connect(self._step_on)
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def _build_layout(self) -> None:
        waiting_label = QLabel("In the building (waiting: first arrived &first):")
        waiting_label.setBuddy(self.waiting)
        expected_label = QLabel("Still to come &today:")
        expected_label.setBuddy(self.expected)
        left = QVBoxLayout()
        left.addWidget(waiting_label)
        left.addWidget(self.waiting, 1)
        moves = QHBoxLayout()
        for button in (*self.stage_buttons, self.back_button):
            moves.addWidget(button)
        moves.addStretch(1)
        left.addLayout(moves)
        right = QVBoxLayout()
        right.addWidget(expected_label)
        right.addWidget(self.expected, 1)
        right.addWidget(self.arrived_button, 0, Qt.AlignmentFlag.AlignLeft)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addLayout(right, 2)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addSpacing(12)
        top.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addLayout(body, 1)

    def set_clock(self, clock: Callable[[], datetime]) -> None:
        self.waiting_model.clock = self.expected_model.clock = clock
        self.tick()

    def show_room(self, room: WaitingRoom) -> None:
        """Show a fresh waiting room, keeping the selected patients selected."""
        kept = (self._selected(self.waiting), self._selected(self.expected))
        self.room = room
        self.title.setText(f"Waiting room · {long_day_label(room.day, year=False)}")
        self.waiting_model.set_visits(room, room.present)
        self.expected_model.set_visits(room, room.expected)
        for table, visit in zip((self.waiting, self.expected), kept, strict=True):
            if visit is not None:
                self._select(table, visit.appointment_id)
        self.tick()

    def tick(self) -> None:
        self.waiting_model.tick()
        self._summarise()
        self._offer()

    def _summarise(self) -> None:
        room = self.room
        if room is None:
            self.summary.setText("")
            return
        if not room.waiting:
            text = "Nobody is waiting."
        else:
            longest = max(v.minutes_waiting(self.waiting_model.clock()) for v in room.waiting)
            text = f"{plural(len(room.waiting), 'patient')} waiting; longest {longest} min."
        if room.called_in or room.in_consultation:
            text += (
                f" {len(room.called_in)} called in, {len(room.in_consultation)} in consultation."
            )
        text += f" {len(room.expected)} still to come."
        text += f" Amber after {room.amber_minutes} min, red after {room.red_minutes} min."
        self.summary.setText(text)

    def _selected(self, table: QTableView) -> Visit | None:
        rows = table.selectionModel().selectedRows()
        model = table.model()
        return model.visit(rows[0].row()) if rows and isinstance(model, VisitModel) else None

    def _select(self, table: QTableView, appointment_id: int) -> None:
        model = table.model()
        if not isinstance(model, VisitModel):
            return
        for row, visit in enumerate(model.visits):
            if visit.appointment_id == appointment_id:
                table.selectRow(row)
                return

    def _want(self, table: QTableView, status: AppointmentStatus) -> None:
        visit = self._selected(table)
        if visit is not None:
            self.status_wanted.emit(visit.appointment_id, status)

    def _want_row(self, model: VisitModel, row: int, status: AppointmentStatus) -> None:
        visit = model.visit(row)
        if visit is not None:
            self.status_wanted.emit(visit.appointment_id, status)

    def _step_on(self, row: int) -> None:
        """Enter or a double click: the patient's next stage (called in, in consultation, seen)."""
        visit = self.waiting_model.visit(row)
        wanted = rules.next_stage(visit.status) if visit is not None else None
        if visit is not None and wanted is not None:
            self.status_wanted.emit(visit.appointment_id, wanted)

    def _back(self) -> None:
        visit = self._selected(self.waiting)
        wanted = rules.stage_back(visit.status) if visit is not None else None
        if visit is not None and wanted is not None:
            self.status_wanted.emit(visit.appointment_id, wanted)

    def _offer(self, *_: object) -> None:
        """Enable the moves the domain allows the selected patient now; a disabled one says why."""
        visit = self._selected(self.waiting)
        back = rules.stage_back(visit.status) if visit is not None else None
        pairs = [*self.stage_buttons.items(), (self.back_button, back)]
        for button, wanted in pairs:
            if visit is None or wanted is None or self.room is None:
                button.setEnabled(False)
                button.setToolTip("Select a patient in the building first")
                continue
            why = rules.status_refusal(
                visit.status,
                wanted,
                start=visit.starts_at,
                now=self.waiting_model.clock(),
                timezone=self.room.timezone,
            )
            button.setEnabled(why is None)
            button.setToolTip(
                f"Not now: {why}"
                if why
                else f"{visit.patient_name}: {rules.spoken(wanted).removeprefix('a ')}"
            )
        self._offer_arrived()

    def _offer_arrived(self) -> None:
        """Arrived follows the same rule as in the day book: disabled, saying why, when too early."""
        visit = self._selected(self.expected)
        button = self.arrived_button
        if visit is None or self.room is None:
            button.setEnabled(False)
            button.setToolTip("Select a patient still to come first")
            return
        why = rules.status_refusal(
            visit.status,
            AppointmentStatus.ARRIVED,
            start=visit.starts_at,
            now=self.expected_model.clock(),
            timezone=self.room.timezone,
        )
        button.setEnabled(why is None)
        button.setToolTip(f"Not now: {why}" if why else f"{visit.patient_name} is here (Enter)")
