"""Small words (issue 28, 15): one date format, "1 minute", appointment types by use."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from pytestqt.qtbot import QtBot

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import NoSchedule
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services import availability, catalogue, patients, reference, waitlist
from montu_desktop.services.admin import staff
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.desk_lock import DeskLock
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.series_preview import SeriesBox
from montu_desktop.ui.waitlist_dialog import WaitlistDialog
from tests.gui.test_patient_record import ZONE, _booking_dialog

DAY = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [1-9]\d? (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
)
"""'Tue 1 Dec': the day's short name, no leading zero, the month's short name."""


def test_types_are_offered_most_booked_first(qtbot: QtBot, window: MainWindow) -> None:
    def names(box) -> list[str]:  # type: ignore[no-untyped-def]
        return [box.itemData(i) for i in range(box.count())]

    by_use = [k.name for k in catalogue.types_by_use(window.ctx)]
    assert by_use[:2] == ["Standard", "Long"]  # the demo books Standard most, then Long
    assert sorted(by_use) != by_use  # no longer alphabetical (Extended came first)
    assert names(window.week.type_box) == by_use
    assert window.week.type_name == "Standard"
    booking = _booking_dialog(window)
    assert names(booking.type_box) == by_use
    booking.reject()
    waiting = WaitlistDialog(window.ctx, window.types, reference.doctors(window.ctx), ZONE)
    qtbot.addWidget(waiting)
    assert names(waiting.type_box) == by_use


def test_the_idle_lock_says_1_minute(qtbot: QtBot, window: MainWindow, demo_ctx) -> None:  # type: ignore[no-untyped-def]
    staff.create_first_manager(demo_ctx, "maria", "Maria Rossi", "correct horse")
    boss = staff.sign_in(demo_ctx, "maria", "correct horse")
    lock = DeskLock(
        window, demo_ctx, boss, idle_minutes=0, menu=window.clinic_menu, on_member=window.signed_in
    )
    said: list[str] = []
    lock.lock = said.append  # type: ignore[method-assign]
    for minutes in (1, 2, 0.5):
        lock.idle_minutes = minutes
        lock._idle()
    assert said[0].startswith("The desk was locked after 1 minute without use.")
    assert said[1].startswith("The desk was locked after 2 minutes without use.")
    assert said[2].startswith("The desk was locked after 0.5 minutes without use.")


def test_one_date_format_in_the_waitlist_series_and_schedule_messages(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    zelda = patients.add_patient(demo_ctx, PatientDetails("Zelda", "Quimby"))
    waitlist.add_to_waitlist(
        demo_ctx,
        zelda.id,
        "Standard",
        from_day=to_local(demo_ctx.clock(), ZONE).date() + timedelta(days=3),
    )
    dialog = WaitlistDialog(demo_ctx, window.types, reference.doctors(demo_ctx), ZONE)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=5_000)
    added = dialog.table.item(0, 0).text()
    assert DAY.match(added) and re.search(r" \d\d:\d\d$", added), added
    dates = next(
        dialog.table.item(0, c).text()
        for c in range(dialog.table.columnCount())
        if " – " in (dialog.table.item(0, c).text() if dialog.table.item(0, c) else "")
    )
    assert DAY.match(dates), dates

    start = demo_ctx.clock() + timedelta(days=16)
    local = to_local(start, ZONE)
    shown = SeriesBox(ZONE)._when(start)
    assert shown == f"{local:%a} {local.day} {local:%b} {local.year}, {local:%H:%M}"

    far = to_local(demo_ctx.clock(), ZONE).date() + timedelta(weeks=300)
    with pytest.raises(NoSchedule) as refused:
        availability.week_availability(demo_ctx, "Standard", far)
    monday = far - timedelta(days=far.weekday())
    assert f"the week of {monday:%a} {monday.day} {monday:%b} {monday.year} has" in str(
        refused.value
    )
    assert monday.isoformat() not in str(refused.value)
