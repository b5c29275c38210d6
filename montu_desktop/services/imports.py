"""Importing patients and appointments from another system's CSV export: all or nothing.

Every row goes through the door the desk uses: a patient is checked as add_patient checks
one and added with add_in (the duplicate rule skips the people already stored); a booked
appointment is booked with book_in (clinic hours, rosters, urgent holds, the overlap
guard). With `outside_roster` (history from the old system) an appointment is stored as
recorded, with its status, and only the database's own guards (no overlap, and on
PostgreSQL the staff logins' guard) still apply; a cancelled appointment takes no time, so
it is stored that way in either mode.

All rows are written in one transaction. Any refused row and nothing is kept: each refusal
names its line in the file (the header is line 1), its field and the reason; a dry run
rolls back too. Rows are checked before they are written, so the database itself refuses
one only after a race with a desk or through its own guard (on PostgreSQL, staff logins
keep live appointments inside rostered time); its transaction is then over, and that
line is the last one checked. Rows already stored (a patient by the duplicate rule; an appointment of the
same patient, doctor and start) are skipped, so the same file imported twice adds nothing
the second time. The audit log records the import (file, counts), never what the rows hold.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from montu_desktop.domain import csv_import, visits
from montu_desktop.domain.clinic_time import check_moment, clinic_zone
from montu_desktop.domain.csv_import import Row
from montu_desktop.domain.errors import DeskBusy, InvalidRequest, NotFound
from montu_desktop.domain.events import AppointmentBooked, AppointmentCancelled, AppointmentImported
from montu_desktop.domain.model import MAX_APPOINTMENT_MINUTES, AppointmentType, Doctor
from montu_desktop.domain.names import fold
from montu_desktop.domain.patients import PatientDetails, parse_birth_date
from montu_desktop.domain.wording import day_label
from montu_desktop.persistence import import_rows
from montu_desktop.persistence.conflicts import OverlapRefused, PatientRetired
from montu_desktop.services import booking, patients
from montu_desktop.services.context import ServiceContext, require_manager
from montu_desktop.services.reference import appointment_types, clinic_policy, doctors
from montu_desktop.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Refusal:
    line: int
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class Skipped:
    line: int
    why: str
    """What is already stored ("patient 12", "appointment 40")."""


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, refused or a dry run, what it would have done: nothing kept)."""

    what: str
    """"patients" or "appointments"."""
    file: Path
    dry_run: bool
    added: int = 0
    """Rows added (a dry run: rows that would be); 0 when a row was refused."""
    skipped: list[Skipped] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()
    stopped_at: int | None = None
    """The line the database refused, after which no row was checked against it."""

    @property
    def skipped_duplicates(self) -> int:
        return len(self.skipped)

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.refused

    def document(self) -> dict[str, object]:
        """The --json answer: {"added", "skipped_duplicates", "refused": [{"line", "field", "reason"}]}."""
        return {
            "added": self.added,
            "skipped_duplicates": self.skipped_duplicates,
            "refused": [
                {"line": r.line, "field": r.field, "reason": r.reason} for r in self.refused
            ],
        }


