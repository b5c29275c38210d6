"""Finds the shipped style sheet (also inside a frozen build) and applies it to the app."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication


def resources_dir() -> Path:
    """The `resources/` folder: next to the package from source, in _MEIPASS when frozen."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def apply_style(app: QApplication) -> None:
    """Use the Fusion style (same look on every PC) plus the clinic's style sheet."""
    app.setStyle("Fusion")
    sheet = resources_dir() / "styles" / "montu.qss"
    if sheet.exists():
        app.setStyleSheet(sheet.read_text(encoding="utf-8"))
