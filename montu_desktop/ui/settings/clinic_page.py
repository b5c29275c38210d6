"""The Clinic page: details, weekly opening hours, and closures (holidays and one-off days)."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import WeeklyHours
from montu_desktop.domain.regions import STATE_ZONES, state_from_address
from montu_desktop.domain.settings_rules import (
    HORIZON_WEEKS,
    MIN_NOTICE_MINUTES,
    SLOT_SIZES,
    WEEKDAY_NAMES,
    ClinicDetails,
)
from montu_desktop.domain.wording import day_label, national_phone
from montu_desktop.services.admin import clinic
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.date_range import in_window
from montu_desktop.ui.operations import run_and_wait
from montu_desktop.ui.settings.form import ConfirmImpact, FieldMessages, apply_change
from montu_desktop.ui.time_field import TimeField

ZONES = (
    "Australia/Melbourne",
    "Australia/Sydney",
    "Australia/Brisbane",
    "Australia/Adelaide",
    "Australia/Perth",
    "Australia/Hobart",
    "Australia/Darwin",
)
STATES = ("VIC", "NSW", "QLD", "SA", "WA", "TAS", "NT", "ACT")


class ClinicPage(QWidget):
    """Edit the clinic; a change of hours or a new closure previews stranded bookings."""

    def __init__(self, ctx: ServiceContext, confirm_impact: ConfirmImpact) -> None:
        super().__init__()
        self._ctx = ctx
        self._confirm = confirm_impact
        layout = QHBoxLayout(self)
        left = QVBoxLayout()
        layout.addLayout(left, 3)
        self.message = QLabel()
        self.messages = FieldMessages(self.message)
        left.addWidget(self.message)

        details = QGroupBox("Clinic")
        form = QFormLayout(details)
        self.name = QLineEdit()
        self.address = QLineEdit()
        self.phone = QLineEdit()
        self.timezone = QComboBox()
        self.timezone.setEditable(True)
        self.timezone.addItems(ZONES)
        self.state = QComboBox()
        self.state.addItems(STATES)
        self.slot = QComboBox()
        self.slot.addItems([f"{s} min" for s in SLOT_SIZES])
        usual = ClinicDetails(name="")
        self.slot.setCurrentIndex(SLOT_SIZES.index(usual.slot_minutes))
        self.horizon = QSpinBox()
        self.horizon.setRange(*HORIZON_WEEKS)
        self.horizon.setValue(usual.horizon_weeks)
        self.horizon.setSuffix(" weeks")
        self.notice = QSpinBox()
        self.notice.setRange(*MIN_NOTICE_MINUTES)
        self.notice.setSingleStep(15)
        self.notice.setSuffix(" min")
        # The state is asked before the time zone and follows the address: it sets both the
        # public holidays and the time zone (which stays editable for the rare exception).
        self.address.editingFinished.connect(self._state_from_address)
        self.state.currentTextChanged.connect(self._zone_from_state)
        for label, field, widget in (
            ("Name", "name", self.name),
            ("Address", "address", self.address),
            ("Phone", "phone", self.phone),
            ("State (public holidays)", "subdivision", self.state),
            ("Time zone", "timezone", self.timezone),
            ("Slot size", "slot_minutes", self.slot),
            ("Booking horizon", "horizon_weeks", self.horizon),
            ("Minimum notice", "min_notice_minutes", self.notice),
        ):
            self.messages.add_row(form, label, field, widget)
        left.addWidget(details)

        hours_box = QGroupBox("Opening hours")
        grid = QGridLayout(hours_box)
        self.open_on: list[QCheckBox] = []
        self.opens: list[QTimeEdit] = []
        self.closes: list[QTimeEdit] = []
        for weekday, day_name in enumerate(WEEKDAY_NAMES):
            check = QCheckBox(day_name)
            opens, closes = TimeField(QTime(8, 0)), TimeField(QTime(18, 0))
            grid.addWidget(check, weekday * 2, 0)
            grid.addWidget(opens, weekday * 2, 1)
            grid.addWidget(QLabel("to"), weekday * 2, 2)
            grid.addWidget(closes, weekday * 2, 3)
            message = QLabel()
            self.messages._labels[f"hours.{day_name.lower()}"] = message
            message.setStyleSheet("color: #b3261e;")
            message.hide()
            grid.addWidget(message, weekday * 2 + 1, 1, 1, 3)
            self.open_on.append(check)
            self.opens.append(opens)
            self.closes.append(closes)
        left.addWidget(hours_box)
        self.save_button = QPushButton("Save clinic and hours")
        self.save_button.clicked.connect(self.save)
        left.addWidget(self.save_button)
        left.addStretch(1)

        closures_box = QGroupBox("Closures (next 12 months)")
        right = QVBoxLayout(closures_box)
        self.closures = QListWidget()
        # Long holiday names wrap instead of being cut off; the full line is also the tooltip.
        self.closures.setWordWrap(True)
        self.closures.setTextElideMode(Qt.TextElideMode.ElideNone)
        right.addWidget(self.closures)
        self.open_button = QPushButton("Open on the selected day")
        self.open_button.clicked.connect(self.open_selected)
        right.addWidget(self.open_button)
        add_row = QFormLayout()
        self.close_on = in_window(QDateEdit())
        self.close_on.setCalendarPopup(True)
        self.close_on.setDisplayFormat("ddd d MMM yyyy")
        self.close_reason = QLineEdit()
        self.close_reason.setPlaceholderText("e.g. Staff training")
        self.messages.add_row(add_row, "Day", "day", self.close_on)
        self.messages.add_row(add_row, "Reason", "reason", self.close_reason)
        right.addLayout(add_row)
        self.close_button = QPushButton("Close the clinic that day")
        self.close_button.clicked.connect(self.close_selected_day)
        right.addWidget(self.close_button)
        layout.addWidget(closures_box, 2)
        self.messages.clear()
        self.load()

    def _state_from_address(self) -> None:
        state = state_from_address(self.address.text())
        if state is not None and state != self.state.currentText():
            self.state.setCurrentText(state)

    def _zone_from_state(self, state: str) -> None:
        zone = STATE_ZONES.get(state)
        if zone is not None:
            self.timezone.setCurrentText(zone)

    def _today(self) -> date:
        zone = self.timezone.currentText() or ZONES[0]
        return to_local(self._ctx.clock(), zone).date()

    def _fetch(self) -> tuple[ClinicDetails | None, list[WeeklyHours]]:
        found = clinic.clinic_details(self._ctx)
        return found, (clinic.opening_hours(self._ctx) if found is not None else [])

    def load(self) -> None:
        found, opening = run_and_wait(self, self._fetch)
        if found is not None:
            self.name.setText(found.name)
            self.address.setText(found.address)
            self.phone.setText(national_phone(found.phone) if found.phone else "")
            self.state.setCurrentText(found.subdivision)
            self.timezone.setCurrentText(found.timezone)  # after the state: it may differ
            self.slot.setCurrentIndex(SLOT_SIZES.index(found.slot_minutes))
            self.horizon.setValue(found.horizon_weeks)
            self.notice.setValue(found.min_notice_minutes)
            hours = {h.weekday: h for h in opening}
            for weekday in range(7):
                entry = hours.get(weekday)
                self.open_on[weekday].setChecked(entry is not None)
                if entry is not None:
                    self.opens[weekday].setTime(QTime(entry.opens.hour, entry.opens.minute))
                    self.closes[weekday].setTime(QTime(entry.closes.hour, entry.closes.minute))
        else:
            for weekday in range(5):
                self.open_on[weekday].setChecked(True)
        today = self._today()
        self.close_on.setDate(QDate(today.year, today.month, today.day))
        self._load_closures(found is not None)
        self._saved_form = self._form()

    def _form(self) -> tuple[ClinicDetails, list[WeeklyHours]]:
        return self.details(), self.hours()

    def unsaved(self) -> bool:
        """Whether the details or hours shown differ from those last loaded or saved."""
        return self._form() != self._saved_form

    def _load_closures(self, exists: bool) -> None:
        self.closures.clear()
        if not exists:
            return
        today = self._today()
        until = today + timedelta(days=365)
        for entry in run_and_wait(self, lambda: clinic.closures(self._ctx, today, until)):
            state = "closed" if entry.closed else "KEPT OPEN"
            item = QListWidgetItem(f"{day_label(entry.day, year=True)}  {entry.reason} — {state}")
            kind = "Public holiday" if entry.public_holiday else "One-off closure"
            item.setToolTip(f"{item.text()}\n{kind}")
            item.setData(256, entry.day.isoformat())
            self.closures.addItem(item)

    def details(self) -> ClinicDetails:
        return ClinicDetails(
            name=self.name.text(),
            address=self.address.text(),
            phone=self.phone.text(),
            timezone=self.timezone.currentText().strip(),
            subdivision=self.state.currentText(),
            slot_minutes=SLOT_SIZES[self.slot.currentIndex()],
            horizon_weeks=self.horizon.value(),
            min_notice_minutes=self.notice.value(),
        )

    def hours(self) -> list[WeeklyHours]:
        return [
            WeeklyHours(
                weekday,
                self.opens[weekday].time().toPython(),
                self.closes[weekday].time().toPython(),
            )
            for weekday in range(7)
            if self.open_on[weekday].isChecked()
        ]

    def save(self) -> bool:
        details, hours = self.details(), self.hours()
        first = apply_change(
            self.messages,
            lambda confirm, reassign: clinic.save_clinic(
                self._ctx, details, confirm=confirm, reassign=reassign
            ),
            self._confirm,
        )
        if first is None:
            return False
        second = apply_change(
            self.messages,
            lambda confirm, reassign: clinic.set_opening_hours(
                self._ctx, hours, confirm=confirm, reassign=reassign
            ),
            self._confirm,
        )
        self._load_closures(True)
        if second is not None:
            self._saved_form = self._form()
        return second is not None

    def close_selected_day(self) -> bool:
        day = self.close_on.date().toPython()
        reason = self.close_reason.text()
        done = apply_change(
            self.messages,
            lambda confirm, reassign: clinic.close_day(
                self._ctx, day, reason, confirm=confirm, reassign=reassign
            ),
            self._confirm,
        )
        self._load_closures(True)
        return done is not None

    def open_selected(self) -> bool:
        item = self.closures.currentItem()
        if item is None:
            self.messages.show(InvalidRequest("day", "choose a day in the closures list first"))
            return False
        day = date.fromisoformat(item.data(256))
        done = apply_change(
            self.messages,
            lambda confirm, reassign: clinic.open_day(
                self._ctx, day, confirm=confirm, reassign=reassign
            ),
            self._confirm,
        )
        self._load_closures(True)
        return done is not None
