"""Reads the audit log for managers: newest first, filtered by person, action or dates."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from montu_desktop.domain.clinic_time import local_instant, to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.wording import day_label, when_label
from montu_desktop.persistence import audit_rows
from montu_desktop.persistence.security import ChainBreak
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class AuditRecord:
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, object]


def audit_log(
    ctx: ServiceContext,
    *,
    actor: str = "",
    action: str = "",
    first: date | None = None,
    last: date | None = None,
    zone: str = "UTC",
    limit: int = 500,
) -> list[AuditRecord]:
    """Entries matching every filter given (action matches as a prefix, e.g. "appointment").

    Without an action, the entries the database writes for every row change ("row.…") are
    left out: they repeat the app's own entries in table terms.
    """
    with UnitOfWork(ctx) as uow:
        rows = audit_rows.entries(
            uow.session,
            actor=actor.strip().lower() if actor.strip() else None,
            # the database's own row-by-row entries are asked for by name ("row.")
            action_prefix=action.strip() or None,
            since=local_instant(first, time(0), zone) if first is not None else None,
            before=(
                local_instant(last + timedelta(days=1), time(0), zone) if last is not None else None
            ),
            limit=limit,
        )
    return [AuditRecord(r.at, r.actor, r.action, r.subject, r.details) for r in rows]


@dataclass(frozen=True, slots=True)
class AuditLine:
    """An audit entry in plain words: clinic-local time, the person's name, what they did."""

    when: str
    who: str
    what: str
    record: AuditRecord


_STATUS_WORDS = {
    "arrived": "arrived",
    "called_in": "called in",
    "in_consultation": "in consultation",
    "did_not_wait": "did not wait (left unseen)",
    "completed": "seen (completed)",
    "no_show": "a no-show",
    "booked": "booked again (undone)",
}
_SETTINGS_WORDS = {
    "settings.clinic": "changed the clinic's details",
    "settings.clinic.created": "set up the clinic",
    "settings.closure.added": "added a closure on",
    "settings.closure.removed": "removed the closure on",
    "settings.doctor.activated": "opened bookings again for",
    "settings.doctor.added": "added the doctor",
    "settings.doctor.deactivated": "stopped bookings for",
    "settings.doctor.removed": "removed the doctor",
    "settings.doctor.renamed": "renamed a doctor",
    "settings.doctor.types": "changed the appointment types of",
    "settings.hold.removed": "released the time held for urgent patients of",
    "settings.holidays.loaded": "loaded the public holidays of",
    "settings.opening_hours": "changed the opening hours",
    "settings.roster.changed": "changed the roster of",
    "settings.roster.leave": "entered leave for",
    "settings.roster.extra": "added extra hours for",
    "settings.roster.exception_removed": "removed a roster change",
    "settings.type.added": "added the appointment type",
    "settings.type.changed": "changed the appointment type",
    "settings.type.deleted": "deleted the appointment type",
    "staff.created": "created the account",
    "staff.signed_in": "signed in",
    "staff.password_reset": "reset the password of",
    "staff.enabled": "enabled the account",
    "staff.disabled": "disabled the account",
    "staff.role_changed": "changed the role of",
    "schedules.rolled_forward": "generated the schedules of",
    "api_key.created": "created the online-booking key",
    "api_key.revoked": "revoked the online-booking key",
    "type.bookable_online": "changed which types can be booked online:",
    "setting.changed": "changed the setting",
    "setting.reset": "reset the setting",
    "notification.retried": "sent again the message to",
    "notification.dismissed": "dismissed the failed message to",
    "recall.added": "added a recall for",
    "recall.booked": "booked the recall of",
    "recall.done": "marked done the recall of",
    "recall.cancelled": "cancelled the recall of",
    "recall.reopened": "made due again (its booking was cancelled) the recall of",
}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NUMBERED = re.compile(r"^(doctor|patient|waitlist|type|exception|notification) (\d+)$")
"""A subject naming a record by number ("doctor 3"): said by name instead."""


