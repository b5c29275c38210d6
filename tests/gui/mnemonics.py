"""Lists the Alt-key mnemonics a window offers as shown now, to check none is used twice."""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtWidgets import (
    QAbstractButton,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMenu,
    QTabBar,
    QWidget,
)


def mnemonic(text: str) -> str | None:
    """The letter after the first lone '&' ('Fa&mily name' → 'm'), None without one."""
    at = 0
    while at < len(text) - 1:
        if text[at] == "&":
            if text[at + 1] == "&":
                at += 2
                continue
            return text[at + 1].lower()
        at += 1
    return None


def _texts(widget: QWidget) -> list[str]:
    if isinstance(widget, QAbstractButton):
        return [widget.text()]
    if isinstance(widget, QLabel):
        return [widget.text()] if widget.buddy() is not None else []
    if isinstance(widget, QGroupBox):
        return [widget.title()]
    if isinstance(widget, QTabBar):
        return [widget.tabText(i) for i in range(widget.count()) if widget.isTabVisible(i)]
    return []


def window_mnemonics(window: QWidget) -> dict[str, list[str]]:
    """Letter → the texts carrying it, for everything the Alt key reaches in `window` as it
    is now: its menu bar's titles, its tab titles, buttons, group boxes and labels with a
    buddy (widgets on hidden tab pages or of other windows are left out: their keys are off)."""
    found: dict[str, list[str]] = defaultdict(list)
    if isinstance(window, QMainWindow):
        for action in window.menuBar().actions():
            if action.isVisible() and (letter := mnemonic(action.text())):
                found[letter].append(f"menu {action.text()}")
    for widget in window.findChildren(QWidget):
        if widget.window() is not window or not widget.isVisibleTo(window):
            continue
        for text in _texts(widget):
            if letter := mnemonic(text):
                found[letter].append(text)
    return dict(found)


def clashes(found: dict[str, list[str]]) -> dict[str, list[str]]:
    return {letter: texts for letter, texts in found.items() if len(texts) > 1}


def menu_clashes(menu: QMenu) -> dict[str, list[str]]:
    """Letters used by more than one item of `menu` (hidden items too: a role shows them)."""
    found: dict[str, list[str]] = defaultdict(list)
    for action in menu.actions():
        if not action.isSeparator() and (letter := mnemonic(action.text())):
            found[letter].append(action.text())
    return clashes(found)
