"""Online bookings to check, at the desk: the count on the main window while any wait, the
list with each booking's look-alike records, Merge into… and Keep as new."""

from __future__ import annotations

from datetime import UTC, date, datetime

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services import online, patients
from montu_desktop.services.availability import week_availability
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import appointment_types
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.operations import wait_for_operations

ZOE = PatientDetails("Zoë", "Ngô", date(1990, 1, 2), "0412 345 678")


def _free_starts(ctx: ServiceContext, count: int):  # type: ignore[no-untyped-def]
    kind = next(k for k in appointment_types(ctx) if k.active)
    today = ctx.clock().date()
    found = []
    for week in range(1, 3):
        days = week_availability(ctx, kind.name, date.fromordinal(today.toordinal() + 7 * week))
        found += [s.start for d in days.days for s in d.slots if s.free_doctors > 0]
    return kind.name, [datetime.fromtimestamp(s, UTC) for s in found[:count]]


def test_the_count_the_list_merge_and_keep(qtbot: QtBot, window: MainWindow, demo_ctx) -> None:
    ctx = demo_ctx
    known = patients.add_patient(ctx, ZOE, allow_duplicate=True)
    key = online.create_api_key(ctx, "site", "availability,book")[0]
    type_name, starts = _free_starts(ctx, 2)
    online.set_bookable_online(ctx, type_name, True)
    online.book_online(
        ctx,
        key,
        type_name,
        starts[0],
        PatientDetails("Mallory", "Ngô", ZOE.date_of_birth, ZOE.phone),
    )
    online.book_online(
        ctx,
        key,
        type_name,
        starts[1],
        PatientDetails("Zoe", "Ngo", ZOE.date_of_birth, "0499 000 111"),
    )
    counter = window.online_checks.count
    qtbot.waitUntil(lambda: counter.count == 2, timeout=10_000)
    assert "Online bookings to check: 2" in counter.text()

    dialog = window.online_checks.open()
    qtbot.waitUntil(lambda: len(dialog.items) == 2, timeout=10_000)
    mallory, zoe = (i.patient.id for i in dialog.items)
    assert all(known.id in [x.id for x in i.look_alikes] for i in dialog.items)
    dialog.select(mallory)
    assert dialog.keep_button.isEnabled() and not dialog.merge_button.isEnabled()
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.keep_button.click()
    assert [i.patient.id for i in dialog.items] == [zoe]

    dialog.select(zoe, known.id)
    assert dialog.merge_button.isEnabled()
    dialog.merge_button.click()
    question = dialog.question
    assert isinstance(question, QMessageBox) and question.isVisible()
    merge = next(b for b in question.buttons() if b.text() == "&Merge")
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        merge.click()
    assert dialog.items == []
    assert patients.get_patient(ctx, zoe).merged_into == known.id
    qtbot.waitUntil(lambda: counter.count == 0, timeout=10_000)
    assert counter.text() == ""
    dialog.close()
    wait_for_operations()
