"""Issue 28, defects 4, 6, 7, 11 and 13, with the real widgets: the week's date field and the
grid agree and the status line is never cut off; the welcome screen by keyboard; the day-book
details panel keeps its buttons still; a booked-out cell and the day sheet never stay silent;
held time and "not open yet" have their own looks (screenshots kept in MONTU_SHOTS or /tmp)."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QCommandLinkButton, QDateTimeEdit, QWidget
from pytestqt.qtbot import QtBot

from montu_desktop.domain.availability import Unavailable
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import week_start
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.domain.wording import day_label
from montu_desktop.services import booking, booking_view, patients
from montu_desktop.services.admin import clinic, holds
from montu_desktop.services.availability import week_availability
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.day_book import day_book
from montu_desktop.ui import desk_controller as desk_controller_module
from montu_desktop.ui import palette
from montu_desktop.ui.elided_label import ElidedLabel
from montu_desktop.ui.layout import CellKind
from montu_desktop.ui.main_window import MainWindow
from montu_desktop.ui.operations import wait_for_operations
from tests.gui.mnemonics import clashes, window_mnemonics
from tests.support.clock import FixedClock

SHOTS = Path(os.environ.get("MONTU_SHOTS", "/tmp"))
MONDAY = date(2026, 11, 23)
"""The demo clinic's first week (the `clock` fixture's Monday)."""
ZONE = "Australia/Melbourne"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _active(qtbot: QtBot, window: QWidget) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3_000)


def _key(qtbot: QtBot, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:  # type: ignore[no-untyped-def]
    """A key pressed wherever the keyboard focus is, as a person would."""
    focus = QApplication.focusWidget()
    assert focus is not None
    qtbot.keyClick(focus, key, modifier)


def _agree(window: MainWindow) -> bool:
    """The date field names a day of the week the grid shows."""
    picked = window.week.date_edit.date().toPython()
    return window.week.monday is not None and week_start(picked) == window.week.monday


# 4. The date field and the grid ---------------------------------------------------------------


def test_tab_reaches_the_grid_and_the_date_field_always_names_the_shown_week(
    qtbot: QtBot, window: MainWindow
) -> None:
    week = window.week
    _active(qtbot, window)
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        qtbot.mouseClick(week.next_button, Qt.MouseButton.LeftButton)
    assert week.monday == MONDAY + timedelta(weeks=1) and _agree(window)

    week.today_button.setFocus()
    _key(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is week.next_button
    _key(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is week.date_edit
    # Down in the date field (the report: the field read another week than the grid showed).
    week.date_edit.setCurrentSection(QDateTimeEdit.Section.DaySection)
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        _key(qtbot, Qt.Key.Key_Down)  # Mon 30 Nov → Sun 29 Nov: the grid moves to its week
    assert week.date_edit.date().toPython() == MONDAY + timedelta(days=6)
    assert week.monday == MONDAY and _agree(window)
    _key(qtbot, Qt.Key.Key_Tab)  # one Tab leaves the field (it used to walk its day, month, year)
    assert QApplication.focusWidget() is week.table

    # A week with no schedule is refused: the grid stays, the field goes back to its week,
    # and the status line says why in full, in the one date format.
    far = MONDAY + timedelta(weeks=150)
    week.date_edit.setDate(QDate(far))
    qtbot.waitUntil(
        lambda: "no clinic schedule" in window.statusBar().currentMessage(), timeout=10_000
    )
    qtbot.waitUntil(lambda: _agree(window), timeout=5_000)
    assert week.monday == MONDAY
    message = window.statusBar().currentMessage()
    assert day_label(week_start(far), year=True) in message and not ISO_DATE.search(message)
    assert message.endswith("beyond the booking horizon).")
    # A refresh afterwards reloads the week shown, not the refused one.
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        window.reload()
    assert week.monday == MONDAY and _agree(window)

    # Never cut off: the whole message fits, or it ends in "…" with the whole of it in the tooltip.
    line: ElidedLabel = window.statusBar().message  # type: ignore[attr-defined]
    window.resize(1366, 768)
    qtbot.wait(50)
    for said in (message, f"{message} {message} {message}"):
        window.statusBar().showMessage(said, 8000)
        qtbot.wait(20)
        shown = line.shown_text()
        if line.is_elided():
            assert shown.endswith("…") and line.toolTip() == said
            assert said.startswith(shown[:-1].rstrip())
        else:
            assert shown == said and not line.toolTip()
    assert line.is_elided()  # three times over does not fit beside the permanent labels


# 6. The welcome screen --------------------------------------------------------------------------


def _welcome(qtbot: QtBot, ctx: ServiceContext) -> MainWindow:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.first_start is not None, timeout=10_000)
    dialog = window.first_start
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=3_000)
    _active(qtbot, dialog)
    return window


def _screen_shot(window: MainWindow, dialog: QWidget, name: str) -> None:
    """The 1366×768 window with its dialog over it, as the person sees them."""
    shot = window.grab()
    over = dialog.grab()
    painter = QPainter(shot)
    painter.drawPixmap((shot.width() - over.width()) // 2, shot.height() // 4, over)
    painter.end()
    shot.save(str(SHOTS / name))


def test_the_welcome_screen_shows_the_focused_choice_and_enter_picks_it(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    window = _welcome(qtbot, sqlite_ctx)
    dialog = window.first_start
    assert dialog is not None
    setup = dialog.findChild(QCommandLinkButton, "choice:Set up my clinic")
    demo = dialog.findChild(QCommandLinkButton, "choice:Open the demo clinic")
    assert QApplication.focusWidget() is setup
    unfocused = demo.grab().toImage()
    _key(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is demo
    focused = demo.grab().toImage()
    # The focus is seen: the framed choice paints differently, its frame in the focus colour.
    assert focused != unfocused
    corner = focused.pixelColor(QPoint(focused.width() // 2, 1))
    assert corner.name() == "#0b57d0", corner.name()
    _screen_shot(window, dialog, "desk2-welcome.png")
    _key(qtbot, Qt.Key.Key_Up)
    assert QApplication.focusWidget() is setup
    _key(qtbot, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is demo
    with qtbot.waitSignal(window.refreshed, timeout=90_000):
        _key(qtbot, Qt.Key.Key_Return)  # the framed choice: the demo, not "Set up my clinic"
    assert dialog.chosen == "Open the demo clinic" and not dialog.isVisible()
    assert window.week.model.grid is not None


def test_escape_on_the_welcome_screen_asks_to_quit_and_leaves_a_way_back(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    window = _welcome(qtbot, sqlite_ctx)
    dialog = window.first_start
    assert dialog is not None
    _key(qtbot, Qt.Key.Key_Escape)
    assert dialog.isVisible() and dialog.pages.currentWidget() is dialog.quit_page
    assert QApplication.focusWidget() is dialog.back_button
    _screen_shot(window, dialog, "desk2-welcome-quit.png")
    found = window_mnemonics(dialog)
    assert not clashes(found) and {"b", "q"} <= set(found)
    _key(qtbot, Qt.Key.Key_Return)  # Back to the choices
    assert dialog.pages.currentWidget() is dialog.choices_page
    assert QApplication.focusWidget() is dialog.findChild(
        QCommandLinkButton, "choice:Set up my clinic"
    )
    _key(qtbot, Qt.Key.Key_Escape)
    _key(qtbot, Qt.Key.Key_Escape)  # Escape on the question goes back too
    assert dialog.isVisible() and dialog.pages.currentWidget() is dialog.choices_page
    dialog.close()  # the window's close button asks as well
    assert dialog.isVisible() and dialog.pages.currentWidget() is dialog.quit_page
    _key(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.quit_button
    with qtbot.waitSignal(dialog.quit_wanted, timeout=2_000):
        _key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=3_000)
    assert dialog.chosen is None and not dialog.isVisible()


# 7. The day book's details panel -----------------------------------------------------------------


def test_the_details_panel_keeps_its_width_and_buttons_whatever_it_shows(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    tuesday = MONDAY + timedelta(days=1)
    entries = day_book(demo_ctx, tuesday).appointments
    long_one = next(e for e in entries if e.status.value == "booked")
    booking.set_note(demo_ctx, long_one.id, "Needs a long talk about results; " * 14)
    window.resize(1366, 768)
    window.show_tab(window.day)
    window.load_day(tuesday)
    qtbot.waitUntil(lambda: window.day.day == tuesday, timeout=10_000)
    qtbot.waitUntil(lambda: window.day.select_entry(long_one.id), timeout=10_000)
    panel = window.day.details

    def places() -> tuple[int, list[tuple[int, int]]]:
        buttons = (panel.arrived_button, panel.reschedule_button, panel.patient_button)
        return panel.width(), [
            (b.mapTo(window, QPoint(0, 0)).x(), b.mapTo(window, QPoint(0, 0)).y()) for b in buttons
        ]

    qtbot.wait(50)
    with_long_note = places()
    note = panel.fields["note"]
    assert note.is_elided() and note.toolTip().startswith("Needs a long talk")
    window.grab().save(str(SHOTS / "desk2-day-book-details.png"))
    short = next(e for e in entries if e.id != long_one.id)
    for entry_id in (short.id, long_one.id):
        assert window.day.select_entry(entry_id)
        qtbot.wait(50)
        assert places() == with_long_note
    window.day.details.show_entry(None, "", "Australia/Melbourne")
    qtbot.wait(50)
    assert places() == with_long_note


# 11. Silent actions --------------------------------------------------------------------------------


def _book_out(ctx: ServiceContext, start: datetime, type_name: str = "Standard") -> None:
    """Every free doctor booked at `start` (the cell then reads Booked out)."""
    for index, doctor in enumerate(booking_view.free_doctors_at(ctx, type_name, start)):
        details = PatientDetails(f"Busy{index}", "Filler", phone="0412345678")
        patient_id = patients.add_patient(ctx, details, allow_duplicate=True).id
        book_appointment(ctx, BookingRequest(type_name, start, patient_id, doctor.id))


def _select_start(window: MainWindow, start: datetime) -> None:
    grid = window.week.model.grid
    assert grid is not None
    where = grid.position_of(start)
    assert where is not None
    window.week.select(*where)


def test_enter_on_a_booked_out_cell_offers_the_nearest_times_and_the_waitlist(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    grid = window.week.model.grid
    assert grid is not None
    column = 1  # Tuesday
    start = next(
        grid.cell(r, column).start
        for r in range(len(grid.times))
        if grid.cell(r, column).bookable and grid.cell(r, column).start is not None
    )
    assert start is not None
    _book_out(demo_ctx, start)
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        window.reload()
    _select_start(window, start)
    cell = window.week.selected_cell()
    assert cell is not None and cell.reason == Unavailable.ALL_BUSY.value

    _active(qtbot, window)
    window.week.table.setFocus()
    _key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.booked_out_dialog is not None, timeout=3_000)
    offer = window.booked_out_dialog
    assert offer is not None
    expected = booking_view.nearest_free_slots(demo_ctx, "Standard", start, count=6)
    qtbot.waitUntil(lambda: offer.times.count() == len(expected) > 0, timeout=10_000)
    assert [
        offer.times.item(i).data(Qt.ItemDataRole.UserRole) for i in range(offer.times.count())
    ] == expected
    assert "booked out" in offer.heading.text() and offer.book_button.isEnabled()
    assert not clashes(window_mnemonics(offer))
    offer.grab().save(str(SHOTS / "desk2-booked-out.png"))
    _active(qtbot, offer)
    assert QApplication.focusWidget() is offer.times
    _key(qtbot, Qt.Key.Key_Down)
    chosen = offer.chosen()
    _key(qtbot, Qt.Key.Key_Return)  # books the chosen free time
    qtbot.waitUntil(lambda: window.booking_dialog is not None, timeout=3_000)
    assert window.booking_dialog is not None and window.booking_dialog.start == chosen
    window.booking_dialog.reject()
    qtbot.waitUntil(lambda: not window.booking_dialog.isVisible(), timeout=3_000)  # type: ignore[union-attr]

    # The waitlist, set for that type, day and part of day.
    _select_start(window, start)
    window.week.book_selected()
    qtbot.waitUntil(lambda: window.booked_out_dialog is not offer, timeout=3_000)
    second = window.booked_out_dialog
    assert second is not None
    qtbot.mouseClick(second.waitlist_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.waitlist_dialog is not None, timeout=3_000)
    waiting = window.waitlist_dialog
    assert waiting is not None and waiting.type_box.currentData() == "Standard"
    assert waiting.from_on.isChecked() and waiting.until_on.isChecked()
    local = to_local(start, ZONE)
    assert waiting.from_day.date().toPython() == local.date()
    assert waiting.until_day.date().toPython() == local.date()
    assert waiting.part_box.currentData() == ("morning" if local.hour < 12 else "afternoon")
    assert waiting.focusWidget() is waiting.patient_search
    assert "booked out" in waiting.message.text()
    waiting.reject()


class _FilePrintDialog:
    """The print dialog as a person leaves it after choosing "Print to file" and a name."""

    DialogCode = QPrintDialog.DialogCode
    path = Path()

    def __init__(self, printer: QPrinter, _parent: QWidget) -> None:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(self.path))

    def exec(self) -> QPrintDialog.DialogCode:
        return QPrintDialog.DialogCode.Accepted


def test_print_to_file_and_save_as_pdf_say_where_the_sheet_went(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tuesday = MONDAY + timedelta(days=1)
    window.load_day(tuesday)
    qtbot.waitUntil(lambda: window.day.day == tuesday, timeout=10_000)
    printed = tmp_path / "printed sheet.pdf"
    _FilePrintDialog.path = printed
    monkeypatch.setattr(desk_controller_module, "QPrintDialog", _FilePrintDialog)
    window.print_day_sheet(None)
    assert printed.read_bytes().startswith(b"%PDF")
    said = f"Day sheet for {day_label(tuesday)} printed to the file {printed}"
    assert window.notice.text() == said and window.statusBar().currentMessage() == said

    saved = tmp_path / "saved sheet.pdf"
    monkeypatch.setattr(
        desk_controller_module.QFileDialog,
        "getSaveFileName",
        staticmethod(lambda *_a, **_k: (str(saved), "PDF files (*.pdf)")),
    )
    window.save_day_sheet(None)
    assert saved.read_bytes().startswith(b"%PDF")
    said = f"Day sheet for {day_label(tuesday)} saved as PDF: {saved}"
    assert window.notice.text() == said and window.statusBar().currentMessage() == said


# 13. Held time and "not open yet" ------------------------------------------------------------------


@pytest.fixture
def held_and_horizon(
    demo_ctx: ServiceContext, clock: FixedClock
) -> tuple[ServiceContext, datetime]:
    """The demo clinic on Wednesday 25 Nov with a booking horizon of one week (open for
    booking up to Tuesday 1 Dec), and on Mondays one doctor's slot held for urgent patients
    at a time when other doctors are free (returned: that slot on Monday 30 Nov)."""
    clock.now = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # Wed 25 Nov, 07:00 in Melbourne
    details = clinic.clinic_details(demo_ctx)
    assert details is not None
    clinic.save_clinic(demo_ctx, replace(details, horizon_weeks=1))
    monday = MONDAY + timedelta(weeks=1)
    week = week_availability(demo_ctx, "Standard", monday)
    slot = next(s for s in week.days[0].slots if s.free_doctors >= 2)
    doctor = booking_view.free_doctors_at(demo_ctx, "Standard", slot.starts_at)[0]
    wall = to_local(slot.starts_at, ZONE)
    ends = (wall + timedelta(minutes=15)).time()
    holds.add_hold(demo_ctx, doctor.id, 0, wall.time(), ends)
    return demo_ctx, slot.starts_at


def test_held_time_and_not_open_yet_have_their_own_looks_and_legend(
    qtbot: QtBot, held_and_horizon: tuple[ServiceContext, datetime]
) -> None:
    ctx, held_at = held_and_horizon
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        window.start()
    next_monday = MONDAY + timedelta(weeks=1)
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        window.load_week(next_monday, window.week.type_name)
    qtbot.waitUntil(lambda: window.week.monday == next_monday, timeout=10_000)
    model, table = window.week.model, window.week.table
    grid = model.grid
    assert grid is not None
    cells = [(r, c, grid.cell(r, c)) for r in range(len(grid.times)) for c in range(7)]
    held = [(r, c, x) for r, c, x in cells if x.kind is CellKind.AVAILABLE and x.held]
    not_open = [(r, c, x) for r, c, x in cells if x.kind is CellKind.NOT_OPEN]
    plain = [(r, c, x) for r, c, x in cells if x.kind is CellKind.AVAILABLE and not x.held]
    assert [x.start for _r, _c, x in held] == [held_at], "held while others are free"
    assert plain
    assert {grid.days[c] for _r, c, _x in not_open} == {
        next_monday + timedelta(days=d) for d in (2, 3, 4, 5)
    }  # Wednesday to Saturday: beyond the horizon (Sunday is closed)

    # The tooltip says it; the cell carries a corner mark; "not open yet" reads as such.
    row, column, cell = held[0]
    tip = model.data(model.index(row, column), Qt.ItemDataRole.ToolTipRole)
    assert f"{cell.free} of {cell.rostered}" in tip and "1 more held for urgent patients" in tip
    r2, c2, _ = not_open[0]
    assert model.data(model.index(r2, c2)) == "Not open yet"
    assert "Not open for booking yet" in model.data(
        model.index(r2, c2), Qt.ItemDataRole.ToolTipRole
    )
    window.week.select(*next((r, c) for r, c, _x in plain if c == 1))  # away from the marks
    table.scrollTo(model.index(row, column))
    qtbot.wait(100)
    shot = table.viewport().grab().toImage()

    def corner(r: int, c: int) -> QColor:
        rect = table.visualRect(model.index(r, c))
        return shot.pixelColor(rect.right() - 3, rect.top() + 2)

    assert corner(row, column) == palette.HELD_HATCH
    other = next((r, c) for r, c, _x in plain if c == column and r > row)
    assert corner(*other) != palette.HELD_HATCH
    window.grab().save(str(SHOTS / "desk2-week-held-not-open.png"))

    # The legend explains both, and every entry stays apart in greyscale.
    legend = {swatch.text(): swatch for swatch in window.week.legend}
    assert legend["Not open yet"].cell.kind is CellKind.NOT_OPEN
    assert legend["2 free, 1 held"].cell.held == 1
    grey = {
        text: swatch.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
        for text, swatch in legend.items()
    }

    def mean(image: QImage) -> float:
        return (
            sum(
                image.pixelColor(x, y).value()
                for x in range(2, image.width() - 2, 2)
                for y in range(2, image.height() - 2, 2)
            )
            / len(range(2, image.width() - 2, 2))
            / len(range(2, image.height() - 2, 2))
        )

    means = {text: mean(image) for text, image in grey.items()}
    assert means["Not open yet"] - means["Booked out"] > 80  # light against dark
    for a in ("Not open yet", "Past", "Closed", "No doctor"):
        for b in ("Not open yet", "Past", "Closed", "No doctor"):
            if a < b:
                assert abs(means[a] - means[b]) > 3 or _patterned(grey[a]) != _patterned(grey[b]), (
                    a,
                    b,
                )
    wait_for_operations()


def _patterned(image: QImage) -> bool:
    """Rows of the swatch's left edge differ (stripes or lines), away from its words."""
    values = {image.pixelColor(3, y).value() for y in range(2, image.height() - 2)}
    return len(values) > 1