def read_file(path: Path) -> bytes:
    """The file's bytes, or a refusal naming "file" (missing, a folder, unreadable, too big)."""
    shown = str(path)
    try:
        if path.is_dir():
            raise InvalidRequest("file", f"{shown} is a folder; name a CSV file")
        size = os.stat(path).st_size
        if size > csv_import.MAX_FILE_BYTES:
            raise InvalidRequest(
                "file", f"is larger than {csv_import.MAX_FILE_BYTES // (1024 * 1024)} MB"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidRequest("file", f"{shown} does not exist") from None
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidRequest("file", f"cannot read {shown}: {why}") from None


def _finish(uow: UnitOfWork, report: ImportReport) -> ImportReport:
    report.refused.sort(key=lambda r: r.line)
    if report.refused:
        report.added = 0  # nothing was written (the unit rolls back)
    elif not report.dry_run:
        uow.audit(
            f"import.{report.what}",
            "",
            file=str(report.file).encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
            added=report.added,
            skipped=report.skipped_duplicates,
        )
        uow.commit()
    return report


# --- patients -------------------------------------------------------------------------------


def _patient_details(row: Row) -> PatientDetails:
    return PatientDetails(
        given_name=row.get("given_name"),
        family_name=row.get("family_name"),
        date_of_birth=parse_birth_date(row.get("date_of_birth")),
        phone=row.get("phone") or None,
        email=row.get("email") or None,
        sms_reminders=csv_import.yes_no(row.get("sms_reminders"), "sms_reminders", True),
        email_reminders=csv_import.yes_no(row.get("email_reminders"), "email_reminders", True),
        reminders_opt_out=csv_import.yes_no(
            row.get("reminders_opt_out"), "reminders_opt_out", False
        ),
    )


def import_patients(ctx: ServiceContext, path: Path, *, dry_run: bool = False) -> ImportReport:
    """Add the file's patients, checked as the desk checks a new patient, in one transaction."""
    require_manager(ctx, "import patients")
    path = Path(os.path.abspath(path))
    table = csv_import.read_table(read_file(path), csv_import.PATIENTS)
    report = ImportReport("patients", path, dry_run, ignored_columns=table.ignored)
    ready: list[tuple[int, PatientDetails]] = []
    for row in table.rows:
        try:
            ready.append((row.line, patients.checked_details(ctx, _patient_details(row))))
        except InvalidRequest as exc:
            report.refused.append(Refusal(row.line, exc.field, exc.reason))
    with UnitOfWork(ctx, write=True) as uow:
        for line, clean in ready:
            try:
                patients.add_in(ctx, uow, clean)
                report.added += 1
            except patients.DuplicatePatient as dup:
                # Also a row repeating an earlier row of the file: that one is stored by now.
                report.skipped.append(Skipped(line, f"patient {dup.ids[0]}"))
            except InvalidRequest as exc:
                report.refused.append(Refusal(line, exc.field, exc.reason))
        return _finish(uow, report)


# --- appointments ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Wanted:
    """An appointment row read and checked as far as it can be without the database."""

    line: int
    patient_id: int | None
    given_name: str
    family_name: str
    date_of_birth: date | None
    doctor: Doctor
    kind: AppointmentType
    start: datetime
    end: datetime | None
    status: str
    note: str | None
    cancel_reason: str | None


class _AlreadyThere(Exception):
    pass


def _by_folded_name(items: list[Doctor]) -> dict[str, list[Doctor]]:
    found: dict[str, list[Doctor]] = {}
    for doctor in items:
        found.setdefault(fold(doctor.name), []).append(doctor)
        untitled = fold(_untitled(doctor.name))
        if untitled != fold(doctor.name):
            found.setdefault(untitled, []).append(doctor)
    return found


_TITLES = ("dr ", "dr. ", "doctor ", "prof ", "prof. ", "professor ")


def _untitled(name: str) -> str:
    lowered = name.strip().casefold()
    for title in _TITLES:
        if lowered.startswith(title):
            return name.strip()[len(title) :]
    return name


def _doctor(text: str, known: dict[str, list[Doctor]]) -> Doctor:
    if not text:
        raise InvalidRequest("doctor", "is empty")
    found = known.get(fold(text)) or known.get(fold(_untitled(text))) or []
    unique = {d.id: d for d in found}
    if not unique:
        raise NotFound("doctor", f"no doctor called {text!r}")
    if len(unique) > 1:
        raise InvalidRequest("doctor", f"{text!r} names more than one doctor")
    return next(iter(unique.values()))


def _kind(text: str, kinds: list[AppointmentType]) -> AppointmentType:
    if not text:
        raise InvalidRequest("type", "is empty")
    wanted = fold(text)
    for kind in kinds:
        if fold(kind.name) == wanted or str(kind.id) == text.strip():
            return kind
    raise NotFound("type", f"no appointment type called {text!r}")


def _instant(text: str, zone: str, name: str) -> datetime:
    """A date and time from the file as UTC; without an offset it is clinic time."""
    moment = csv_import.wall_time(text, name)
    check_moment(moment, name)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clinic_zone(zone))
    return moment.astimezone(UTC)


def _patient_id(row: Row) -> int | None:
    """The row's patient id; another system's kind of id ("P-0012") only matters when there
    are no names to find the patient by."""
    text = row.get("patient_id")
    if text.isdigit() and 0 < int(text) < 2**31:
        return int(text)
    if text and not (row.get("given_name") and row.get("family_name")):
        raise InvalidRequest("patient_id", f"{text!r} is not a patient id")
    return None


