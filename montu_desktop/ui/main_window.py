"""The reception window: the Clinic menu, the views, and the one place refreshes go through."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QWidget

from montu_desktop import APP_NAME, __version__
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.about import AboutDialog, app_icon


class MainWindow(QMainWindow):
    """What the front desk sees all day."""

    def __init__(self, ctx: ServiceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(f"{APP_NAME} {__version__}")
        self.setWindowIcon(app_icon())
        self.setCentralWidget(QLabel("Loading the appointment book…"))
        self.clinic_menu = self.menuBar().addMenu("&Clinic")
        self._build_clinic_menu(self.clinic_menu)
        self.database_label = QLabel(f"Database: {ctx.database.describe()}")
        self.statusBar().addPermanentWidget(self.database_label)
        ctx.on_change.append(self.notify_changed)

    def _build_clinic_menu(self, menu: QMenu) -> None:
        """Every entry of the Clinic menu, in order (other screens add theirs here)."""
        about_action = QAction(f"&About {APP_NAME}", self)
        about_action.setMenuRole(QAction.MenuRole.AboutRole)
        about_action.triggered.connect(lambda: AboutDialog(self).exec())
        menu.addAction(about_action)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        menu.addAction(quit_action)

    def start(self) -> None:
        """Called once the window is shown: first refresh (and first-start offer)."""

    def notify_changed(self, what: str) -> None:
        """The one place every refresh goes through: local commits and other desks' changes."""
