"""CSV import on SQLite and PostgreSQL: all or nothing with each refused line named, duplicates
skipped (a second import adds nothing), dry runs that write nothing, other systems' headers,
and an export imported back into an empty clinic."""

from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence import admin_tables
from montu_desktop.persistence import tables as t
from montu_desktop.services import booking, exports, imports, patients
from montu_desktop.services.admin.audit import audit_log, plain_audit
from montu_desktop.services.booking import BookingRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.cli_runner import Run, in_process_cli
from tests.support.clinic import at, tiny_clinic
from tests.support.clock import FixedClock

ZONE = "Australia/Melbourne"


@pytest.fixture
def cli(ctx, clock, monkeypatch, capsys) -> Run:  # type: ignore[no-untyped-def]
    return in_process_cli(ctx, clock, monkeypatch, capsys)


def _day(clock: FixedClock, days: int) -> date:
    return to_local(clock(), ZONE).date() + timedelta(days=days)


def _write(path: Path, rows: list[list[str]], *, delimiter: str = ",", bom: bool = False) -> Path:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return path


def _count(ctx: ServiceContext, table: type) -> int:
    with UnitOfWork(ctx) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def _audit_count(ctx: ServiceContext) -> int:
    return _count(ctx, admin_tables.AuditEntry)


HEADER = ["given_name", "family_name", "date_of_birth", "phone", "email"]
GOOD = [
    ["Ivy", "Stone", "1980-05-17", "0412 345 678", "ivy@example.com"],
    ["Noah", "Park", "02/03/1991", "", ""],
    ["Mia", "Chen", "", "", "mia@example.com"],
    ["Leo", "Ngata", "1975-12-01", "0413 000 111", ""],
]


def test_two_bad_rows_write_nothing_then_the_fixed_file_imports_once(
    ctx: ServiceContext, cli: Run, tmp_path: Path
) -> None:
    bad = [list(r) for r in GOOD]
    bad[1][2] = "31/02/1991"  # line 3: no such day
    bad[3][3] = "12345"  # line 5: not a phone number
    path = _write(tmp_path / "patients.csv", [HEADER, *bad])
    code, out, err = cli("import", "patients", str(path))
    assert (code, err) == (3, "refused: 2 rows (lines 3, 5); nothing was written\n")
    assert "line 3: date_of_birth:" in out and "line 5: phone:" in out
    assert "line 2" not in out and "line 4" not in out
    code, out, _err = cli("import", "patients", str(path), "--json")
    refused = json.loads(out)["refused"]
    assert code == 3 and json.loads(out)["added"] == 0
    assert [(r["line"], r["field"]) for r in refused] == [(3, "date_of_birth"), (5, "phone")]
    assert all(r["reason"] for r in refused)
    assert _count(ctx, t.Patient) == 0  # the good rows were not kept either

    _write(path, [HEADER, *GOOD])
    code, out, _err = cli("import", "patients", str(path), "--json")
    assert (code, json.loads(out)) == (0, {"added": 4, "skipped_duplicates": 0, "refused": []})
    code, out, _err = cli("import", "patients", str(path), "--json")
    assert (code, json.loads(out)) == (0, {"added": 0, "skipped_duplicates": 4, "refused": []})
    assert _count(ctx, t.Patient) == 4
    with UnitOfWork(ctx) as uow:
        stored = uow.session.execute(
            select(t.Patient.given_name, t.Patient.date_of_birth, t.Patient.phone).order_by(
                t.Patient.id
            )
        ).all()
    assert stored[0] == ("Ivy", date(1980, 5, 17), "+61412345678")
    assert stored[1][1] == date(1991, 3, 2)  # DD/MM/YYYY


