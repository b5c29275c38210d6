"""The Replies list (Clinic → Replies…): patients' SMS replies, newest first, for the desk.

Replies that acted by themselves (C, Y, STOP from a number that identifies one patient) are
listed for the record; the others (questions, unknown or shared numbers) wait for a person,
who acts by hand and marks them read. The unread count shows in the main window's status bar.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.wording import plural, when_label
from montu_desktop.services import sms_replies
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.sms_replies import ReplyView
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.notifications.clinic_zone import clinic_zone
from montu_desktop.ui.notifications.fields import ERROR_STYLE
from montu_desktop.ui.notifications.rows_model import RowsModel
from montu_desktop.ui.operations import run_op
from montu_desktop.ui.wording import format_phone

COLUMNS = ("Received", "From", "Patient", "Message", "What was done", "Read")
AnyIndex = QModelIndex | QPersistentModelIndex


def unread_words(count: int) -> str:
    """What the status bar says (empty when nothing waits)."""
    return f"✉ {plural(count, 'unread reply', 'unread replies')}" if count else ""


class RepliesModel(RowsModel[ReplyView]):
    """Rows of `list_replies`; unread ones in bold."""

    columns = COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ReplyView] = []
        self.zone = "UTC"

    def set_rows(self, rows: list[ReplyView], zone: str) -> None:
        self.beginResetModel()
        self.rows, self.zone = list(rows), zone
        self.endResetModel()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index)
        if row is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.text(row, index.column())
        if role == Qt.ItemDataRole.UserRole:
            return row
        if role == Qt.ItemDataRole.FontRole and row.read_at is None:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def text(self, row: ReplyView, column: int) -> str:
        name = COLUMNS[column]
        if name == "Received":
            return when_label(to_local(row.received_at, self.zone))
        if name == "From":
            return (
                format_phone(row.from_number)
                if row.from_number.startswith("+")
                else row.from_number
            )
        if name == "Patient":
            return row.patient_name or "not known"
        if name == "Message":
            return " ".join(row.body.split())
        if name == "What was done":
            return f"{row.outcome}: please act by hand" if row.needs_the_desk else row.outcome
        return "read" if row.read_at else "unread"


class RepliesDialog(QDialog):
    """Lists the replies; "Mark read" records that the desk has dealt with the selected one."""

    loaded = Signal()
    changed = Signal()
    """A reply was marked read (the status bar's count goes down)."""

    def __init__(self, ctx: ServiceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Replies")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.model = RepliesModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Patients' SMS replies")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Message"), QHeaderView.ResizeMode.Stretch)
        self.mark_button = QPushButton("&Mark read")
        self.mark_button.clicked.connect(self.mark_selected)
        refresh = QPushButton("&Refresh")
        refresh.clicked.connect(self.load)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.mark_button)
        top.addWidget(refresh)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(1000, 520)
        self.load()

    def load(self) -> None:
        def work() -> tuple[list[ReplyView], str]:
            return sms_replies.list_replies(self.ctx), clinic_zone(self.ctx)

        run_op(self, work, self._show, self._failed)

    def _show(self, loaded: tuple[list[ReplyView], str]) -> None:
        rows, zone = loaded
        self.model.set_rows(rows, zone)
        unread = sum(1 for r in rows if r.read_at is None)
        self.summary.setStyleSheet("")
        self.summary.setText(
            f"{plural(len(rows), 'reply', 'replies')}, {unread} unread."
            if rows
            else "No replies yet."
        )
        QTimer.singleShot(0, self.loaded.emit)

    def selected(self) -> ReplyView | None:
        chosen = self.table.selectionModel().selectedRows()
        return self.model.data(chosen[0], Qt.ItemDataRole.UserRole) if chosen else None

    def mark_selected(self) -> None:
        reply = self.selected()
        if reply is None:
            self.summary.setText("Select a reply first.")
            return

        def marked(_view: ReplyView) -> None:
            self.changed.emit()
            self.load()

        run_op(self, lambda: sms_replies.mark_read(self.ctx, reply.id), marked, self._failed)

    def _failed(self, error: BaseException) -> None:
        self.summary.setStyleSheet(ERROR_STYLE)
        self.summary.setText(plain_words(error))
