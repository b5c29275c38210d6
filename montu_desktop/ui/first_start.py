"""The first-start dialog on an empty database: a list of ways to begin (extendable).

The choice with the keyboard focus is framed, and Enter picks that one (not the first);
Escape asks whether to quit, with the way back to the choices (a dialog closed on nothing
left an empty window that offered no way to begin but restarting)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCommandLinkButton,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

FOCUS_FRAME = (
    "QCommandLinkButton { border: 2px solid transparent; border-radius: 4px; }"
    " QCommandLinkButton:focus { border: 2px solid #0b57d0; background: #e8f0fe; }"
    " QCommandLinkButton:hover { background: #f1f5fd; }"
)
"""The focused choice is framed in blue and tinted (also seen in greyscale: a dark frame)."""


class FirstStartDialog(QDialog):
    """Offers choices such as "Open the demo clinic"; other screens add theirs with add_choice."""

    quit_wanted = Signal()
    """The person chose to quit rather than begin."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Montu Desktop")
        self.chosen: str | None = None
        self.pages = QStackedWidget()
        self.choices_page = QWidget()
        intro = QLabel(
            "This database holds no clinic yet. How would you like to begin?\n"
            "(Tab or the arrow keys move between the choices, Enter picks the framed one;"
            " Escape to quit.)"
        )
        intro.setWordWrap(True)
        self._layout = QVBoxLayout(self.choices_page)
        self._layout.addWidget(intro)
        self.choices_page.setStyleSheet(FOCUS_FRAME)
        self.quit_page = QWidget()
        question = QLabel(
            "Quit Montu Desktop without a clinic?\n"
            "Nothing can be booked until a clinic is set up or the demo clinic is opened."
        )
        question.setWordWrap(True)
        self.back_button = QPushButton("&Back to the choices")
        self.back_button.clicked.connect(self.back_to_choices)
        self.quit_button = QPushButton("&Quit Montu Desktop")
        self.quit_button.clicked.connect(self._quit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.quit_button)
        quit_layout = QVBoxLayout(self.quit_page)
        quit_layout.addWidget(question)
        quit_layout.addStretch(1)
        quit_layout.addLayout(buttons)
        self.pages.addWidget(self.choices_page)
        self.pages.addWidget(self.quit_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        self.setMinimumWidth(460)

    def choices(self) -> list[QCommandLinkButton]:
        return self.choices_page.findChildren(QCommandLinkButton)

    def add_choice(
        self, label: str, description: str, action: Callable[[], None]
    ) -> QCommandLinkButton:
        """Add a choice; picking it closes the dialog and then runs `action`."""
        button = QCommandLinkButton(label, description)
        button.setObjectName(f"choice:{label}")
        # Enter goes to the focused choice (keyPressEvent), never to a "default" one.
        button.setAutoDefault(False)
        button.setAccessibleDescription(description)

        def chosen() -> None:
            self.chosen = label
            self.accept()
            action()

        button.clicked.connect(chosen)
        self._layout.addWidget(button)
        if len(self.choices()) == 1:
            button.setFocus()
        return button

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        on_choices = self.pages.currentWidget() is self.choices_page
        focused = self.focusWidget()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if isinstance(focused, QPushButton) and focused.isVisible():
                focused.click()  # the framed choice, or Back / Quit on the question
            return
        if key == Qt.Key.Key_Escape:
            if on_choices:
                self.ask_quit()
            else:
                self.back_to_choices()
            return
        if on_choices and key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            self.focusNextPrevChild(key == Qt.Key.Key_Down)
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        """Escape or the window's close button: ask first (see the module's note)."""
        if self.pages.currentWidget() is self.choices_page:
            self.ask_quit()
        else:
            self.back_to_choices()

    def ask_quit(self) -> None:
        self.pages.setCurrentWidget(self.quit_page)
        self.back_button.setFocus()

    def back_to_choices(self) -> None:
        self.pages.setCurrentWidget(self.choices_page)
        choices = self.choices()
        if choices:
            choices[0].setFocus()

    def _quit(self) -> None:
        self.chosen = None
        self.done(QDialog.DialogCode.Rejected)
        self.quit_wanted.emit()
