"""The day book shows each appointment at its time and length; the day sheet prints to PDF."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCommandLinkButton, QWidget
from pytestqt.qtbot import QtBot

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.op_changes import OpChanges
from montu_desktop.domain.wording import when_label
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.ui.day_book_view import AppointmentPanel
from montu_desktop.ui.day_sheet import save_day_sheet_pdf
from montu_desktop.ui.first_start import FirstStartDialog
from montu_desktop.ui.main_window import MainWindow
from tests.support.clock import FixedClock

TUESDAY = date(2026, 11, 24)
ZONE = "Australia/Melbourne"


def _show_day(qtbot: QtBot, window: MainWindow, day: date) -> None:
    window.load_day(day)
    qtbot.waitUntil(lambda: window.day.day == day, timeout=10_000)


def test_each_appointment_sits_at_its_time_and_spans_its_length(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    _show_day(qtbot, window, TUESDAY)
    book = day_book(demo_ctx, TUESDAY)
    model = window.day.model
    assert book.appointments, "the demo clinic should have bookings on Tuesday"
    doctors = [d.id for d in book.doctors]
    assert [model.headerData(i, Qt.Orientation.Horizontal) for i in range(len(doctors))] == [
        d.name for d in book.doctors
    ]
    for entry in book.appointments:
        index = model.index_of_entry(entry.id)
        assert index.isValid()
        assert model.times[index.row()] == to_local(entry.start, book.timezone).time()
        assert index.column() == doctors.index(entry.doctor_id)
        block = model.blocks[entry.id]
        assert block.rows == entry.minutes // book.slot_minutes
        covered = [model.cell(model.index(row, index.column())) for row in range(model.rowCount())]
        rows = [i for i, c in enumerate(covered) if c and c.entry and c.entry.id == entry.id]
        assert rows == list(range(block.first_row, block.first_row + block.rows))
        assert model.data(index) == entry.patient_name


def test_selecting_an_appointment_offers_the_allowed_actions(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext, clock: FixedClock
) -> None:
    _show_day(qtbot, window, TUESDAY)
    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    assert window.day.select_entry(entry.id)
    panel = window.day.details
    assert panel.fields["patient"].text() == entry.patient_name
    # Monday: Tuesday's appointment cannot be marked arrived or a no-show yet; the buttons say why.
    assert not panel.arrived_button.isEnabled() and not panel.completed_button.isEnabled()
    assert "appointment's day" in panel.arrived_button.toolTip()
    assert not panel.no_show_button.isEnabled() and not panel.undo_button.isEnabled()
    local = to_local(entry.start, ZONE)
    assert panel.no_show_button.toolTip() == (
        f"Not now: no-show can only be marked once the visit has started "
        f"({when_label(local, year=True)})."
    )
    assert panel.completed_button.toolTip() == (
        "Not now: an appointment that is booked cannot become completed."
    )
    panel.no_show_button.click()  # a disabled button does nothing
    assert panel.entry is not None and panel.entry.status is AppointmentStatus.BOOKED

    clock.now = entry.start - timedelta(minutes=10)  # Tuesday, just before it starts
    assert window.day.select_entry(entry.id)
    assert panel.arrived_button.isEnabled() and not panel.completed_button.isEnabled()
    qtbot.mouseClick(panel.arrived_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: panel.entry is not None and panel.entry.status is AppointmentStatus.ARRIVED,
        timeout=10_000,
    )
    assert panel.completed_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert panel.undo_button.isEnabled()
    assert window.notice.text().startswith(f"Marked arrived: {entry.patient_name} with Dr ")
    assert window.notice.text().endswith(f"{to_local(entry.start, ZONE):%H:%M}.")

    qtbot.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)  # a mistake: undo it
    qtbot.waitUntil(
        lambda: panel.entry is not None and panel.entry.status is AppointmentStatus.BOOKED,
        timeout=10_000,
    )
    assert window.notice.text().startswith(f"Undone, back to booked: {entry.patient_name}")
    assert panel.reschedule_button.isEnabled() and panel.cancel_button.isEnabled()
    assert window.day.details.entry is not None and window.day.details.entry.id == entry.id
    assert not panel.no_show_button.isEnabled()  # 10 minutes before: still not started

    clock.now = entry.start + timedelta(minutes=5)  # the visit has started: a no-show may be
    window.day.table.now_line.timer.timeout.emit()  # the half-minute tick, selection kept
    assert panel.no_show_button.isEnabled() and panel.no_show_button.toolTip() == ""
    qtbot.mouseClick(panel.no_show_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: panel.entry is not None and panel.entry.status is AppointmentStatus.NO_SHOW,
        timeout=10_000,
    )


def test_the_service_refuses_a_no_show_the_buttons_would_not_offer(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext, clock: FixedClock
) -> None:
    """A desk whose panel was shown earlier still meets the same rule, in the same words."""
    from montu_desktop.domain.errors import InvalidRequest
    from montu_desktop.services.booking import set_status

    _show_day(qtbot, window, TUESDAY)
    entry = day_book(demo_ctx, TUESDAY).appointments[0]
    assert window.day.select_entry(entry.id)
    refusal = window.day.details.no_show_button.toolTip()
    try:
        set_status(demo_ctx, entry.id, AppointmentStatus.NO_SHOW)
    except InvalidRequest as refused:
        assert refused.field == "status" and f"Not now: {refused.reason}." == refusal
    else:
        raise AssertionError("a no-show before the visit was accepted")


def test_day_sheet_pdf_has_a_page_per_doctor(
    qapp: object, demo_ctx: ServiceContext, tmp_path: Path
) -> None:
    book = day_book(demo_ctx, TUESDAY)
    all_doctors = save_day_sheet_pdf(book, tmp_path / "all.pdf").read_bytes()
    one = save_day_sheet_pdf(book, tmp_path / "one.pdf", book.doctors[0].id).read_bytes()
    assert all_doctors.startswith(b"%PDF") and one.startswith(b"%PDF")
    assert all_doctors.count(b"/Type /Page\n") + all_doctors.count(b"/Type /Page ") >= len(
        book.doctors
    )
    assert one.count(b"/Type /Page\n") + one.count(b"/Type /Page ") == 1


def test_first_start_on_an_empty_database_opens_the_demo_clinic(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    window = MainWindow(sqlite_ctx)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.first_start is not None, timeout=10_000)
    dialog = window.first_start
    assert isinstance(dialog, FirstStartDialog) and dialog.isVisible()
    demo = dialog.findChild(QCommandLinkButton, "choice:Open the demo clinic")
    with qtbot.waitSignal(window.refreshed, timeout=60_000):
        demo.setFocus()
        qtbot.keyClick(demo, Qt.Key.Key_Space)
    assert dialog.chosen == "Open the demo clinic"
    assert window.week.model.grid is not None and window.week.type_name


def test_a_refresh_keeps_the_day_book_on_its_day(qtbot: QtBot, window: MainWindow) -> None:
    """Another desk's booking repaints the week, but the day book stays where the person is."""
    qtbot.waitUntil(lambda: window.week.selected_cell() is not None, timeout=10_000)
    _show_day(qtbot, window, TUESDAY + timedelta(days=2))
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        window.operation_did_execute([OpChanges.of("appointments")])
    qtbot.wait(300)
    assert window.day.day == TUESDAY + timedelta(days=2)