def test_appointments_two_bad_rows_then_fixed_then_nothing_new(
    ctx: ServiceContext, clock: FixedClock, cli: Run, tmp_path: Path
) -> None:
    tiny_clinic(ctx, doctors=2)
    ivy = patients.add_patient(ctx, PatientDetails("Ivy", "Stone", date(1980, 5, 17))).id
    zoe = patients.add_patient(ctx, PatientDetails("Zoë", "Ngô", None, "0412 345 678")).id
    day = _day(clock, 1)
    header = ["Patient ID", "First Name", "Surname", "DOB", "Practitioner", "Appointment Type",
              "Start", "Status", "Notes"]  # fmt: skip
    rows = [
        ["P-77", "Ivy", "Stone", "17/05/1980", "Dr A", "Long", f"{day} 09:00", "Booked", "knee"],
        [str(zoe), "", "", "", "Dr B", "standard", f"{day.strftime('%d/%m/%Y')} 9:15 AM", "", ""],
        ["", "ivy", "STONE", "1980-05-17", "Dr B", "Standard", f"{day} 11:00", "booked", ""],
    ]
    bad = [list(r) for r in rows]
    bad[0][4] = "Dr Nobody"  # line 2
    bad[2][6] = f"{day} 13:00"  # line 4: after closing
    path = _write(tmp_path / "visits.csv", [header, *bad])
    code, out, _err = cli("import", "appointments", str(path), "--json")
    refused = json.loads(out)["refused"]
    assert code == 3 and [(r["line"], r["field"]) for r in refused] == [(2, "doctor"), (4, "start")]
    assert _count(ctx, t.Appointment) == 0 and _count(ctx, t.OutboxEvent) == 0

    _write(path, [header, *rows])
    code, out, err = cli("import", "appointments", str(path))
    assert (code, err) == (0, "")
    assert "3 appointments added" in out
    code, out, _err = cli("import", "appointments", str(path), "--json")
    assert (code, json.loads(out)) == (0, {"added": 0, "skipped_duplicates": 3, "refused": []})
    with UnitOfWork(ctx) as uow:
        stored = uow.session.execute(
            select(t.Appointment.patient_id, t.Appointment.start_at, t.Appointment.note).order_by(
                t.Appointment.start_at
            )
        ).all()
    assert stored == [
        (ivy, at(day, 9), "knee"),
        (zoe, at(day, 9, 15), None),
        (ivy, at(day, 11), None),
    ]
    assert _count(ctx, t.OutboxEvent) == 3  # booked as the desk books: one event each


def test_a_dry_run_writes_nothing(
    ctx: ServiceContext, clock: FixedClock, cli: Run, tmp_path: Path
) -> None:
    tiny_clinic(ctx, doctors=1)
    path = _write(tmp_path / "patients.csv", [HEADER, *GOOD])
    audited = _audit_count(ctx)
    code, out, _err = cli("import", "patients", str(path), "--dry-run", "--json")
    assert (code, json.loads(out)) == (0, {"added": 4, "skipped_duplicates": 0, "refused": []})
    code, out, _err = cli("import", "patients", str(path), "--dry-run")
    assert code == 0 and out.startswith("Dry run, nothing written: 4 patients would be added")
    assert _count(ctx, t.Patient) == 0 and _audit_count(ctx) == audited

    ivy = patients.add_patient(ctx, PatientDetails("Ivy", "Stone", date(1980, 5, 17))).id
    day = _day(clock, 1)
    visits = _write(
        tmp_path / "visits.csv",
        [["patient_id", "doctor", "type", "start"], [str(ivy), "Dr A", "Standard", f"{day}T09:00"]],
    )
    audited = _audit_count(ctx)
    result = imports.import_appointments(ctx, visits, dry_run=True)
    assert (result.added, result.refused, result.written) == (1, [], False)
    assert _count(ctx, t.Appointment) == 0 and _count(ctx, t.OutboxEvent) == 0
    assert _audit_count(ctx) == audited


