"""The day book's table model: rows are slot times, columns the doctors working that day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from montu_desktop.domain.clinic_time import local_instant, to_local
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.patients import ALERT_LABELS
from montu_desktop.services.day_book import DayBook, DayBookEntry
from montu_desktop.ui.booking_dialog import format_phone
from montu_desktop.ui.layout import Block, day_rows, doctor_header, place_blocks

SLOT_ROLE = Qt.ItemDataRole.UserRole + 1
"""The DayCell behind an index."""

Index = QModelIndex | QPersistentModelIndex

STATUS_WORDS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.ARRIVED: "arrived",
    AppointmentStatus.CALLED_IN: "called in",
    AppointmentStatus.IN_CONSULTATION: "in consultation",
    AppointmentStatus.DID_NOT_WAIT: "did not wait",
    AppointmentStatus.COMPLETED: "completed",
    AppointmentStatus.NO_SHOW: "no-show",
    AppointmentStatus.CANCELLED: "cancelled",
}

STATUS_MARKS = {
    AppointmentStatus.BOOKED: "",
    AppointmentStatus.ARRIVED: "●",
    AppointmentStatus.CALLED_IN: "➜",
    AppointmentStatus.IN_CONSULTATION: "◉",
    AppointmentStatus.DID_NOT_WAIT: "↩",
    AppointmentStatus.COMPLETED: "✓",
    AppointmentStatus.NO_SHOW: "✗",
    AppointmentStatus.CANCELLED: "—",
}
"""A mark every block carries, however short, so its status shows without colour or width."""


@dataclass(frozen=True, slots=True)
class DayCell:
    """One slot of one doctor: rostered or not, and the appointment block covering it."""

    start: datetime
    rostered: bool
    entry: DayBookEntry | None = None
    block: Block | None = None

    @property
    def first_row_of_block(self) -> bool:
        return self.block is not None and self.start_row == self.block.first_row

    start_row: int = 0
    beside: tuple[tuple[DayBookEntry, Block], ...] = ()
    """Other appointments overlapping this slot (a work-in beside the booking it squeezes
    in with), drawn in their own lanes; `entry` is the one the desk acts on."""


def status_words(entry: DayBookEntry) -> str:
    """The status, and the patient's confirmation by SMS when they gave one."""
    words = STATUS_WORDS[entry.status]
    if getattr(entry, "confirmed_at", None) is not None:
        return f"{words}, ✓ confirmed"
    return words


def alert_words(alerts: tuple[str, ...]) -> str:
    """'Allergy, Interpreter needed' for the record's alert flags ('' for none)."""
    return ", ".join(ALERT_LABELS.get(a, a) for a in alerts)


def block_text(entry: DayBookEntry, block: Block, row: int) -> str:
    """What a block's row says: the patient's name, then the type and status."""
    offset = row - block.first_row
    if offset == 0:
        return entry.patient_name
    if offset == 1:
        kind = f"{entry.type_name} · work-in" if entry.work_in_reason else entry.type_name
        return f"{kind} · {status_words(entry)}"
    return ""


def describe_entry(entry: DayBookEntry, timezone: str) -> str:
    start, end = to_local(entry.start, timezone), to_local(entry.end, timezone)
    alerts = f"; alert: {alert_words(entry.patient_alerts)}" if entry.patient_alerts else ""
    work_in = f"; work-in: {entry.work_in_reason}" if entry.work_in_reason else ""
    return (
        f"{start:%H:%M}–{end:%H:%M} {entry.type_name}: {entry.patient_name} "
        f"({status_words(entry)}{alerts}{work_in})"
    )


def entry_tooltip(entry: DayBookEntry, timezone: str) -> str:
    """What hovering a block says in full: name, phone, time, type, status and any note."""
    start, end = to_local(entry.start, timezone), to_local(entry.end, timezone)
    lines = [
        entry.patient_name,
        format_phone(entry.patient_phone) if entry.patient_phone else "no phone number",
        f"{start:%H:%M}–{end:%H:%M} {entry.type_name}",
        f"Status: {status_words(entry)}",
    ]
    if entry.patient_alerts:
        lines.insert(1, f"Alert: {alert_words(entry.patient_alerts)}")
    note = getattr(entry, "note", None)
    if note:
        lines.append(f"Note: {note}")
    if getattr(entry, "work_in_reason", None):
        lines.append(f"Work-in: {entry.work_in_reason}")
    return "\n".join(lines)


