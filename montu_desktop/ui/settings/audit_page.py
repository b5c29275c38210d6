"""The Audit log page: who did what and when, newest first, filtered by person and action."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.services.admin.audit import audit_log
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
        layout.addLayout(filters)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["When", "Who", "What", "Details"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table)
        self.load()

    def load(self) -> None:
        actor, action = self.actor.text(), self.action.currentData()
        entries = run_and_wait(self, lambda: audit_log(self._ctx, actor=actor, action=action))
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            details = ", ".join(f"{k}={v}" for k, v in entry.details.items())
            cells = (
                to_local(entry.at, self._zone).strftime("%a %d %b %Y %H:%M:%S"),
                entry.actor,
                f"{entry.action} {entry.subject}".strip(),
                details,
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