@dataclass(frozen=True, slots=True)
class _Names:
    staff: dict[str, str]
    doctors: dict[int, str]
    appointments: dict[int, tuple[str, int]]
    """appointment id → (patient name, doctor id)."""
    numbered: dict[tuple[str, int], str] = field(default_factory=dict)
    """("patient", 322) → "Ava Singh"; the same for waitlist entries, types and messages."""

    def subject(self, subject: str) -> str:
        """The subject in words: a name for a numbered record, a day for an ISO date."""
        found = _NUMBERED.match(subject)
        if found:
            kind, number = found.group(1), int(found.group(2))
            if kind == "doctor":
                return self.doctors.get(number, subject)
            return self.numbered.get((kind, number), "" if kind == "exception" else subject)
        days = subject.split("..")
        if all(_iso_day(d) for d in days):
            return " to ".join(day_label(_iso_day(d), year=True) for d in days)  # type: ignore[arg-type]
        return subject


def _iso_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _appointment_id(subject: str) -> int | None:
    prefix = "appointment "
    if subject.startswith(prefix) and subject[len(prefix) :].isdigit():
        return int(subject[len(prefix) :])
    return None


def _numbered(records: list[AuditRecord], kind: str) -> list[int]:
    found = {
        int(m.group(2)) for r in records if (m := _NUMBERED.match(r.subject)) and m.group(1) == kind
    }
    if kind == "patient":  # a merge names the record kept too
        found |= {r.details["into"] for r in records if isinstance(r.details.get("into"), int)}
    return sorted(found)


def _named_records(
    session: Session, records: list[AuditRecord], with_patients: bool
) -> dict[tuple[str, int], str]:
    """Names for the numbered subjects: patients (and whose waitlist entry or message it was)
    for staff who may see them, "patient 322" for the others; appointment types."""
    named: dict[tuple[str, int], str] = {
        ("type", type_id): name for type_id, name in audit_rows.type_names(session).items()
    }
    for kind in ("patient", "waitlist", "notification"):
        for chunk in _chunks(_numbered(records, kind), 500):
            for row in audit_rows.owners(session, kind, chunk):
                named[(kind, row.id)] = (
                    f"{row.given_name} {row.family_name}"
                    if with_patients
                    else f"patient {row.patient_id}"
                )
    return named


def _names(ctx: ServiceContext, records: list[AuditRecord], with_patients: bool) -> _Names:
    ids = {i for r in records if (i := _appointment_id(r.subject)) is not None}
    with UnitOfWork(ctx) as uow:
        staff = audit_rows.staff_names(uow.session)
        doctors = audit_rows.doctor_names(uow.session)
        appointments: dict[int, tuple[str, int]] = {}
        for chunk in _chunks(sorted(ids), 500):
            for row in audit_rows.appointment_owners(uow.session, chunk):
                name = (
                    f"{row.given_name} {row.family_name}"
                    if with_patients
                    else f"patient of #{row.id}"
                )
                appointments[row.id] = (name, row.doctor_id or 0)
        numbered = _named_records(uow.session, records, with_patients)
    return _Names(staff, doctors, appointments, numbered)


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _local(value: object, zone: str) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return to_local(moment, zone) if moment.tzinfo else None


def _doctor(names: _Names, value: object) -> str:
    return names.doctors.get(value, "") if isinstance(value, int) else ""


