"""First-clinic set-up: the state follows the address, colours from a palette, a week of roster."""

from __future__ import annotations

from datetime import time

from PySide6.QtCore import QTime
from pytestqt.qtbot import QtBot

from montu_desktop.services.admin import rosters, types
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.settings.colour_picker import PALETTE
from tests.gui.test_settings_dialogs import dialog
from tests.integration.test_admin_settings import set_up_clinic


def test_the_state_and_time_zone_follow_the_address(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    window = dialog(qtbot, sqlite_ctx)  # kept: the page lives as long as its window
    page = window.clinic_page
    page.address.setText("4 Hay Street, Perth WA 6000")
    page.address.editingFinished.emit()
    assert page.state.currentText() == "WA"
    assert page.timezone.currentText() == "Australia/Perth"
    page.state.setCurrentText("QLD")  # asked directly: the zone follows too
    assert page.timezone.currentText() == "Australia/Brisbane"


def test_a_type_colour_is_picked_from_the_palette(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    set_up_clinic(sqlite_ctx)
    window = dialog(qtbot, sqlite_ctx)  # kept: the page lives as long as its window
    page = window.types_page
    name, green = PALETTE[1]
    page.name.setText("Vaccination")
    page.length.setValue(15)
    page.colour.swatches[green].click()
    assert page.colour.text() == green and page.colour.swatches[green].isChecked()
    assert page.add()
    added = next(k for k in types.list_types(sqlite_ctx) if k.name == "Vaccination")
    assert added.colour == green, name


def test_monday_is_copied_to_tuesday_to_friday(qtbot: QtBot, sqlite_ctx: ServiceContext) -> None:
    ada, _ = set_up_clinic(sqlite_ctx)
    window = dialog(qtbot, sqlite_ctx)  # kept: the page lives as long as its window
    page = window.rosters_page
    page.doctor.setCurrentIndex(page.doctor.findData(ada))
    page.table.setRowCount(0)
    page.add_block()
    page.add_block()
    page.table.cellWidget(1, 1).setTime(QTime(13, 0))
    page.table.cellWidget(1, 2).setTime(QTime(17, 0))
    assert page.copy_day(0, (1, 2, 3, 4)) == 8
    assert page.save()
    saved = rosters.templates(sqlite_ctx, ada)
    by_day = {d: sorted((b.starts, b.ends) for b in saved if b.weekday == d) for d in range(5)}
    week = [(time(9), time(12)), (time(13), time(17))]
    assert by_day == {d: week for d in range(5)}
