"""One patient form: given name, family name, date of birth, phone and email, each over its own
red error line, for the booking dialog's new patient and the patient record's details."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.patients import PatientDetails, parse_birth_date, typed_patient_problems
from montu_desktop.ui.wording import format_phone

PATIENT_FIELDS = ("given_name", "family_name", "date_of_birth", "phone", "email")
"""The form's fields, in its order (the order typed_patient_problems says them in)."""
LABELS = {
    "given_name": "&Given name:",
    "family_name": "Fa&mily name:",
    "date_of_birth": "Date of b&irth:",
    "phone": "P&hone:",
    "email": "&Email:",
}
"""The labels and their Alt keys, as both windows show them."""


def error_row(
    form: QFormLayout, label: str, line: QLineEdit, field: str, beside: QWidget | None = None
) -> QLabel:
    """Add a row to `form`: `line` (and what goes beside it) over its own red error line,
    hidden until shown and hidden again once the field is edited; the label's Alt key goes
    to the line edit. Returns the error line."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    row = QHBoxLayout()
    row.addWidget(line, 1)
    if beside is not None:
        row.addWidget(beside)
    column.addLayout(row)
    error = QLabel()
    error.setObjectName(f"error_{field}")
    error.setWordWrap(True)
    error.setStyleSheet(f"QLabel#error_{field} {{ color: #a50e0e; }}")
    error.hide()
    column.addWidget(error)
    line.textEdited.connect(lambda _t: error.hide())
    buddy = QLabel(label)
    buddy.setBuddy(line)
    form.addRow(buddy, box)
    return error


def show_error(label: QLabel, problem: InvalidRequest) -> None:
    """Say the problem's reason on its field's error line, as a sentence."""
    label.setText(problem.reason[:1].upper() + problem.reason[1:])
    label.show()


class PatientForm(QWidget):
    """The five patient fields and their error lines; checks them with the one rule."""

    def __init__(
        self, labels: Mapping[str, str] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.given = QLineEdit()
        self.family = QLineEdit()
        self.birth = QLineEdit()
        self.birth.setPlaceholderText("DD/MM/YYYY")
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("0412 345 678")
        self.email = QLineEdit()
        lines = (self.given, self.family, self.birth, self.phone, self.email)
        self.lines: dict[str, QLineEdit] = dict(zip(PATIENT_FIELDS, lines, strict=True))
        self.form = QFormLayout(self)
        """The form's layout: a window may add its own rows below the five."""
        texts = {**LABELS, **(labels or {})}
        self.errors: dict[str, QLabel] = {
            field: error_row(self.form, texts[field], line, field)
            for field, line in self.lines.items()
        }
        """The red line under each field, shown when that field is wrong."""

    def typed(self) -> dict[str, str]:
        """The text of each field as typed."""
        return {field: line.text() for field, line in self.lines.items()}

    def details(self) -> PatientDetails:
        """The details as typed (raises InvalidRequest for a date of birth that is no date)."""
        return PatientDetails(
            given_name=self.given.text(),
            family_name=self.family.text(),
            date_of_birth=parse_birth_date(self.birth.text()),
            phone=self.phone.text().strip() or None,
            email=self.email.text().strip() or None,
        )

    def problems(self, today: date) -> list[InvalidRequest]:
        """Every wrong field, in the form's order (none: all good)."""
        return typed_patient_problems(self.typed(), today)

    def hide_problems(self) -> None:
        for error in self.errors.values():
            error.hide()

    def show_problems(
        self, problems: Iterable[InvalidRequest], *, focus: bool = True
    ) -> QLineEdit | None:
        """Show every problem of the form's fields beneath its field, all at once (others are
        left to the window), and put the cursor in the first; returns that field."""
        self.hide_problems()
        first: QLineEdit | None = None
        for problem in problems:
            error = self.errors.get(problem.field)
            if error is None:
                continue
            show_error(error, problem)
            if first is None:
                first = self.lines[problem.field]
        if first is not None and focus:
            first.setFocus()
            first.selectAll()
        return first

    def set_details(self, details: PatientDetails) -> None:
        """Show stored details (phone spaced, date of birth as DD/MM/YYYY), no problems."""
        self.hide_problems()
        self.given.setText(details.given_name)
        self.family.setText(details.family_name)
        born = details.date_of_birth
        self.birth.setText(f"{born:%d/%m/%Y}" if born else "")
        self.phone.setText(format_phone(details.phone) if details.phone else "")
        self.email.setText(details.email or "")

    def clear(self) -> None:
        self.hide_problems()
        for line in self.lines.values():
            line.clear()
