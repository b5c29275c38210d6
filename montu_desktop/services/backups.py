"""Backups of the clinic database: on request, automatically every day (rotated), and restore.

The embedded database is copied online (other desks keep booking) into the backup folder
of the user data folder; a PostgreSQL database is dumped with `pg_dump -Fc` when this PC
has it, handed every connection parameter of the URL (TLS included) and the password only
in its environment. A restore checks the file first, keeps a copy of the current data, and
refuses while another process on this PC has the database open.

The live database is never opened here with Python's open() or shutil (the rule in
persistence/engine.py): checks go through SQLite, copies through its backup API, and the
one raw copy (of a file SQLite cannot read any more) is made by another process. Every
file written here is private (0600, in 0700 folders it creates: config/private_files).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from montu_desktop.config.clock import utc_now
from montu_desktop.config.private_files import create_private_file, private_folder
from montu_desktop.config.settings_registry import SPECS
from montu_desktop.domain.errors import DatabaseUnavailable, InvalidRequest, MontuError
from montu_desktop.persistence import backup_files, in_use, migrate
from montu_desktop.persistence.backup_files import (
    BackupFile,
    BackupFileError,
    SourceUnreadable,
    TargetUnwritable,
    backup_folder,
)
from montu_desktop.persistence.engine import Database
from montu_desktop.persistence.errors import DatabaseError
from montu_desktop.persistence.sqlite_files import COMPANIONS
from montu_desktop.services.admin import audit_head
from montu_desktop.services.admin.audit import AuditHead
from montu_desktop.services.context import ServiceContext

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger(__name__)

DUMP_SUFFIX = ".dump"
CHECK_EVERY_MINUTES = 30
_DUE_SLACK = timedelta(minutes=5)  # a backup taken a little early still counts


@dataclass(frozen=True, slots=True)
class BackupPolicy:
    """How often the automatic backup runs and how many of them are kept."""

    every_hours: int
    keep: int


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restore did: the file put back, its schema, and where the old data was kept."""

    file: Path
    revision: str
    previous: Path | None
    upgraded: bool


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def policy(ctx: ServiceContext) -> BackupPolicy:
    from montu_desktop.services.clinic_settings import get_setting

    def number(key: str) -> int:
        try:
            return int(SPECS[key].parse(get_setting(ctx, key).value))  # type: ignore[call-overload]
        except ValueError:
            return int(SPECS[key].default)

    return BackupPolicy(number("backup.every_hours"), number("backup.keep"))


# --- taking backups ---------------------------------------------------------------


def default_target(db: Database, kind: str = "manual", when: datetime | None = None) -> Path:
    when = when or utc_now()
    path = db.sqlite_path
    if path is not None:
        return backup_files.backup_path(path, kind, when)
    stamp = when.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    return backup_folder() / f"{db.url.database or 'montu'}-{stamp}-{kind}{DUMP_SUFFIX}"


def back_up(
    db: Database,
    target: Path | None = None,
    *,
    kind: str = "manual",
    when: datetime | None = None,
) -> BackupFile:
    """Copy the database to `target` (a file or a folder; default: the backup folder).

    Refusals: InvalidRequest("file", …) when the target cannot be written or is the
    database itself; DatabaseUnavailable when the database cannot be read.
    """
    now = when or utc_now()
    if target is None:
        target = default_target(db, kind, now)
    _usable_name(target)
    if target.is_dir():
        target = target / default_target(db, kind, now).name
    source = db.sqlite_path
    if source is not None and _same_file(source, target):  # before anything looks at it
        raise InvalidRequest("file", f"{target} is the database itself; choose another file")
    if target.exists() and not _replaceable(target):
        raise InvalidRequest("file", f"{target} exists and is not a backup; choose another name")
    if source is None:
        if not db.is_sqlite:
            head = _audit_head(db)  # read first: the dump then holds at least this much
            return _with_audit_head(_pg_dump(db, target, now, kind), head)
        raise InvalidRequest("database", "an in-memory database cannot be backed up")
    try:
        size = backup_files.copy_online(source, target)
    except TargetUnwritable as exc:
        raise InvalidRequest("file", str(exc)) from None
    except SourceUnreadable as exc:
        raise DatabaseUnavailable(str(exc)) from None
    # The head of the copy just written (never read from the live file here).
    return _with_audit_head(BackupFile(target, now, kind, size), audit_head.copy_head(target))


