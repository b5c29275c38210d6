"""Small questions about one appointment: cancel (with a reason), edit its note (counted)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.visits import CANCEL_REASONS, NOTE_MAX_CHARS, REASON_MAX_CHARS
from montu_desktop.services.appointment_view import AppointmentView
from montu_desktop.ui.wording import when_words

OTHER_REASON = "Other (type it below)"


class CancelDialog(QDialog):
    """'Cancel Ava Singh's appointment on Tue 24 Nov at 10:00?' with a reason to choose or type."""

    def __init__(self, view: AppointmentView, timezone: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Cancel appointment")
        self.setObjectName("cancelDialog")
        question = QLabel(
            f"Cancel {view.patient_name}’s appointment with {view.doctor_name} on "
            f"{when_words(view.start, timezone)}?\nIts time becomes free for others."
        )
        question.setObjectName("cancelQuestion")
        question.setWordWrap(True)
        self.reason_box = QComboBox()
        self.reason_box.setAccessibleName("Reason")
        self.reason_box.addItems([*CANCEL_REASONS, OTHER_REASON])
        self.other = QLineEdit()
        self.other.setAccessibleName("Other reason")
        self.other.setPlaceholderText("Say why, in a few words")
        self.other.setMaxLength(REASON_MAX_CHARS)
        self.message = QLabel()
        self.message.setStyleSheet("color: #a50e0e; font-weight: bold;")
        form = QFormLayout()
        form.addRow("&Reason:", self.reason_box)
        form.addRow("&Other:", self.other)
        buttons = QDialogButtonBox()
        self.cancel_button: QPushButton = buttons.addButton(
            "&Cancel the appointment", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.keep_button: QPushButton = buttons.addButton(
            "&Keep it", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.keep_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.reason_box.currentIndexChanged.connect(lambda _i: self._reason_changed())
        self.other.textEdited.connect(lambda _t: self.reason_box.setCurrentText(OTHER_REASON))
        self.setMinimumWidth(460)
        self._reason_changed()

    def _reason_changed(self) -> None:
        if self.reason_box.currentText() == OTHER_REASON:
            self.other.setFocus()

    def reason(self) -> str | None:
        """The reason chosen or typed (None when 'Other' was left empty)."""
        if self.reason_box.currentText() == OTHER_REASON:
            return self.other.text().strip() or None
        return self.reason_box.currentText()

    def _accept(self) -> None:
        if self.reason() is None:
            self.message.setText("Reason: choose one, or type it under Other.")
            self.other.setFocus()
            return
        self.accept()


class NoteCounter(QLabel):
    """'12 of 500 characters' beside a note being typed; red once over the domain's limit.

    The one counter of every place a note is typed (the booking dialog, "Edit note…"): the
    note is counted as it will be kept (trimmed), so 500 fits and 501 does not.
    """

    fits_changed = Signal(bool)

    def __init__(self, text: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noteCounter")
        self.setAccessibleName("Note length")
        self._text = text
        self.fits = True
        self.update_count()

    def update_count(self) -> None:
        used = len(self._text().strip())
        fits = used <= NOTE_MAX_CHARS
        self.setText(f"{used} of {NOTE_MAX_CHARS} characters")
        self.setStyleSheet(
            "QLabel#noteCounter { color: #a50e0e; font-weight: bold; }"
            if not fits
            else "QLabel#noteCounter { color: #5f6368; }"
        )
        if fits != self.fits:
            self.fits = fits
            self.fits_changed.emit(fits)


class NoteDialog(QDialog):
    """Edit an appointment's note (reason for visit), up to NOTE_MAX_CHARS characters."""

    def __init__(self, title: str, note: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Appointment note")
        self.editor = QPlainTextEdit(note or "")
        self.editor.setAccessibleName("Note")
        self.editor.setTabChangesFocus(True)
        self.count = NoteCounter(self.note)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        heading = QLabel(title)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.count)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.editor.textChanged.connect(self._count)
        self.setMinimumSize(420, 260)
        self._count()

    def _count(self) -> None:
        self.count.update_count()
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(self.count.fits)

    def note(self) -> str:
        return self.editor.toPlainText().strip()
