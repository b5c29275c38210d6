"""CSV exports on SQLite and PostgreSQL: the columns an import reads, private files written
whole or not at all, never over the live database, and one-line refusals from the command."""

from __future__ import annotations

import contextlib
import csv
import os
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from montu_desktop.cli import main
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence import admin_tables as at_tables
from montu_desktop.services import exports, patients
from montu_desktop.services.booking import BookingRequest, book_appointment, cancel_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.clinic import at, tiny_clinic
from tests.support.clock import FixedClock

ZONE = "Australia/Melbourne"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A folder for the files written (the SQLite database lives in tmp_path itself)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _read(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def clinic(ctx: ServiceContext, clock: FixedClock):  # type: ignore[no-untyped-def]
    a, _b = tiny_clinic(ctx, doctors=2)
    ivy = patients.add_patient(
        ctx, PatientDetails("Ivy", "Stone", date(1980, 5, 17), "0412 345 678", "ivy@example.com")
    ).id
    zoe = patients.add_patient(
        ctx, PatientDetails("Zoë", "=Ngô", None, None, None, sms_reminders=False)
    ).id
    twin = patients.add_patient(
        ctx, PatientDetails("Ivy", "Stone", date(1980, 5, 17), None, None), allow_duplicate=True
    ).id
    patients.merge_patients(ctx, ivy, twin)
    tuesday = to_local(clock(), ZONE).date() + timedelta(days=1)
    first = book_appointment(
        ctx, BookingRequest("Long", at(tuesday, 9), ivy, a, note="@SUM(1+1) sore knee")
    )
    second = book_appointment(ctx, BookingRequest("Standard", at(tuesday, 10), zoe, a))
    cancel_appointment(ctx, second.id, "Patient unwell")
    later = book_appointment(
        ctx, BookingRequest("Standard", at(tuesday + timedelta(days=2), 9), zoe, a)
    )
    return ctx, ivy, zoe, tuesday, (first.id, second.id, later.id)


def test_patients_export_has_the_import_columns_and_is_private(clinic, out: Path) -> None:  # type: ignore[no-untyped-def]
    ctx, ivy, zoe, _tuesday, _ids = clinic
    target = out / "patients.csv"
    old = os.umask(0o022)
    try:
        done = exports.export_patients(ctx, target)
    finally:
        os.umask(old)
    assert (done.path, done.rows) == (target, 2)  # the merged duplicate is left out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes().startswith(b"\xef\xbb\xbfid,given_name,")
    assert _read(target) == [
        list(exports.PATIENT_COLUMNS),
        [str(ivy), "Ivy", "Stone", "1980-05-17", "+61412345678", "ivy@example.com", "true", "true", "false"],
        [str(zoe), "Zoë", "'=Ngô", "", "", "", "false", "true", "false"],
    ]  # fmt: skip
    assert [p.name for p in out.iterdir()] == ["patients.csv"]  # no temporary file left
    with UnitOfWork(ctx) as uow:
        audited = uow.session.execute(
            select(at_tables.AuditEntry.action, at_tables.AuditEntry.details).where(
                at_tables.AuditEntry.action.like("export.%")
            )
        ).all()
    assert [(a, d["rows"], d["file"]) for a, d in audited] == [("export.patients", 2, str(target))]


def test_appointments_export_says_clinic_time_with_its_offset(clinic, out: Path) -> None:  # type: ignore[no-untyped-def]
    ctx, ivy, zoe, tuesday, (first, second, later) = clinic
    target = out / "appointments.csv"
    done = exports.export_appointments(ctx, tuesday, tuesday + timedelta(days=1), target)
    assert done.rows == 2  # Thursday's is after the range
    offset = "+11:00"  # Melbourne in summer (AEDT)
    assert _read(target) == [
        list(exports.APPOINTMENT_COLUMNS),
        [str(first), str(ivy), "Ivy", "Stone", "1980-05-17", "Dr A", "Long",
         f"{tuesday}T09:00:00{offset}", f"{tuesday}T09:30:00{offset}", "booked",
         "'@SUM(1+1) sore knee", ""],
        [str(second), str(zoe), "Zoë", "'=Ngô", "", "Dr A", "Standard",
         f"{tuesday}T10:00:00{offset}", f"{tuesday}T10:15:00{offset}", "cancelled", "",
         "Patient unwell"],
    ]  # fmt: skip
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert later not in [int(r[0]) for r in _read(target)[1:]]


def test_a_failed_export_leaves_the_old_file_whole(clinic, out, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ctx = clinic[0]
    target = out / "patients.csv"
    target.write_text("the export of yesterday\n", encoding="utf-8")

    def broken(session):  # type: ignore[no-untyped-def]
        from montu_desktop.persistence.report_rows import patient_rows

        rows = patient_rows(session)
        yield next(rows)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exports, "patient_rows", broken)
    with pytest.raises(exports.InvalidRequest) as refused:
        exports.export_patients(ctx, target)
    assert refused.value.field == "file" and "No space left on device" in refused.value.reason
    assert target.read_text(encoding="utf-8") == "the export of yesterday\n"
    assert [p.name for p in out.iterdir()] == ["patients.csv"]


def run(capsys, url: str, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main([*args, "--database", url])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_export_commands_write_the_files(clinic, out, capsys) -> None:  # type: ignore[no-untyped-def]
    ctx, _ivy, _zoe, tuesday, _ids = clinic
    url = ctx.database.url.render_as_string(hide_password=False)
    people = out / "people.csv"
    code, said, err = run(capsys, url, "export", "patients", "--csv", str(people))
    assert (code, err) == (0, "")
    assert said == f"2 patients written to {people}\n"
    assert _read(people)[0] == list(exports.PATIENT_COLUMNS)
    visits = out / "visits.csv"
    code, said, err = run(
        capsys, url, "export", "appointments", "--from", str(tuesday),
        "--to", str(tuesday + timedelta(days=2)), "--csv", str(visits),
    )  # fmt: skip
    assert (code, err, said) == (0, "", f"3 appointments written to {visits}\n")
    assert len(_read(visits)) == 4
    assert stat.S_IMODE(visits.stat().st_mode) == stat.S_IMODE(people.stat().st_mode) == 0o600


def test_the_export_commands_refuse_in_one_line(clinic, out, capsys) -> None:  # type: ignore[no-untyped-def]
    ctx, _ivy, _zoe, tuesday, _ids = clinic
    url = ctx.database.url.render_as_string(hide_password=False)
    day = str(tuesday)
    cases = [
        (["export", "patients", "--csv", str(out / "missing" / "p.csv")],
         "refused: file: the folder "),
        (["export", "patients", "--csv", str(out)], "refused: file: "),
        (["export", "appointments", "--from", day, "--to", "2026-13-01", "--csv",
          str(out / "a.csv")], "refused: to: "),
        (["export", "appointments", "--from", day, "--to", str(tuesday - timedelta(days=1)),
          "--csv", str(out / "a.csv")], "refused: to: "),
    ]  # fmt: skip
    live = ctx.database.sqlite_path
    if live is not None:
        for name in (live, Path(f"{live}-wal"), live.parent / "." / live.name):
            cases.append((["export", "patients", "--csv", str(name)], "refused: file: "))
        link = out / "innocent.csv"
        os.link(live, link)  # a hard link to the live database: the same file
        cases.append((["export", "patients", "--csv", str(link)], "refused: file: "))
    # The set-up's own commits may still be checkpointed in the background (through SQLite,
    # persistence/wal_checkpoints.py): held off here, so only the refusals could touch the file.
    checkpoints = ctx.database.checkpoints
    with checkpoints.paused() if checkpoints else contextlib.nullcontext():
        before = os.stat(live) if live is not None else None
        for args, said in cases:
            code, said_out, err = run(capsys, url, *args)
            assert (code, said_out) == (3, ""), (args, err)
            assert err.startswith(said) and len(err.strip().splitlines()) == 1, (args, err)
        after = os.stat(live) if live is not None else None
    assert sorted(p.name for p in out.iterdir()) == (["innocent.csv"] if live else [])
    if after is not None and before is not None:
        assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
            before.st_ino,
            before.st_size,
            before.st_mtime_ns,
        )
        assert patients.get_patient(ctx, clinic[1]).details.given_name == "Ivy"
