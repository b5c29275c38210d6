"""The first-start dialog on an empty database: a list of ways to begin (extendable)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCommandLinkButton, QDialog, QLabel, QVBoxLayout, QWidget


class FirstStartDialog(QDialog):
    """Offers choices such as "Open the demo clinic"; other screens add theirs with add_choice."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Montu Desktop")
        self.chosen: str | None = None
        intro = QLabel(
            "This database holds no clinic yet. How would you like to begin?\n"
            "(Press Escape to decide later.)"
        )
        intro.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(intro)
        self.setMinimumWidth(460)

    def add_choice(
        self, label: str, description: str, action: Callable[[], None]
    ) -> QCommandLinkButton:
        """Add a choice; picking it closes the dialog and then runs `action`."""
        button = QCommandLinkButton(label, description)
        button.setObjectName(f"choice:{label}")

        def chosen() -> None:
            self.chosen = label
            self.accept()
            action()

        button.clicked.connect(chosen)
        self._layout.addWidget(button)
        if len(self.findChildren(QCommandLinkButton)) == 1:
            button.setDefault(True)
            button.setFocus()
        return button