class DayBookModel(QAbstractTableModel):
    """Read-only view of a DayBook; replaced whole on each refresh."""

    front_changed = Signal()
    """Another appointment of a shared slot is now the one the desk acts on."""

    def __init__(self) -> None:
        super().__init__()
        self.book: DayBook | None = None
        self.times: list[time] = []
        self._origin: datetime | None = None
        self._cells: list[list[DayCell]] = []
        self.blocks: dict[int, Block] = {}
        self.compact_headers = False

    def set_compact_headers(self, compact: bool) -> None:
        if compact != self.compact_headers:
            self.compact_headers = compact
            if self.columnCount():
                self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.columnCount() - 1)

    def set_book(self, book: DayBook | None) -> None:
        self.beginResetModel()
        self.book = book
        self._layout()
        self.endResetModel()

    in_front: int | None = None
    """The appointment the desk acts on where two share a slot (a work-in and the booking it
    was squeezed in beside): clicking either block, or selecting it, brings it in front."""

    def bring_to_front(self, entry_id: int) -> None:
        """Make `entry_id` the appointment its slots act on (no reset: same rows and columns)."""
        if self.in_front == entry_id or self.book is None:
            return
        self.in_front = entry_id
        self._layout()
        self.front_changed.emit()
        if self.times and self.book.doctors:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self.times) - 1, len(self.book.doctors) - 1)
            )

    def _layout(self) -> None:
        self.times, self._cells, self.blocks, self._origin = [], [], {}, None
        book = self.book
        if book is None or not book.clinic_day.is_open:
            return
        opens, closes = book.clinic_day.opens, book.clinic_day.closes
        assert opens is not None and closes is not None
        self.times = day_rows(opens, closes, book.timezone, book.slot_minutes)
        self._origin = opens
        columns = [d.id for d in book.doctors]
        items = [(e.id, e.doctor_id, e.start, e.end) for e in book.appointments]
        work_ins = [e.id for e in book.appointments if e.work_in_reason]
        placed = place_blocks(
            items, columns, opens, book.slot_minutes, len(self.times), narrow=work_ins
        )
        self.blocks = {b.key: b for b in placed}
        entries = {e.id: e for e in book.appointments}
        by_cell: dict[tuple[int, int], list[Block]] = {}
        for b in sorted(placed, key=lambda b: (b.key != self.in_front, b.lane)):
            for row in range(b.first_row, b.first_row + b.rows):
                by_cell.setdefault((row, b.column), []).append(b)
        starts = [local_instant(book.day, t, book.timezone) for t in self.times]
        self._cells = []
        for row, start in enumerate(starts):
            line = []
            end = start + timedelta(minutes=book.slot_minutes)
            for column, doctor in enumerate(book.doctors):
                blocks = book.hours.get(doctor.id, ())
                rostered = any(s <= start and end <= e for s, e in blocks)
                here = by_cell.get((row, column), [])
                block = here[0] if here else None
                entry = entries[block.key] if block else None
                beside = tuple((entries[b.key], b) for b in here[1:])
                line.append(DayCell(start, rostered, entry, block, row, beside))
            self._cells.append(line)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.times)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self.book is None or not self.times:
            return 0
        return len(self.book.doctors)

    def cell(self, index: Index) -> DayCell | None:
        if not index.isValid() or not self._cells:
            return None
        return self._cells[index.row()][index.column()]

    def index_of_entry(self, entry_id: int) -> QModelIndex:
        block = self.blocks.get(entry_id)
        if block is None:
            return QModelIndex()
        return self.index(block.first_row, block.column)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cell = self.cell(index)
        if cell is None or self.book is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if cell.entry is None or cell.block is None:
                return ""
            return block_text(cell.entry, cell.block, index.row())
        zone = self.book.timezone
        if role == Qt.ItemDataRole.ToolTipRole and cell.entry is not None:
            return "\n\n".join(
                entry_tooltip(e, zone) for e in (cell.entry, *(e for e, _b in cell.beside))
            )
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            if cell.entry is not None:
                return "; also ".join(
                    describe_entry(e, zone) for e in (cell.entry, *(e for e, _b in cell.beside))
                )
            return "Free" if cell.rostered else "Not rostered"
        if role == SLOT_ROLE:
            return cell
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def who_is_in(self, doctor_id: int) -> str | None:
        """The patient in consultation with the doctor now (the later booking, if two are marked)."""
        if self.book is None:
            return None
        inside = [
            e
            for e in self.book.appointments
            if e.doctor_id == doctor_id and e.status is AppointmentStatus.IN_CONSULTATION
        ]
        return max(inside, key=lambda e: (e.start, e.id)).patient_name if inside else None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if self.book is None:
            return None
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            doctors = self.book.doctors
            if not 0 <= section < len(doctors):
                return None
            inside = self.who_is_in(doctors[section].id)
            name = doctors[section].name
            return f"{name} — in consultation: {inside}" if inside else name
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            doctors = self.book.doctors
            if not 0 <= section < len(doctors):
                return None
            header = doctor_header(doctors[section].name, self.compact_headers)
            inside = self.who_is_in(doctors[section].id)
            if inside is None:
                return header
            return f"{header}\nin: {inside}" if self.compact_headers else f"{header} — in: {inside}"
        if not 0 <= section < len(self.times):
            return None
        return self.times[section].strftime("%H:%M")
