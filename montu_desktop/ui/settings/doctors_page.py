"""The Doctors page: add, rename, take off the books, remove (their bookings listed first),
the appointment types each performs, and time held for urgent patients."""

from __future__ import annotations

from datetime import time

from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QWidget,
)

from montu_desktop.domain.errors import InvalidRequest, MontuError
from montu_desktop.domain.model import Doctor
from montu_desktop.services.admin import doctor_types, doctors, holds
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.operations import run_and_wait
from montu_desktop.ui.settings.form import ConfirmImpact, ListEditor, apply_change, choose_again
from montu_desktop.ui.time_field import TimeField

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _as_time(value: QTime) -> time:
    return time(value.hour(), value.minute())


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
        right.addWidget(QLabel("Appointment types this doctor performs"))
        self.types = QListWidget()
        self.types.setObjectName("doctor_types")
        self.types.setMaximumHeight(120)
        right.addWidget(self.types)
        self.types_button = QPushButton("Save types")
        self.types_button.clicked.connect(self.save_types)
        right.addWidget(self.types_button)
        right.addWidget(
            QLabel("Held for urgent patients (released to everyone shortly before they start)")
        )
        self.holds = QListWidget()
        self.holds.setMaximumHeight(90)
        right.addWidget(self.holds)
        hold_row = QHBoxLayout()
        self.hold_day = QComboBox()
        self.hold_day.addItems(WEEKDAYS)
        self.hold_from, self.hold_to = TimeField(QTime(14, 0)), TimeField(QTime(14, 30))
        self.hold_add = QPushButton("Hold")
        self.hold_add.clicked.connect(self.add_hold)
        self.hold_remove = QPushButton("Release")
        self.hold_remove.clicked.connect(self.remove_hold)
        for widget in (
            self.hold_day,
            self.hold_from,
            QLabel("to"),
            self.hold_to,
            self.hold_add,
            self.hold_remove,
        ):
            hold_row.addWidget(widget)
        hold_row.addStretch(1)
        right.addLayout(hold_row)
        right.addStretch(1)
        self.messages.clear()
        self.load()

    def load(self, select: int | None = None) -> None:
        """List the doctors again, keeping the chosen one (or choosing `select`) chosen.

        Otherwise the panel beside the list would still show the last doctor's types and held
        time while no doctor is chosen, and ticks saved there would go nowhere.
        """
        chosen = self.selected()
        keep = select if select is not None else (chosen.id if chosen else None)
        self._doctors = run_and_wait(self, lambda: doctors.list_doctors(self._ctx))
        self.list.clear()
        for doctor in self._doctors:
            self.list.addItem(doctor.name + ("" if doctor.active else " (not taking bookings)"))
        for button in (self.rename_button, self.active_button, self.remove_button):
            button.setEnabled(bool(self._doctors))
        if not choose_again(self.list, [d.id for d in self._doctors], keep):
            self.name.clear()  # a removed doctor's name would read as a new doctor not added

    def _show(self, row: int) -> None:
        if 0 <= row < len(self._doctors):
            doctor = self._doctors[row]
            self.name.setText(doctor.name)
            self.active_button.setText(
                "Take off the books" if doctor.active else "Put back on the books"
            )
            self._show_types(doctor.id)
            self._show_holds(doctor.id)
        else:
            self.types.clear()
            self.holds.clear()

    def _show_types(self, doctor_id: int) -> None:
        found = run_and_wait(self, lambda: doctor_types.doctor_types(self._ctx, doctor_id))
        self.types.clear()
        performs = {k.id for k in found.performs}
        for kind in sorted([*found.performs, *found.skips], key=lambda k: k.name):
            item = QListWidgetItem(f"{kind.name} ({kind.length_minutes} min)")
            item.setData(Qt.ItemDataRole.UserRole, kind.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if kind.id in performs else Qt.CheckState.Unchecked
            )
            self.types.addItem(item)

    def checked_types(self) -> list[str]:
        return [
            self.types.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.types.count())
            if self.types.item(i).checkState() == Qt.CheckState.Checked
        ]

    def save_types(self) -> bool:
        """Keep the ticked types; bookings of a type taken away are listed before anything changes."""
        doctor = self.chosen()
        if doctor is None:
            return False
        names = self.checked_types()
        done = apply_change(
            self.messages,
            lambda confirm, reassign: doctor_types.set_doctor_types(
                self._ctx, doctor.id, names, confirm=confirm, reassign=reassign
            ),
            self._confirm,
        )
        self._show_types(doctor.id)
        return done is not None

    def _show_holds(self, doctor_id: int) -> None:
        self.holds.clear()
        for rule in run_and_wait(self, lambda: holds.list_holds(self._ctx)):
            if rule.doctor_id == doctor_id:
                item = QListWidgetItem(
                    f"{WEEKDAYS[rule.weekday]} {rule.starts:%H:%M}–{rule.ends:%H:%M}"
                )
                item.setData(Qt.ItemDataRole.UserRole, rule.id)
                self.holds.addItem(item)

    def add_hold(self) -> bool:
        doctor = self.chosen()
        if doctor is None:
            return False
        starts, ends = (_as_time(e.time()) for e in (self.hold_from, self.hold_to))
        try:
            holds.add_hold(self._ctx, doctor.id, self.hold_day.currentIndex(), starts, ends)
        except MontuError as error:
            self.messages.show(error)
            return False
        self.messages.done("Time held for urgent patients.")
        self._show_holds(doctor.id)
        return True

    def remove_hold(self) -> bool:
        doctor, item = self.chosen(), self.holds.currentItem()
        if doctor is None:
            return False
        if item is None:
            self.messages.show(InvalidRequest("held time", "choose one in the list first"))
            return False
        try:
            holds.remove_hold(self._ctx, item.data(Qt.ItemDataRole.UserRole))
        except MontuError as error:
            self.messages.show(error)
            return False
        self.messages.done("Held time released.")
        self._show_holds(doctor.id)
        return True

    def unsaved(self) -> bool:
        """Whether the name differs from the chosen doctor's, or is a new doctor's not added."""
        doctor = self.selected()
        typed = self.name.text().strip()
        return typed != doctor.name if doctor is not None else bool(typed)

    def unsaved_name(self) -> str:
        doctor = self.selected()
        if doctor is None:
            return f"the new doctor {self.name.text().strip()}"
        return f"{doctor.name}'s new name"

    def selected(self) -> Doctor | None:
        row = self.list.currentRow()
        return self._doctors[row] if 0 <= row < len(self._doctors) else None

    def chosen(self) -> Doctor | None:
        """The selected doctor, or None after saying that one must be chosen first."""
        doctor = self.selected()
        if doctor is None:
            self.messages.show(InvalidRequest("doctor", "choose one in the list first"))
        return doctor

    def add(self) -> int | None:
        try:
            name = self.name.text()
            doctor_id = run_and_wait(self, lambda: doctors.add_doctor(self._ctx, name))
        except MontuError as error:
            self.messages.show(error)
            return None
        self.messages.done("Doctor added. Give them a roster on the Rosters page.")
        self.load(select=doctor_id)
        return doctor_id

    def rename(self) -> bool:
        doctor = self.chosen()
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
        doctor = self.chosen()
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
        doctor = self.chosen()
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
