"""The Notifications log for managers: every message and its state; retry or dismiss dead letters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
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

from montu_desktop.domain.staff import Role
from montu_desktop.domain.wording import plural
from montu_desktop.services import notifications
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.notifications import NotificationView
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.notifications.clinic_zone import clinic_zone
from montu_desktop.ui.notifications.fields import DONE_STYLE, ERROR_STYLE
from montu_desktop.ui.notifications.log_model import COLUMNS, NotificationLogModel
from montu_desktop.ui.operations import run_op
from montu_desktop.ui.settings.settings_dialog import NotAllowed

FILTERS = (
    ("All messages", ""),
    ("Pending", "pending"),
    ("Not sent: channel not set up (goes once it is)", "waiting"),
    ("Sent", "sent"),
    ("Failed (will be retried)", "failed"),
    ("Dead letters (need you)", "dead"),
    ("Dismissed", "dismissed"),
    ("Withdrawn (appointment cancelled or moved)", "withdrawn"),
    ("Skipped (too late)", "skipped"),
)
COUNTED = ("pending", "sent", "failed", "dead")
REFRESH_MS = 15_000
Loaded = tuple[list[NotificationView], Counter[str], str, dict[str, bool]]
SETTINGS_LINK = "settings"


class NotificationLogWindow(QDialog):
    loaded = Signal()
    """Emitted each time fresh rows are shown."""
    settings_wanted = Signal()
    """The person followed a link to the notification settings."""

    def __init__(self, ctx: ServiceContext, role: Role | None, parent: QWidget | None = None):
        if role is None or not role.can_manage:
            raise NotAllowed("only a manager can see the notifications log")
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Notifications")
        self.status = QComboBox()
        for label, value in FILTERS:
            self.status.addItem(label, value)
        self.status.currentIndexChanged.connect(self.load)
        self.counts = QLabel()
        self.setup_note = QLabel()
        self.setup_note.setWordWrap(True)
        self.setup_note.setStyleSheet(
            "QLabel { background: #e8f0fe; border: 1px solid #aecbfa; padding: 4px 8px; }"
        )
        self.setup_note.setTextFormat(Qt.TextFormat.RichText)
        self.setup_note.linkActivated.connect(lambda _link: self.settings_wanted.emit())
        self.setup_note.setVisible(False)
        refresh = QPushButton("&Refresh")
        refresh.clicked.connect(self.load)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.status)
        top.addSpacing(12)
        top.addWidget(self.counts, 1)
        top.addWidget(refresh)
        self.model = NotificationLogModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Last error"), QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.linkActivated.connect(lambda _link: self.settings_wanted.emit())
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Re&try")
        self.retry_button.setToolTip("Put the message back in the queue, due now, with fresh tries")
        self.retry_button.clicked.connect(self.retry)
        self.dismiss_button = QPushButton("&Dismiss")
        self.dismiss_button.setToolTip("Set the dead letter aside (it stays in the log)")
        self.dismiss_button.clicked.connect(self.dismiss)
        self.message = QLabel()
        self.message.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.retry_button)
        actions.addWidget(self.dismiss_button)
        actions.addWidget(self.message, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        actions.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.setup_note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(actions)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh_if_shown)
        self._timer.start()
        self._selected()
        self.resize(1100, 600)
        self.load()

    # Loading --------------------------------------------------------------------------------

    def load(self) -> None:
        """Fetch the log again (off the GUI thread), keeping the selected message selected."""
        status = self.status.currentData() or None

        def work() -> Loaded:
            # Only managers open this window, and they may see who the patients are.
            rows = notifications.list_notifications(self.ctx, status, names=True)
            return (
                rows,
                notifications.status_counts(self.ctx),
                clinic_zone(self.ctx),
                notifications.channels_set_up(self.ctx),
            )

        run_op(self, work, self._show, self._failed)

    def _refresh_if_shown(self) -> None:
        if self.isVisible():
            self.load()

    def _show(self, loaded: Loaded) -> None:
        rows, counts, zone, set_up = loaded
        keep = self.selected()
        self.model.set_rows(rows, zone)
        text = " · ".join(f"{name.capitalize()} {counts.get(name, 0)}" for name in COUNTED)
        held = counts.get(notifications.NOT_SET_UP_COUNT, 0)
        self.counts.setText(text + (f" · Not sent (not set up) {held}" if held else ""))
        self._show_setup(rows, set_up)
        if keep is not None:
            self.select_id(keep.id)
        self._selected()
        # Announced from the event loop, not from inside the operation's callback: a listener
        # that quits a nested event loop there (pytest-qt's waitSignal) crashes PySide 6.12.
        QTimer.singleShot(0, self.loaded.emit)

    def _show_setup(self, rows: list[NotificationView], set_up: dict[str, bool]) -> None:
        """Say plainly which channel is not set up, and how many messages wait for it."""
        waiting = Counter(r.channel for r in rows if r.not_set_up)
        missing = [c for c in ("email", "sms") if not set_up.get(c, True)]
        parts = []
        for channel in missing:
            word = "Email" if channel == "email" else "SMS"
            held = waiting.get(channel, 0)
            held_text = f" {plural(held, 'message')} waiting for it." if held else ""
            by = "email" if channel == "email" else "SMS"
            parts.append(f"{word} is not set up: nothing goes by {by}.{held_text}")
        if parts:
            link = f'<a href="{SETTINGS_LINK}">Open the notification settings</a>'
            self.setup_note.setText(" ".join(parts) + f" {link}")
        self.setup_note.setVisible(bool(parts))

    def _failed(self, error: BaseException) -> None:
        self._say(plain_words(error), ok=False)

    # Selection and actions -----------------------------------------------------------------

    def selected(self) -> NotificationView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.message(rows[0].row()) if rows else None

    def select_id(self, notification_id: int) -> bool:
        for row, message in enumerate(self.model.rows):
            if message.id == notification_id:
                flags = (
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows
                )
                self.table.selectionModel().select(self.model.index(row, 0), flags)
                self.table.scrollTo(self.model.index(row, 0))
                return True
        return False

    def _selected(self, *_args: Any) -> None:
        message = self.selected()
        self.retry_button.setEnabled(
            message is not None and message.status in ("dead", "dismissed", "failed")
        )
        self.dismiss_button.setEnabled(message is not None and message.status == "dead")
        if message is None:
            self.details.setText("Select a message to see its last error.")
        elif message.not_set_up:
            self.details.setText(
                f"Message {message.id} was not sent: {message.state.split(': ', 1)[1]}. "
                f'<a href="{SETTINGS_LINK}">Set it up in the notification settings</a>: '
                "it then goes by itself, unless its appointment has begun."
            )
        elif message.last_error:
            self.details.setText(f"Message {message.id}, last error: {message.last_error}")
        else:
            self.details.setText(f"Message {message.id}: no error recorded.")

    def retry(self) -> None:
        self._act(notifications.retry_notification, "is back in the queue and goes out shortly")

    def dismiss(self) -> None:
        self._act(notifications.dismiss_notification, "is set aside (Retry brings it back)")

    def _act(self, action: Callable[[ServiceContext, int], NotificationView], done: str) -> None:
        message = self.selected()
        if message is None:
            return
        self.retry_button.setEnabled(False)
        self.dismiss_button.setEnabled(False)

        def finished(_view: NotificationView) -> None:
            self._say(f"Message {message.id} {done}.", ok=True)
            self.load()

        run_op(self, lambda: action(self.ctx, message.id), finished, self._action_failed)

    def _action_failed(self, error: BaseException) -> None:
        self._say(plain_words(error), ok=False)
        self.load()

    def _say(self, text: str, ok: bool) -> None:
        self.message.setStyleSheet(DONE_STYLE if ok else ERROR_STYLE)
        self.message.setText(text)
