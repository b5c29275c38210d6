"""The Settings window a manager opens from the Clinic menu (receptionists are refused)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QVBoxLayout, QWidget

from montu_desktop.domain.staff import Role
from montu_desktop.services.admin.clinic import clinic_details
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.operations import run_and_wait
from montu_desktop.ui.settings.audit_page import AuditPage
from montu_desktop.ui.settings.backups_page import BackupsPage, Confirm
from montu_desktop.ui.settings.clinic_page import ClinicPage
from montu_desktop.ui.settings.doctors_page import DoctorsPage
from montu_desktop.ui.settings.form import ConfirmDiscard, ConfirmImpact, ask_discard
from montu_desktop.ui.settings.impact_dialog import ask_with_dialog
from montu_desktop.ui.settings.online_page import OnlinePage
from montu_desktop.ui.settings.reports_page import ReportsPage
from montu_desktop.ui.settings.rosters_page import RostersPage
from montu_desktop.ui.settings.staff_page import StaffPage
from montu_desktop.ui.settings.types_page import TypesPage
from montu_desktop.ui.settings.utilisation_chart import UtilisationPage


class NotAllowed(Exception):
    """Only managers open the settings."""


class SettingsDialog(QDialog):
    def __init__(
        self,
        ctx: ServiceContext,
        role: Role | None,
        parent: QWidget | None = None,
        confirm_impact: ConfirmImpact | None = None,
        confirm_restore: Confirm | None = None,
        confirm_discard: ConfirmDiscard | None = None,
    ) -> None:
        if role is None or not role.can_manage:
            raise NotAllowed("only a manager can change the clinic's settings")
        super().__init__(parent)
        self.setWindowTitle("Clinic settings")
        details = run_and_wait(self, lambda: clinic_details(ctx))
        ask = confirm_impact or ask_with_dialog(self, details.timezone if details else "UTC")
        self.confirm_discard = confirm_discard or ask_discard(self)
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.clinic_page = ClinicPage(ctx, ask)
        self.types_page = TypesPage(ctx, ask)
        self.doctors_page = DoctorsPage(ctx, ask)
        self.rosters_page = RostersPage(ctx, ask, self.confirm_discard)
        self.tabs.addTab(self.clinic_page, "Clinic && hours")
        self.tabs.addTab(self.types_page, "Appointment types")
        self.tabs.addTab(self.doctors_page, "Doctors")
        self.tabs.addTab(self.rosters_page, "Rosters")
        zone = details.timezone if details else "UTC"
        self.staff_page = StaffPage(ctx)
        self.audit_page = AuditPage(ctx, zone)
        self.utilisation_page = UtilisationPage(ctx, zone)
        self.tabs.addTab(self.staff_page, "Staff")
        self.tabs.addTab(self.audit_page, "Audit log")
        self.tabs.addTab(self.utilisation_page, "Utilisation")
        self.reports_page = ReportsPage(ctx, zone)
        self.tabs.addTab(self.reports_page, "Reports")
        self.backups_page = BackupsPage(ctx, zone, confirm_restore)
        self.tabs.addTab(self.backups_page, "Backups")
        self.online_page = OnlinePage(ctx)
        self.tabs.addTab(self.online_page, "Online booking")
        self.tabs.currentChanged.connect(self._refresh)
        layout.addWidget(self.tabs)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close_asking)
        layout.addWidget(buttons)
        self.resize(980, 640)

    def unsaved(self) -> list[tuple[QWidget, str]]:
        """The pages holding edits not saved yet, with what to call them."""
        found: list[tuple[QWidget, str]] = []
        if self.clinic_page.unsaved():
            found.append((self.clinic_page, "the clinic's details or opening hours"))
        for page in (self.types_page, self.doctors_page, self.rosters_page):
            if page.unsaved():
                found.append((page, page.unsaved_name()))
        return found

    def close_asking(self) -> bool:
        """Close (the Close button, Escape), asking first when edits are not saved; with
        Keep editing the first such page is shown instead. Returns whether it closed."""
        if not self._may_close():
            return False
        self.reject()
        return True

    def _may_close(self) -> bool:
        pending = self.unsaved()
        if pending and not self.confirm_discard(" and ".join(what for _, what in pending)):
            self.tabs.setCurrentWidget(pending[0][0])
            return False
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        """The title bar's close button asks as Close does. A window not shown (closed by a
        test's teardown, say) has no one to ask, and closes."""
        if self.isVisible() and not self._may_close():
            event.ignore()
            return
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self.close_asking()
            return
        super().keyPressEvent(event)

    def _refresh(self, _index: int) -> None:
        page = self.tabs.currentWidget()
        if page is self.rosters_page and self.rosters_page.unsaved():
            return  # reloading would drop the blocks typed and not saved yet
        if page in (
            self.rosters_page,
            self.audit_page,
            self.utilisation_page,
            self.reports_page,
            self.backups_page,
        ):
            page.load()  # type: ignore[union-attr]
