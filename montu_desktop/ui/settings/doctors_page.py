"""The Doctors page: add, rename, take off the books, remove (their bookings listed first)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QLineEdit,
    QWidget,
)

from montu_desktop.domain.errors import MontuError
from montu_desktop.domain.model import Doctor
from montu_desktop.services.admin import doctors
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.operations import run_and_wait
from montu_desktop.ui.settings.form import ConfirmImpact, ListEditor, apply_change


class DoctorsPage(QWidget):
    def __init__(self, ctx: ServiceContext, confirm_impact: ConfirmImpact) -> None:
        super().__init__()
        self._ctx = ctx
        self._confirm = confirm_impact
        self._doctors: list[Doctor] = []
        editor = ListEditor(self, self._show)
        self.list, self.message, self.messages = editor.list, editor.message, editor.messages
        right = editor.right
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Dr Amelia Nguyen")
        self.messages.add_row(editor.form, "Name", "name", self.name)
        self.add_button, self.rename_button, self.active_button, self.remove_button = (
            editor.add_buttons(
                ("Add doctor", self.add),
                ("Rename", self.rename),
                ("Take off the books", self.toggle_active),
                ("Remove…", self.remove),
            )
        )
        right.addStretch(1)
        self.messages.clear()
        self.load()

    def load(self) -> None:
        self._doctors = run_and_wait(self, lambda: doctors.list_doctors(self._ctx))
        self.list.clear()
        for doctor in self._doctors:
            self.list.addItem(doctor.name + ("" if doctor.active else " (not taking bookings)"))
        for button in (self.rename_button, self.active_button, self.remove_button):
            button.setEnabled(bool(self._doctors))

    def _show(self, row: int) -> None:
        if 0 <= row < len(self._doctors):
            doctor = self._doctors[row]
            self.name.setText(doctor.name)
            self.active_button.setText(
                "Take off the books" if doctor.active else "Put back on the books"
            )

    def selected(self) -> Doctor | None:
        row = self.list.currentRow()
        return self._doctors[row] if 0 <= row < len(self._doctors) else None

    def add(self) -> int | None:
        try:
            name = self.name.text()
            doctor_id = run_and_wait(self, lambda: doctors.add_doctor(self._ctx, name))
        except MontuError as error:
            self.messages.show(error)
            return None
        self.messages.done("Doctor added. Give them a roster on the Rosters page.")
        self.load()
        return doctor_id

    def rename(self) -> bool:
        doctor = self.selected()
        if doctor is None:
            return False
        try:
            name = self.name.text()
            run_and_wait(self, lambda: doctors.rename_doctor(self._ctx, doctor.id, name))
        except MontuError as error:
            self.messages.show(error)
            return False
        self.messages.done("Renamed.")
        self.load()
        return True

    def toggle_active(self) -> bool:
        doctor = self.selected()
        if doctor is None:
            return False
        done = apply_change(
            self.messages,
            lambda confirm, reassign: doctors.set_doctor_active(
                self._ctx, doctor.id, not doctor.active, confirm=confirm, reassign=reassign
            ),
            self._confirm,
        )
        self.load()
        return done is not None

    def remove(self) -> bool:
        doctor = self.selected()
        if doctor is None:
            return False
        done = apply_change(
            self.messages,
            lambda confirm, reassign: doctors.remove_doctor(
                self._ctx, doctor.id, confirm=confirm, reassign=reassign
            ),
            self._confirm,
        )
        self.load()
        return done is not None
