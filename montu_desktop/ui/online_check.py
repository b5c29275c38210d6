"""Online bookings to check (Clinic menu): the records online bookings created because no
stored record matched the identity rule, each with the records that look like it; the desk
merges one into the person's record (Merge into…) or keeps it (Keep as new). The main
window's status bar shows how many wait while any do."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QStatusBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.op_changes import ChangeKind, OpChanges
from montu_desktop.services import patients
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import OnlineToCheck, PatientRecord
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.operations import ChangeBridge, run_op

COLUMNS = ["Patient", "Born", "Phone", "Email", "Record"]
ONLINE_ID, ALIKE_ID = Qt.ItemDataRole.UserRole, Qt.ItemDataRole.UserRole + 1


def _cells(record: PatientRecord) -> list[str]:
    d = record.details
    born = d.date_of_birth.strftime("%d/%m/%Y") if d.date_of_birth else "-"
    return [record.display_name, born, d.phone or "-", d.email or "-", str(record.id)]


class OnlineChecksDialog(QDialog):
    """Each online booking's new record, its look-alikes beneath it."""

    loaded = Signal()
    """Emitted each time fresh rows are shown."""

    def __init__(self, ctx: ServiceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("onlineChecks")
        self.setWindowTitle("Online bookings to check")
        self.items: list[OnlineToCheck] = []
        explain = QLabel(
            "Online bookings whose details did not all match a stored patient (given name, "
            "family name, date of birth and phone or email) were booked for a new record. "
            "Choose the person's record under it and Merge into…, or Keep as new."
        )
        explain.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setAccessibleName("Online bookings and the records like them")
        self.tree.currentItemChanged.connect(lambda *_: self._enable())
        self.merge_button = QPushButton("&Merge into…")
        self.merge_button.clicked.connect(self.merge)
        self.keep_button = QPushButton("&Keep as new")
        self.keep_button.clicked.connect(self.keep)
        self.message = QLabel()
        self.message.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.merge_button)
        buttons.addWidget(self.keep_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.question: QMessageBox | None = None
        self.resize(820, 460)
        self._enable()
        self.load()

    def load(self) -> None:
        run_op(self, lambda: patients.online_patients_to_check(self.ctx), self._show, self._failed)

    def _show(self, items: list[OnlineToCheck]) -> None:
        self.items = items
        self.tree.clear()
        for item in items:
            top = QTreeWidgetItem(_cells(item.patient))
            top.setData(0, ONLINE_ID, item.patient.id)
            for alike in item.look_alikes:
                child = QTreeWidgetItem(_cells(alike))
                child.setData(0, ONLINE_ID, item.patient.id)
                child.setData(0, ALIKE_ID, alike.id)
                top.addChild(child)
            if not item.look_alikes:
                top.addChild(QTreeWidgetItem(["no stored record looks like it"]))
            self.tree.addTopLevelItem(top)
        self.tree.expandAll()
        for column in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(column)
        if not items:
            self.message.setText("No online bookings wait to be checked.")
        self._enable()
        self.loaded.emit()

    def _chosen(self) -> tuple[int | None, int | None]:
        """(the online record, the look-alike chosen under it) of the current row."""
        current = self.tree.currentItem()
        if current is None:
            return None, None
        return current.data(0, ONLINE_ID), current.data(0, ALIKE_ID)

    def _enable(self) -> None:
        online_id, alike_id = self._chosen()
        self.keep_button.setEnabled(online_id is not None)
        self.merge_button.setEnabled(alike_id is not None)

    def select(self, online_id: int, alike_id: int | None = None) -> None:
        """Make the online record (or one of its look-alikes) the current row."""
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top is None or top.data(0, ONLINE_ID) != online_id:
                continue
            target = top
            for j in range(top.childCount()):
                child = top.child(j)
                if alike_id is not None and child.data(0, ALIKE_ID) == alike_id:
                    target = child
            self.tree.setCurrentItem(target)

    def merge(self) -> None:
        online_id, alike_id = self._chosen()
        if online_id is None or alike_id is None:
            self.message.setText("Choose the stored record to merge into (under the booking).")
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Merge into this record?",
            f"Merge record {online_id} into record {alike_id}? Its appointments and messages "
            f"move to record {alike_id}, and record {online_id} is retired.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("mergeOnlineQuestion")
        go = box.addButton("&Merge", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton("&Cancel", QMessageBox.ButtonRole.RejectRole))

        def answered() -> None:
            if box.clickedButton() is go:
                self._run(
                    lambda: patients.merge_online_patient(self.ctx, online_id, alike_id),
                    f"Record {online_id} was merged into record {alike_id}.",
                )

        box.finished.connect(lambda _r: answered())
        self.question = box
        box.open()

    def keep(self) -> None:
        online_id, _alike = self._chosen()
        if online_id is None:
            return
        self._run(
            lambda: patients.keep_online_patient(self.ctx, online_id),
            f"Record {online_id} was kept as a new patient.",
        )

    def _run(self, work, done_text: str) -> None:  # type: ignore[no-untyped-def]
        self.merge_button.setEnabled(False)
        self.keep_button.setEnabled(False)

        def done(_result: object) -> None:
            self.load()
            self.message.setText(done_text)

        run_op(self, work, done, self._failed)

    def _failed(self, error: BaseException) -> None:
        self.message.setText(plain_words(error))
        self._enable()


class OnlineChecksCount(QLabel):
    """'Online bookings to check: N' in the status bar while any wait (a link to the list)."""

    def __init__(self, ctx: ServiceContext, open_list: object) -> None:
        super().__init__()
        self.ctx = ctx
        self.count = 0
        self._loaded_once = False
        self.setObjectName("onlineChecksCount")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.linkActivated.connect(lambda _link: open_list())  # type: ignore[operator]

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded_once:
            self._loaded_once = True
            self.reload()

    def heard(self, burst: list[OpChanges]) -> None:
        if any(c.touches(ChangeKind.PATIENTS) for c in burst):
            self.reload()

    def reload(self) -> None:
        run_op(
            self,
            lambda: patients.online_patients_to_check_count(self.ctx),
            self._show,
            lambda _e: None,  # only a reminder: a failure here must not disturb the desk
        )

    def _show(self, count: int) -> None:
        self.count = count
        self.setText(f'<a href="check">Online bookings to check: {count}</a>' if count else "")
        self.setToolTip("Open Clinic → Online bookings to check" if count else "")


class OnlineChecks:
    """The Clinic menu's entry, the status bar's count, and one list window at a time."""

    def __init__(
        self,
        ctx: ServiceContext,
        menu: QMenu,
        parent: QWidget,
        status_bar: QStatusBar,
        changes: ChangeBridge,
    ) -> None:
        self.ctx, self.parent = ctx, parent
        self.dialog: OnlineChecksDialog | None = None
        self.action = QAction("Online &bookings to check…", parent)
        self.action.triggered.connect(self.open)
        menu.addAction(self.action)
        self.count = OnlineChecksCount(ctx, self.open)
        status_bar.addPermanentWidget(self.count)
        changes.subscribe(self.count.heard)

    def open(self) -> OnlineChecksDialog:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.load()
            self.dialog.raise_()
            self.dialog.activateWindow()
            return self.dialog
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = OnlineChecksDialog(self.ctx, self.parent)
        self.dialog.finished.connect(lambda _r: self.count.reload())
        self.dialog.show()
        return self.dialog
