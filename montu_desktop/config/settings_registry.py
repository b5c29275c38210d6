"""The clinic-wide settings registry: every key declared once (default, meaning, kind, bounds)
with how its stored text is read and checked.

Values are stored as text in the shared `setting` table so that every PC sees the same ones
(persistence/settings_rows.py); this module only knows how to read and check them (no
database, no Qt). It holds every area's keys (SMTP, SMS, reminders, holds, backups, the
waiting room, online booking); the message templates, a family of their own, are declared
with the templates (notifications/templates.py).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from urllib.parse import urlparse

from montu_desktop.domain.errors import InvalidRequest

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


def _public_url(value: str) -> str:
    """The address patients and providers reach `serve` at, or empty (not published)."""
    value = value.strip().rstrip("/")
    if value and (urlparse(value).scheme not in ("http", "https") or not urlparse(value).netloc):
        raise ValueError("must be an http:// or https:// address (or empty)")
    if urlparse(value).query or urlparse(value).fragment:
        raise ValueError("must not have a ?query or #fragment")
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


class ValueKind(enum.StrEnum):
    """How a setting's text is read (and which widget a page shows for it)."""

    TEXT = "text"
    WHOLE_NUMBER = "whole number"
    SECONDS = "seconds"
    CHOICE = "choice"
    HOST = "host name"
    EMAIL = "email address"
    URL = "web address"
    SMS_SENDER = "SMS sender"
    DURATIONS = "durations"
    QUIET_HOURS = "quiet hours"
    DURATION = "duration"
    PUBLIC_URL = "public web address"


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One clinic-wide setting, declared once: key, kind, bounds or choices, default, meaning.

    The settings pages build their widgets from it, `config set` checks values with it and
    the README's settings table is generated from it (tests/unit/test_setting_specs.py).
    """

    key: str
    default: str
    meaning: str
    kind: ValueKind = ValueKind.TEXT
    low: float | None = None
    high: float | None = None
    choices: tuple[tuple[str, str], ...] = ()
    """(value, what a person reads) pairs, for a CHOICE."""
    max_length: int | None = None
    help: str = ""
    """A longer hint shown under the field."""

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _label in self.choices)

    def parse(self, value: str) -> object:
        """The typed value of `value`, or ValueError saying in plain words what is wrong."""
        kind = self.kind
        if kind is ValueKind.WHOLE_NUMBER:
            try:
                number: float = int(value.strip())
            except ValueError:
                raise ValueError("must be a whole number") from None
            return self._within(number, "")
        if kind is ValueKind.SECONDS:
            try:
                number = float(value.strip())
            except ValueError:
                raise ValueError("must be a number of seconds") from None
            return self._within(number, " seconds")
        if kind is ValueKind.CHOICE:
            text = value.strip().lower()
            if text not in self.choice_values:
                raise ValueError(f"must be one of {', '.join(self.choice_values)}")
            return text
        if kind is ValueKind.TEXT:
            text = value.strip()
            if self.max_length is not None and len(text) > self.max_length:
                raise ValueError(f"must be at most {self.max_length} characters")
            return text
        return _READERS[kind](value)

    def _within(self, number: float, unit: str) -> float:
        assert self.low is not None and self.high is not None
        if not self.low <= number <= self.high:
            raise ValueError(f"must be between {self.low:g} and {self.high:g}{unit}")
        return number

    def allowed(self) -> str:
        """What values are allowed, in a few words (for the README table and `config list`)."""
        if self.kind in (ValueKind.WHOLE_NUMBER, ValueKind.SECONDS):
            unit = " seconds" if self.kind is ValueKind.SECONDS else ""
            return f"{self.low:g} to {self.high:g}{unit}"
        if self.kind is ValueKind.CHOICE:
            return ", ".join(f"`{v}`" for v in self.choice_values)
        if self.kind is ValueKind.TEXT and self.max_length is not None:
            return f"text, at most {self.max_length} characters"
        return _ALLOWED[self.kind]


_READERS: dict[ValueKind, Callable[[str], object]] = {
    ValueKind.HOST: _host,
    ValueKind.EMAIL: _sender_email,
    ValueKind.URL: _url,
    ValueKind.SMS_SENDER: _sms_sender,
    ValueKind.DURATIONS: parse_offsets,
    ValueKind.QUIET_HOURS: parse_quiet_hours,
    ValueKind.DURATION: parse_hold_release,
    ValueKind.PUBLIC_URL: _public_url,
}
_ALLOWED = {
    ValueKind.TEXT: "text",
    ValueKind.HOST: "host name or IP address, or empty",
    ValueKind.EMAIL: "email address (`Name <a@b.c>` or bare), or empty",
    ValueKind.URL: "`http://` or `https://` address",
    ValueKind.SMS_SENDER: "+E.164 number or a name of up to 11 letters, or empty",
    ValueKind.DURATIONS: "up to 5 of `30m`, `2h`, `2d` (5 minutes to 14 days), or `none`",
    ValueKind.QUIET_HOURS: "`HH:MM-HH:MM` (may wrap past midnight), or `none`",
    ValueKind.DURATION: "a duration such as `2h` or `90m`",
    ValueKind.PUBLIC_URL: "`https://` or `http://` address, or empty",
}

_K = ValueKind

SPECS: dict[str, SettingSpec] = {
    s.key: s
    for s in (
        SettingSpec(
            "smtp.host",
            "",
            "SMTP server host name (empty: no email)",
            _K.HOST,
            help="Leave empty to send no email.",
        ),
        SettingSpec("smtp.port", "587", "SMTP server port", _K.WHOLE_NUMBER, 1, 65535),
        SettingSpec(
            "smtp.security",
            "starttls",
            "how the connection to the SMTP server is protected",
            _K.CHOICE,
            choices=(
                ("none", "None: plain text (only inside the clinic's network)"),
                ("starttls", "STARTTLS (usually port 587)"),
                ("ssl", "SSL/TLS (usually port 465)"),
            ),
        ),
        SettingSpec(
            "smtp.username",
            "",
            "SMTP login (password: secret smtp.password)",
            max_length=254,
            help="Empty if the server needs no login.",
        ),
        SettingSpec(
            "smtp.sender",
            "",
            "From address of emails",
            _K.EMAIL,
            help="What patients see as the sender.",
        ),
        SettingSpec(
            "smtp.timeout_seconds", "20", "give up on the SMTP server after", _K.SECONDS, 1, 120
        ),
        SettingSpec(
            "sms.provider",
            "none",
            "which SMS service sends texts (Twilio's REST API shape)",
            _K.CHOICE,
            choices=(("none", "None: no SMS"), ("twilio", "Twilio (REST API)")),
        ),
        SettingSpec(
            "sms.base_url",
            "https://api.twilio.com",
            "SMS provider API address",
            _K.URL,
            help="Twilio: https://api.twilio.com",
        ),
        SettingSpec(
            "sms.account",
            "",
            "SMS account id (token: secret sms.token)",
            max_length=100,
            help="The account SID.",
        ),
        SettingSpec(
            "sms.sender",
            "",
            "SMS sender number (+E.164) or name",
            _K.SMS_SENDER,
            help="A number in +61… form, or a name of up to 11 letters and digits.",
        ),
        SettingSpec(
            "sms.timeout_seconds", "10", "give up on the SMS provider after", _K.SECONDS, 0.1, 120
        ),
        SettingSpec(
            "reminders.offsets",
            "24h,2h",
            "reminders this long before (e.g. 24h,2h)",
            _K.DURATIONS,
            help="How long before each appointment, e.g. 24h,2h (hours h, minutes m, days d; "
            "at most 5). Empty: no reminders.",
        ),
        SettingSpec(
            "notifications.max_attempts",
            "5",
            "tries before a message is a dead letter",
            _K.WHOLE_NUMBER,
            1,
            20,
            help="After the last try a message goes to the dead-letter list "
            "(Clinic → Notifications…).",
        ),
        SettingSpec(
            "notifications.backoff_seconds",
            "60",
            "wait before the first retry (doubles after each try)",
            _K.SECONDS,
            0.01,
            86400,
            help="The wait doubles after each failed try.",
        ),
        SettingSpec(
            "notifications.poll_seconds",
            "10",
            "how often the dispatcher looks for work",
            _K.SECONDS,
            0.1,
            3600,
        ),
        SettingSpec(
            "holds.release_before",
            "2h",
            "held urgent time is offered to everyone this long before it starts",
            _K.DURATION,
        ),
        SettingSpec(
            "quiet_hours",
            "21:00-08:00",
            "no SMS between these clinic-local times (or none)",
            _K.QUIET_HOURS,
            help="Clinic-local times. A reminder due in the quiet hours goes when they end, "
            "if the appointment has not begun.",
        ),
        SettingSpec(
            "backup.every_hours",
            "24",
            "automatic backup of the embedded database this often (hours)",
            _K.WHOLE_NUMBER,
            1,
            720,
        ),
        SettingSpec(
            "backup.keep",
            "14",
            "automatic backups kept (older ones are deleted)",
            _K.WHOLE_NUMBER,
            1,
            365,
        ),
        SettingSpec(
            "waiting_room.amber_minutes",
            "15",
            "waiting room: a wait turns amber after this many minutes",
            _K.WHOLE_NUMBER,
            1,
            600,
        ),
        SettingSpec(
            "waiting_room.red_minutes",
            "30",
            "waiting room: a wait turns red after this many minutes",
            _K.WHOLE_NUMBER,
            1,
            600,
        ),
        SettingSpec(
            "recalls.remind_days_before",
            "14",
            "recall reminders go this many days before the day a patient is due back (0: none)",
            _K.WHOLE_NUMBER,
            0,
            90,
            help="By SMS and email, as for appointment reminders (patients who opted out get "
            "none). The message says when they are due, never what for.",
        ),
        SettingSpec(
            "online.cancel_notice_hours",
            "24",
            "online bookings can be cancelled online up to this many hours before",
            _K.WHOLE_NUMBER,
            0,
            720,
        ),
        SettingSpec(
            "online.public_url",
            "",
            "the address patients and providers reach `serve` at (the booking page and manage "
            "links are built from it; SMS webhooks are signed over it)",
            _K.PUBLIC_URL,
            help="e.g. https://book.clinic.example (empty: not published)",
        ),
        SettingSpec(
            "calendar.patient_names",
            "off",
            "doctors' calendar feeds name the patient (off: only the type and length)",
            _K.CHOICE,
            choices=(
                ("off", "Off: events say only the type and length"),
                ("on", "On: events name the patient"),
            ),
            help="A feed is read by the doctor's phone or calendar service: health data.",
        ),
        SettingSpec(
            "work_ins.receptionists",
            "off",
            "receptionists may book work-ins (a patient squeezed in over a booked time)",
            _K.CHOICE,
            choices=(
                ("off", "Off: only managers book work-ins"),
                ("on", "On: receptionists may book work-ins too"),
            ),
            help="A work-in always names its doctor and a reason; the fair choice and the "
            "website never make one.",
        ),
        SettingSpec(
            "sms.two_way",
            "off",
            "patients may answer reminders by SMS (C cancels, Y confirms, STOP opts out)",
            _K.CHOICE,
            choices=(
                ("off", "Off: replies are not read"),
                ("on", "On: replies act and are listed"),
            ),
        ),
    )
}


def settings_table() -> str:
    """The README's table of clinic-wide settings, generated from SPECS."""
    rows = [
        "| Key | Default | Allowed | Meaning |",
        "|---|---|---|---|",
    ]
    for spec in SPECS.values():
        default = f"`{spec.default}`" if spec.default else "(empty)"
        rows.append(f"| `{spec.key}` | {default} | {spec.allowed()} | {spec.meaning} |")
    return "\n".join(rows)


