"""Small helpers every settings page shares: a red message under each field, and saving."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.errors import InvalidRequest, MontuError
from montu_desktop.ui.errors import plain_words
from montu_desktop.ui.operations import run_and_wait

if TYPE_CHECKING:  # the sign-in window uses this module; it need not load the admin services
    from montu_desktop.services.admin.changes import ChangeOutcome, StrandedBooking

ConfirmImpact = Callable[[list["StrandedBooking"]], tuple[bool, bool]]
"""Shown the bookings a change strands; answers (go ahead, give them to the offered doctors)."""

ConfirmDiscard = Callable[[str], bool]
"""Asked before edits not saved ("Dr Ada's roster") are thrown away: True to throw them away."""


def ask_discard(parent: QWidget) -> ConfirmDiscard:
    """The question as a small window: Keep editing (the default) or throw the changes away."""

    def ask(what: str) -> bool:
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Changes not saved")
        box.setText(f"Not saved yet: {what}. Throw these changes away?")
        keep = box.addButton("Keep editing", QMessageBox.ButtonRole.RejectRole)
        box.addButton("Throw them away", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(keep)
        box.exec()
        return box.clickedButton() is not keep

    return ask


class ListEditor:
    """The shape of the list pages: a list on the left; message, form and buttons on the right."""

    def __init__(self, page: QWidget, on_row: Callable[[int], None]) -> None:
        layout = QHBoxLayout(page)
        self.list = QListWidget()
        self.list.currentRowChanged.connect(on_row)
        layout.addWidget(self.list, 1)
        self.right = QVBoxLayout()
        layout.addLayout(self.right, 2)
        self.message = QLabel()
        self.messages = FieldMessages(self.message)
        self.right.addWidget(self.message)
        self.form = QFormLayout()

    def add_buttons(self, *buttons: tuple[str, Callable[[], object]]) -> list[QPushButton]:
        """Place the form, then a row of buttons (label, what it does) under it."""
        self.right.addLayout(self.form)
        row = QHBoxLayout()
        made = []
        for text, action in buttons:
            button = QPushButton(text)
            button.clicked.connect(action)
            row.addWidget(button)
            made.append(button)
        self.right.addLayout(row)
        return made


class FieldMessages:
    """A red message label under each named field, plus one for the page as a whole."""

    def __init__(self, page_message: QLabel) -> None:
        self._labels: dict[str, QLabel] = {}
        self._fields: dict[str, QWidget] = {}
        self.page = page_message
        _style(page_message)
        # The page's message keeps its line even when empty, so "Saved." does not push the
        # form down (and a refusal does not make it jump).
        page_message.setMinimumHeight(page_message.fontMetrics().height() + 4)
        page_message.show()

    def add_row(self, form: QFormLayout, label: str, field: str, widget: QWidget) -> QWidget:
        """Add `widget` to `form` with its own message label beneath it."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        message = QLabel()
        _style(message)
        message.setObjectName(f"error_{field}")
        column.addWidget(message)
        self._labels[field] = message
        self._fields[field] = widget
        form.addRow(label, box)
        return box

    def label(self, field: str) -> QLabel:
        return self._labels[field]

    def clear(self) -> None:
        for label in self._labels.values():
            label.clear()
            label.hide()
        self.page.clear()

    def show(self, error: BaseException) -> None:
        """Put the refusal next to its field (or at the top when no field matches)."""
        self.clear()
        if isinstance(error, InvalidRequest):
            key = error.field if error.field in self._labels else error.field.split(".")[0]
            target = self._labels.get(key)
            if target is not None:
                target.setText(error.reason)
                target.show()
                field = self._fields.get(key)
                if field is not None:
                    field.setFocus()  # the cursor goes where the correction is typed
                return
        self.page.setStyleSheet("color: #b3261e;")  # after done() it was green
        self.page.setText(plain_words(error))
        self.page.show()

    def done(self, text: str) -> None:
        self.clear()
        self.page.setStyleSheet("color: #1e7b34;")
        self.page.setText(text)
        self.page.show()


def _style(label: QLabel) -> None:
    label.setStyleSheet("color: #b3261e;")
    label.setWordWrap(True)
    label.hide()


def apply_change(
    messages: FieldMessages,
    change: Callable[[bool, bool], ChangeOutcome],
    confirm_impact: ConfirmImpact,
) -> ChangeOutcome | None:
    """Preview a change; if it strands bookings, ask; then apply it. None when refused or cancelled."""
    try:
        preview = run_and_wait(messages.page, lambda: change(False, False))
        reassign = False
        if preview.stranded:
            go_ahead, reassign = confirm_impact(preview.stranded)
            if not go_ahead:
                messages.clear()
                return None
        outcome = run_and_wait(messages.page, lambda: change(True, reassign))
    except MontuError as error:
        messages.show(error)
        return None
    left = len(outcome.stranded)
    moved = len(outcome.moved)
    note = "Saved."
    if moved:
        note += f" {moved} booking(s) given to another doctor."
    if left:
        note += f" {left} booking(s) still need moving in the day book."
    messages.done(note)
    return outcome


def choose_again(listing: QListWidget, ids: list[int], keep: int | None) -> bool:
    """After a list was filled again, choose the row of `keep` (the id chosen before, or the
    one just added); False when it is not there any more, or nothing was chosen."""
    if keep in ids:
        listing.setCurrentRow(ids.index(keep))
        return True
    return False
