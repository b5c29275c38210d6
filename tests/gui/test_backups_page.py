"""Settings → Backups: a manager backs up now and restores a chosen backup after confirming."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from sqlalchemy import text

from montu_desktop.domain.op_changes import OpChanges
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.domain.staff import Role
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import add_patient
from montu_desktop.ui.operations import wait_for_operations
from montu_desktop.ui.settings.backups_page import BackupsPage
from montu_desktop.ui.settings.settings_dialog import SettingsDialog

ZONE = "Australia/Melbourne"


def patients_in(ctx: ServiceContext) -> int:
    with ctx.database.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM patient")).scalar_one())


def page_over(
    qtbot: QtBot, ctx: ServiceContext, answers: list[bool]
) -> tuple[BackupsPage, list[str]]:
    asked: list[str] = []

    def confirm(question: str) -> bool:
        asked.append(question)
        return answers.pop(0)

    page = BackupsPage(ctx, ZONE, confirm)
    qtbot.addWidget(page)
    page.load()
    qtbot.waitUntil(lambda: page.status.text() == "No backups yet.", timeout=10_000)
    return page, asked


def test_back_up_now_then_restore_the_chosen_backup(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    add_patient(sqlite_ctx, PatientDetails("Ada", "Lovelace"))
    page, asked = page_over(qtbot, sqlite_ctx, [False, True])
    assert "every day" in page.about.text() and "keeps the last 14" in page.about.text()
    assert not page.restore_button.isEnabled()  # nothing chosen yet

    page.back_up_button.click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10_000)
    assert page.status.text().startswith("Backup written: ")
    assert page.table.item(0, 1).text() == "Made on request"
    assert page.table.item(0, 2).text().endswith("KB")
    when = page.table.item(0, 0).text()

    add_patient(sqlite_ctx, PatientDetails("Grace", "Hopper"))
    assert patients_in(sqlite_ctx) == 2
    page.table.selectRow(0)
    assert page.restore_button.isEnabled()

    page.restore_button.click()  # answered "Cancel": nothing happens
    wait_for_operations()
    assert len(asked) == 1 and f"the backup of {when}?" in asked[0]
    assert patients_in(sqlite_ctx) == 2

    heard: list[OpChanges] = []
    sqlite_ctx.on_change.append(heard.append)
    page.restore_button.click()
    qtbot.waitUntil(lambda: page.status.text().startswith("Restored"), timeout=10_000)
    assert page.status.text().startswith(f"Restored the backup of {when}. The data as it was")
    assert patients_in(sqlite_ctx) == 1
    assert any(c.touches("appointments") and c.touches("reference") for c in heard)  # repaints
    qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=10_000)
    assert {page.table.item(r, 1).text() for r in range(2)} == {
        "Made on request",
        "Before a restore",
    }


def test_a_refused_restore_says_why_in_one_line(qtbot: QtBot, sqlite_ctx: ServiceContext) -> None:
    page, _asked = page_over(qtbot, sqlite_ctx, [True])
    page.back_up_button.click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10_000)
    page._found[0].path.write_text("no longer a database\n" * 100, encoding="utf-8")
    page.table.selectRow(0)
    page.restore_button.click()
    qtbot.waitUntil(lambda: "not a database file" in page.status.text(), timeout=10_000)
    assert page.back_up_button.isEnabled()


def test_managers_find_the_backups_tab_in_settings(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    dialog = SettingsDialog(sqlite_ctx, Role.MANAGER, confirm_restore=lambda _q: False)
    qtbot.addWidget(dialog)
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert "Backups" in tabs
    dialog.tabs.setCurrentWidget(dialog.backups_page)
    qtbot.waitUntil(lambda: dialog.backups_page.about.text() != "", timeout=10_000)
    wait_for_operations()
