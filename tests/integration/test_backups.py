"""Backups and restores of the embedded database (and pg_dump for a server), as used for real."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command as alembic_command
from sqlalchemy import text

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.persistence import migrate
from montu_desktop.persistence.backup_files import backup_folder, check_file
from montu_desktop.persistence.engine import Database, sqlite_url
from montu_desktop.services import backups, clinic_settings
from montu_desktop.services.booking import BookingRequest, book_appointment, cancel_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from tests.support.clinic import appointment_count, at, new_patients, tiny_clinic

ROOT = Path(__file__).resolve().parents[2]
DESKS = 4


def montu(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "montu_desktop", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})},
    )


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in this process (a new process costs seconds on a busy machine)."""
    import contextlib
    import io

    from montu_desktop.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def rows_of(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order: what 'the same data' means."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            table: sorted(conn.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
            for table in sorted(tables)
        }
    finally:
        conn.close()


def overlaps_in(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            """
            SELECT count(*) FROM appointment a JOIN appointment b
              ON a.id < b.id AND (a.doctor_id = b.doctor_id OR a.patient_id = b.patient_id)
             AND a.start_at < b.end_at AND b.start_at < a.end_at
            WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
            """
        ).fetchone()[0]
    finally:
        conn.close()


def count_in(path: Path, sql: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def next_tuesday(ctx: ServiceContext):  # type: ignore[no-untyped-def]
    today = to_local(ctx.clock(), clinic_policy(ctx).timezone).date()
    return today + timedelta(days=7 - today.weekday() + 1)


@pytest.fixture
def clinic(sqlite_db: Database) -> ServiceContext:
    ctx = ServiceContext(sqlite_db)  # the real clock: desks in other processes use it too
    tiny_clinic(ctx, doctors=3)
    return ctx


@pytest.mark.slow
def test_a_backup_taken_while_four_desks_book_is_whole_and_consistent(
    clinic: ServiceContext, tmp_path: Path
) -> None:
    db = clinic.database
    patients = new_patients(clinic, DESKS * 3)
    url = db.url.render_as_string(hide_password=False)
    stop = tmp_path / "stop"
    desks = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "tests.support.booking_desk", url),
                ",".join(str(p) for p in patients[i::DESKS]),
                (next_tuesday(clinic) - timedelta(days=7)).isoformat(),
                str(stop),
                str(i),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(DESKS)
    ]
    try:
        for desk in desks:
            assert desk.stdout.readline().strip() == "ready", desk.stderr.read()
        taken = []
        for n in range(3):
            time.sleep(0.3)
            made = backups.back_up(db, tmp_path / f"during-{n}.sqlite3")
            taken.append(made.path)
        # The desks write on after the last copy (so it was taken mid-stream, not after).
        caught = count_in(taken[-1], "SELECT count(*) FROM appointment")
        deadline = time.monotonic() + 30
        while appointment_count(clinic, live_only=False) <= caught:
            assert time.monotonic() < deadline, "the desks stopped writing"
            time.sleep(0.02)
    finally:
        stop.touch()
        results = [
            (desk.wait(timeout=60), desk.stdout.read(), desk.stderr.read()) for desk in desks
        ]
    assert all(code == 0 for code, _, _ in results), results
    booked = sum(int(out.strip()) for _, out, _ in results)

    counts = []
    for path in taken:
        assert check_file(path).revision in migrate.known_revisions()  # integrity check passed
        assert overlaps_in(path) == 0
        appointments = count_in(path, "SELECT count(*) FROM appointment")
        # Each booking writes its appointment and its outbox event in one transaction: a
        # copy that caught one without the other would not be one moment of the database.
        assert appointments == count_in(
            path, "SELECT count(*) FROM outbox_event WHERE name = 'appointment.booked'"
        )
        counts.append(appointments)
    assert counts == sorted(counts) and 0 < counts[-1] < booked, (counts, booked)
    # Every appointment the last copy holds is in the database, with the same doctor,
    # patient, type and times (a desk may have cancelled it since, to book again).
    final = {row[:6] for row in rows_of(db.sqlite_path)["appointment"]}  # type: ignore[arg-type]
    assert {row[:6] for row in rows_of(taken[-1])["appointment"]} <= final


