"""The one "already booked that day" question, asked by every desk door that books (the booking
dialog, the waitlist) before booking a patient who already has an appointment that day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtWidgets import QMessageBox, QWidget

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.wording import day_label
from montu_desktop.services.patients import PatientAppointment


def ask_same_day(
    parent: QWidget,
    name: str,
    day: date,
    found: list[PatientAppointment],
    timezone: str,
    answered: Callable[[bool], None],
) -> QMessageBox:
    """Open the question (window-modal); `answered(True)` when the desk books another anyway."""
    lines = "\n".join(
        f"  •  {to_local(a.start, timezone):%H:%M} {a.type_name} with {a.doctor_name}"
        for a in found
    )
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Already booked that day",
        f"{name} already has {'an appointment' if len(found) == 1 else 'appointments'} "
        f"on {day_label(day)}:\n{lines}\n\nBook another one that day?",
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    box.setObjectName("sameDayWarning")
    another = box.addButton("Book &another", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(box.addButton("&Don’t book", QMessageBox.ButtonRole.RejectRole))
    box.finished.connect(lambda _r: answered(box.clickedButton() is another))
    box.open()
    return box