def _wanted(
    row: Row,
    zone: str,
    known: dict[str, list[Doctor]],
    kinds: list[AppointmentType],
    now: datetime,
    outside_roster: bool,
) -> _Wanted:
    start_text = csv_import.start_text(row)
    if not start_text:
        raise InvalidRequest("start", "is empty")
    start = _instant(start_text, zone, "start")
    end = _instant(row.get("end"), zone, "end") if row.get("end") else None
    status = csv_import.status_value(row.get("status"))
    kind = _kind(row.get("type"), kinds)
    if end is not None and end - start != timedelta(minutes=kind.length_minutes):
        if not outside_roster:
            raise InvalidRequest(
                "end",
                f"must be {kind.length_minutes} minutes after the start (a {kind.name}); "
                "history of other lengths needs --outside-roster",
            )
        if not timedelta(0) < end - start <= timedelta(minutes=MAX_APPOINTMENT_MINUTES):
            raise InvalidRequest(
                "end", f"must be after the start, at most {MAX_APPOINTMENT_MINUTES} minutes"
            )
    if status not in ("booked", "cancelled"):
        if not outside_roster:
            raise InvalidRequest(
                "status",
                f"{status} is history: import it with --outside-roster (only booked and "
                "cancelled appointments are imported against the rosters)",
            )
        if start > now:
            raise InvalidRequest("status", f"{status} for an appointment that has not started")
    return _Wanted(
        line=row.line,
        patient_id=_patient_id(row),
        given_name=row.get("given_name"),
        family_name=row.get("family_name"),
        date_of_birth=parse_birth_date(row.get("date_of_birth")),
        doctor=_doctor(row.get("doctor"), known),
        kind=kind,
        start=start,
        end=end,
        status=status,
        note=visits.clean_note(row.get("note") or None),
        cancel_reason=(
            visits.clean_reason(row.get("cancel_reason") or None) if status == "cancelled" else None
        ),
    )