def test_semicolons_bom_day_first_dates_and_other_systems_headers(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    rows = [
        ["Title", "First Name", "Surname", "Date of Birth", "Mobile", "Home Phone", "E-mail"],
        ["Ms", "Zoë", "O'Connor-Núñez", "07/01/1990", "0412 345 678", "03 9000 0000", ""],
        ["Mr", "Sam", "Lee", "31/12/1965", "", "03 9123 4567", "sam@example.com"],
        ["", "zoe", "oconnor nunez", "7/1/1990", "", "", ""],  # the first row again: skipped
    ]
    path = _write(tmp_path / "old.csv", rows, delimiter=";", bom=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfTitle;First Name;")
    result = imports.import_patients(ctx, path)
    assert (result.added, result.refused) == (2, [])
    assert [(s.line, s.why.split()[0]) for s in result.skipped] == [(4, "patient")]
    assert result.ignored_columns == ("Title",)
    with UnitOfWork(ctx) as uow:
        stored = uow.session.execute(
            select(
                t.Patient.given_name, t.Patient.family_name, t.Patient.date_of_birth,
                t.Patient.phone, t.Patient.email,
            ).order_by(t.Patient.id)
        ).all()  # fmt: skip
    assert stored == [
        ("Zoë", "O'Connor-Núñez", date(1990, 1, 7), "+61412345678", None),
        ("Sam", "Lee", date(1965, 12, 31), "+61391234567", "sam@example.com"),  # home phone
    ]


def test_history_goes_in_only_outside_the_roster_and_still_never_overlaps(
    ctx: ServiceContext, clock: FixedClock, tmp_path: Path
) -> None:
    tiny_clinic(ctx, doctors=1)
    ivy = patients.add_patient(ctx, PatientDetails("Ivy", "Stone", date(1980, 5, 17))).id
    sam = patients.add_patient(ctx, PatientDetails("Sam", "Lee", date(1965, 12, 31))).id
    past = _day(clock, -2)
    header = ["patient_id", "doctor", "type", "start", "end", "status", "cancel_reason"]
    rows = [
        [str(ivy), "Dr A", "Standard", f"{past} 08:00", f"{past} 08:20", "Attended", ""],
        [str(ivy), "Dr A", "Long", f"{past} 14:00", "", "DNA", ""],
        [str(sam), "Dr A", "Standard", f"{past} 14:10", "", "completed", ""],  # overlaps line 3
        [str(ivy), "Dr A", "Standard", f"{past} 15:00", "", "Cancelled", "Patient unwell"],
    ]
    path = _write(tmp_path / "history.csv", [header, *rows])
    refused = imports.import_appointments(ctx, path).refused
    assert [(r.line, r.field) for r in refused] == [(2, "end"), (3, "status"), (4, "status")]
    refused = imports.import_appointments(ctx, path, outside_roster=True).refused
    assert [(r.line, r.field) for r in refused] == [(4, "doctor")]
    assert _count(ctx, t.Appointment) == 0
    del rows[2]
    _write(path, [header, *rows])
    result = imports.import_appointments(ctx, path, outside_roster=True)
    assert (result.added, result.refused) == (3, [])
    with UnitOfWork(ctx) as uow:
        stored = uow.session.execute(
            select(t.Appointment.status, t.Appointment.end_at, t.Appointment.cancel_reason)
            .order_by(t.Appointment.start_at)
        ).all()  # fmt: skip
    assert stored == [
        ("completed", at(past, 8, 20), None),
        ("no_show", at(past, 14, 30), None),
        ("cancelled", at(past, 15, 15), "Patient unwell"),
    ]
    again = imports.import_appointments(ctx, path, outside_roster=True)
    assert (again.added, again.skipped_duplicates) == (0, 3)
    said = [line.what for line in plain_audit(ctx, audit_log(ctx, action="import"), ZONE)]
    assert said == [
        f"test imported 0 appointments from {path} (3 already there)",
        f"test imported 3 appointments from {path} (0 already there)",
    ]
    said = [line.what for line in plain_audit(ctx, audit_log(ctx, action="appointment"), ZONE)]
    assert said[-1].startswith("test imported Ivy Stone's appointment on ")
    assert said[-1].endswith("(Dr A), seen (completed)")


def _source_clinic(sqlite_db_factory, clock: FixedClock) -> ServiceContext:  # type: ignore[no-untyped-def]
    """A clinic with formula-looking text, a cancellation and a note, to export."""
    source = ServiceContext(sqlite_db_factory(), clock=clock, rng=random.Random(1), actor="test")
    a, b = tiny_clinic(source, doctors=2)
    padding = patients.add_patient(source, PatientDetails("Pad", "Ding")).id  # ids differ
    ivy = patients.add_patient(
        source, PatientDetails("Ivy", "Stone", date(1980, 5, 17), "0412 345 678", "ivy@example.com")
    ).id
    zoe = patients.add_patient(
        source, PatientDetails("Zoë", "=Ngô", None, None, None, sms_reminders=False)
    ).id
    day = _day(clock, 1)
    booking.book_appointment(
        source, BookingRequest("Long", at(day, 9), ivy, a, note="@SUM(1+1) sore knee")
    )
    gone = booking.book_appointment(source, BookingRequest("Standard", at(day, 10), zoe, b))
    booking.cancel_appointment(source, gone.id, "Patient unwell")
    booking.book_appointment(source, BookingRequest("Standard", at(day, 10), padding, b))
    booking.book_appointment(source, BookingRequest("Procedure", at(day, 10, 30), zoe, a))
    return source


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_an_export_imports_back_into_an_empty_clinic(
    ctx: ServiceContext, clock: FixedClock, sqlite_db_factory, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    source = _source_clinic(sqlite_db_factory, clock)
    day = _day(clock, 1)
    out = tmp_path / "out"
    out.mkdir()
    exports.export_patients(source, out / "patients.csv")
    exports.export_appointments(source, day, day, out / "appointments.csv")
    assert "'=Ngô" in (out / "patients.csv").read_text(encoding="utf-8-sig")

    tiny_clinic(ctx, doctors=2)  # the same doctors and types, no patients yet
    patients.add_patient(ctx, PatientDetails("Already", "Here"))  # so the ids do not line up
    assert imports.import_patients(ctx, out / "patients.csv").added == 3
    moved = imports.import_appointments(ctx, out / "appointments.csv")
    assert (moved.added, moved.refused) == (4, [])
    exports.export_patients(ctx, out / "back.csv")
    exports.export_appointments(ctx, day, day, out / "back-appointments.csv")

    def without_ids(rows: list[list[str]], *columns: int) -> list[list[str]]:
        return [[c for i, c in enumerate(r) if i not in columns] for r in rows]

    assert (
        without_ids(_rows(out / "back.csv"), 0)[2:]
        == without_ids(_rows(out / "patients.csv"), 0)[1:]
    )  # "Already Here" first, then the same patients
    assert without_ids(_rows(out / "back-appointments.csv"), 0, 1) == without_ids(
        _rows(out / "appointments.csv"), 0, 1
    )
    with UnitOfWork(ctx) as uow:
        names = uow.session.scalars(select(t.Patient.family_name).order_by(t.Patient.id)).all()
        notes = uow.session.scalars(
            select(t.Appointment.note).where(t.Appointment.note.is_not(None))
        )
        assert list(notes) == ["@SUM(1+1) sore knee"]  # the formula guard undone
    assert names == ["Here", "Ding", "Stone", "=Ngô"]
    again = imports.import_appointments(ctx, out / "appointments.csv")
    assert (again.added, again.skipped_duplicates) == (0, 4)


BAD_FILES = [
    (None, "does not exist"),
    (b"given_name,family_name\r\nZo\xeb,Ng\r\n", "is not UTF-8 text"),
    (b"", "has no header line"),
    (b"\r\nIvy,Stone\r\n", "has no header line"),
    (b"name,phone\r\nIvy Stone,0412345678\r\n", "has no column for the given name"),
]


def test_a_bad_file_gets_one_clear_line(
    sqlite_ctx: ServiceContext,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    cli = in_process_cli(sqlite_ctx, clock, monkeypatch, capsys)
    for number, (content, said) in enumerate(BAD_FILES):
        path = tmp_path / f"in{number}.csv"
        if content is not None:
            path.write_bytes(content)
        code, out, err = cli("import", "patients", str(path))
        assert code == 3 and out == "", said
        assert err.startswith("refused: file: ") and said in err
        assert err.count("\n") == 1 and "Traceback" not in err


def test_a_bad_appointments_file_gets_one_clear_line(
    ctx: ServiceContext, cli: Run, tmp_path: Path
) -> None:
    tiny_clinic(ctx, doctors=1)
    path = _write(tmp_path / "visits.csv", [["patient", "when"], ["Ivy Stone", "tomorrow"]])
    code, out, err = cli("import", "appointments", str(path), "--json")
    assert (code, out) == (3, "")
    assert (
        err.startswith("refused: file: has no column for the patient id") and err.count("\n") == 1
    )
