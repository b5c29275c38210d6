"""The desk books a series for a new patient in one transaction: refused, it adds no one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from pytestqt.qtbot import QtBot

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import find_patients
from montu_desktop.services.reference import appointment_types
from montu_desktop.ui.booking_dialog import BookingDialog
from montu_desktop.ui.operations import wait_for_operations
from tests.support.clinic import appointment_count, at, new_patients, tiny_clinic

ZONE = "Australia/Melbourne"


@pytest.fixture(autouse=True)
def _operations_finish(qtbot: QtBot) -> Iterator[None]:
    """Background reads still running must end before the test's database is closed."""
    yield
    wait_for_operations()
    qtbot.wait(10)


def test_a_new_patients_series_refused_at_book_leaves_no_patient_behind(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    tiny_clinic(sqlite_ctx, doctors=1)
    (other,) = new_patients(sqlite_ctx, 1)
    today = to_local(sqlite_ctx.clock(), ZONE).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    dialog = BookingDialog(sqlite_ctx, appointment_types(sqlite_ctx), "Long", at(tuesday, 10), ZONE)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.new_patient_box.setChecked(True)
    qtbot.keyClicks(dialog.given, "Zoe")
    qtbot.keyClicks(dialog.family, "Newcomer")
    box = dialog.series_box
    box.repeat_box.setCurrentIndex(box.repeat_box.findData("weekly"))
    box.count.setValue(3)
    qtbot.waitUntil(lambda: dialog.waiting_for() is None, timeout=5000)
    dialog.preview_series()
    qtbot.waitUntil(lambda: box.table.rowCount() == 3, timeout=5000)
    assert all(o.free for o in box.occurrences)

    # Another desk takes the third visit's time after the preview: the series is refused.
    book_appointment(
        sqlite_ctx, BookingRequest("Long", at(tuesday + timedelta(weeks=2), 10), other)
    )
    dialog.try_book()
    qtbot.waitUntil(lambda: dialog.book_button.isEnabled(), timeout=5000)
    assert "clashes" in dialog.message.text()
    assert dialog.booked is None and dialog.new_patient_id is None
    assert find_patients(sqlite_ctx, "newcomer") == []  # the patient was not kept either
    assert appointment_count(sqlite_ctx) == 1
