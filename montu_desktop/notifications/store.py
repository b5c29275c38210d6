"""Reads the clinic's notification settings and templates from the shared `setting` table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from montu_desktop.notifications.settings import NotificationSettings
from montu_desktop.notifications.templates import TEMPLATE_KEYS
from montu_desktop.persistence import settings_rows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def stored_settings(session: Session) -> dict[str, str]:
    return settings_rows.stored_values(session)


def load_settings(session: Session) -> tuple[NotificationSettings, dict[str, str]]:
    """The typed settings and the managers' own templates (key → text)."""
    stored = stored_settings(session)
    custom = {k: v for k, v in stored.items() if k in TEMPLATE_KEYS}
    return NotificationSettings.from_values(stored), custom
