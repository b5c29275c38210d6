"""The Message templates page: the words of each kind of message, with the allowed placeholders."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.notifications.model import Kind
from montu_desktop.notifications.templates import DEFAULTS, PLACEHOLDERS, template_key
from montu_desktop.ui.notifications.fields import FieldNotes, hint

KIND_WORDS = {
    Kind.CONFIRMATION: "Booking confirmation",
    Kind.REMINDER: "Reminder",
    Kind.CANCELLATION: "Cancellation notice",
    Kind.CHANGE: "Change of time notice",
    Kind.RECALL: "Recall reminder",
    Kind.LATE_CANCEL: "Too late to cancel by SMS",
}


def _editor(lines: int) -> QPlainTextEdit:
    editor = QPlainTextEdit()
    editor.setTabChangesFocus(True)
    editor.setFixedHeight(editor.fontMetrics().lineSpacing() * lines + 14)
    return editor


class _KindEditors(QWidget):
    """Subject, email text and SMS text of one kind of message."""

    def __init__(self, kind: Kind, notes: FieldNotes, reveal: Callable[[], None]) -> None:
        super().__init__()
        self.subject = QLineEdit()
        self.email = _editor(10)
        self.sms = _editor(3)
        self.editors: dict[str, QLineEdit | QPlainTextEdit] = {
            template_key(kind, "subject"): self.subject,
            template_key(kind, "email"): self.email,
            template_key(kind, "sms"): self.sms,
        }
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        words = KIND_WORDS[kind]
        for label, part, editor in (
            ("Email subject", "subject", self.subject),
            ("Email text", "email", self.email),
        ):
            key = template_key(kind, part)
            notes.add(form, label, key, editor, reveal, name=f"{words}, {label.lower()}")
        notes.add(
            form,
            "SMS text",
            template_key(kind, "sms"),
            self.sms,
            reveal,
            "Keep it short: one SMS holds about 160 characters.",
            name=f"{words}, SMS text",
        )


def placeholder_list() -> QLabel:
    rows = "".join(
        f"<tr><td><code>{{{escape(name)}}}</code></td><td>{escape(meaning)}</td></tr>"
        for name, meaning in PLACEHOLDERS.items()
    )
    label = QLabel(f"<table cellspacing='4'>{rows}</table>")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class TemplatesPage(QWidget):
    """One set of editors per kind, chosen from a list; placeholders shown alongside."""

    def __init__(self, notes: FieldNotes, show_page: Callable[[QWidget], None]) -> None:
        super().__init__()
        self.kind = QComboBox()
        self.stack = QStackedWidget()
        self.kinds: dict[Kind, _KindEditors] = {}
        for index, kind in enumerate(Kind):
            self.kind.addItem(KIND_WORDS[kind], kind.value)
            editors = _KindEditors(kind, notes, self._revealer(show_page, index))
            self.kinds[kind] = editors
            self.stack.addWidget(editors)
        self.kind.currentIndexChanged.connect(self.stack.setCurrentIndex)
        restore = QPushButton("Restore the standard wording")
        restore.clicked.connect(self.restore_defaults)
        top = QHBoxLayout()
        top.addWidget(QLabel("Message"))
        top.addWidget(self.kind, 1)
        top.addWidget(restore)
        left = QVBoxLayout()
        left.addLayout(top)
        left.addWidget(self.stack)
        left.addWidget(
            hint(
                "Messages say when and where only: the appointment type, the doctor and "
                "anything clinical are never offered. Times are clinic-local."
            )
        )
        left.addStretch(1)
        places = QGroupBox("Placeholders you can use")
        box = QVBoxLayout(places)
        box.addWidget(placeholder_list())
        box.addStretch(1)
        places.setMaximumWidth(330)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(places)

    def _revealer(self, show_page: Callable[[QWidget], None], index: int) -> Callable[[], None]:
        def reveal() -> None:
            show_page(self)
            self.kind.setCurrentIndex(index)

        return reveal

    def _all(self) -> dict[str, QLineEdit | QPlainTextEdit]:
        return {k: e for editors in self.kinds.values() for k, e in editors.editors.items()}

    def restore_defaults(self) -> None:
        """Put the standard wording back into the shown kind's editors (saved with Save)."""
        editors = self.kinds[Kind(self.kind.currentData())]
        for key, editor in editors.editors.items():
            _set_text(editor, DEFAULTS[key])

    def load(self, values: dict[str, str]) -> None:
        for key, editor in self._all().items():
            _set_text(editor, values[key])

    def values(self) -> dict[str, str]:
        return {key: _text(editor) for key, editor in self._all().items()}


def _set_text(editor: QLineEdit | QPlainTextEdit, text: str) -> None:
    if isinstance(editor, QLineEdit):
        editor.setText(text)
    else:
        editor.setPlainText(text)


def _text(editor: QLineEdit | QPlainTextEdit) -> str:
    return editor.text() if isinstance(editor, QLineEdit) else editor.toPlainText()
