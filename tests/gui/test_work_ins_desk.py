"""Work-ins at the desk: offered on a booked-out time to whoever may make one, booked through
the booking dialog, and drawn as a narrower block beside the booking they join."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.domain.staff import Role
from montu_desktop.services import clinic_settings, patients
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.ui.day_book_delegate import block_span
from montu_desktop.ui.main_window import MainWindow
from tests.gui.mnemonics import clashes, window_mnemonics
from tests.gui.test_desk_round_three import SHOTS, _active, _book_out, _key, _select_start


def _first_bookable(window: MainWindow):  # type: ignore[no-untyped-def]
    grid = window.week.model.grid
    assert grid is not None
    return next(
        grid.cell(r, 1).start
        for r in range(len(grid.times))
        if grid.cell(r, 1).bookable and grid.cell(r, 1).start is not None
    )


def test_a_manager_works_a_patient_in_from_a_booked_out_time(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    start = _first_bookable(window)
    _book_out(demo_ctx, start)
    from datetime import timedelta

    day = to_local(start, "Australia/Melbourne").date()
    end = start + timedelta(minutes=15)  # a Standard appointment
    busy = {
        a.doctor_id for a in day_book(demo_ctx, day).appointments if a.start < end and start < a.end
    }
    patient = patients.add_patient(demo_ctx, PatientDetails("Wanda", "Workin", phone="0412000111"))
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        window.reload()
    _select_start(window, start)
    _active(qtbot, window)
    window.week.table.setFocus()
    _key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.booked_out_dialog is not None, timeout=3_000)
    offer = window.booked_out_dialog
    assert offer is not None
    qtbot.waitUntil(lambda: offer.work_in_button.isVisible(), timeout=10_000)
    assert not clashes(window_mnemonics(offer))
    qtbot.mouseClick(offer.work_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.booking_dialog is not None, timeout=3_000)
    dialog = window.booking_dialog
    assert dialog is not None and dialog.work_in and dialog.windowTitle() == "Work in a patient"
    qtbot.waitUntil(lambda: dialog.doctors_settled(), timeout=10_000)
    offered = {dialog.doctor_box.itemData(i) for i in range(dialog.doctor_box.count())}
    assert offered == busy and None not in offered  # only booked doctors, no fair choice
    assert not dialog.urgent.isVisible() and not clashes(window_mnemonics(dialog))
    dialog.search.setText("Workin")
    qtbot.waitUntil(lambda: dialog.search_settled() and dialog.results.count() == 1, timeout=10_000)
    dialog.try_book()  # no reason yet: refused beside the field, the cursor put there
    assert "Work-in reason" in dialog.message.text() and dialog.booked is None
    assert dialog.field_errors["reason"].isVisible()
    dialog.work_in_reason.setText("chest pain, must be seen today")
    dialog.grab().save(str(SHOTS / "work-in-dialog.png"))
    dialog.try_book()
    qtbot.waitUntil(lambda: dialog.booked is not None, timeout=10_000)
    booked = dialog.booked
    assert booked is not None and booked.patient_id == patient.id
    assert booked.work_in_reason == "chest pain, must be seen today" and booked.doctor_id in busy
    qtbot.waitUntil(lambda: "work-in" in window.notice.text(), timeout=10_000)


def test_a_receptionist_is_not_offered_a_work_in_unless_the_manager_allows(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    from montu_desktop.ui.booked_out import BookedOutDialog

    start = _first_bookable(window)
    demo_ctx.role = Role.RECEPTIONIST
    offer = BookedOutDialog(demo_ctx, "Standard", start, "Australia/Melbourne", None, window)
    qtbot.addWidget(offer)
    offer.show()
    qtbot.waitUntil(
        lambda: offer.status.text() != "Looking for the nearest free times…", timeout=10_000
    )
    assert not offer.work_in_button.isVisible()
    assert "work them in" not in offer.heading.text()  # no words for a button not there
    demo_ctx.role = None  # the manager turns it on
    clinic_settings.set_setting(demo_ctx, "work_ins.receptionists", "on")
    demo_ctx.role = Role.RECEPTIONIST
    again = BookedOutDialog(demo_ctx, "Standard", start, "Australia/Melbourne", None, window)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.work_in_button.isVisible(), timeout=10_000)
    assert again.heading.text().endswith("(or, if they must be seen then, work them in).")


def test_a_work_in_is_drawn_narrower_beside_its_booking_and_a_click_picks_either(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    day = window.day.day
    assert day is not None
    book = day_book(demo_ctx, day)
    first = next(e for e in book.appointments if e.minutes >= 15)
    squeezed = patients.add_patient(demo_ctx, PatientDetails("Sam", "Squeezed"))
    work_in = book_appointment(
        demo_ctx,
        BookingRequest(
            first.type_name, first.start, squeezed.id, first.doctor_id, work_in_reason="urgent"
        ),
    )
    qtbot.waitUntil(lambda: window.day.model.blocks.get(work_in.id) is not None, timeout=10_000)
    window.tabs.setCurrentWidget(window.day)
    window.resize(1366, 768)
    model, table = window.day.model, window.day.table
    ordinary, narrow = model.blocks[first.id], model.blocks[work_in.id]
    assert narrow.share < ordinary.share and narrow.offset > ordinary.offset
    index = model.index_of_entry(first.id)
    cell = model.cell(index)
    assert cell is not None and cell.entry is not None
    assert {cell.entry.id, *(e.id for e, _b in cell.beside)} == {first.id, work_in.id}
    assert "work-in: urgent" in model.data(index, Qt.ItemDataRole.AccessibleTextRole)
    table.scrollTo(index)
    rect = table.visualRect(index)
    left, width = block_span(rect, narrow)
    qtbot.mouseClick(
        table.viewport(),
        Qt.MouseButton.LeftButton,
        pos=QPoint(left + width // 2, rect.center().y()),
    )
    assert "a work-in: urgent" in window.day.details.fields["type"].text()
    assert window.day.details.fields["patient"].text() == "Sam Squeezed"
    left, width = block_span(rect, ordinary)
    qtbot.mouseClick(
        table.viewport(),
        Qt.MouseButton.LeftButton,
        pos=QPoint(left + width // 2, rect.center().y()),
    )
    assert window.day.details.fields["patient"].text() == first.patient_name
    window.grab().save(str(SHOTS / "work-in-day-book.png"))
