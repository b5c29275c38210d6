"""The clinic's data out as CSV files another system (or Montu's own import) can read.

Files hold patient details, so they are private (created 0600, as config/private_files
says for every patient file), written to a temporary file
in the same folder and renamed into place (a reader never sees half a file, a crash leaves
the old file or none), and never written over the live database or its -wal/-shm/-journal.
Each export is recorded in the audit log (how many rows and where, never what they hold).

Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return) are written with a leading apostrophe; an import removes one apostrophe
followed by one of those characters.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from montu_desktop.config.private_files import FILE_MODE
from montu_desktop.domain.clinic_time import local_day_bounds, to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.persistence.report_rows import appointment_rows, patient_rows
from montu_desktop.persistence.sqlite_files import COMPANIONS
from montu_desktop.services.context import ServiceContext, require_manager
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.reports import (
    COUNT_KEYS,
    AttendanceCounts,
    AttendanceReport,
    counts_document,
)
from montu_desktop.services.unit_of_work import UnitOfWork

PATIENT_COLUMNS = (
    "id",
    "given_name",
    "family_name",
    "date_of_birth",
    "phone",
    "email",
    "sms_reminders",
    "email_reminders",
    "reminders_opt_out",
)
APPOINTMENT_COLUMNS = (
    "id",
    "patient_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "doctor",
    "type",
    "start",
    "end",
    "status",
    "note",
    "cancel_reason",
)
ENCODING = "utf-8-sig"
"""UTF-8 with a byte-order mark: spreadsheets then read accented names right."""
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_PHONE = re.compile(r"\+?[0-9 ]*")
_SQLITE_COMPANIONS = ("", *COMPANIONS)


@dataclass(frozen=True, slots=True)
class ExportDone:
    path: Path
    rows: int


def csv_text(value: str | None) -> str:
    """A text cell as written: empty for None, an apostrophe before a formula's first character."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _phone(value: str | None) -> str:
    if value and _PLAIN_PHONE.fullmatch(value):
        return value  # "+61412345678": digits, nothing a spreadsheet runs
    return csv_text(value)


def _yes(value: bool) -> str:
    return "true" if value else "false"


def export_patients(ctx: ServiceContext, target: Path) -> ExportDone:
    """Write every live patient (merged duplicates left out) to `target` as CSV."""
    require_manager(ctx, "export patients")
    target = check_target(ctx, target)
    with UnitOfWork(ctx) as uow:
        rows = (
            (
                str(p.id),
                csv_text(p.given_name),
                csv_text(p.family_name),
                p.date_of_birth.isoformat() if p.date_of_birth else "",
                _phone(p.phone),
                csv_text(p.email),
                _yes(p.sms_reminders),
                _yes(p.email_reminders),
                _yes(p.reminders_opt_out),
            )
            for p in patient_rows(uow.session)
        )
        count = write_csv(target, PATIENT_COLUMNS, rows)
    _audit(ctx, "export.patients", target, count)
    return ExportDone(target, count)


def export_appointments(ctx: ServiceContext, first: date, last: date, target: Path) -> ExportDone:
    """Write every appointment starting on a clinic-local day first..last (any status) as CSV,
    start and end in clinic time with their offset."""
    require_manager(ctx, "export appointments")
    if last < first:
        raise InvalidRequest("to", f"{last.isoformat()} is before --from {first.isoformat()}")
    target = check_target(ctx, target)
    zone = clinic_policy(ctx).timezone
    start, end = local_day_bounds(first, zone)[0], local_day_bounds(last, zone)[1]
    with UnitOfWork(ctx) as uow:
        rows = (
            (
                str(a.id),
                str(a.patient_id),
                csv_text(a.given_name),
                csv_text(a.family_name),
                a.date_of_birth.isoformat() if a.date_of_birth else "",
                csv_text(a.doctor_name),
                csv_text(a.type_name),
                to_local(a.start, zone).isoformat(),
                to_local(a.end, zone).isoformat(),
                a.status,
                csv_text(a.note),
                csv_text(a.cancel_reason),
            )
            for a in appointment_rows(uow.session, start, end)
        )
        count = write_csv(target, APPOINTMENT_COLUMNS, rows)
    _audit(ctx, "export.appointments", target, count, first=first.isoformat(), to=last.isoformat())
    return ExportDone(target, count)


