"""Date pickers limited to the domain's date window (clinic_time.FIRST_DAY..LAST_DAY)."""

from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit

from montu_desktop.domain.clinic_time import FIRST_DAY, LAST_DAY


def in_window(edit: QDateEdit) -> QDateEdit:
    """`edit`, unable to pick a day the services would refuse (Qt allows 1752 to 9999)."""
    edit.setDateRange(QDate(FIRST_DAY), QDate(LAST_DAY))
    return edit