def _audit_head(db: Database) -> AuditHead | None:
    """The server database's audit head now, or None when this login may not read it."""
    try:
        return audit_head.read_head(db)
    except (MontuError, DatabaseError) as exc:
        log.info("backup without the audit head: %s", exc)
        return None


def _with_audit_head(made: BackupFile, head: AuditHead | None) -> BackupFile:
    """Write the head beside the backup (`<file>.audit-head`), out of the database's reach:
    `audit verify --expect` then finds newest entries removed after the backup."""
    if head is not None:
        try:
            audit_head.write_sidecar(made.path, head)
        except OSError as exc:
            log.warning("audit head not written beside %s: %s", made.path.name, exc)
    return made


def _usable_name(path: Path) -> None:
    """Refuse a file name the system cannot take (too long, a loop of links…) up front."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise InvalidRequest("file", f"{path} cannot be used: {exc.strerror or exc}") from None


def _replaceable(target: Path) -> bool:
    """Only an earlier backup (an SQLite file or a pg_dump archive) may be written over.

    `target` is never the live database here (back_up refuses that first)."""
    if not target.is_file():
        return False
    if backup_files.is_database_file(target):
        return True
    try:
        with open(target, "rb") as handle:
            return handle.read(5) == b"PGDMP"
    except OSError:
        return False


def _same_file(database: Path, target: Path) -> bool:
    """True when `target` is the database, its -wal/-shm/-journal, or a link to one of them."""
    names = {database.name, *(database.name + suffix for suffix in COMPANIONS)}
    try:
        if target.resolve().parent == database.resolve().parent and target.name in names:
            return True
    except OSError:
        return False
    for name in names:
        with contextlib.suppress(OSError):
            if os.path.samefile(target, database.with_name(name)):
                return True
    return False


def pg_conninfo(db: Database) -> str:
    """The libpq connection string of the URL's database and every query parameter
    (sslmode, sslrootcert, …), never the password; InvalidRequest for an unknown one."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import make_conninfo

    params: dict[str, str] = {}
    for key, value in db.url.query.items():
        if key == "password":
            continue
        params[key] = str(value[-1] if isinstance(value, tuple) else value)
    try:
        return make_conninfo("", dbname=db.url.database or "postgres", **params)
    except ProgrammingError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "not valid"
        raise InvalidRequest("database", f"the URL's parameters are not valid: {reason}") from None


def _pg_env(db: Database) -> Mapping[str, str]:
    """pg_dump's environment: the password goes here, never on its command line."""
    env = {**os.environ, "PGCONNECT_TIMEOUT": "5"}
    password = db.url.password or _query_value(db, "password")
    if password:
        env["PGPASSWORD"] = password
    return env


def _query_value(db: Database, key: str) -> str | None:
    value = db.url.query.get(key)
    if isinstance(value, tuple):
        value = value[-1] if value else None
    return value


def pg_dump_command(db: Database, target: Path) -> list[str]:
    url = db.url
    command = ["pg_dump", "-Fc", "-f", str(target)]
    if url.host:
        command += ["-h", url.host]
    if url.port:
        command += ["-p", str(url.port)]
    if url.username:
        command += ["-U", url.username]
    return [*command, pg_conninfo(db)]


