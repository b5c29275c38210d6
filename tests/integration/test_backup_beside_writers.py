"""A backup never damages the live SQLite file, whoever else comes and goes (real processes).

This process holds the product's engine the whole time, as the app does. Each cycle it
writes, takes the automatic backup and a `db backup`, lets `montu-desktop book`/`cancel`
processes run and exit beside it, then writes again. Before issue 23 the backup read the
file's header with open()/close(), which drops this process's SQLite locks: the exiting
command then believed it was alone, checkpointed and deleted the -wal and -shm, and this
process's next writes went to an unlinked WAL (rows lost, the file malformed).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence import migrate
from montu_desktop.persistence.engine import Database, sqlite_url
from montu_desktop.services import backups
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import add_patient
from tests.integration.test_backups import cli, next_tuesday
from tests.support.clinic import at, new_patients, tiny_clinic

ROOT = Path(__file__).resolve().parents[2]
CYCLES = 3


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "montu_desktop", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def _finish(process: subprocess.Popen[str]) -> dict[str, object]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out)


@pytest.mark.slow
def test_backups_beside_commands_that_come_and_go_leave_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite3"
    db = Database(sqlite_url(path))
    try:
        migrate.upgrade(db)
        ctx = ServiceContext(db)
        tiny_clinic(ctx, doctors=3)
        patients = new_patients(ctx, 2 * CYCLES)
        url = db.url.render_as_string(hide_password=False)
        first_day = next_tuesday(ctx)
        booked: dict[int, str] = {}  # appointment id -> the status it must have at the end
        mine: list[int] = []  # patients this process added
        for cycle in range(CYCLES):
            day = first_day + timedelta(days=cycle)
            mine.append(add_patient(ctx, PatientDetails(f"Holder{cycle}", "Desk")).id)
            made = backups.back_up_if_due(ctx, now=ctx.clock() + timedelta(days=cycle))
            assert made is not None and made.kind == "daily"
            done = cli("db", "backup", str(tmp_path / f"manual-{cycle}.sqlite3"), "--database", url)
            assert done.returncode == 0, done.stderr

            commands = [
                _start(
                    "book", "--type", "Long", "--start", at(day, 9).isoformat(),
                    "--patient", str(patients[2 * cycle]), "--database", url, "--json",
                ),
            ]  # fmt: skip
            if cycle == 0:
                commands.append(
                    _start(
                        "book", "--type", "Long", "--start", at(day, 9, 30).isoformat(),
                        "--patient", str(patients[1]), "--database", url, "--json",
                    )
                )  # fmt: skip
            else:  # cancel the booking the last cycle's first command made
                earlier = min(i for i, s in booked.items() if s == "booked")
                commands.append(_start("cancel", str(earlier), "--database", url, "--json"))
                booked[earlier] = "cancelled"
            for process in commands:
                answer = _finish(process)
                if answer["status"] == "booked":
                    booked[int(answer["id"])] = "booked"  # type: ignore[call-overload]

            # The commands have exited; this process writes again on its pooled connection.
            request = BookingRequest("Long", at(day, 11), mine[-1])
            booked[book_appointment(ctx, request).id] = "booked"
            patients_now = {p for p in mine if _patient_exists(db, p)}
            assert patients_now == set(mine), f"cycle {cycle}: writes lost"
    finally:
        db.dispose()

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        found = dict(conn.execute("SELECT id, status FROM appointment").fetchall())
        holders = {r[0] for r in conn.execute("SELECT id FROM patient WHERE family_name = 'Desk'")}
    finally:
        conn.close()
    assert {i: found.get(i) for i in booked} == booked
    assert holders == set(mine)
    assert len(booked) == 2 * CYCLES + 1  # two bookings by commands at first, then one a cycle


def _patient_exists(db: Database, patient_id: int) -> bool:
    with db.reading() as conn:
        row = conn.exec_driver_sql("SELECT 1 FROM patient WHERE id = ?", (patient_id,)).first()
    return row is not None


@pytest.mark.slow
def test_a_restore_in_the_process_that_holds_the_database_leaves_it_whole(
    tmp_path: Path,
) -> None:
    """Restore checks the file, keeps the current data and writes the backup in while a
    connection of this process stays checked out (another thread's work, which disposing
    the pool does not close); a command then books and exits; both write again."""
    path = tmp_path / "clinic.sqlite3"
    db = Database(sqlite_url(path))
    try:
        migrate.upgrade(db)
        ctx = ServiceContext(db)
        tiny_clinic(ctx, doctors=2)
        first, second, third = new_patients(ctx, 3)
        day = next_tuesday(ctx)
        saved = backups.back_up(db, tmp_path / "saved.sqlite3").path
        book_appointment(ctx, BookingRequest("Long", at(day, 10), first))
        with db.engine.connect() as held:
            held.exec_driver_sql("SELECT count(*) FROM appointment").scalar_one()
            held.commit()

            done = backups.restore(db, saved)
            assert done.previous is not None
            command = _start(
                "book", "--type", "Long", "--start", at(day, 9).isoformat(),
                "--patient", str(second), "--database", db.url.render_as_string(), "--json",
            )  # fmt: skip
            theirs = int(_finish(command)["id"])  # type: ignore[call-overload]
            held.exec_driver_sql("UPDATE clinic SET phone = '03 9999 0000'")
            held.commit()
        mine = book_appointment(ctx, BookingRequest("Long", at(day, 11), third)).id
    finally:
        db.dispose()

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        found = dict(conn.execute("SELECT id, patient_id FROM appointment").fetchall())
        phones = conn.execute("SELECT phone FROM clinic").fetchall()
    finally:
        conn.close()
    # The restore took the first booking away (the backup was taken before it).
    assert found == {theirs: second, mine: third}
    assert phones == [("03 9999 0000",)]


def test_a_restore_over_a_file_sqlite_cannot_read_keeps_its_bytes_privately(
    tmp_path: Path,
) -> None:
    """The reason to restore: the live file is no database any more. Its bytes are kept (a
    copy made by another process, not by open() here) and the backup replaces it."""
    good = tmp_path / "good.sqlite3"
    db = Database(sqlite_url(good))
    try:
        migrate.upgrade(db)
        tiny_clinic(ServiceContext(db), doctors=1)
        saved = backups.back_up(db, tmp_path / "saved.sqlite3").path
    finally:
        db.dispose()
    broken = tmp_path / "broken.sqlite3"
    scribble = b"these bytes were a database once\n" * 300
    broken.write_bytes(scribble)
    db = Database(sqlite_url(broken))
    try:
        done = backups.restore(db, saved)
    finally:
        db.dispose()
    assert done.previous is not None and done.previous.read_bytes() == scribble
    assert oct(done.previous.stat().st_mode & 0o777) == "0o600"
    conn = sqlite3.connect(broken)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT name FROM clinic").fetchall() == [("Test Clinic",)]
    finally:
        conn.close()
