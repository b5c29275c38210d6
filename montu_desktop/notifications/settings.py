"""The clinic-wide notification settings: one declaration per key (default, meaning, parser).

Values are stored as text in the shared `setting` table so that every PC sees the same ones;
this module only knows how to read and check them (no database, no Qt).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from urllib.parse import urlparse

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.notifications.templates import TEMPLATE_KEYS, check_template

SECRET_NAMES = {
    "smtp.password": "password of the SMTP account",
    "sms.token": "auth token of the SMS provider account",
}


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local wall-clock hours with no SMS, e.g. 21:00 to 08:00 (may wrap past midnight)."""

    starts: time
    ends: time

    def contains(self, wall: time) -> bool:
        if self.starts <= self.ends:
            return self.starts <= wall < self.ends
        return wall >= self.starts or wall < self.ends

    def __str__(self) -> str:
        return f"{self.starts:%H:%M}-{self.ends:%H:%M}"


def _text(limit: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip()
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters")
        return value

    return parse


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            raise ValueError("must be a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number

    return parse


def _seconds(low: float, high: float) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError("must be a number of seconds") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low:g} and {high:g} seconds")
        return number

    return parse


def _choice(*options: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip().lower()
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value

    return parse


_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


def _host(value: str) -> str:
    value = value.strip()
    if value and not _HOST.match(value):
        raise ValueError("must be a host name or IP address (no scheme, no port)")
    return value


def _sender_email(value: str) -> str:
    value = value.strip()
    if not value:
        return value
    # "Clinic Name <desk@clinic.example>" or a bare address.
    address = value[value.find("<") + 1 : value.rfind(">")] if "<" in value else value
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address):
        raise ValueError("must be an email address, e.g. Clinic <desk@clinic.example>")
    return value


def _url(value: str) -> str:
    value = value.strip().rstrip("/")
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("must be an http:// or https:// address")
    return value


def _sms_sender(value: str) -> str:
    value = value.strip()
    if value and not re.fullmatch(r"\+[1-9]\d{6,14}|[A-Za-z0-9 ]{1,11}", value):
        raise ValueError("must be a phone number in +E.164 form or a name of up to 11 letters")
    return value


_DURATION = re.compile(r"^(\d+)\s*([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_offsets(value: str) -> tuple[timedelta, ...]:
    """'24h,2h' → (24 hours, 2 hours), longest first; empty or 'none' means no reminders."""
    text = value.strip().lower()
    if text in ("", "none", "off"):
        return ()
    offsets = set()
    for part in text.split(","):
        match = _DURATION.match(part.strip())
        if not match:
            raise ValueError(f"{part.strip()!r} is not a duration like 24h, 2h, 30m or 2d")
        offset = timedelta(**{_UNITS[match[2]]: int(match[1])})
        if not timedelta(minutes=5) <= offset <= timedelta(days=14):
            raise ValueError("each reminder must be between 5 minutes and 14 days before")
        offsets.add(offset)
    if len(offsets) > 5:
        raise ValueError("at most 5 reminders")
    return tuple(sorted(offsets, reverse=True))


def parse_hold_release(value: str) -> timedelta:
    """'2h' → 2 hours: how long before its start held time is offered to everyone ('0m': never early)."""
    match = _DURATION.match(value.strip().lower())
    if not match:
        raise ValueError(f"{value.strip()!r} is not a duration like 2h, 30m or 1d")
    offset = timedelta(**{_UNITS[match[2]]: int(match[1])})
    if offset > timedelta(days=7):
        raise ValueError("must be at most 7 days")
    return offset


def format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def parse_quiet_hours(value: str) -> QuietHours | None:
    """'21:00-08:00' → QuietHours; empty or 'none' means SMS may go at any hour."""
    text = value.strip().lower()
    if text in ("", "none", "off"):
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", text)
    if not match:
        raise ValueError("must look like 21:00-08:00 (or none)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError("hours are 00 to 23 and minutes 00 to 59")
    if (h1, m1) == (h2, m2):
        raise ValueError("start and end must differ")
    return QuietHours(time(h1, m1), time(h2, m2))


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One clinic-wide setting: its key, default text, meaning and how its text is read."""

    key: str
    default: str
    meaning: str
    parse: Callable[[str], object]


SPECS: dict[str, SettingSpec] = {
    s.key: s
    for s in (
        SettingSpec("smtp.host", "", "SMTP server host name (empty: no email)", _host),
        SettingSpec("smtp.port", "587", "SMTP server port", _int_between(1, 65535)),
        SettingSpec(
            "smtp.security",
            "starttls",
            "none, starttls or ssl",
            _choice("none", "starttls", "ssl"),
        ),
        SettingSpec("smtp.username", "", "SMTP login (password: secret smtp.password)", _text(254)),
        SettingSpec("smtp.sender", "", "From address of emails", _sender_email),
        SettingSpec(
            "smtp.timeout_seconds", "20", "give up on the SMTP server after", _seconds(1, 120)
        ),
        SettingSpec(
            "sms.provider", "none", "none or twilio (Twilio's REST API)", _choice("none", "twilio")
        ),
        SettingSpec("sms.base_url", "https://api.twilio.com", "SMS provider API address", _url),
        SettingSpec("sms.account", "", "SMS account id (token: secret sms.token)", _text(100)),
        SettingSpec("sms.sender", "", "SMS sender number (+E.164) or name", _sms_sender),
        SettingSpec(
            "sms.timeout_seconds", "10", "give up on the SMS provider after", _seconds(0.1, 120)
        ),
        SettingSpec(
            "reminders.offsets", "24h,2h", "reminders this long before (e.g. 24h,2h)", parse_offsets
        ),
        SettingSpec(
            "notifications.max_attempts",
            "5",
            "tries before a message is a dead letter",
            _int_between(1, 20),
        ),
        SettingSpec(
            "notifications.backoff_seconds",
            "60",
            "wait before the first retry (doubles after each try)",
            _seconds(0.01, 86400),
        ),
        SettingSpec(
            "notifications.poll_seconds",
            "10",
            "how often the dispatcher looks for work",
            _seconds(0.1, 3600),
        ),
        SettingSpec(
            "holds.release_before",
            "2h",
            "held urgent time is offered to everyone this long before it starts",
            parse_hold_release,
        ),
        SettingSpec(
            "quiet_hours",
            "21:00-08:00",
            "no SMS between these local times (or none)",
            parse_quiet_hours,
        ),
        SettingSpec(
            "backup.every_hours",
            "24",
            "automatic backup of the embedded database this often (hours)",
            _int_between(1, 720),
        ),
        SettingSpec(
            "backup.keep",
            "14",
            "automatic backups kept (older ones are deleted)",
            _int_between(1, 365),
        ),
        SettingSpec(
            "waiting_room.amber_minutes",
            "15",
            "waiting room: a wait turns amber after this many minutes",
            _int_between(1, 600),
        ),
        SettingSpec(
            "waiting_room.red_minutes",
            "30",
            "waiting room: a wait turns red after this many minutes",
            _int_between(1, 600),
        ),
        SettingSpec(
            "online.cancel_notice_hours",
            "24",
            "online bookings can be cancelled online up to this many hours before",
            _int_between(0, 720),
        ),
    )
}


def check_setting(key: str, value: str) -> str:
    """The value as it will be stored, or InvalidRequest naming the key and the reason."""
    # Header and SMS values with CR/LF could smuggle headers (Bcc:); NUL truncates text.
    bodies = key in TEMPLATE_KEYS and not key.endswith(".subject")
    if "\x00" in value or (not bodies and ("\r" in value or "\n" in value)):
        raise InvalidRequest(key, "must not contain control characters (line breaks or NUL)")
    if key in TEMPLATE_KEYS:
        check_template(key, value)
        return value
    spec = SPECS.get(key)
    if spec is None:
        raise InvalidRequest("key", f"{key!r} is not a setting (see `montu-desktop config list`)")
    if any(unicodedata.category(c) == "Cc" for c in value.strip()):
        # Values end up in mail headers and API requests: a line break could forge a header.
        raise InvalidRequest(key, "must not contain line breaks or control characters")
    try:
        spec.parse(value)
    except ValueError as exc:
        raise InvalidRequest(key, str(exc)) from None
    return value.strip()


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
            spec = SPECS[key]
            try:
                return spec.parse(stored.get(key, spec.default))
            except ValueError:
                return spec.parse(spec.default)

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
        )
