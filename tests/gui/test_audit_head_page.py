"""The Audit page shows the trail's last verified head with the day it was taken (issue 24)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.staff import Role
from montu_desktop.domain.wording import day_label
from montu_desktop.services.admin import audit_head
from montu_desktop.services.admin.audit import verify_chain
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.settings.settings_dialog import SettingsDialog
from tests.integration.test_admin_settings import ZONE, set_up_clinic


def test_the_audit_page_shows_and_takes_the_head(qtbot: QtBot, sqlite_ctx: ServiceContext) -> None:
    set_up_clinic(sqlite_ctx)
    window = SettingsDialog(sqlite_ctx, Role.MANAGER)
    qtbot.addWidget(window)
    page = window.audit_page
    assert "not verified on this PC yet" in page.head_label.text()
    page.verify_button.click()
    head = verify_chain(sqlite_ctx).head
    day = day_label(to_local(sqlite_ctx.clock(), ZONE).date(), year=True)
    assert f"last verified on {day}" in page.head_label.text()
    assert str(head) in page.head_label.text()
    # Another window later shows what this PC wrote down.
    again = SettingsDialog(sqlite_ctx, Role.MANAGER)
    qtbot.addWidget(again)
    assert str(head) in again.audit_page.head_label.text()
    recorded = audit_head.last_verified(sqlite_ctx.database)
    assert recorded is not None and recorded.head == head