def _red_pixels(label: QWidget) -> int:
    image = label.grab().toImage()
    return sum(
        1
        for x in range(image.width())
        for y in range(image.height())
        if (lambda c: c.red() > 120 and c.green() < 90 and c.blue() < 90)(image.pixelColor(x, y))
    )


def test_no_alerts_reads_as_a_plain_dash_and_only_real_alerts_are_red(
    qtbot: QtBot, demo_ctx: ServiceContext
) -> None:
    # Found in the trial: "Alerts: —" was drawn in the alarm red when there were none.
    panel = AppointmentPanel()
    qtbot.addWidget(panel)
    panel.show()
    entry = replace(day_book(demo_ctx, TUESDAY).appointments[0], patient_alerts=())
    panel.show_entry(entry, "Dr Lee", ZONE)
    alerts = panel.fields["alerts"]
    assert alerts.text() == "—"
    assert _red_pixels(alerts) == 0
    assert alerts.palette().color(alerts.foregroundRole()) == panel.fields["phone"].palette().color(
        panel.fields["phone"].foregroundRole()
    )  # the look of the other details, "—" or not
    panel.show_entry(replace(entry, patient_alerts=("allergy",)), "Dr Lee", ZONE)
    assert alerts.text() == "Allergy" and _red_pixels(alerts) > 0
    panel.show_entry(entry, "Dr Lee", ZONE)  # the next appointment has none again
    assert alerts.text() == "—" and _red_pixels(alerts) == 0