def _sentence(record: AuditRecord, who: str, names: _Names, zone: str) -> str:
    details = record.details
    appointment = _appointment_id(record.subject)
    patient, own_doctor = names.appointments.get(appointment or -1, (record.subject, None))
    doctor = _doctor(names, details.get("doctor_id")) or _doctor(names, own_doctor)
    with_doctor = f" ({doctor})" if doctor else ""
    start = _local(details.get("start"), zone)
    action = record.action
    if action == "appointment.imported":  # services/imports.py: history from another system
        when = when_label(start) if start else "?"
        status = str(details.get("status", ""))
        marked = status if status in ("booked", "cancelled") else _STATUS_WORDS.get(status, status)
        return f"{who} imported {patient}'s appointment on {when}{with_doctor}, {marked}"
    if action in ("import.patients", "import.appointments"):
        what = action.split(".")[1]
        return (
            f"{who} imported {details.get('added', '?')} {what} from {details.get('file', '?')}"
            f" ({details.get('skipped', 0)} already there)"
        )
    if action == "appointment.booked":
        kind = details.get("type")
        what = f", {kind}" if kind else ""
        when = when_label(start) if start else "?"
        if doctor:
            return f"{who} booked {patient} for {when} ({doctor}{what})"
        return f"{who} booked {patient} for {when}{what}"
    if action == "appointment.cancelled":
        when = f" on {when_label(start)}" if start else ""
        reason = details.get("reason")
        because = f" (reason: {reason})" if reason else ""
        return f"{who} cancelled {patient}'s appointment{when}{with_doctor}{because}"
    if action == "appointment.confirmed":
        return f"{who} marked {patient}'s appointment{with_doctor} confirmed (SMS reply Y)"
    if action == "patient.reminders_opted_out":
        return f"{who} opted {names.subject(record.subject)} out of reminders (SMS reply STOP)"
    if action.startswith("sms.reply_"):
        said = {
            "sms.reply_received": f"received an SMS reply ({details.get('ask', '?')})",
            "sms.reply_handled": f"handled an SMS reply: {details.get('outcome', '?')}",
            "sms.reply_read": "read an SMS reply",
        }.get(action, action)
        return f"{who} {said} ({record.subject})"
    if action == "notification.delivery":
        return f"{who}: the SMS provider reported {record.subject} {details.get('delivery', '?')}"
    if action == "appointment.note":
        return f"{who} changed the note on {patient}'s appointment{with_doctor}"
    if action in ("patient.edited", "patient.added"):
        fields = details.get("fields")
        what = ", ".join(str(f).replace("_", " ") for f in fields) if fields else ""
        verb = {"patient.edited": "edited", "patient.added": "added"}
        changed = f" ({what})" if what else ""
        return f"{who} {verb[action]} {names.subject(record.subject)}{changed}"
    if action == "patient.merged":
        into = details.get("into")
        kept = names.subject(f"patient {into}") if isinstance(into, int) else "?"
        return f"{who} merged the duplicate record of {names.subject(record.subject)} into {kept}"
    if action == "appointment.rescheduled":
        old = _local(details.get("old_start"), zone)
        if old and start:
            target = f"{start:%H:%M}" if start.date() == old.date() else when_label(start)
            return f"{who} moved {patient} from {when_label(old)} to {target}{with_doctor}"
        return f"{who} moved {patient}{with_doctor}"
    if action == "appointment.reassigned":
        was = _doctor(names, details.get("was_doctor_id"))
        from_was = f" from {was}" if was else ""
        return f"{who} gave {patient}'s appointment to {doctor or '?'}{from_was}"
    if action == "appointment.status":
        status = str(details.get("new", details.get("status", "")))
        return f"{who} marked {patient} {_STATUS_WORDS.get(status, status.replace('_', ' '))}"
    if action.startswith("waitlist."):
        name = names.subject(record.subject)
        kind = f" ({details['type']})" if details.get("type") else ""
        return {
            "waitlist.added": f"{who} put {name} on the waitlist{kind}",
            "waitlist.removed": f"{who} took {name} off the waitlist",
        }.get(action, f"{who} booked {name} from the waitlist")
    if action == "settings.hold.added":
        weekday = details.get("weekday")
        day = _WEEKDAYS[weekday] if isinstance(weekday, int) and 0 <= weekday < 7 else "?"
        span = f"{details.get('starts', '?')}–{details.get('ends', '?')}"
        return f"{who} held {day} {span} for urgent patients ({names.subject(record.subject)})"
    if action == "settings.doctor.renamed" and details.get("was"):
        return f"{who} renamed the doctor {details['was']} to {record.subject}"
    if action == "type.bookable_online":
        made = "bookable online" if details.get("bookable") else "no longer bookable online"
        return f"{who} made {names.subject(record.subject)} {made}"
    words = _SETTINGS_WORDS.get(action, action.replace(".", " ").replace("_", " "))
    if action.startswith("api_key.") and details.get("name"):
        return f"{who} {words} '{details['name']}'"
    if action == "staff.signed_in":
        return f"{who} {words}"
    subject = names.subject(record.subject) if record.subject not in ("", "clinic") else ""
    if action.startswith("settings.roster.") and _iso_day(str(details.get("day", ""))):
        subject += f" on {day_label(_iso_day(str(details['day'])), year=True)}"  # type: ignore[arg-type]
    if action.startswith("staff.") and subject:
        person = names.staff.get(subject, subject)
        role = details.get("role")
        subject = f"{person} ({subject}{', ' + str(role) if role else ''})"
    return f"{who} {words} {subject}".rstrip()


