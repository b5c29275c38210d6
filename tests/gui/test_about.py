"""The About dialog and the app icon."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

import montu_desktop
from montu_desktop.ui.about import ICON_SIZES, AboutDialog, app_icon


def test_app_icon_ships_every_size_from_16_to_256(qtbot: QtBot) -> None:
    icon = app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} == set(ICON_SIZES)
    image = icon.pixmap(QSize(48, 48)).toImage()
    assert image.width() == 48
    # The tile's teal, not an empty or black square.
    centre_edge = image.pixelColor(24, 4)
    assert centre_edge.green() > centre_edge.red() + 40


def test_about_shows_the_name_and_the_package_version(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(montu_desktop, "__version__", "9.8.7")
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.windowTitle() == "About Montu Desktop"
    assert dialog.name_label.text() == "Montu Desktop"
    assert dialog.version_label.text() == "Version 9.8.7"
    assert "Python 3." in dialog.runtime_label.text()
    assert not dialog.icon_label.pixmap().isNull()
    assert not dialog.windowIcon().isNull()


def test_close_button_closes_the_dialog(qtbot: QtBot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    box = dialog.findChild(QDialogButtonBox)
    close = box.button(QDialogButtonBox.StandardButton.Close)
    with qtbot.waitSignal(dialog.rejected):
        close.click()
    assert not dialog.isVisible()
