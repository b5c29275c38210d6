"""The reception window's Clinic menu, and what it opens that is not a desk action: the
settings and this PC's database (managers only), the first-start offer and the demo clinic.
Desk actions (patient record, waitlist, day sheet) go to the window's DeskController."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence

from montu_desktop import APP_NAME
from montu_desktop.domain.op_changes import ChangeKind
from montu_desktop.services import demo_data
from montu_desktop.services.admin.staff import StaffMember
from montu_desktop.ui.about import AboutDialog
from montu_desktop.ui.first_start import FirstStartDialog
from montu_desktop.ui.notifications.menu import NotificationMenu
from montu_desktop.ui.online_check import OnlineChecks
from montu_desktop.ui.recalls_window import open_recalls
from montu_desktop.ui.settings.settings_dialog import NotAllowed, SettingsDialog

if TYPE_CHECKING:
    from montu_desktop.ui.main_window import MainWindow


class ClinicMenu:
    """Every entry of the Clinic menu, in order (other screens add theirs here)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.first_start: FirstStartDialog | None = None
        menu = self.menu = window.menuBar().addMenu("&Clinic")
        desk = window.desk
        refresh_action = QAction("&Refresh", window)
        refresh_action.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh_action.triggered.connect(lambda: window.refresh(ChangeKind.REFERENCE))
        menu.addAction(refresh_action)
        print_action = QAction("&Print day sheet…", window)
        print_action.setShortcut(QKeySequence.StandardKey.Print)
        print_action.triggered.connect(lambda: desk.print_day_sheet(None))
        menu.addAction(print_action)
        patient_action = QAction("Pat&ient record…", window)
        patient_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        patient_action.triggered.connect(lambda: desk.open_patient(None))
        menu.addAction(patient_action)
        self.database_action = QAction("&Database…", window)
        self.database_action.triggered.connect(self.open_database_settings)
        self.database_action.setVisible(False)  # managers only: see set_member()
        menu.addAction(self.database_action)
        self.waitlist_action = QAction("&Waitlist…", window)
        self.waitlist_action.triggered.connect(lambda: desk.open_waitlist(None))
        menu.addAction(self.waitlist_action)
        self.online_checks = OnlineChecks(
            window.ctx, menu, window, window.statusBar(), window.changes
        )
        recalls_action = QAction("Re&calls…", window)  # ui/recalls_window.py
        recalls_action.triggered.connect(lambda: open_recalls(window))
        menu.addAction(recalls_action)
        self.settings_action = QAction("&Settings…", window)
        self.settings_action.triggered.connect(self.open_settings)
        self.settings_action.setVisible(False)  # managers only: see set_member()
        menu.addAction(self.settings_action)
        self.notification_menu = NotificationMenu(window.ctx, menu, window)
        self.notification_menu.replies_read.append(window.status.count_replies)
        menu.addSeparator()
        about_action = QAction(f"&About {APP_NAME}", window)
        about_action.setMenuRole(QAction.MenuRole.AboutRole)
        about_action.triggered.connect(lambda: AboutDialog(window).exec())
        menu.addAction(about_action)
        quit_action = QAction("&Quit", window)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(window.close)
        menu.addAction(quit_action)

    def set_member(self, member: StaffMember) -> None:
        """Managers see Settings and Database in the menu."""
        self.settings_action.setVisible(member.role.can_manage)
        self.database_action.setVisible(member.role.can_manage)
        self.notification_menu.set_role(member.role)

    def open_settings(self) -> SettingsDialog | None:
        """The settings window, for managers; changes repaint the grid as they are saved."""
        window = self.window
        role = window.member.role if window.member else None
        try:
            dialog = SettingsDialog(window.ctx, role, window)
        except NotAllowed as refused:
            window.statusBar().showMessage(str(refused), 10_000)
            return None
        dialog.open()
        return dialog

    def open_database_settings(self) -> None:
        """Clinic → Database…: this PC's database, used from the next start (managers only)."""
        from montu_desktop.ui.database_dialog import RESTART_NOTE, DatabaseDialog

        window = self.window
        if window.member is None or not window.member.role.can_manage:
            window.statusBar().showMessage("Only a manager can change this PC's database.", 10_000)
            return
        if DatabaseDialog(window).exec():
            window.statusBar().showMessage(RESTART_NOTE, 30_000)

    def offer_first_start(self) -> FirstStartDialog:
        dialog = FirstStartDialog(self.window)
        dialog.add_choice(
            "Set up my clinic",
            "Enter the clinic's details and hours, then its appointment types, doctors and rosters.",
            self.open_settings,
        )
        dialog.add_choice(
            "Open the demo clinic",
            "A made-up Melbourne clinic with doctors, patients and bookings, to try things out.",
            self.open_demo_clinic,
        )
        dialog.quit_wanted.connect(self.window.close)
        self.first_start = dialog
        dialog.open()
        return dialog

    def open_demo_clinic(self) -> None:
        window = self.window
        window.statusBar().showMessage("Creating the demo clinic…")

        def done(_summary: Any) -> None:
            window.statusBar().showMessage("The demo clinic is ready.", 5000)

        window.op(lambda: demo_data.create_demo_clinic(window.ctx), done, window.action_failed)
