"""Where the audit trail's head is written down, out of the database's reach.

The head (entries and newest hash, `COUNT:HASH`) goes into a sidecar file beside each backup
(`<backup>.audit-head`), into the app's log once a day ("audit head: COUNT:HASH"), and into
this PC's own record of the last verified head (shown on the Audit page with its day).
`audit verify --expect COUNT:HASH` then tells whether the newest entries were cut off.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from montu_desktop.config import paths
from montu_desktop.domain.errors import MontuError
from montu_desktop.persistence import audit_rows
from montu_desktop.persistence.engine import Database
from montu_desktop.services.admin.audit import AuditHead, parse_head, verify_chain
from montu_desktop.services.context import ServiceContext

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".audit-head"
CHECK_EVERY_MINUTES = 60


def read_head(db: Database) -> AuditHead:
    """The head as the database holds it now (not verified: `verify_chain` does that)."""
    with db.session() as session:
        count, digest = audit_rows.head(session)
    return AuditHead(count, digest)


def copy_head(path: Path) -> AuditHead | None:
    """The head in an SQLite backup copy (read-only, as an unchanging file); None if unreadable."""
    found = audit_rows.copy_head(path)
    return None if found is None else AuditHead(*found)


def sidecar_path(backup: Path) -> Path:
    return backup.with_name(backup.name + SIDECAR_SUFFIX)


def write_sidecar(backup: Path, head: AuditHead) -> Path:
    """`COUNT:HASH` beside the backup: the backup holds at least that much of the trail."""
    target = sidecar_path(backup)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.write_text(f"{head}\n", encoding="ascii")
    os.replace(partial, target)
    return target


def read_sidecar(backup: Path) -> AuditHead | None:
    try:
        return parse_head(sidecar_path(backup).read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError, MontuError):
        return None


# --- this PC's record of the last verified head -----------------------------------


@dataclass(frozen=True, slots=True)
class VerifiedHead:
    head: AuditHead
    taken_at: datetime


def _record_file() -> Path:
    return paths.data_dir() / "audit-heads.json"


def _where(db: Database) -> str:
    return db.describe()


def _records() -> dict[str, dict[str, object]]:
    try:
        found = json.loads(_record_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def record_verified(db: Database, head: AuditHead, taken_at: datetime) -> None:
    """Log the head a full verification reached and remember it with its time (best effort)."""
    log.info("audit head: %s", head)
    records = _records()
    records[_where(db)] = {"head": str(head), "at": taken_at.astimezone(UTC).isoformat()}
    target = _record_file()
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(records, indent=1), encoding="utf-8")
        os.replace(partial, target)


def last_verified(db: Database) -> VerifiedHead | None:
    entry = _records().get(_where(db))
    if not isinstance(entry, dict):
        return None
    try:
        return VerifiedHead(
            parse_head(str(entry["head"])), datetime.fromisoformat(str(entry["at"]))
        )
    except (KeyError, ValueError, MontuError):
        return None


def verify_and_record(ctx: ServiceContext) -> VerifiedHead | None:
    """Verify the whole chain; when it holds, log its head and remember it on this PC."""
    check = verify_chain(ctx)
    if not check.intact:
        broken = check.broken
        log.warning(
            "audit trail broken: entry %s (number %s): %s",
            broken.entry_id if broken else "?",
            broken.chain_seq if broken else "?",
            broken.reason if broken else check.head_lost,
        )
        return None
    now = ctx.clock()
    record_verified(ctx.database, check.head, now)
    return VerifiedHead(check.head, now)


def verify_if_due(ctx: ServiceContext) -> VerifiedHead | None:
    """Once a day: the last verified head on this PC is older than a day (or missing)."""
    last = last_verified(ctx.database)
    if last is not None and ctx.clock() - last.taken_at < timedelta(hours=23, minutes=30):
        return None
    return verify_and_record(ctx)


def schedule_daily_audit_head(scheduler: BaseScheduler, ctx: ServiceContext) -> None:
    """Look every hour whether today's head is written down (first look two minutes after start)."""

    def run() -> None:
        try:
            verify_if_due(ctx)
        except Exception as exc:  # logged for IT staff; the next look tries again
            log.warning("audit head not taken: %s", exc)

    scheduler.add_job(
        run,
        "interval",
        minutes=CHECK_EVERY_MINUTES,
        next_run_time=datetime.now(UTC) + timedelta(minutes=2),
        id="montu-audit-head",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
