"""Settings → Online booking: keys created, shown once, revoked; types kept off the website."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from montu_desktop.services import online
from montu_desktop.services.clinic_settings import get_setting
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.settings.online_page import OnlinePage
from tests.support.clinic import tiny_clinic


def _page(qtbot: QtBot, ctx: ServiceContext) -> OnlinePage:
    page = OnlinePage(ctx)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.types.count() == 3)
    return page


def test_a_manager_creates_a_key_sees_its_token_once_and_revokes_it(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    tiny_clinic(sqlite_ctx)
    page = _page(qtbot, sqlite_ctx)
    page.name.setText("clinic website")
    page.origin.setText("www.clinic.example")  # typed as people see it
    page.create_button.click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 1)
    assert page.table.item(0, 0).text() == "clinic website"
    assert page.table.item(0, 3).text() == "https://www.clinic.example"
    key = online.authenticate(sqlite_ctx, page.last_token)
    assert key is not None and key.scopes == {"availability", "book"}

    page.table.selectRow(0)
    page.confirm = lambda _text: True
    page.revoke_button.click()
    qtbot.waitUntil(lambda: page.table.item(0, 4).text() == "revoked")
    assert online.authenticate(sqlite_ctx, page.last_token) is None


def test_a_bad_key_is_refused_next_to_the_form_and_nothing_is_stored(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    tiny_clinic(sqlite_ctx)
    page = _page(qtbot, sqlite_ctx)
    page.name.setText("kiosk")
    page.rate.setText("lots")
    page.create_button.click()
    qtbot.waitUntil(lambda: "Requests a minute" in page.message.text())
    assert online.list_api_keys(sqlite_ctx) == []


def test_unticking_a_type_keeps_it_off_the_website(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    tiny_clinic(sqlite_ctx)
    page = _page(qtbot, sqlite_ctx)
    procedure = next(
        page.types.item(i)
        for i in range(page.types.count())
        if "Procedure" in page.types.item(i).text()
    )
    from PySide6.QtCore import Qt

    procedure.setCheckState(Qt.CheckState.Unchecked)
    qtbot.waitUntil(lambda: "no longer" in page.message.text())
    assert [k.name for k in online.online_types(sqlite_ctx)] == ["Long", "Standard"]


def test_the_booking_page_snippet_is_built_from_the_public_address(
    qtbot: QtBot, sqlite_ctx: ServiceContext
) -> None:
    tiny_clinic(sqlite_ctx)
    page = _page(qtbot, sqlite_ctx)
    qtbot.waitUntil(lambda: "Enter the public address" in page.snippet.toPlainText())
    page.public_url.setText("ftp://nowhere")
    page.save_url_button.click()
    qtbot.waitUntil(lambda: "Public address" in page.message.text())
    assert "http:// or https://" in page.message.text()
    assert get_setting(sqlite_ctx, "online.public_url").value == ""

    page.public_url.setText("book.clinic.example/")
    page.save_url_button.click()
    qtbot.waitUntil(lambda: "iframe" in page.snippet.toPlainText())
    assert get_setting(sqlite_ctx, "online.public_url").value == "https://book.clinic.example"
    assert page.snippet.toPlainText().startswith(
        '<iframe src="https://book.clinic.example/book?embed=1" title="Book an appointment"'
    )
    again = _page(qtbot, sqlite_ctx)
    qtbot.waitUntil(lambda: again.public_url.text() == "https://book.clinic.example")
