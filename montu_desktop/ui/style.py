"""Finds the shipped style sheet (also inside a frozen build) and applies it to the app."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication


def resources_dir() -> Path:
    """The `resources/` folder: in _MEIPASS when frozen, inside an installed wheel, or the source tree."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    package = Path(__file__).resolve().parents[1]
    installed = package / "_resources"  # a wheel ships resources/ here
    if installed.is_dir():
        return installed
    return package.parent / "resources"


def apply_style(app: QApplication) -> None:
    """Use the Fusion style (same look on every PC) plus the clinic's style sheet."""
    app.setStyle("Fusion")
    sheet = resources_dir() / "styles" / "montu.qss"
    if sheet.exists():
        app.setStyleSheet(sheet.read_text(encoding="utf-8"))
