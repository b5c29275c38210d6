"""Tomorrow's reminders, for the front desk: who will be reminded, and who must be called."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
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
from montu_desktop.domain.wording import long_day_label, plural
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.notifications import (
    ReminderPreview,
    channels_set_up,
    tomorrows_reminders,
)
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.notifications.clinic_zone import clinic_zone
from montu_desktop.ui.notifications.fields import ERROR_STYLE
from montu_desktop.ui.notifications.tomorrow_model import COLUMNS, TomorrowModel
from montu_desktop.ui.operations import run_op

Loaded = tuple[list[ReminderPreview], date, dict[str, bool]]


class _UnreachableOnly(QSortFilterProxyModel):
    """Passes every row, or only patients who cannot be reminded."""

    def __init__(self) -> None:
        super().__init__()
        self.only_unreachable = False

    def set_only_unreachable(self, on: bool) -> None:
        self.beginFilterChange()
        self.only_unreachable = on
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(
        self, source_row: int, _parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        if not self.only_unreachable:
            return True
        model = self.sourceModel()
        assert isinstance(model, TomorrowModel)
        return not model.rows[source_row].reachable


class TomorrowRemindersDialog(QDialog):
    loaded = Signal()
    """Emitted each time fresh rows are shown."""

    def __init__(self, ctx: ServiceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Tomorrow's reminders")
        self.title = QLabel("Tomorrow's appointments")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.setup_note = QLabel()
        self.setup_note.setWordWrap(True)
        self.setup_note.setStyleSheet(
            "QLabel { background: #e8f0fe; border: 1px solid #aecbfa; padding: 4px 8px; }"
        )
        self.setup_note.setVisible(False)
        self.only_unreachable = QCheckBox("Show only patients who cannot be reminded")
        refresh = QPushButton("&Refresh")
        refresh.clicked.connect(self.load)
        self.model = TomorrowModel()
        self.filtered = _UnreachableOnly()
        self.filtered.setSourceModel(self.model)
        self.only_unreachable.toggled.connect(self.filtered.set_only_unreachable)
        self.table = QTableView()
        self.table.setModel(self.filtered)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        # Rows grow to fit a wrapped note, so the note is never cut off.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setMinimumSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Note"), QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(60)
        top = QHBoxLayout()
        top.addWidget(self.only_unreachable, 1)
        top.addWidget(refresh)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.setup_note)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(1100, 600)
        self.load()

    def load(self) -> None:
        def work() -> Loaded:
            zone = clinic_zone(self.ctx)
            tomorrow = to_local(self.ctx.clock(), zone).date() + timedelta(days=1)
            return tomorrows_reminders(self.ctx), tomorrow, channels_set_up(self.ctx)

        run_op(self, work, self._show, self._failed)

    def _show(self, loaded: Loaded) -> None:
        rows, tomorrow, set_up = loaded
        self.model.set_rows(rows, set_up)
        self.title.setText(f"Tomorrow, {long_day_label(tomorrow, year=False)}")
        not_set_up = [
            ("Email" if c == "email" else "SMS") for c in ("email", "sms") if not set_up[c]
        ]
        self.setup_note.setText(
            " and ".join(not_set_up)
            + (" is" if len(not_set_up) == 1 else " are")
            + " not set up, so no reminders go that way (a manager sets this up in"
            " Clinic → Notification settings)."
            if not_set_up
            else ""
        )
        self.setup_note.setVisible(bool(not_set_up))
        self.summary.setStyleSheet("")
        missing = self.model.unreachable()
        to_call = self.model.to_call()
        undelivered = (
            f" {plural(to_call, 'reminder SMS', 'reminder SMSes')} did not arrive (☎): please call."
            if to_call
            else ""
        )
        if not rows:
            self.summary.setText("No appointments are booked for tomorrow.")
        elif missing:
            self.summary.setText(
                f"{plural(len(rows), 'appointment')}. {plural(missing, 'patient')} will get no"
                " reminder (highlighted): please call them, or add a phone number or email."
                + undelivered
            )
        else:
            self.summary.setText(
                f"{plural(len(rows), 'appointment')}; every patient will be reminded." + undelivered
            )
        # Announced from the event loop, not from inside the operation's callback: a listener
        # that quits a nested event loop there (pytest-qt's waitSignal) crashes PySide 6.12.
        QTimer.singleShot(0, self.loaded.emit)

    def _failed(self, error: BaseException) -> None:
        self.summary.setStyleSheet(ERROR_STYLE)
        self.summary.setText(plain_words(error))
