"""Lists the bookings a settings change would strand, with the doctor offered for each."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.wording import when_label
from montu_desktop.services.admin.changes import StrandedBooking


class ImpactDialog(QDialog):
    """'These bookings lose their doctor': go ahead (optionally moving them) or cancel."""

    def __init__(
        self, stranded: list[StrandedBooking], zone: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Bookings affected by this change")
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                f"{len(stranded)} future booking(s) would no longer fit their doctor's roster"
                " (or the types the doctor performs).\n"
                "Nothing is cancelled: they stay booked until moved."
            )
        )
        self.table = QTableWidget(len(stranded), 5)
        self.table.setHorizontalHeaderLabels(["When", "Type", "Patient", "Doctor", "Could move to"])
        for row, item in enumerate(stranded):
            when = when_label(to_local(item.start, zone), year=True)
            cells = [
                when,
                item.type_name,
                item.patient_name,
                item.doctor_name,
                item.offer_doctor_name or "nobody free",
            ]
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.setMinimumWidth(680)
        self.table.setMinimumHeight(300)
        layout.addWidget(self.table)
        offers = sum(1 for s in stranded if s.offer_doctor_id is not None)
        self.reassign = QCheckBox(f"Give the {offers} booking(s) with a free doctor to that doctor")
        self.reassign.setChecked(offers > 0)
        self.reassign.setEnabled(offers > 0)
        layout.addWidget(self.reassign)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton("Apply change", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def ask_with_dialog(parent: QWidget, zone: str):  # type: ignore[no-untyped-def]
    """A ConfirmImpact that shows the ImpactDialog modally."""

    def ask(stranded: list[StrandedBooking]) -> tuple[bool, bool]:
        dialog = ImpactDialog(stranded, zone, parent)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        return accepted, dialog.reassign.isChecked()

    return ask
