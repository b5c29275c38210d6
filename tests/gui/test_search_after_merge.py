"""The desk's patient searches fold names like the service, and a record merged away leaves
the search lists that showed it (the patient record's Find and the booking dialog's)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from montu_desktop.domain.op_changes import ChangeKind
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.domain.staff import Role
from montu_desktop.services import patients
from montu_desktop.services.admin.staff import StaffMember
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.main_window import MainWindow

MANAGER = StaffMember(1, "maria", "Maria", Role.MANAGER, True)
BORN = date(1988, 5, 17)


def _ids(widget) -> list[int]:  # type: ignore[no-untyped-def]
    items = [widget.item(i) for i in range(widget.count())]
    return [i.data(Qt.ItemDataRole.UserRole) for i in items if i.data(Qt.ItemDataRole.UserRole)]


def _zoe_and_twin(ctx: ServiceContext) -> tuple[int, int]:
    zoe = patients.add_patient(ctx, PatientDetails("Zoë", "O'Connor-Núñez", BORN)).id
    twin = patients.add_patient(
        ctx, PatientDetails("Zoe", "Oconnor-Nunez", BORN), allow_duplicate=True
    ).id
    return zoe, twin


def test_the_record_search_drops_a_record_once_merged_away(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    zoe, twin = _zoe_and_twin(demo_ctx)
    window.signed_in(MANAGER)
    panel = window.open_patient(None)
    assert panel is not None
    qtbot.keyClicks(panel.search, "zoe o'connor")
    qtbot.waitUntil(lambda: sorted(_ids(panel.results)) == sorted([zoe, twin]), timeout=5_000)
    row = _ids(panel.results).index(zoe)
    panel.results.setCurrentRow(row)
    qtbot.waitUntil(lambda: panel.record is not None and panel.record.id == zoe, timeout=5_000)

    merge = window.open_merge(panel.record)  # type: ignore[arg-type]
    assert merge is not None
    merge.show_preview(twin)
    qtbot.waitUntil(lambda: merge.preview is not None, timeout=5_000)
    qtbot.mouseClick(merge.merge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: merge.result is not None, timeout=5_000)

    qtbot.waitUntil(lambda: _ids(panel.results) == [zoe], timeout=5_000)
    assert panel.results.currentRow() == 0  # the patient looked at stays highlighted
    assert panel.record is not None and panel.record.id == zoe


def test_the_booking_dialog_search_folds_names_and_follows_a_merge(
    qtbot: QtBot, window: MainWindow, demo_ctx: ServiceContext
) -> None:
    zoe, twin = _zoe_and_twin(demo_ctx)
    grid = window.week.model.grid
    assert grid is not None
    start = next(
        grid.cell(r, 1).start for r in range(8, len(grid.times)) if grid.cell(r, 1).bookable
    )
    dialog = window.open_booking(start, window.week.type_name)  # type: ignore[arg-type]
    assert dialog is not None
    for typed in ("nunez", "zoe o'connor", "o connor nunez"):
        dialog.search.clear()
        qtbot.keyClicks(dialog.search, typed)
        qtbot.waitUntil(dialog.search_settled, timeout=5_000)
        qtbot.waitUntil(lambda: dialog.matching_count() == 2, timeout=5_000)
        assert sorted(_ids(dialog.results)) == sorted([zoe, twin]), typed
    dialog.results.setCurrentRow(_ids(dialog.results).index(twin))
    assert dialog.selected_patient_id() == twin

    # Another desk merges the highlighted record away: it leaves the list, and nobody
    # else is highlighted in its place.
    patients.merge_patients(demo_ctx, zoe, twin)
    window.refresh(ChangeKind.PATIENTS)  # as the change feed tells the desk
    qtbot.waitUntil(lambda: _ids(dialog.results) == [zoe], timeout=5_000)
    assert dialog.selected_patient_id() is None
    dialog.results.setCurrentRow(0)
    assert dialog.selected_patient_id() == zoe
