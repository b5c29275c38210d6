"""A message under each setting's field: refusals go next to the field they are about."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.services.clinic_settings import setting_spec
from montu_desktop.ui.errors import plain_words

ERROR_STYLE = "color: #b3261e;"
DONE_STYLE = "color: #1e7b34;"
HINT_STYLE = "color: #5f6368;"


def hint(text: str) -> QLabel:
    """A grey line of help under a field."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(HINT_STYLE)
    return label


class FieldNotes:
    """Red messages keyed by setting name (`smtp.host`), plus one for the dialog as a whole.

    Each field registers how to bring it into view (its tab, its template kind), so a refusal
    about a field on another tab is never missed.
    """

    def __init__(self, page: QLabel) -> None:
        self.page = page
        self._labels: dict[str, QLabel] = {}
        self._widgets: dict[str, QWidget] = {}
        self._reveal: dict[str, Callable[[], None]] = {}
        self._names: dict[str, str] = {}
        page.setWordWrap(True)
        page.hide()

    def add(
        self,
        form: QFormLayout,
        label: str,
        key: str,
        widget: QWidget,
        reveal: Callable[[], None],
        help_text: str = "",
        name: str = "",
    ) -> QWidget:
        """Add `widget` to `form` with a hint (the setting's declared help unless given) and
        its own message beneath it.

        `name` is how the dialog-wide message names the field (the form label by default).
        """
        help_text = help_text or _declared_help(key)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        if help_text:
            column.addWidget(hint(help_text))
        column.addWidget(self.message_label(key, widget, reveal, name or label))
        form.addRow(label, box)
        return box

    def message_label(
        self, key: str, widget: QWidget, reveal: Callable[[], None], name: str
    ) -> QLabel:
        """The message label for `key` (shown as `name`), for callers that place it themselves."""
        message = QLabel()
        message.setObjectName(f"error_{key}")
        message.setWordWrap(True)
        message.setStyleSheet(ERROR_STYLE)
        message.hide()
        self._labels[key] = message
        self._widgets[key] = widget
        self._reveal[key] = reveal
        self._names[key] = name
        return message

    def label(self, key: str) -> QLabel:
        return self._labels[key]

    def clear(self) -> None:
        for label in (*self._labels.values(), self.page):
            label.clear()
            label.hide()

    def show(self, error: BaseException) -> None:
        """Put the refusal next to its field (or at the top when no field matches)."""
        self.clear()
        if isinstance(error, InvalidRequest) and error.field in self._labels:
            self._reveal[error.field]()
            self._labels[error.field].setText(error.reason)
            self._labels[error.field].show()
            self._widgets[error.field].setFocus()
            name = self._names[error.field]
            self.say(f"Not saved. {name}: {error.reason}.", ERROR_STYLE)
            return
        self.say(plain_words(error), ERROR_STYLE)

    def say(self, text: str, style: str = DONE_STYLE) -> None:
        self.page.setStyleSheet(style)
        self.page.setText(text)
        self.page.show()


def _declared_help(key: str) -> str:
    try:
        return setting_spec(key).help
    except KeyError:  # a template, or a field that is not one setting
        return ""


def spin_box(key: str) -> QSpinBox:
    """A number field with the bounds the setting `key` declares."""
    spec = setting_spec(key)
    assert spec.low is not None and spec.high is not None
    box = QSpinBox()
    box.setRange(int(spec.low), int(spec.high))
    box.setMaximumWidth(120)
    return box


def choice_box(key: str) -> QComboBox:
    """A drop-down of the choices the setting `key` declares (the value is the item's data)."""
    box = QComboBox()
    for value, label in setting_spec(key).choices:
        box.addItem(label, value)
    return box


def text_field(key: str, placeholder: str = "") -> QLineEdit:
    """A text field limited to the length the setting `key` declares."""
    field = QLineEdit()
    spec = setting_spec(key)
    if spec.max_length is not None:
        field.setMaxLength(spec.max_length)
    if placeholder:
        field.setPlaceholderText(placeholder)
    return field
