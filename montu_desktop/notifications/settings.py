"""The notification side of the clinic-wide settings: the typed settings the dispatcher works
with, and the check of any setting key, message templates included.

The registry itself (every key's declaration, default, meaning and parser) is in
config/settings_registry.py, where services read it; its names are re-exported here so that
older imports keep working.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from montu_desktop.config.settings_registry import (
    SECRET_NAMES,
    SPECS,
    QuietHours,
    SettingSpec,
    ValueKind,
    check_value,
    format_offset,
    parse_hold_release,
    parse_offsets,
    parse_quiet_hours,
    settings_table,
    typed_value,
)
from montu_desktop.notifications.templates import TEMPLATE_KEYS, check_template_setting

__all__ = [
    "SECRET_NAMES",
    "SPECS",
    "NotificationSettings",
    "QuietHours",
    "SettingSpec",
    "ValueKind",
    "check_setting",
    "format_offset",
    "parse_hold_release",
    "parse_offsets",
    "parse_quiet_hours",
    "settings_table",
]


def check_setting(key: str, value: str) -> str:
    """The value as it will be stored, or InvalidRequest naming the key and the reason: a
    message template by the templates' rules, any other key by the registry's."""
    if key in TEMPLATE_KEYS:
        return check_template_setting(key, value)
    return check_value(key, value)


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    """The typed settings the dispatcher works with."""

    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_username: str
    smtp_sender: str
    smtp_timeout: float
    sms_provider: str
    sms_base_url: str
    sms_account: str
    sms_sender: str
    sms_timeout: float
    reminder_offsets: tuple[timedelta, ...]
    max_attempts: int
    backoff_seconds: float
    poll_seconds: float
    quiet_hours: QuietHours | None
    recall_days_before: int = 14
    public_url: str = ""
    """online.public_url: where {manage_link} points and SMS webhooks are signed over."""
    sms_two_way: bool = False

    @property
    def email_configured(self) -> bool:
        return bool(self.smtp_host and self.smtp_sender)

    @property
    def sms_configured(self) -> bool:
        return self.sms_provider != "none" and bool(self.sms_account and self.sms_sender)

    def retry_delay(self, attempts: int) -> timedelta:
        """Wait after the `attempts`-th failed try: the first delay, doubling each time."""
        return timedelta(seconds=self.backoff_seconds * 2 ** max(0, attempts - 1))

    @classmethod
    def from_values(cls, stored: Mapping[str, str]) -> NotificationSettings:
        """Typed settings from stored text; a bad stored value falls back to its default."""

        def get(key: str):  # type: ignore[no-untyped-def]
            return typed_value(key, stored)

        return cls(
            smtp_host=get("smtp.host"),
            smtp_port=get("smtp.port"),
            smtp_security=get("smtp.security"),
            smtp_username=get("smtp.username"),
            smtp_sender=get("smtp.sender"),
            smtp_timeout=get("smtp.timeout_seconds"),
            sms_provider=get("sms.provider"),
            sms_base_url=get("sms.base_url"),
            sms_account=get("sms.account"),
            sms_sender=get("sms.sender"),
            sms_timeout=get("sms.timeout_seconds"),
            reminder_offsets=get("reminders.offsets"),
            max_attempts=get("notifications.max_attempts"),
            backoff_seconds=get("notifications.backoff_seconds"),
            poll_seconds=get("notifications.poll_seconds"),
            quiet_hours=get("quiet_hours"),
            recall_days_before=get("recalls.remind_days_before"),
            public_url=get("online.public_url"),
            sms_two_way=get("sms.two_way") == "on",
        )
