"""Date pickers limited to the domain's date window (clinic_time.FIRST_DAY..LAST_DAY), and a
date field that one Tab leaves."""

from __future__ import annotations

from PySide6.QtCore import QDate, QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDateEdit, QWidget

from montu_desktop.domain.clinic_time import FIRST_DAY, LAST_DAY


def in_window(edit: QDateEdit) -> QDateEdit:
    """`edit`, unable to pick a day the services would refuse (Qt allows 1752 to 9999)."""
    edit.setDateRange(QDate(FIRST_DAY), QDate(LAST_DAY))
    return edit


class DateField(QDateEdit):
    """A day field that Tab leaves (a plain QDateEdit spends Tab on its own day, month and
    year, so the next arrow key changed the month instead of moving on); typed dates count
    when Enter is pressed or the field is left, arrow keys at once."""

    def __init__(self, day: QDate | None = None, parent: QWidget | None = None) -> None:
        super().__init__(day or QDate.currentDate(), parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("ddd d MMM yyyy")
        self.setKeyboardTracking(False)

    def event(self, event: QEvent) -> bool:
        # Qt's date edit takes Tab in event() (not through a virtual call we could replace).
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            key, mods = event.key(), event.modifiers()
            if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and not (
                mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
            ):
                self.interpretText()  # a typed date counts before the focus moves on
                forward = key == Qt.Key.Key_Tab and not mods & Qt.KeyboardModifier.ShiftModifier
                QWidget.focusNextPrevChild(self, forward)
                return True
        return super().event(event)
