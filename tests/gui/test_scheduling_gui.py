"""Settings → Doctors edits the types each doctor performs and the time held for urgent patients."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, QTime
from pytestqt.qtbot import QtBot

from montu_desktop.services.admin import doctor_types, holds
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from tests.gui.test_settings_dialogs import Answer, dialog
from tests.integration.test_admin_settings import TUESDAY, at, patient, set_up_clinic

SHOTS = Path(os.environ.get("MONTU_SHOTS", "/tmp"))


def test_doctors_page_edits_types_previewing_bookings_of_a_type_taken_away(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    ada, ben = set_up_clinic(sqlite_ctx)
    booked = book_appointment(
        sqlite_ctx, BookingRequest("Long", at(TUESDAY, 10), patient(sqlite_ctx), ada)
    )
    answer = Answer(go_ahead=True, reassign=True)
    window = dialog(qtbot, sqlite_ctx, answer)
    window.resize(1000, 640)
    window.show()
    page = window.doctors_page
    window.tabs.setCurrentWidget(page)
    page.list.setCurrentRow([d.id for d in page._doctors].index(ada))
    assert page.checked_types() == ["Long", "Standard"]  # default: all
    long_item = next(
        page.types.item(i) for i in range(page.types.count()) if "Long" in page.types.item(i).text()
    )
    long_item.setCheckState(Qt.CheckState.Unchecked)
    assert page.save_types()
    assert [s.appointment_id for s in answer.shown[0]] == [booked.id]  # shown before the change
    assert [k.name for k in doctor_types.doctor_types(sqlite_ctx, ada).performs] == ["Standard"]
    assert page.checked_types() == ["Standard"]

    page.hold_day.setCurrentIndex(1)
    page.hold_from.setTime(QTime(14, 0))
    page.hold_to.setTime(QTime(14, 30))
    assert page.add_hold()
    assert [(h.doctor_id, h.weekday) for h in holds.list_holds(sqlite_ctx)] == [(ada, 1)]
    assert page.holds.count() == 1
    page.hold_from.setTime(QTime(14, 10))
    assert not page.add_hold()  # off the 15-minute grid: refused, nothing added
    assert len(holds.list_holds(sqlite_ctx)) == 1
    window.grab().save(str(SHOTS / "w15-doctors-types.png"))
    page.holds.setCurrentRow(0)
    assert page.remove_hold() and holds.list_holds(sqlite_ctx) == []
    assert ben not in [h.doctor_id for h in holds.list_holds(sqlite_ctx)]


def test_doctors_page_keeps_the_doctor_chosen_after_a_change(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    # Found in the trial: after Rename (or Add doctor) the list lost its selection while the
    # panel still showed the last doctor's types, and Save types then did nothing, silently.
    ada, _ = set_up_clinic(sqlite_ctx)
    window = dialog(qtbot, sqlite_ctx, Answer())
    window.show()
    page = window.doctors_page
    window.tabs.setCurrentWidget(page)
    page.list.setCurrentRow([d.id for d in page._doctors].index(ada))
    page.name.setText("Dr Ada King")
    assert page.rename()
    assert page.selected() is not None and page.selected().id == ada
    assert page.name.text() == "Dr Ada King"
    page.types.item(0).setCheckState(Qt.CheckState.Unchecked)  # "Long"
    assert page.save_types()
    assert [k.name for k in doctor_types.doctor_types(sqlite_ctx, ada).performs] == ["Standard"]

    page.name.setText("Dr Cleo Park")
    cleo = page.add()
    assert cleo is not None and page.selected() is not None and page.selected().id == cleo
    assert page.types.count() == 2  # Cleo's types, ready to tick

    page.list.setCurrentRow(-1)
    assert page.types.count() == 0 and page.holds.count() == 0
    assert not page.save_types()
    assert page.message.text() == "Doctor: choose one in the list first."