def _book_some(ctx: ServiceContext, patients: list[int], hour: int) -> list[int]:
    day = next_tuesday(ctx)
    return [
        book_appointment(ctx, BookingRequest("Long", at(day, hour, 30 * i), p)).id
        for i, p in enumerate(patients)
    ]


def test_a_restore_gives_back_exactly_the_rows_of_the_backup(
    clinic: ServiceContext, tmp_path: Path
) -> None:
    db = clinic.database
    patients = new_patients(clinic, 4)
    first = _book_some(clinic, patients[:2], 9)
    made = backups.back_up(db, tmp_path / "monday.sqlite3")
    assert made.size == made.path.stat().st_size > 0
    in_backup = rows_of(made.path)

    _book_some(clinic, patients[2:], 10)
    cancel_appointment(clinic, first[0])
    clinic_settings.set_setting(clinic, "backup.keep", "3")
    assert db.sqlite_path is not None
    before_restore = rows_of(db.sqlite_path)
    assert before_restore != in_backup

    done = backups.restore(db, made.path)

    assert rows_of(db.sqlite_path) == in_backup
    assert done.previous is not None and rows_of(done.previous) == before_restore
    assert done.previous.parent == backup_folder()
    # The open Database sees the restored rows at once (no stale pooled connection).
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM appointment")).scalar() == 2


def test_the_command_line_backs_up_and_restores(tmp_path: Path) -> None:
    database = tmp_path / "clinic.sqlite3"
    url = f"sqlite:///{database}"
    db = Database(sqlite_url(database))
    migrate.upgrade(db)
    ctx = ServiceContext(db)
    tiny_clinic(ctx, doctors=2)
    patients = new_patients(ctx, 3)
    _book_some(ctx, patients[:1], 9)
    db.dispose()

    done = montu("--database", url, "db", "backup")
    assert done.returncode == 0, done.stderr
    (listed,) = backups.backup_files.list_backups(database)
    assert listed.kind == "manual" and listed.path.parent == backup_folder()
    assert (
        done.stdout.strip() == f"backup written: {listed.path} ({backups.human_size(listed.size)})"
    )
    saved = rows_of(listed.path)

    into_folder = montu("--database", url, "db", "backup", str(tmp_path))
    assert into_folder.returncode == 0, into_folder.stderr
    assert str(tmp_path) in into_folder.stdout and "-manual.sqlite3" in into_folder.stdout

    db = Database(sqlite_url(database))
    _book_some(ServiceContext(db), patients[1:], 11)
    db.dispose()
    restored = montu("--database", url, "db", "restore", str(listed.path))
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"restored {listed.path} (schema ")
    assert "the previous data is kept in" in restored.stdout
    assert rows_of(database) == saved


def _damaged(good: Path, target: Path) -> Path:
    data = bytearray(good.read_bytes())
    pages = len(data) // 4096
    for page in range(pages // 2, pages // 2 + 5):  # scribble over b-tree page headers
        data[page * 4096 : page * 4096 + 64] = b"\x07" * 64
    target.write_bytes(bytes(data))
    return target


def _foreign(target: Path) -> Path:
    conn = sqlite3.connect(target)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    return target


def _newer(good: Path, target: Path) -> Path:
    target.write_bytes(good.read_bytes())
    conn = sqlite3.connect(target)
    conn.execute("UPDATE alembic_version SET version_num = '0999'")
    conn.commit()
    conn.close()
    return target


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda good, d: _damaged(good, d / "damaged.sqlite3"), "is damaged"),
        (lambda good, d: _foreign(d / "recipes.sqlite3"), "is not a Montu Desktop database"),
        (lambda good, d: _newer(good, d / "newer.sqlite3"), "newer Montu Desktop (schema 0999)"),
        (lambda good, d: d / "notes.txt", "is not a database file"),
        (lambda good, d: d / "missing.sqlite3", "does not exist"),
        (lambda good, d: d, "does not exist or is not a file"),
    ],
    ids=["damaged", "foreign", "newer", "text", "missing", "folder"],
)
def test_a_damaged_or_foreign_file_is_refused_and_nothing_changes(
    clinic: ServiceContext, tmp_path: Path, make, says: str
) -> None:  # type: ignore[no-untyped-def]
    db = clinic.database
    new_patients(clinic, 2)
    good = backups.back_up(db, tmp_path / "good.sqlite3").path
    (tmp_path / "notes.txt").write_text("not a database\n", encoding="utf-8")
    bad = make(good, tmp_path)
    assert db.sqlite_path is not None
    before = rows_of(db.sqlite_path)
    db.dispose()
    folder_before = sorted(backup_folder().glob("*")) if backup_folder().exists() else []

    done = cli("--database", f"sqlite:///{db.sqlite_path}", "db", "restore", str(bad))

    assert done.returncode == 3, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("refused: file: ") and says in done.stderr
    assert done.stderr.count("\n") == 1
    assert rows_of(db.sqlite_path) == before
    after = sorted(backup_folder().glob("*")) if backup_folder().exists() else []
    assert after == folder_before  # not even a "before restore" copy
    assert not list(db.sqlite_path.parent.glob(".*restore*"))


