"""The Backups page: the clinic's backups with date and size, "Back up now" and "Restore…"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.op_changes import LOCAL, OpChanges
from montu_desktop.domain.wording import day_label
from montu_desktop.services import backups
from montu_desktop.services.backups import BackupFile, BackupPolicy
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.notifications.fields import DONE_STYLE, ERROR_STYLE
from montu_desktop.ui.operations import run_op

Confirm = Callable[[str], bool]
"""Asked before a restore with the question naming the backup's date; True goes ahead."""

KIND_WORDS = {
    "daily": "Automatic",
    "manual": "Made on request",
    "before-upgrade": "Before an upgrade",
    "before-restore": "Before a restore",
}


class BackupsPage(QWidget):
    def __init__(self, ctx: ServiceContext, zone: str, confirm: Confirm | None = None) -> None:
        super().__init__()
        self._ctx = ctx
        self._zone = zone
        self._confirm = confirm or self._ask
        self._found: list[BackupFile] = []
        embedded = ctx.database.sqlite_path is not None
        layout = QVBoxLayout(self)
        self.about = QLabel()
        self.about.setWordWrap(True)
        layout.addWidget(self.about)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Taken", "Why", "Size"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.back_up_button = QPushButton("Back up now")
        self.back_up_button.clicked.connect(self.back_up_now)
        self.restore_button = QPushButton("Restore…")
        self.restore_button.clicked.connect(self.restore_selected)
        self.restore_button.setEnabled(False)
        if not embedded:
            self.restore_button.setToolTip(
                "A server database is restored with pg_restore by IT staff (see the README)."
            )
        buttons.addWidget(self.back_up_button)
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        self._embedded = embedded
        self._busy = False

    # --- loading --------------------------------------------------------------------

    def load(self) -> None:
        """List the backups and the automatic-backup settings (in the background)."""
        ctx = self._ctx

        def work() -> tuple[list[BackupFile], BackupPolicy | None, Path]:
            rules = backups.policy(ctx) if ctx.database.sqlite_path is not None else None
            return backups.list_backups(ctx.database), rules, backups.backup_folder()

        run_op(self, work, self._show, self._failed)

    def _show(self, loaded: tuple[list[BackupFile], BackupPolicy | None, Path]) -> None:
        found, rules, folder = loaded
        if rules is not None:
            self.about.setText(
                f"Copies of the clinic's data. Montu Desktop makes one automatically every "
                f"{_hours(rules.every_hours)} while it is open and keeps the last "
                f"{rules.keep}; it also makes one before every upgrade and before a restore. "
                f"They are kept in {folder}."
            )
        else:
            self.about.setText(
                "The clinic's data is on a PostgreSQL server. “Back up now” saves a pg_dump "
                f"file in {folder} (when pg_dump is installed on this PC). Restoring a server "
                "database is done with pg_restore by IT staff."
            )
        self._found = found
        self.table.setRowCount(len(found))
        for row, backup in enumerate(found):
            cells = (
                self.describe(backup),
                KIND_WORDS.get(backup.kind, backup.kind),
                backups.human_size(backup.size),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(str(backup.path))
                if column == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        if not found:
            self.status.setStyleSheet("")
            self.status.setText("No backups yet.")
        self._selection_changed()

    def describe(self, backup: BackupFile) -> str:
        local = to_local(backup.taken_at, self._zone)
        return f"{day_label(local.date(), year=True)}, {local:%H:%M:%S}"

    def _selection_changed(self) -> None:
        self.restore_button.setEnabled(
            self._embedded and not self._busy and self.selected() is not None
        )

    def selected(self) -> BackupFile | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self._found):
            return None
        return self._found[rows[0].row()]

    # --- actions --------------------------------------------------------------------

    def back_up_now(self) -> None:
        self._set_busy(True, "Backing up…")
        run_op(self, lambda: backups.back_up(self._ctx.database), self._backed_up, self._failed)

    def _backed_up(self, made: BackupFile) -> None:
        self._set_busy(False)
        self._say(True, f"Backup written: {made.path.name} ({backups.human_size(made.size)}).")
        self.load()

    def restore_selected(self) -> None:
        chosen = self.selected()
        if chosen is None or not self._embedded:
            return
        when = self.describe(chosen)
        question = (
            f"Replace all of the clinic's data with the backup of {when}?\n\n"
            "Everything entered since then (bookings, patients, settings) will no longer be "
            "in the clinic's database. A copy of the data as it is now is kept first, "
            "so this can be undone by restoring that copy."
        )
        if not self._confirm(question):
            return
        self._set_busy(True, f"Restoring the backup of {when}…")
        run_op(
            self,
            lambda: backups.restore(self._ctx.database, chosen.path),
            lambda done: self._restored(when, done),
            self._failed,
        )

    def _restored(self, when: str, done: backups.Restored) -> None:
        self._set_busy(False)
        kept = f" The data as it was is kept as {done.previous.name}." if done.previous else ""
        self._say(True, f"Restored the backup of {when}.{kept}")
        # Everything may differ now: one notice naming every kind repaints each screen once.
        self._ctx.changed(
            OpChanges.of("reference", "appointments", "patients", "settings", origin=LOCAL)
        )
        self.load()

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self._say(False, plain_words(error))

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        self.back_up_button.setEnabled(not busy)
        self._selection_changed()
        if text:
            self._say(None, text)

    def _say(self, ok: bool | None, text: str) -> None:
        self.status.setStyleSheet("" if ok is None else DONE_STYLE if ok else ERROR_STYLE)
        self.status.setText(text)

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(
            self,
            "Restore a backup",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes


def _hours(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return "day" if days == 1 else f"{days} days"
    return "hour" if hours == 1 else f"{hours} hours"