def _pg_dump(db: Database, target: Path, now: datetime, kind: str) -> BackupFile:
    command = pg_dump_command(db, target)
    executable = shutil.which("pg_dump")
    if executable is None:
        raise InvalidRequest(
            "pg_dump",
            f"is not installed on this PC; on a PC that has it, run: {shlex.join(command)}",
        )
    try:
        private_folder(target.parent)
    except OSError as exc:
        raise InvalidRequest(
            "file", f"cannot create the folder {target.parent}: {exc.strerror}"
        ) from None
    env = _pg_env(db)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    command[3] = str(partial)
    try:
        create_private_file(partial)  # pg_dump writes into it and keeps its 0600 mode
        done = subprocess.run(
            [executable, *command[1:]], capture_output=True, text=True, env=env, timeout=6 * 3600
        )
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            reason = lines[0].removeprefix("pg_dump: ") if lines else f"exit {done.returncode}"
            if "could not open output file" in reason:
                raise InvalidRequest("file", f"cannot write {target}: {reason}")
            raise DatabaseUnavailable(f"pg_dump failed: {reason}")
        os.replace(partial, target)
    except OSError as exc:
        raise InvalidRequest("file", f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
    return BackupFile(target, now, kind, target.stat().st_size)


def list_backups(db: Database) -> list[BackupFile]:
    """The backups of this database in the backup folder, newest first."""
    if db.sqlite_path is not None:
        return backup_files.list_backups(db.sqlite_path)
    folder = backup_folder()
    prefix = f"{db.url.database or 'montu'}-"
    found = []
    if folder.is_dir():
        for path in folder.glob(f"{prefix}*{DUMP_SUFFIX}"):
            stem = path.name[len(prefix) : -len(DUMP_SUFFIX)]
            try:
                taken = datetime.strptime(stem[:15], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
                size = path.stat().st_size
            except (ValueError, OSError):
                continue
            found.append(BackupFile(path, taken, stem[16:] or "manual", size))
    return sorted(found, key=lambda b: (b.taken_at, b.path.name), reverse=True)


def prune(db: Database, keep: int) -> list[Path]:
    """Delete the oldest automatic backups beyond `keep`; the others are never deleted."""
    daily = [b for b in list_backups(db) if b.kind == "daily"]
    gone = []
    for old in daily[keep:]:
        with contextlib.suppress(OSError):
            old.path.unlink()
            gone.append(old.path)
    return gone


def back_up_if_due(ctx: ServiceContext, now: datetime | None = None) -> BackupFile | None:
    """The automatic backup of an embedded database, when the last one is old enough."""
    path = ctx.database.sqlite_path
    if path is None or not path.exists():
        return None
    now = now or ctx.clock()
    rules = policy(ctx)
    daily = [b for b in list_backups(ctx.database) if b.kind == "daily"]
    if daily and now - daily[0].taken_at < timedelta(hours=rules.every_hours) - _DUE_SLACK:
        return None
    made = back_up(ctx.database, kind="daily", when=now)
    prune(ctx.database, rules.keep)
    return made


def schedule_automatic_backups(scheduler: BaseScheduler, ctx: ServiceContext) -> None:
    """Look every half hour whether the automatic backup is due (first look a minute after start)."""
    if ctx.database.sqlite_path is None:
        return

    def run() -> None:
        try:
            made = back_up_if_due(ctx)
        except Exception as exc:  # logged for IT staff; the next look tries again
            log.warning("automatic backup failed: %s", exc)
            return
        if made is not None:
            log.info("automatic backup written: %s (%s)", made.path, human_size(made.size))

    scheduler.add_job(
        run,
        "interval",
        minutes=CHECK_EVERY_MINUTES,
        next_run_time=datetime.now(UTC) + timedelta(minutes=1),
        id="montu-automatic-backup",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )


# --- restoring --------------------------------------------------------------------


def restore_command(db: Database, file: Path) -> str:
    """What to run to restore a server database from a pg_dump file."""
    url = db.url
    parts = ["pg_restore", "--clean", "--if-exists", "--no-owner"]
    if url.host:
        parts += ["-h", url.host]
    if url.port:
        parts += ["-p", str(url.port)]
    if url.username:
        parts += ["-U", url.username]
    return shlex.join([*parts, "-d", pg_conninfo(db), str(file)])


def restore(db: Database, file: Path) -> Restored:
    """Put the backup `file` in place of the embedded database `db` (which may be open here).

    In order: the file must be a whole Montu database at a schema this build knows; no
    other process on this PC may have the database open; the current data is copied into
    the backup folder; then the file's content replaces it, and an older schema is
    upgraded. Any refusal leaves everything as it was.
    """
    path = db.sqlite_path
    if path is None:
        if db.is_sqlite:
            raise InvalidRequest("database", "an in-memory database cannot be restored")
        raise InvalidRequest(
            "database",
            f"a server database is restored with pg_restore; run: {restore_command(db, file)}",
        )
    _usable_name(file)
    if not file.is_file():
        raise InvalidRequest("file", f"{file} does not exist or is not a file")
    if _same_file(path, file):  # before anything opens it
        raise InvalidRequest("file", f"{file} is the database itself")
    try:
        with open(file, "rb") as handle:  # a backup file, not the live database
            handle.read(16)
    except OSError as exc:
        raise InvalidRequest("file", f"{file} cannot be read: {exc.strerror or exc}") from None
    staging = path.with_name(f".{path.name}.restore-{os.getpid()}")
    try:
        try:
            private_folder(path.parent)  # restoring onto a new PC
            create_private_file(staging)
            shutil.copyfile(file, staging)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise DatabaseUnavailable(f"cannot write beside {path}: {reason}") from None
        try:
            found = backup_files.check_file(staging)
        except BackupFileError as exc:
            raise InvalidRequest("file", f"{file} {exc}") from None
        if found.revision not in migrate.known_revisions():
            raise InvalidRequest(
                "file",
                f"{file} was made by a newer Montu Desktop (schema {found.revision}); "
                "install that version (or newer) first",
            )
        others = in_use.holders(path, mine=db.in_use)
        if others:
            raise InvalidRequest(
                "database",
                f"Montu Desktop ({', '.join(others)}) has this database open on this PC; "
                "close it first",
            )
        previous = _keep_current(db)
        with db.checkpoints.paused() if db.checkpoints else contextlib.nullcontext():
            db.engine.dispose()  # pooled connections reopen on the restored data
            _copy_into(staging, path)
    finally:
        for leftover in (staging, Path(f"{staging}-journal")):
            with contextlib.suppress(OSError):
                leftover.unlink()
    upgraded = migrate.upgrade(db) is migrate.SchemaState.BEHIND
    return Restored(file, found.revision, previous, upgraded)


def _keep_current(db: Database) -> Path | None:
    """A copy of the data about to be replaced; a raw copy when it cannot be read whole."""
    path = db.sqlite_path
    assert path is not None
    if not path.exists() or path.stat().st_size == 0:
        return None
    target = default_target(db, "before-restore")
    try:
        backup_files.copy_online(path, target)
    except SourceUnreadable:
        _raw_copy(path, target)
    except TargetUnwritable as exc:
        raise DatabaseUnavailable(f"cannot keep a copy of the current data: {exc}") from None
    return target


def _raw_copy(path: Path, target: Path) -> None:
    """A byte copy of a database SQLite cannot read, made by another process: closing a
    descriptor of the file here would drop this process's locks on it (the rule in
    persistence/engine.py). Windows locks do not fall that way, so it copies itself."""
    try:
        create_private_file(target)
        if os.name == "nt":
            shutil.copyfile(path, target)
            return
        done = subprocess.run(
            ["cp", "--", str(path), str(target)], capture_output=True, text=True, timeout=3600
        )
    except (OSError, subprocess.SubprocessError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise DatabaseUnavailable(f"cannot keep a copy of {path}: {reason}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[0] if lines else f"cp exit {done.returncode}"
        raise DatabaseUnavailable(f"cannot keep a copy of {path}: {reason}")


def _copy_into(staging: Path, path: Path) -> None:
    try:
        backup_files.copy_into(staging, path)
        return
    except BackupFileError:
        if _readable(path):
            raise
    # The current file is not a database any more (the reason to restore): start afresh.
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError):
            name.unlink()
    backup_files.copy_into(staging, path)


def _readable(path: Path) -> bool:
    try:
        conn = sqlite3.connect(path)
        try:
            return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    except sqlite3.Error:
        return False