def test_a_restore_is_refused_while_another_process_has_the_database_open(
    clinic: ServiceContext, tmp_path: Path
) -> None:
    db = clinic.database
    good = backups.back_up(db, tmp_path / "good.sqlite3").path
    new_patients(clinic, 1)
    assert db.sqlite_path is not None
    before = rows_of(db.sqlite_path)
    url = db.url.render_as_string(hide_password=False)
    db.dispose()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from montu_desktop.persistence.engine import Database\n"
            f"db = Database({url!r}); db.ping(); print('open', flush=True); time.sleep(60)",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        done = cli("--database", url, "db", "restore", str(good))
        assert done.returncode == 3
        assert done.stderr == (
            f"refused: database: Montu Desktop (process {holder.pid}) has this database open "
            "on this PC; close it first\n"
        )
        assert rows_of(db.sqlite_path) == before
    finally:
        holder.kill()  # kill -9 leaves its marker behind: the next look sweeps it away
        holder.wait()
    done = cli("--database", url, "db", "restore", str(good))
    assert done.returncode == 0, done.stderr
    assert rows_of(db.sqlite_path) == rows_of(good)


def test_bad_backup_targets_and_sources_end_with_one_line(tmp_path: Path, sqlite_db) -> None:  # type: ignore[no-untyped-def]
    url = sqlite_db.url.render_as_string(hide_password=False)
    sqlite_db.dispose()
    a_file = tmp_path / "plain.txt"
    a_file.write_text("these are notes, not a database\n" * 40, encoding="utf-8")

    unwritable = cli("--database", url, "db", "backup", str(a_file / "sub" / "b.sqlite3"))
    assert unwritable.returncode == 3
    assert unwritable.stderr.startswith("refused: file: cannot create the folder ")
    assert unwritable.stderr.count("\n") == 1 and not (a_file.parent / "sub").exists()

    itself = cli("--database", url, "db", "backup", str(sqlite_db.sqlite_path))
    assert itself.returncode == 3 and "is the database itself" in itself.stderr

    missing = cli("--database", f"sqlite:///{tmp_path / 'none.sqlite3'}", "db", "backup")
    assert missing.returncode == 4
    assert (
        missing.stderr
        == f"database unavailable: there is no database at {tmp_path / 'none.sqlite3'}\n"
    )
    assert not (tmp_path / "none.sqlite3").exists()

    not_a_db = cli("--database", f"sqlite:///{a_file}", "db", "backup", str(tmp_path / "c"))
    assert not_a_db.returncode == 4 and not_a_db.stderr.count("\n") == 1
    assert "cannot be read" in not_a_db.stderr

    for command in ("backup", "restore"):
        too_long = cli("--database", url, "db", command, str(tmp_path / ("x" * 5000)))
        assert too_long.returncode == 3 and too_long.stderr.count("\n") == 1
        assert too_long.stderr.startswith("refused: file: ")

    empty = cli("--database", url, "db", "backup", "")
    assert empty.returncode == 3 and empty.stderr == "refused: file: must name a file\n"


