"""The Appointment types page: name, length (whole slots), colour, offered or not."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QLineEdit,
    QListWidgetItem,
    QSpinBox,
    QWidget,
)

from montu_desktop.domain.errors import MontuError
from montu_desktop.domain.model import AppointmentType
from montu_desktop.domain.settings_rules import TYPE_MINUTES
from montu_desktop.services.admin import types
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.operations import run_and_wait
from montu_desktop.ui.settings.colour_picker import PALETTE, ColourPicker, shown_colour
from montu_desktop.ui.settings.form import ConfirmImpact, ListEditor, apply_change, choose_again


class TypesPage(QWidget):
    """Add and edit types; a type in use is deactivated rather than deleted."""

    def __init__(self, ctx: ServiceContext, confirm_impact: ConfirmImpact) -> None:
        super().__init__()
        self._ctx = ctx
        self._confirm = confirm_impact
        self._types: list[AppointmentType] = []
        editor = ListEditor(self, self._show)
        self.list, self.message, self.messages = editor.list, editor.message, editor.messages
        right, form = editor.right, editor.form
        self.name = QLineEdit()
        self.length = QSpinBox()
        self.length.setRange(*TYPE_MINUTES)
        self.length.setSingleStep(5)
        self.length.setValue(15)
        self.length.setSuffix(" min")
        self.colour = ColourPicker()
        self.active = QCheckBox("Offered for booking")
        self.active.setChecked(True)
        self.messages.add_row(form, "Name", "name", self.name)
        self.messages.add_row(form, "Length", "length", self.length)
        self.messages.add_row(form, "Colour", "colour", self.colour)
        form.addRow("", self.active)
        self.add_button, self.save_button, self.delete_button = editor.add_buttons(
            ("Add as new type", self.add),
            ("Save changes", self.save),
            ("Delete", self.delete),
        )
        right.addStretch(1)
        self.messages.clear()
        self.load()

    def load(self, select: int | None = None) -> None:
        """List the types again, keeping the chosen one (or choosing `select`) chosen.

        With the choice lost, a second "Save changes" on the same form added a new type
        (save adds when nothing is chosen) instead of editing the one just saved.
        """
        chosen = self._selected()
        keep = select if select is not None else (chosen.id if chosen else None)
        self._types = run_and_wait(self, lambda: types.list_types(self._ctx))
        self.list.clear()
        for kind in self._types:
            swatch = QPixmap(12, 12)
            swatch.fill(QColor(kind.colour))
            label = f"{kind.name} ({kind.length_minutes} min)" + (
                "" if kind.active else " — not offered"
            )
            item = QListWidgetItem(label)
            item.setIcon(swatch)
            self.list.addItem(item)
        has = bool(self._types)
        self.save_button.setEnabled(has)
        self.delete_button.setEnabled(has)
        if not choose_again(self.list, [k.id for k in self._types], keep):
            # A deleted type left on the form came back as a new one on "Save changes".
            self._clear_form()

    def _clear_form(self) -> None:
        self.list.setCurrentRow(-1)
        self.name.clear()
        self.length.setValue(15)
        self.colour.setText(PALETTE[0][1])
        self.active.setChecked(True)

    def _show(self, row: int) -> None:
        if 0 <= row < len(self._types):
            kind = self._types[row]
            self.name.setText(kind.name)
            self.length.setValue(kind.length_minutes)
            self.colour.setText(kind.colour)
            self.active.setChecked(kind.active)

    def unsaved(self) -> bool:
        """Whether the form differs from the chosen type, or holds a new type's name."""
        kind = self._selected()
        if kind is None:
            return bool(self.name.text().strip())
        shown = (
            self.name.text().strip(),
            self.length.value(),
            self.colour.text(),
            self.active.isChecked(),
        )
        return shown != (kind.name, kind.length_minutes, shown_colour(kind.colour), kind.active)

    def unsaved_name(self) -> str:
        kind = self._selected()
        if kind is None:
            return f"the new type {self.name.text().strip()}"
        return f"changes to the type {kind.name}"

    def _selected(self) -> AppointmentType | None:
        row = self.list.currentRow()
        return self._types[row] if 0 <= row < len(self._types) else None

    def add(self) -> bool:
        try:
            typed = (self.name.text(), self.length.value(), self.colour.text())
            added = run_and_wait(self, lambda: types.add_type(self._ctx, *typed))
        except MontuError as error:
            self.messages.show(error)
            return False
        self.messages.done("Type added.")
        self.load(select=added)
        return True

    def save(self) -> bool:
        kind = self._selected()
        if kind is None:
            return self.add()
        name, length, colour, active = (
            self.name.text(),
            self.length.value(),
            self.colour.text(),
            self.active.isChecked(),
        )
        done = apply_change(
            self.messages,
            lambda confirm, reassign: types.edit_type(
                self._ctx, kind.id, name, length, colour, active, confirm=confirm, reassign=reassign
            ),
            self._confirm,
        )
        self.load()
        return done is not None

    def delete(self) -> bool:
        kind = self._selected()
        if kind is None:
            return False
        try:
            run_and_wait(self, lambda: types.delete_type(self._ctx, kind.id))
        except MontuError as error:
            self.messages.show(error)
            return False
        self.messages.done(f"{kind.name} deleted.")
        self.load()
        return True
