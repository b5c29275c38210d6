"""The app icon and the About Montu Desktop dialog (name, version, what this build runs on)."""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

import montu_desktop
from montu_desktop.ui.style import resources_dir

ICON_NAME = "montu-desktop"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def app_icon() -> QIcon:
    """The Montu Desktop icon at every shipped size (window title bar, task bar, dialogs)."""
    folder = resources_dir() / "icons"
    icon = QIcon()
    for size in ICON_SIZES:
        png = folder / f"{ICON_NAME}-{size}.png"
        if png.exists():
            icon.addFile(str(png), QSize(size, size))
    return icon


class AboutDialog(QDialog):
    """Says which Montu Desktop this is, for the person at the desk and for IT on the phone."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        name, version = montu_desktop.APP_NAME, montu_desktop.__version__
        self.setWindowTitle(f"About {name}")
        self.setWindowIcon(app_icon())

        self.icon_label = QLabel()
        self.icon_label.setPixmap(app_icon().pixmap(QSize(96, 96)))
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignTop)

        self.name_label = QLabel(name)
        title_font = QFont(self.name_label.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.6)
        title_font.setBold(True)
        self.name_label.setFont(title_font)
        self.version_label = QLabel(f"Version {version}")
        self.version_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        description = QLabel(
            "The reception desk of the clinic: week availability, fair booking, "
            "and appointment reminders."
        )
        description.setWordWrap(True)
        self.runtime_label = QLabel(
            f"Python {platform.python_version()} · Qt for Python {pyside_version} · "
            f"{platform.system()} {platform.release()}"
        )
        self.runtime_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        text = QVBoxLayout()
        for label in (self.name_label, self.version_label, description, self.runtime_label):
            text.addWidget(label)
        text.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.icon_label)
        body.addLayout(text, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(body)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