def test_automatic_backups_run_when_due_and_keep_the_newest(sqlite_ctx: ServiceContext) -> None:
    clinic_settings.set_setting(sqlite_ctx, "backup.keep", "3")
    clinic_settings.set_setting(sqlite_ctx, "backup.every_hours", "24")
    db = sqlite_ctx.database
    manual = backups.back_up(db)
    start = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    made = []
    for hours in range(0, 24 * 6, 6):  # looked at every 6 hours for 6 days
        done = backups.back_up_if_due(sqlite_ctx, now=start + timedelta(hours=hours))
        if done is not None:
            made.append(done.taken_at)
    assert made == [start + timedelta(days=d) for d in range(6)]
    kept = backups.list_backups(db)
    assert [b.taken_at for b in kept if b.kind == "daily"] == made[:-4:-1]
    assert manual.path in [b.path for b in kept]  # only automatic backups are rotated

    with pytest.raises(InvalidRequest, match="between 1 and 365"):
        clinic_settings.set_setting(sqlite_ctx, "backup.keep", "0")


def test_the_app_scheduler_takes_the_automatic_backup(sqlite_ctx: ServiceContext) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler()
    backups.schedule_automatic_backups(scheduler, sqlite_ctx)
    (job,) = scheduler.get_jobs()
    job.func()
    job.func()  # a second look the same day finds the backup recent enough
    assert [b.kind for b in backups.list_backups(sqlite_ctx.database)] == ["daily"]


def test_an_upgrade_is_preceded_by_a_backup_in_the_backup_folder(tmp_path: Path) -> None:
    database = tmp_path / "old.sqlite3"
    db = Database(sqlite_url(database))
    config = migrate._config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        alembic_command.upgrade(config, "0005")
    assert migrate.upgrade(db) is migrate.SchemaState.BEHIND
    (before,) = backups.list_backups(db)
    assert before.kind == "before-upgrade"
    assert check_file(before.path).revision == "0005"
    db.dispose()


@pytest.mark.postgres
def test_a_server_database_is_dumped_with_pg_dump(
    pg_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_db.url.render_as_string(hide_password=False)
    target = tmp_path / "clinic.dump"
    done = cli("--database", url, "db", "backup", str(target))
    assert done.returncode == 0, done.stderr
    assert target.read_bytes()[:5] == b"PGDMP"
    assert done.stdout.strip().startswith(f"backup written: {target} (")

    monkeypatch.setenv("PATH", "/nonexistent")
    without = cli("--database", url, "db", "backup", str(tmp_path / "x.dump"))
    assert without.returncode == 3
    assert without.stderr.startswith("refused: pg_dump: is not installed on this PC; ")
    assert f"run: pg_dump -Fc -f {tmp_path / 'x.dump'} -h 127.0.0.1 -p 5432 -U postgres " in (
        without.stderr
    )

    restore = cli("--database", url, "db", "restore", str(target))
    assert restore.returncode == 3 and "run: pg_restore --clean" in restore.stderr


def test_a_backup_from_an_older_version_is_restored_and_upgraded(
    sqlite_db: Database, tmp_path: Path
) -> None:
    old_file = tmp_path / "old.sqlite3"
    old = Database(sqlite_url(old_file))
    config = migrate._config()
    with old.engine.begin() as conn:
        config.attributes["connection"] = conn
        alembic_command.upgrade(config, "0005")
    old.dispose()

    done = backups.restore(sqlite_db, old_file)

    assert done.revision == "0005" and done.upgraded
    assert migrate.schema_state(sqlite_db) is migrate.SchemaState.CURRENT
    kinds = sorted(b.kind for b in backups.list_backups(sqlite_db))
    assert kinds == ["before-restore", "before-upgrade"]


def test_a_backup_never_overwrites_a_file_that_is_not_a_database(
    sqlite_db: Database, tmp_path: Path
) -> None:
    letter = tmp_path / "letter.txt"
    letter.write_text("Dear Dr A,\n", encoding="utf-8")
    with pytest.raises(InvalidRequest, match="exists and is not a backup"):
        backups.back_up(sqlite_db, letter)
    assert letter.read_text(encoding="utf-8") == "Dear Dr A,\n"
    again = backups.back_up(sqlite_db, tmp_path / "b.sqlite3")
    assert backups.back_up(sqlite_db, again.path).size == again.size  # a backup may be replaced
