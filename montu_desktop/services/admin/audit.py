"""Reads the audit log for managers: newest first, filtered by person, action or dates."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from montu_desktop.domain.clinic_time import local_instant, to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.wording import when_label
from montu_desktop.persistence import admin_tables as at
from montu_desktop.persistence import tables as t
from montu_desktop.persistence.security import ChainBreak, chain_breaks
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork


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
    e = at.AuditEntry
    query = select(e).order_by(e.at.desc(), e.id.desc()).limit(limit)
    if actor.strip():
        query = query.where(e.actor == actor.strip().lower())
    if action.strip():
        query = query.where(e.action.startswith(action.strip()))
    else:  # the database's own row-by-row entries are asked for by name ("row.")
        query = query.where(e.action.not_like("row.%"))
    if first is not None:
        query = query.where(e.at >= local_instant(first, time(0), zone))
    if last is not None:
        query = query.where(e.at < local_instant(last + timedelta(days=1), time(0), zone))
    with UnitOfWork(ctx) as uow:
        return [
            AuditRecord(r.at, r.actor, r.action, r.subject, dict(r.details))
            for r in uow.session.scalars(query)
        ]


@dataclass(frozen=True, slots=True)
class AuditLine:
    """An audit entry in plain words: clinic-local time, the person's name, what they did."""

    when: str
    who: str
    what: str
    record: AuditRecord


_STATUS_WORDS = {
    "arrived": "arrived",
    "completed": "seen (completed)",
    "no_show": "a no-show",
    "booked": "booked again (undone)",
}
_SETTINGS_WORDS = {
    "settings.clinic": "changed the clinic's details",
    "settings.clinic.created": "set up the clinic",
    "settings.closure.added": "added a closure",
    "settings.closure.removed": "removed a closure",
    "settings.doctor.activated": "made a doctor bookable again",
    "settings.doctor.added": "added a doctor",
    "settings.doctor.deactivated": "stopped bookings for a doctor",
    "settings.doctor.removed": "removed a doctor",
    "settings.doctor.renamed": "renamed a doctor",
    "settings.holidays.loaded": "loaded public holidays",
    "settings.opening_hours": "changed the opening hours",
    "settings.roster.changed": "changed a roster",
    "settings.roster.exception_removed": "removed a roster change",
    "settings.type.added": "added an appointment type",
    "settings.type.changed": "changed an appointment type",
    "settings.type.deleted": "deleted an appointment type",
    "staff.created": "created the account",
    "staff.signed_in": "signed in",
    "staff.password_reset": "reset the password of",
    "staff.enabled": "enabled the account",
    "staff.disabled": "disabled the account",
    "staff.role_changed": "changed the role of",
    "schedules.rolled_forward": "generated schedules for",
    "api_key.created": "created the online-booking key",
    "api_key.revoked": "revoked the online-booking key",
    "type.bookable_online": "changed which types can be booked online:",
    "setting.changed": "changed the setting",
    "setting.reset": "reset the setting",
    "notification.retried": "retried",
    "notification.dismissed": "dismissed",
    "waitlist.added": "put a patient on the waitlist:",
    "waitlist.removed": "took off the waitlist",
    "waitlist.closed": "booked from the waitlist",
}


@dataclass(frozen=True, slots=True)
class _Names:
    staff: dict[str, str]
    doctors: dict[int, str]
    appointments: dict[int, tuple[str, int]]
    """appointment id → (patient name, doctor id)."""


def _appointment_id(subject: str) -> int | None:
    prefix = "appointment "
    if subject.startswith(prefix) and subject[len(prefix) :].isdigit():
        return int(subject[len(prefix) :])
    return None


def _names(ctx: ServiceContext, records: list[AuditRecord], with_patients: bool) -> _Names:
    ids = {i for r in records if (i := _appointment_id(r.subject)) is not None}
    a, p = t.Appointment, t.Patient
    with UnitOfWork(ctx) as uow:
        staff = dict(
            uow.session.execute(select(at.StaffAccount.username, at.StaffAccount.display_name))
            .tuples()
            .all()
        )
        doctors = dict(uow.session.execute(select(t.Doctor.id, t.Doctor.name)).tuples().all())
        appointments: dict[int, tuple[str, int]] = {}
        for chunk in _chunks(sorted(ids), 500):
            rows = uow.session.execute(
                select(a.id, a.doctor_id, p.given_name, p.family_name)
                .join(p, p.id == a.patient_id)
                .where(a.id.in_(chunk))
            ).all()
            for row in rows:
                name = (
                    f"{row.given_name} {row.family_name}"
                    if with_patients
                    else f"patient of #{row.id}"
                )
                appointments[row.id] = (name, row.doctor_id)
    return _Names(staff, doctors, appointments)


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
    if action == "appointment.note":
        return f"{who} changed the note on {patient}'s appointment{with_doctor}"
    if action in ("patient.edited", "patient.added", "patient.merged"):
        fields = details.get("fields")
        what = ", ".join(str(f).replace("_", " ") for f in fields) if fields else ""
        verb = {"patient.edited": "edited", "patient.added": "added", "patient.merged": "merged"}
        into = f" into patient {details['into']}" if details.get("into") else ""
        changed = f" ({what})" if what else ""
        return f"{who} {verb[action]} {record.subject}{into}{changed}"
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
    words = _SETTINGS_WORDS.get(action, action.replace(".", " ").replace("_", " "))
    if action.startswith("api_key.") and details.get("name"):
        return f"{who} {words} '{details['name']}'"
    if action == "staff.signed_in":
        return f"{who} {words}"
    subject = record.subject if record.subject not in ("", "clinic") else ""
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


def _hash_at(conn: Connection, seq: int) -> str | None:
    return conn.execute(
        text("SELECT row_hash FROM audit_entry WHERE chain_seq = :s"), {"s": seq}
    ).scalar()


def _head_lost(conn: Connection, found: AuditHead, expect: AuditHead) -> str | None:
    if found.count < expect.count:
        return (
            f"the trail has {found.count} entries but reached {expect} before: "
            f"the newest {expect.count - found.count} were removed"
        )
    if expect.count and _hash_at(conn, expect.count) != expect.hash:
        return (
            f"entry number {expect.count} is not the one written down in {expect}: "
            "entries were removed and others written since"
        )
    return None


def verify_chain(ctx: ServiceContext, expect: AuditHead | None = None) -> ChainCheck:
    """Recompute every audit entry's hash link in order; stop at the first that does not hold.
    With `expect` (a head written down earlier), the chain must still reach it."""
    with UnitOfWork(ctx) as uow:
        conn = uow.session.connection()
        for found in chain_breaks(conn):
            if isinstance(found, ChainBreak):
                return ChainCheck(found.chain_seq or 0, found)
            entries, last_hash = found
            lost = (
                None if expect is None else _head_lost(conn, AuditHead(entries, last_hash), expect)
            )
            return ChainCheck(entries, None, last_hash, lost)
    return ChainCheck(0)
