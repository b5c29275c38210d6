"""Who is at the desk: the signed-in label, Sign out / Switch user, and the lock after idle time.

Locking covers every open window with a curtain (nothing readable behind it) and asks for a
sign-in in front; the windows and dialogs behind stay open, so what was typed is kept.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMenu, QWidget

from montu_desktop.services.admin.staff import StaffMember
from montu_desktop.services.context import ServiceContext
from montu_desktop.ui.sign_in import SignInDialog

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
}


class _Curtain(QWidget):
    """An opaque cover over one window while the desk is locked."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("deskLockCurtain")
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#deskLockCurtain { background: palette(window); }")
        label = QLabel("Locked — sign in to continue", self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setGeometry(window.rect())
        self.setGeometry(window.rect())
        window.installEventFilter(self)
        self.show()
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            self.setGeometry(watched.rect())
            for child in self.findChildren(QLabel):
                child.setGeometry(self.rect())
        return False


class DeskLock(QObject):
    """Watches for activity; locks after `idle_minutes` (0 = never) and on Sign out."""

    def __init__(
        self,
        window: QMainWindow,
        ctx: ServiceContext,
        member: StaffMember,
        *,
        idle_minutes: float,
        menu: QMenu,
        on_member: Callable[[StaffMember], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._ctx = ctx
        self.member = member
        self._on_member = on_member
        self.is_locked = False
        self.idle_minutes = idle_minutes
        self.label = QLabel()
        window.statusBar().addPermanentWidget(self.label)
        self.switch_action = QAction("Switch &user…", window)
        self.switch_action.triggered.connect(
            lambda: self.lock("Sign in as the person at the desk.")
        )
        self.sign_out_action = QAction("Sign &out", window)
        self.sign_out_action.triggered.connect(self.sign_out)
        first = menu.actions()[0] if menu.actions() else None
        menu.insertActions(first, [self.switch_action, self.sign_out_action])  # type: ignore[arg-type]
        menu.insertSeparator(first)  # type: ignore[arg-type]
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._idle)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._show_member()
        self.restart()

    def restart(self) -> None:
        if self.idle_minutes > 0 and not self.is_locked:
            self.timer.start(int(self.idle_minutes * 60_000))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and not self.is_locked and self.timer.isActive():
            self.timer.start()  # same interval, counted again from now
        return False

    def _idle(self) -> None:
        minutes = f"{self.idle_minutes:g} minute{'' if self.idle_minutes == 1 else 's'}"
        self.lock(
            f"The desk was locked after {minutes} without use.\n"
            "Sign in to carry on: what was typed is kept."
        )

    def sign_out(self) -> None:
        self.lock(f"{self.member.display_name} signed out. Sign in to use this desk.")

    def lock(self, why: str) -> StaffMember | None:
        """Cover every window, ask who is at the desk; the signed-in member, or None on Quit."""
        if self.is_locked:
            return None
        self.is_locked = True
        self.timer.stop()
        curtains = [
            _Curtain(w)
            for w in QApplication.topLevelWidgets()
            if w.isVisible() and not isinstance(w, QMenu)
        ]
        try:
            dialog = SignInDialog(self._ctx, self._window, locked=why)
            dialog.setObjectName("deskLockDialog")
            accepted = dialog.exec()
            member = dialog.member if accepted else None
            # The window (and the dialog with it) may have closed while the desk was locked.
            if shiboken6.isValid(dialog):
                dialog.deleteLater()
        finally:
            for curtain in curtains:
                if shiboken6.isValid(curtain):
                    curtain.deleteLater()
            self.is_locked = False
        if member is None:
            QApplication.quit()
            return None
        self.member = member
        self._show_member()
        self._on_member(member)
        self.restart()
        return member

    def _show_member(self) -> None:
        role = "manager" if self.member.role.can_manage else "receptionist"
        self.label.setText(f"Signed in: {self.member.display_name} ({role})")