ATTENDANCE_COLUMNS = ("section", "id", "name", *(k for k in COUNT_KEYS if k != "cancel_reasons"))
"""The attendance CSV's first columns; one `cancelled: <reason>` column per reason follows."""


def attendance_table(report: AttendanceReport) -> list[list[str]]:
    """The attendance report as CSV rows (header first): one per doctor, type and the total."""
    reasons = sorted(report.totals.cancel_reasons)
    table = [
        [*ATTENDANCE_COLUMNS, *(csv_text(f"cancelled: {r or '(no reason)'}") for r in reasons)]
    ]
    lines: list[tuple[str, str, str, AttendanceCounts]] = [
        ("doctor", str(d.doctor_id), d.name, d.counts) for d in report.doctors
    ]
    lines += [("type", str(k.type_id), k.name, k.counts) for k in report.types]
    lines.append(("total", "", "", report.totals))
    for section, ident, name, counts in lines:
        data = counts_document(counts)
        table.append(
            [
                section,
                ident,
                csv_text(name),
                *("" if data[k] is None else str(data[k]) for k in ATTENDANCE_COLUMNS[3:]),
                *(str(counts.cancel_reasons.get(r, 0)) for r in reasons),
            ]
        )
    return table


def export_attendance(ctx: ServiceContext, report: AttendanceReport, target: Path) -> ExportDone:
    """Write the attendance report's CSV (the Reports page's Export CSV) privately."""
    target = check_target(ctx, target)
    header, *rows = attendance_table(report)
    return ExportDone(target, write_csv(target, header, rows))


def check_target(ctx: ServiceContext, target: Path) -> Path:
    """The file to write, absolute; refused (field "file") when it is the live database or
    one of its companions, a folder, or in a folder that does not exist.

    Only os.stat is used on the database's files: opening them would drop SQLite's locks.
    """
    if not str(target).strip() or "\x00" in str(target):
        raise InvalidRequest("file", "must name a file")
    target = Path(os.path.abspath(target.expanduser()))
    folder = target.parent
    if not folder.is_dir():
        raise InvalidRequest("file", f"the folder {folder} does not exist")
    if target.is_dir():
        raise InvalidRequest("file", f"{target} is a folder; name a file in it")
    database = ctx.database.sqlite_path
    if database is not None and _is_database_file(target, Path(os.path.abspath(database))):
        raise InvalidRequest("file", f"{target} is the live database; choose another file")
    return target


def _is_database_file(target: Path, database: Path) -> bool:
    names = {database.name + suffix for suffix in _SQLITE_COMPANIONS}
    with contextlib.suppress(OSError):
        resolved = target.resolve()
        if resolved.parent == database.resolve().parent and resolved.name in names:
            return True
    if target.parent == database.parent and target.name in names:
        return True
    for suffix in _SQLITE_COMPANIONS:
        with contextlib.suppress(OSError):
            if os.path.samefile(target, f"{database}{suffix}"):  # a hard link to it
                return True
    return False


def write_csv(target: Path, header: Iterable[str], rows: Iterable[Iterable[str]]) -> int:
    """Write the header and rows to `target` privately and atomically; the number of rows."""
    count = 0
    with _private_replacement(target) as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


@contextlib.contextmanager
def _private_replacement(target: Path) -> Iterator[TextIO]:
    """A 0600 temporary file beside `target`, renamed over it once written and synced."""
    try:
        fd, partial = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".partial"
        )
    except OSError as exc:
        raise InvalidRequest("file", f"cannot write in {target.parent}: {_why(exc)}") from None
    try:
        with contextlib.suppress(OSError):
            os.fchmod(fd, FILE_MODE)  # mkstemp makes it 0600 already; say so on every platform
        with os.fdopen(fd, "w", encoding=ENCODING, newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except OSError as exc:
        raise InvalidRequest("file", f"cannot write {target}: {_why(exc)}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(partial)


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _audit(ctx: ServiceContext, action: str, target: Path, rows: int, **details: str) -> None:
    shown = str(target).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    with UnitOfWork(ctx, write=True) as uow:
        uow.audit(action, "", file=shown, rows=rows, **details)
        uow.commit()
