"""Reads the clinic's notification settings and templates from the shared `setting` table."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from montu_desktop.notifications.settings import NotificationSettings
from montu_desktop.notifications.templates import TEMPLATE_KEYS
from montu_desktop.persistence.tables import Setting


def stored_settings(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Setting.key, Setting.value)).tuples().all())


def load_settings(session: Session) -> tuple[NotificationSettings, dict[str, str]]:
    """The typed settings and the managers' own templates (key → text)."""
    stored = stored_settings(session)
    custom = {k: v for k, v in stored.items() if k in TEMPLATE_KEYS}
    return NotificationSettings.from_values(stored), custom