def plain_audit(
    ctx: ServiceContext, records: list[AuditRecord], zone: str, *, with_patients: bool = True
) -> list[AuditLine]:
    """The entries as sentences: names for usernames, doctors and appointments, local times.

    `with_patients` is for staff allowed to see who the patients are; others get ids.
    """
    names = _names(ctx, records, with_patients)
    lines = []
    for record in records:
        who = names.staff.get(record.actor, record.actor)
        lines.append(
            AuditLine(
                when_label(to_local(record.at, zone), year=True),
                who,
                _sentence(record, who, names, zone),
                record,
            )
        )
    return lines


def audit_csv(lines: list[AuditLine]) -> str:
    """The lines as CSV (when, who, what happened, and the raw action for scripts)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["When", "Who", "What happened", "Action", "Username"])
    for line in lines:
        writer.writerow([line.when, line.who, line.what, line.record.action, line.record.actor])
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The end of the audit chain: how many entries it has and the newest entry's hash.

    Removing the newest entries (or all of them) leaves no broken link behind, so the head
    is written down where the database cannot rewrite it (backups' sidecar files, the app's
    log) and checked later with `audit verify --expect COUNT:HASH`.
    """

    count: int
    hash: str

    def __str__(self) -> str:
        return f"{self.count}:{self.hash or '-'}"


_HEAD = re.compile(r"^(\d{1,18}):([0-9a-f]{64}|-)$")


def parse_head(text: str) -> AuditHead:
    """`COUNT:HASH` as `audit verify` prints it; InvalidRequest naming --expect otherwise."""
    found = _HEAD.match(text.strip().lower())
    if found is None:
        raise InvalidRequest(
            "--expect",
            "must be COUNT:HASH as `audit verify` prints it (e.g. 12:3fa4…, 64 hex digits)",
        )
    count, digest = int(found.group(1)), found.group(2)
    if (count == 0) != (digest == "-"):
        raise InvalidRequest("--expect", "an empty trail is 0:-; any other count needs its hash")
    return AuditHead(count, "" if digest == "-" else digest)


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """What `audit verify` found: how many entries hold together, or the first broken link,
    or (with a head written down earlier) that the chain no longer reaches that head."""

    entries: int
    broken: ChainBreak | None = None
    last_hash: str = ""
    head_lost: str | None = None
    """Why the chain no longer reaches the expected head (newest entries removed)."""

    @property
    def intact(self) -> bool:
        return self.broken is None and self.head_lost is None

    @property
    def head(self) -> AuditHead:
        return AuditHead(self.entries, self.last_hash)


def _head_lost(session: Session, found: AuditHead, expect: AuditHead) -> str | None:
    if found.count < expect.count:
        return (
            f"the trail has {found.count} entries but reached {expect} before: "
            f"the newest {expect.count - found.count} were removed"
        )
    if expect.count and audit_rows.hash_at(session, expect.count) != expect.hash:
        return (
            f"entry number {expect.count} is not the one written down in {expect}: "
            "entries were removed and others written since"
        )
    return None


def verify_chain(ctx: ServiceContext, expect: AuditHead | None = None) -> ChainCheck:
    """Recompute every audit entry's hash link in order; stop at the first that does not hold.
    With `expect` (a head written down earlier), the chain must still reach it."""
    with UnitOfWork(ctx) as uow:
        for found in audit_rows.walk_chain(uow.session):
            if isinstance(found, ChainBreak):
                return ChainCheck(found.chain_seq or 0, found)
            entries, last_hash = found
            lost = (
                None
                if expect is None
                else _head_lost(uow.session, AuditHead(entries, last_hash), expect)
            )
            return ChainCheck(entries, None, last_hash, lost)
    return ChainCheck(0)
