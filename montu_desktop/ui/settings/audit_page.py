"""The Audit log page: who did what and when in plain words, newest first, filtered; CSV export."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import MontuError
from montu_desktop.domain.wording import day_label
from montu_desktop.services.admin.audit import AuditLine, audit_csv, audit_log, plain_audit
from montu_desktop.services.admin.audit_head import VerifiedHead, last_verified, verify_and_record
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.operations import run_and_wait

ACTIONS = (
    ("Everything", ""),
    ("Bookings, cancellations, moves", "appointment"),
    ("Settings changes", "settings"),
    ("Staff accounts and sign-ins", "staff"),
)


class AuditPage(QWidget):
    def __init__(self, ctx: ServiceContext, zone: str) -> None:
        super().__init__()
        self._ctx = ctx
        self._zone = zone
        layout = QVBoxLayout(self)
        filters = QHBoxLayout()
        self.actor = QLineEdit()
        self.actor.setPlaceholderText("username")
        self.action = QComboBox()
        for label, prefix in ACTIONS:
            self.action.addItem(label, prefix)
        show = QPushButton("Show")
        show.clicked.connect(self.load)
        self.actor.returnPressed.connect(self.load)
        self.action.currentIndexChanged.connect(self.load)
        filters.addWidget(QLabel("Who"))
        filters.addWidget(self.actor)
        filters.addWidget(QLabel("What"))
        filters.addWidget(self.action)
        filters.addWidget(show)
        filters.addStretch(1)
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setToolTip("Save the entries shown as a CSV file (opens in Excel)")
        self.export_button.clicked.connect(self.export)
        self.message = QLabel()
        filters.addWidget(self.message)
        filters.addWidget(self.export_button)
        layout.addLayout(filters)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["When", "Who", "What happened"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table)
        # The trail's end, as last verified on this PC: compare it with a backup's
        # .audit-head file or the log's "audit head:" lines (`audit verify --expect`).
        head_row = QHBoxLayout()
        self.head_label = QLabel()
        self.head_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verify_button = QPushButton("&Verify now")
        self.verify_button.setToolTip(
            "Check every entry's hash link and write down the trail's head (count and hash)"
        )
        self.verify_button.clicked.connect(self.verify)
        head_row.addWidget(self.head_label, 1)
        head_row.addWidget(self.verify_button)
        layout.addLayout(head_row)
        self.lines: list[AuditLine] = []
        self.load()
        self.show_head(last_verified(ctx.database))

    def show_head(self, verified: VerifiedHead | None) -> None:
        if verified is None:
            self.head_label.setText("Audit trail head: not verified on this PC yet.")
            return
        day = day_label(to_local(verified.taken_at, self._zone).date(), year=True)
        self.head_label.setText(
            f"Audit trail head last verified on {day}: {verified.head.count} entries, "
            f"head {verified.head}"
        )

    def verify(self) -> None:
        try:
            verified = run_and_wait(self, lambda: verify_and_record(self._ctx))
        except MontuError as exc:
            self.head_label.setText(f"Could not verify the audit trail: {exc}")
            return
        if verified is None:
            self.head_label.setText(
                "The audit trail is broken: see the log, or run `montu-desktop audit verify`."
            )
            return
        self.show_head(verified)

    def load(self) -> None:
        actor, action, zone = self.actor.text(), self.action.currentData(), self._zone
        self.lines = run_and_wait(
            self,
            lambda: plain_audit(self._ctx, audit_log(self._ctx, actor=actor, action=action), zone),
        )
        self.table.setRowCount(len(self.lines))
        for row, line in enumerate(self.lines):
            details = ", ".join(f"{k}: {v}" for k, v in line.record.details.items())
            full = f"{line.when} · {line.what}"
            if details:
                full += f"\n({line.record.action}; {details})"
            for column, text in enumerate((line.when, line.who, line.what)):
                item = QTableWidgetItem(text)
                item.setToolTip(full)
                self.table.setItem(row, column, item)
        self.message.setText("")

    def export(self, path: str | None = None) -> Path | None:
        """Write the entries shown to a CSV file (asks where when no path is given)."""
        if path is None:
            suggested = str(Path.home() / "audit-log.csv")
            path, _filter = QFileDialog.getSaveFileName(
                self, "Export the audit log", suggested, "CSV files (*.csv)"
            )
            if not path:
                return None
        target = Path(path)
        # utf-8-sig: Excel on Windows then reads names with accents correctly.
        target.write_text(audit_csv(self.lines), encoding="utf-8-sig", newline="")
        self.message.setText(f"Saved {len(self.lines)} entries to {target.name}.")
        return target
