"""Message templates managers can edit: when and where only, in clinic-local time.

A template may use only the placeholders below; the appointment type, the doctor and
anything clinical are simply not offered, so no edit can put them into a message.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.notifications.model import Channel, Kind

PLACEHOLDERS = {
    "first_name": "the patient's given name",
    "date": "the appointment day, e.g. Tuesday 24 November (recall reminders: the day due back)",
    "time": "the clinic-local start time, e.g. 9:15 am",
    "clinic_name": "the clinic's name",
    "clinic_address": "the clinic's address",
    "clinic_phone": "the clinic's phone number",
    "old_date": "for a change notice: the day it was on",
    "old_time": "for a change notice: the time it was at",
    "manage_link": "the patient's link to move or cancel online (needs online.public_url)",
}

PARTS = ("sms", "email", "subject")
TEMPLATE_KEYS = {f"template.{kind.value}.{part}" for kind in Kind for part in PARTS}

DEFAULTS: dict[str, str] = {
    "template.confirmation.sms": (
        "Hi {first_name}, your appointment at {clinic_name} is booked for {date} at {time}. "
        "{clinic_address}. To change it call {clinic_phone}."
    ),
    "template.confirmation.subject": "Your appointment at {clinic_name} on {date}",
    "template.confirmation.email": (
        "Dear {first_name},\n\nYour appointment at {clinic_name} is booked for {date} "
        "at {time}.\n\nWhere: {clinic_address}\n\nTo change or cancel it, please call us on "
        "{clinic_phone}.\n\n{clinic_name}"
    ),
    "template.reminder.sms": (
        "Reminder: {first_name}, your appointment at {clinic_name} is on {date} at {time}. "
        "{clinic_address}. Can't come? Call {clinic_phone}."
    ),
    "template.reminder.subject": "Reminder: your appointment on {date} at {time}",
    "template.reminder.email": (
        "Dear {first_name},\n\nThis is a reminder of your appointment at {clinic_name} "
        "on {date} at {time}.\n\nWhere: {clinic_address}\n\nIf you cannot come, please call "
        "{clinic_phone}.\n\n{clinic_name}"
    ),
    "template.cancellation.sms": (
        "{first_name}, your appointment at {clinic_name} on {date} at {time} is cancelled. "
        "To book again call {clinic_phone}."
    ),
    "template.cancellation.subject": "Your appointment on {date} is cancelled",
    "template.cancellation.email": (
        "Dear {first_name},\n\nYour appointment at {clinic_name} on {date} at {time} "
        "has been cancelled.\n\nTo book again, please call {clinic_phone}.\n\n{clinic_name}"
    ),
    "template.change.sms": (
        "{first_name}, your appointment at {clinic_name} has moved to {date} at {time} "
        "(was {old_date} {old_time}). {clinic_address}. Questions? Call {clinic_phone}."
    ),
    "template.change.subject": "Your appointment has moved to {date} at {time}",
    "template.change.email": (
        "Dear {first_name},\n\nYour appointment at {clinic_name} has moved to {date} at "
        "{time} (it was on {old_date} at {old_time}).\n\nWhere: {clinic_address}\n\n"
        "Questions? Please call {clinic_phone}.\n\n{clinic_name}"
    ),
    "template.recall.sms": (
        "Hi {first_name}, it is nearly time for your next visit to {clinic_name} (due {date}). "
        "Please call {clinic_phone} to book."
    ),
    "template.recall.subject": "Time to book your next visit to {clinic_name}",
    "template.recall.email": (
        "Dear {first_name},\n\nOur records show you are due to see us again around {date}. "
        "Please call {clinic_phone} to book a time that suits you.\n\n{clinic_name}\n"
        "{clinic_address}"
    ),
    "template.late_cancel.sms": (
        "{first_name}, your appointment at {clinic_name} on {date} at {time} is too close to "
        "cancel by SMS, so it is still booked. Please call {clinic_phone}."
    ),
    "template.late_cancel.subject": "Your appointment on {date} is still booked",
    "template.late_cancel.email": (
        "Dear {first_name},\n\nYour appointment at {clinic_name} on {date} at {time} is too "
        "close to cancel by SMS, so it is still booked.\n\nPlease call us on {clinic_phone}."
        "\n\n{clinic_name}"
    ),
}
TWO_WAY_REMINDER_SMS = (
    "Reminder: {first_name}, your appointment at {clinic_name} is on {date} at {time}. "
    "{clinic_address}. Reply C to cancel or Y to confirm."
)
"""The default reminder SMS while two-way SMS is on (`sms.two_way`)."""
MAX_LENGTH = {"sms": 480, "subject": 150, "email": 4000}


def template_key(kind: Kind, part: str) -> str:
    return f"template.{kind.value}.{part}"


def check_template(key: str, text: str) -> None:
    """Refuse a template that could not be filled in for every message, naming the key.

    Only the documented placeholders, each written plainly as {name} (no format spec such as
    {first_name:d} and no conversion such as {date!r}), balanced braces, no control
    characters (a subject is a mail header: not even a line break), within the length limit.
    """
    part = key.rsplit(".", 1)[-1]
    if not text.strip():
        raise InvalidRequest(key, "must not be empty")
    if len(text) > MAX_LENGTH[part]:
        raise InvalidRequest(key, f"must be at most {MAX_LENGTH[part]} characters")
    allowed = "" if part == "subject" else "\n\t"
    if any(_is_control(c) and c not in allowed for c in text):
        what = "line breaks or control characters" if part == "subject" else "control characters"
        raise InvalidRequest(key, f"must not contain {what}")
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise InvalidRequest(key, f"has a stray brace: {exc}") from None
    known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            raise InvalidRequest(key, f"{{{name}}} is not a placeholder; use {known}")
        if spec or conversion:
            raise InvalidRequest(
                key, f"write {{{name}}} plainly: no format spec (:…) or conversion (!…)"
            )


def check_template_setting(key: str, value: str) -> str:
    """A template as it will be stored (unchanged), or InvalidRequest naming the key."""
    # A subject is a mail header: CR/LF could smuggle headers (Bcc:); NUL truncates text.
    if "\x00" in value or (key.endswith(".subject") and ("\r" in value or "\n" in value)):
        raise InvalidRequest(key, "must not contain control characters (line breaks or NUL)")
    check_template(key, value)
    return value


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in "\u2028\u2029"


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """What a message may say: who (first name), when (clinic-local) and where."""

    first_name: str
    start_local: datetime
    clinic_name: str
    clinic_address: str
    clinic_phone: str
    old_start_local: datetime | None = None
    manage_link: str = ""


def _day(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B}"


def _clock(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M} {'am' if moment.hour < 12 else 'pm'}"


def values(facts: MessageFacts) -> dict[str, str]:
    old = facts.old_start_local
    return {
        "first_name": facts.first_name,
        "date": _day(facts.start_local),
        "time": _clock(facts.start_local),
        "clinic_name": facts.clinic_name,
        "clinic_address": facts.clinic_address,
        "clinic_phone": facts.clinic_phone,
        "old_date": _day(old) if old else "",
        "old_time": _clock(old) if old else "",
        "manage_link": facts.manage_link,
    }


def default_text(key: str, *, two_way: bool = False) -> str:
    """The built-in template for `key`; the reminder SMS invites a reply when two-way is on."""
    if two_way and key == "template.reminder.sms":
        return TWO_WAY_REMINDER_SMS
    return DEFAULTS[key]


def render(
    kind: Kind,
    channel: Channel,
    facts: MessageFacts,
    custom: Mapping[str, str],
    *,
    two_way: bool = False,
) -> tuple[str, str]:
    """(subject, body) for this kind and channel; managers' templates win over the defaults."""

    def text(part: str) -> str:
        key = template_key(kind, part)
        return custom.get(key) or default_text(key, two_way=two_way)

    filled = values(facts)
    body = fill(text(channel.value), filled)
    subject = fill(text("subject"), filled) if channel is Channel.EMAIL else ""
    return subject, body


def uses(kind: Kind, channel: Channel, custom: Mapping[str, str], name: str) -> bool:
    """Whether the message of this kind and channel says {name} (custom or default text)."""
    key = template_key(kind, channel.value)
    return "{" + name + "}" in (custom.get(key) or DEFAULTS[key])


def fill(template: str, filled: Mapping[str, str]) -> str:
    """The template with each plain {placeholder} replaced; anything else raises ValueError.

    Unlike str.format, no attribute or index lookups ({first_name.__class__}), format specs
    or conversions are ever evaluated, even for a template stored without the checks.
    """
    parts = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        parts.append(literal)
        if name is None:
            continue
        if name not in filled or spec or conversion:
            raise ValueError(f"{{{name}}} is not a plain placeholder")
        parts.append(filled[name])
    return "".join(parts)
