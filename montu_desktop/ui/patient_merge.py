"""Duplicates: the warning before adding a patient who seems stored already, and the
manager's merge of two records with a preview of what moves."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.patients import SEARCH_MAX_CHARS
from montu_desktop.services import patients
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import MergePreview, MergeResult, PatientRecord
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.operations import BusyTracker, run_op
from montu_desktop.ui.patient_panel import appointment_when, full_name, status_words
from montu_desktop.ui.wording import ERROR_STYLE, SEARCH_DELAY_MS, format_phone


def record_line(record: PatientRecord, timezone: str) -> str:
    """Everything that tells two people apart: name, birth date, phone, email, next visit."""
    details = record.details
    parts = [f"{full_name(record)} (patient {record.id})"]
    parts.append(
        f"born {details.date_of_birth:%d/%m/%Y}" if details.date_of_birth else "no birth date"
    )
    parts.append(format_phone(details.phone) if details.phone else "no phone")
    parts.append(details.email or "no email")
    if record.next_appointment is not None:
        parts.append(f"next {appointment_when(record.next_appointment, timezone)}")
    return "  ·  ".join(parts)


class DuplicateWarning(QDialog):
    """'This patient may already be stored': use an existing record, or create anyway.

    Using the existing record is the default; creating a second record is a deliberate,
    separate choice.
    """

    USE, CREATE = 1, 2

    def __init__(
        self,
        typed: str,
        records: list[PatientRecord],
        timezone: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("This patient may already be stored")
        self.setObjectName("duplicateWarning")
        self.choice = 0
        heading = QLabel(
            f"<b>{escape(typed)}</b> looks like {'this patient' if len(records) == 1 else 'these patients'}"
            " already in the clinic’s records (same date of birth and family name, same phone "
            "or same email). Book the existing record unless you are sure this is someone else."
        )
        heading.setWordWrap(True)
        heading.setObjectName("duplicateHeading")
        self.records = QListWidget()
        self.records.setAccessibleName("Existing patients")
        self.records.setWordWrap(True)
        for record in records:
            item = QListWidgetItem(record_line(record, timezone))
            item.setData(Qt.ItemDataRole.UserRole, record.id)
            self.records.addItem(item)
        self.records.setCurrentRow(0)
        buttons = QDialogButtonBox()
        self.use_button: QPushButton = buttons.addButton(
            "&Use the selected patient", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_button: QPushButton = buttons.addButton(
            "C&reate a new patient anyway", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.back_button: QPushButton = buttons.addButton(
            "&Back", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.use_button.setDefault(True)
        self.create_button.setAutoDefault(False)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.records, 1)
        layout.addWidget(buttons)
        self.use_button.clicked.connect(lambda: self._choose(self.USE))
        self.create_button.clicked.connect(lambda: self._choose(self.CREATE))
        self.back_button.clicked.connect(self.reject)
        self.records.itemDoubleClicked.connect(lambda _i: self._choose(self.USE))
        self.resize(720, 320)

    def selected_id(self) -> int | None:
        item = self.records.currentItem()
        value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return int(value) if value is not None else None

    def _choose(self, choice: int) -> None:
        self.choice = choice
        self.accept()


class MergeDialog(QDialog):
    """A manager merges a duplicate into the record kept: find it, preview, then merge."""

    merged = Signal(object)
    """The MergeResult once committed."""

    def __init__(
        self,
        ctx: ServiceContext,
        keep: PatientRecord,
        timezone: str,
        busy: BusyTracker | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Merge a duplicate record")
        self.setObjectName("mergeDialog")
        self.ctx, self.keep, self.timezone, self.busy = ctx, keep, timezone, busy
        self.preview: MergePreview | None = None
        self.result: MergeResult | None = None
        self._preview_for: int | None = None
        keep_label = QLabel(f"<b>Keep:</b> {escape(record_line(keep, timezone))}")
        keep_label.setWordWrap(True)
        keep_label.setObjectName("mergeKeep")
        self.search = QLineEdit()
        self.search.setMaxLength(SEARCH_MAX_CHARS)
        self.search.setAccessibleName("Find the duplicate")
        self.search.setPlaceholderText("The duplicate’s name, phone or date of birth")
        self.search.setToolTip("Left empty, the list shows the records that look like this one.")
        self.candidates = QListWidget()
        self.candidates.setAccessibleName("Possible duplicates")
        self.candidates.setMaximumHeight(120)
        self.candidates.setWordWrap(True)
        self.candidates.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.summary = QLabel("Choose the duplicate record to see what would move.")
        self.summary.setObjectName("mergeSummary")
        self.summary.setWordWrap(True)
        self.moving = QListWidget()
        self.moving.setAccessibleName("What moves to the kept record")
        self.moving.setWordWrap(True)
        moving_label = QLabel("&Appointments that move to the kept record:")
        moving_label.setBuddy(self.moving)
        self.refusal = QLabel()
        self.refusal.setObjectName("mergeRefusal")
        self.refusal.setWordWrap(True)
        self.refusal.setStyleSheet(ERROR_STYLE)
        buttons = QDialogButtonBox()
        self.merge_button: QPushButton = buttons.addButton(
            "&Merge and retire the duplicate", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.merge_button.setEnabled(False)
        self.merge_button.setAutoDefault(False)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        find_row = QHBoxLayout()
        find_label = QLabel("&Duplicate:")
        find_label.setBuddy(self.search)
        find_row.addWidget(find_label)
        find_row.addWidget(self.search, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(keep_label)
        layout.addLayout(find_row)
        layout.addWidget(self.candidates)
        layout.addWidget(self.summary)
        layout.addWidget(moving_label)
        layout.addWidget(self.moving, 1)
        layout.addWidget(self.refusal)
        layout.addWidget(buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._find)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.candidates.currentItemChanged.connect(lambda item, _p: self._chosen(item))
        buttons.accepted.connect(self._merge)
        buttons.rejected.connect(self.reject)
        self.resize(900, 560)
        self._find()

    def _find(self) -> None:
        """What was typed, or (nothing typed) the records that look like the one kept."""
        text = self.search.text().strip()
        if 0 < len(text) < 2:
            self.candidates.clear()
            return
        details, keep_id = self.keep.details, self.keep.id

        def look_alikes() -> list[PatientRecord]:
            ids = [i for i in patients.likely_duplicate_ids(self.ctx, details) if i != keep_id]
            return [patients.patient_record(self.ctx, i) for i in ids]

        run_op(
            self,
            (lambda: patients.find_patients(self.ctx, text, limit=30)) if text else look_alikes,
            lambda found: self._show_candidates(text, found),
            lambda error: self.refusal.setText(plain_words(error)),
            self.busy,
        )

    def _show_candidates(self, text: str, found: list[PatientRecord]) -> None:
        if text != self.search.text().strip():
            return
        self.candidates.blockSignals(True)
        self.candidates.clear()
        for record in found:
            if record.id == self.keep.id:
                continue
            item = QListWidgetItem(record_line(record, self.timezone))
            item.setData(Qt.ItemDataRole.UserRole, record.id)
            self.candidates.addItem(item)
        self.candidates.blockSignals(False)

    def _chosen(self, item: QListWidgetItem | None) -> None:
        value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if value is not None:
            self.show_preview(int(value))

    def show_preview(self, duplicate_id: int) -> None:
        """Ask what merging this duplicate would move; nothing changes yet."""
        self._preview_for = duplicate_id
        self.merge_button.setEnabled(False)
        keep_id = self.keep.id
        run_op(
            self,
            lambda: patients.merge_preview(self.ctx, keep_id, duplicate_id),
            lambda preview: self._previewed(duplicate_id, preview),
            self._preview_failed,
            self.busy,
        )

    def _preview_failed(self, error: BaseException) -> None:
        self.preview = None
        self.moving.clear()
        self.summary.setText("")
        self.refusal.setText(plain_words(error))

    def _previewed(self, duplicate_id: int, preview: MergePreview) -> None:
        if duplicate_id != self._preview_for:
            return
        self.preview = preview
        duplicate = preview.duplicate
        count = len(preview.appointments)
        self.summary.setText(
            f"Merging retires <b>{escape(full_name(duplicate))} (patient {duplicate.id})</b>, kept "
            f"for history and pointing at patient {self.keep.id}. Moving to "
            f"{escape(full_name(self.keep))}: {count} appointment{'s' if count != 1 else ''} and "
            f"{preview.notifications} message{'s' if preview.notifications != 1 else ''} "
            "(reminders and confirmations)."
        )
        self.moving.clear()
        clashing = {d for _k, d in preview.overlaps}
        for item in preview.appointments:
            line = (
                f"{appointment_when(item, self.timezone)}  ·  {item.doctor_name}  ·  "
                f"{item.type_name}  ·  {status_words(item)}"
            )
            if item.note:
                line += f"  ·  note: {item.note}"
            if item.id in clashing:
                line = "⚠ " + line + "  ·  overlaps the kept patient’s appointment"
            self.moving.addItem(line)
        if not preview.appointments:
            self.moving.addItem("No appointments to move.")
        self.refusal.setText(
            f"Cannot merge: {preview.refusal}. Move or cancel one of them first."
            if preview.refusal
            else ""
        )
        self.merge_button.setEnabled(preview.can_merge)

    def _merge(self) -> None:
        preview = self.preview
        if preview is None or not preview.can_merge:
            return
        self.merge_button.setEnabled(False)
        keep_id, duplicate_id = self.keep.id, preview.duplicate.id
        run_op(
            self,
            lambda: patients.merge_patients(self.ctx, keep_id, duplicate_id),
            self._merged,
            self._preview_failed,
            self.busy,
        )

    def _merged(self, result: MergeResult) -> None:
        self.result = result
        self.merged.emit(result)
        self.accept()
