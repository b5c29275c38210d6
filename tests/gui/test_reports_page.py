"""The Reports page in Clinic settings: the attendance figures of the chosen days, the bars
painted per doctor, a bad range said on the page, and Export CSV as a private file."""

from __future__ import annotations

import csv
import stat
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.staff import Role
from montu_desktop.services import exports
from montu_desktop.services.booking import (
    BookingRequest,
    book_appointment,
    cancel_appointment,
    set_status,
)
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.settings.reports_page import NO_SHOW, ROW_HEIGHT
from montu_desktop.ui.settings.settings_dialog import SettingsDialog
from tests.support.clinic import at, new_patients, tiny_clinic
from tests.support.clock import FixedClock


def _qdate(day) -> QDate:  # type: ignore[no-untyped-def]
    return QDate(day.year, day.month, day.day)


def test_the_reports_page_shows_paints_and_exports(
    qtbot: QtBot, sqlite_ctx: ServiceContext, clock: FixedClock, tmp_path: Path
) -> None:
    ctx = sqlite_ctx
    a, b = tiny_clinic(ctx, doctors=2)
    tuesday = to_local(clock(), "Australia/Melbourne").date() + timedelta(days=1)
    p = new_patients(ctx, 4)
    kept = book_appointment(ctx, BookingRequest("Long", at(tuesday, 9), p[0], a)).id
    missed = book_appointment(ctx, BookingRequest("Standard", at(tuesday, 10), p[1], a)).id
    gone = book_appointment(ctx, BookingRequest("Standard", at(tuesday, 9), p[2], b)).id
    cancel_appointment(ctx, gone, "Patient unwell")
    book_appointment(ctx, BookingRequest("Procedure", at(tuesday, 10), p[3], b))
    before, clock.now = clock.now, at(tuesday, 10, 5)  # a no-show once the visit has started
    set_status(ctx, missed, AppointmentStatus.NO_SHOW)
    clock.now = before
    assert kept

    window = SettingsDialog(ctx, Role.MANAGER)
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    page = window.reports_page
    window.tabs.setCurrentWidget(page)
    page.first.setDate(_qdate(tuesday))
    page.last.setDate(_qdate(tuesday))
    page.load()

    cells = [
        [page.table.item(r, c).text() for c in range(page.table.columnCount())]
        for r in range(page.table.rowCount())
    ]
    assert cells[1] == ["Dr A", "2", "0", "1", "0", "0", "0", "2", "0", "45 min", "3 h", "25%"]
    assert cells[2] == ["Dr B", "1", "0", "0", "0", "1", "0", "1", "0", "1 h", "3 h", "33%"]
    assert cells[-1] == ["Total", "3", "0", "1", "0", "1", "0", "3", "0", "1 h 45 min", "6 h", "29%"]  # fmt: skip
    assert [r[0] for r in cells] == [
        "By doctor", "Dr A", "Dr B", "By type", "Long", "Procedure", "Standard", "Total",
    ]  # fmt: skip
    assert page.reasons.text() == "Cancelled, by reason: Patient unwell 1"
    image = page.bars.grab().toImage()
    row_middle = 8 + 4 + 8  # the first bar (Dr A), halfway down
    reds = sum(
        1 for x in range(image.width()) if image.pixelColor(x, row_middle).name() == NO_SHOW.name()
    )
    assert reds > 0  # Dr A's no-show is painted in its colour
    page.grab().save(str(tmp_path / "reports_page.png"))

    saved = page.export(str(tmp_path / "attendance.csv"))
    assert saved == tmp_path / "attendance.csv"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    with open(saved, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [*exports.ATTENDANCE_COLUMNS, "cancelled: Patient unwell"]
    assert rows[-1][:4] == ["total", "", "", "3"]
    assert page.message.text() == "Saved to attendance.csv."

    assert page.export(str(tmp_path / "nowhere" / "a.csv")) is None
    assert "does not exist" in page.message.text()
    page.first.setDate(_qdate(tuesday + timedelta(days=1)))
    page.load()  # the last day is now before the first: said on the page, figures kept
    assert "before" in page.message.text()
    assert page.table.item(1, 0).text() == "Dr A"


def _ink_runs(image: QImage, y_range: range) -> list[tuple[int, int]]:
    """The dark (text) columns of a band of rows, as runs split where 30 px hold no ink."""
    dark = [
        x
        for x in range(image.width())
        if any(max(image.pixelColor(x, y).getRgb()[:3]) < 110 for y in y_range)
    ]
    runs: list[tuple[int, int]] = []
    for x in dark:
        if runs and x - runs[-1][1] <= 30:
            runs[-1] = (runs[-1][0], x)
        else:
            runs.append((x, x))
    return runs


def test_each_doctors_figures_are_read_whole_at_1366_by_768(
    qtbot: QtBot, demo_ctx: ServiceContext, clock: FixedClock, tmp_path: Path
) -> None:
    # Found in the trial: the line beside each bar was cut at the right edge, no "…"
    # ("64% of rostered t"): the space kept for it was measured without "did not wait".
    window = SettingsDialog(demo_ctx, Role.MANAGER)
    qtbot.addWidget(window)
    window.show()
    assert window.width() <= 1366 and window.height() <= 768
    page = window.reports_page
    window.tabs.setCurrentWidget(page)
    today = to_local(clock(), "Australia/Melbourne").date()
    page.first.setDate(_qdate(today - timedelta(days=30)))
    page.last.setDate(_qdate(today + timedelta(days=13)))
    page.load()
    qtbot.wait(20)
    bars = page.bars
    image = bars.grab().toImage()
    page.grab().save(str(tmp_path / "reports_page.png"))
    metrics = bars.fontMetrics()
    assert bars.rows
    for index, row in enumerate(bars.rows):
        text = bars.row_text(row.counts)
        top = 8 + index * ROW_HEIGHT
        first, last = _ink_runs(image, range(top, top + ROW_HEIGHT - 6))[-1]
        # The figures end where their whole text ends, inside the page.
        assert last < bars.width() - 2, (row.name, last, bars.width())
        assert last - first + 1 >= metrics.horizontalAdvance(text) - 6, (row.name, text)
        assert bars.shown_text(index) == text
    # Narrower than the figures beside the shortest bar: they end in "…" (the whole in the
    # tooltip), never cut off.
    bars.resize(500, bars.height())
    shown, whole = bars.shown_text(0), bars.row_text(bars.rows[0].counts)
    assert shown.endswith("…") and whole.startswith(shown[:-1])