def check_value(key: str, value: str) -> str:
    """The value of a declared key as it will be stored, or InvalidRequest naming the key and
    the reason (an undeclared key is refused under "key")."""
    # Header and SMS values with CR/LF could smuggle headers (Bcc:); NUL truncates text.
    if "\x00" in value or "\r" in value or "\n" in value:
        raise InvalidRequest(key, "must not contain control characters (line breaks or NUL)")
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


AMBER_KEY = "waiting_room.amber_minutes"
RED_KEY = "waiting_room.red_minutes"
CHECKED_TOGETHER = (AMBER_KEY, RED_KEY)
"""Keys each allowed alone but checked with each other (check_together)."""


def check_together(values: Mapping[str, str], changed: Collection[str]) -> None:
    """Refuse, naming the key changed and the reason, values allowed alone but not together:
    `values` are the texts as they would be stored, `changed` the keys being set."""
    if not any(key in changed for key in CHECKED_TOGETHER):
        return
    amber, red = typed_value(AMBER_KEY, values), typed_value(RED_KEY, values)
    if amber >= red:  # type: ignore[operator]
        why = "a wait turns amber before it turns red"
        if AMBER_KEY in changed:
            raise InvalidRequest(AMBER_KEY, f"must be less than {RED_KEY} ({red}): {why}")
        raise InvalidRequest(RED_KEY, f"must be more than {AMBER_KEY} ({amber}): {why}")


def typed_value(key: str, stored: Mapping[str, str]) -> object:
    """The typed value of a declared key from the stored texts (key → text); a key not
    stored, or stored with a value no longer allowed, has its default."""
    spec = SPECS[key]
    try:
        return spec.parse(stored.get(key, spec.default))
    except ValueError:
        return spec.parse(spec.default)