class _Patients:
    """Finds a row's patient: by given name, family name and date of birth when the row has
    them (an id from another system would name someone else), else by id."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._session = uow.session
        self._born: dict[date | None, list[import_rows.NamedPatient]] = {}

    def find(self, wanted: _Wanted) -> int:
        if wanted.given_name and wanted.family_name:
            return self._by_name(wanted)
        if wanted.patient_id is None:
            raise InvalidRequest(
                "patient", "needs the patient id, or given name, family name and date of birth"
            )
        exists, merged_into = import_rows.patient_standing(self._session, wanted.patient_id)
        if not exists:
            raise NotFound("patient", f"no patient with id {wanted.patient_id}")
        if merged_into is not None:
            raise InvalidRequest(
                "patient", f"patient {wanted.patient_id} was merged into patient {merged_into}"
            )
        return wanted.patient_id

    def _by_name(self, wanted: _Wanted) -> int:
        born = wanted.date_of_birth
        if born not in self._born:
            self._born[born] = import_rows.patients_born(self._session, born)
        given, family = fold(wanted.given_name), fold(wanted.family_name)
        ids = [
            p.id
            for p in self._born[born]
            if fold(p.given_name) == given and fold(p.family_name) == family
        ]
        if len(ids) == 1:
            return ids[0]
        if wanted.patient_id in ids:
            return wanted.patient_id  # type: ignore[return-value]
        born_text = "no date of birth" if born is None else f"born {day_label(born, year=True)}"
        if not ids:
            raise NotFound("patient", f"no patient of that name with {born_text}")
        listed = ", ".join(str(i) for i in ids)
        raise InvalidRequest(
            "patient",
            f"patients {listed} have that name and {born_text}; give the patient id",
        )


def import_appointments(
    ctx: ServiceContext, path: Path, *, dry_run: bool = False, outside_roster: bool = False
) -> ImportReport:
    """Add the file's appointments in one transaction: booked ones as the desk books them
    (or, `outside_roster`, as recorded with their status), skipping those already stored."""
    require_manager(ctx, "import appointments")
    path = Path(os.path.abspath(path))
    table = csv_import.read_table(read_file(path), csv_import.APPOINTMENTS)
    report = ImportReport("appointments", path, dry_run, ignored_columns=table.ignored)
    zone = clinic_policy(ctx).timezone
    known, kinds, now = _by_folded_name(doctors(ctx)), appointment_types(ctx), ctx.clock()
    ready: list[_Wanted] = []
    for row in table.rows:
        try:
            ready.append(_wanted(row, zone, known, kinds, now, outside_roster))
        except InvalidRequest as exc:
            report.refused.append(Refusal(row.line, exc.field, exc.reason))
    with UnitOfWork(ctx, write=True) as uow:
        guards = import_rows.deferred_guards(uow.session)
        people = _Patients(uow)
        for wanted in ready:
            try:
                with import_rows.one_row(uow.session, guards):
                    _add_row(ctx, uow, people, wanted, outside_roster)
                report.added += 1
            except _AlreadyThere:
                report.skipped.append(Skipped(wanted.line, "appointment already stored"))
            except DeskBusy as exc:
                report.refused.append(Refusal(wanted.line, exc.field, exc.reason))
                report.stopped_at = wanted.line
                break
            except InvalidRequest as exc:
                report.refused.append(Refusal(wanted.line, exc.field, exc.reason))
            except (OverlapRefused, PatientRetired, import_rows.RefusedByDatabase) as exc:
                # The database said no (a desk booked that time meanwhile, or its own guard):
                # its transaction can only be rolled back, so the rows after are not checked.
                report.refused.append(Refusal(wanted.line, *_database_refusal(exc)))
                report.stopped_at = wanted.line
                break
        return _finish(uow, report)


def _add_row(
    ctx: ServiceContext,
    uow: UnitOfWork,
    people: _Patients,
    wanted: _Wanted,
    outside_roster: bool,
) -> None:
    patient_id = people.find(wanted)
    if import_rows.appointment_there(uow.session, patient_id, wanted.doctor.id, wanted.start):
        raise _AlreadyThere()
    if outside_roster or wanted.status == "cancelled":
        _store_as_recorded(ctx, uow, wanted, patient_id)
        return
    request = booking.BookingRequest(
        wanted.kind.name, wanted.start, patient_id, wanted.doctor.id, note=wanted.note
    )
    booking.book_in(ctx, uow, request)


def _database_refusal(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, OverlapRefused):
        return exc.who, "already has an appointment overlapping that time"
    if isinstance(exc, PatientRetired):
        return "patient", "was merged into another record"
    return "start", f"the database refused it: {exc}"


def _store_as_recorded(
    ctx: ServiceContext, uow: UnitOfWork, wanted: _Wanted, patient_id: int
) -> None:
    """An appointment from the old system's history (or a cancelled one), with its status.

    Its event: a live one is announced as booked (one still to come gets its confirmation and
    reminders, as a booking would; a past one plans nothing); a cancelled one that has
    begun as cancelled (nothing to send). A cancelled one still to come was never booked
    here, so no notice may go out: its event is one no dispatcher acts on.
    """
    end = wanted.end or wanted.start + timedelta(minutes=wanted.kind.length_minutes)
    if wanted.status != "cancelled":
        who = import_rows.overlapping(uow.session, wanted.doctor.id, patient_id, wanted.start, end)
        if who is not None:
            raise InvalidRequest(who, "already has an appointment overlapping that time")
    appointment_id = import_rows.add_history_appointment(
        uow.session,
        doctor_id=wanted.doctor.id,
        patient_id=patient_id,
        type_id=wanted.kind.id,
        start=wanted.start,
        end=end,
        status=wanted.status,
        note=wanted.note,
        cancel_reason=wanted.cancel_reason,
        actor=ctx.actor,
        now=ctx.clock(),
    )
    start_text = wanted.start.isoformat()
    if wanted.status != "cancelled":
        uow.emit(
            AppointmentBooked(
                appointment_id, wanted.doctor.id, patient_id, start_text, end.isoformat()
            )
        )
    elif wanted.start <= ctx.clock():
        uow.emit(AppointmentCancelled(appointment_id, patient_id, start_text))
    else:
        uow.emit(AppointmentImported(appointment_id, patient_id, start_text))
    uow.audit(
        "appointment.imported",
        f"appointment {appointment_id}",
        doctor_id=wanted.doctor.id,
        start=start_text,
        type=wanted.kind.name,
        status=wanted.status,
    )
    uow.touches("appointments", appointment_id)
