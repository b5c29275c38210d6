"""Brings a clinic database to the schema this build expects, on request and at start-up.

The migrations live in the top-level db/ folder; an installed wheel carries a copy as
montu_desktop/_migrations and a frozen build ships it as db/ beside the bundle's data. An
embedded database is copied into the backup folder before it is migrated. A database newer
than this build is refused with a plain explanation rather than touched.
"""

from __future__ import annotations

import enum
import functools
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from montu_desktop.config.clock import utc_now
from montu_desktop.domain.errors import MontuError
from montu_desktop.persistence.backup_files import backup_path, copy_online
from montu_desktop.persistence.engine import Database, translate_connection_errors

if TYPE_CHECKING:  # Alembic is imported only to migrate: a tenth of a second of start-up
    from alembic.config import Config


class SchemaState(enum.StrEnum):
    EMPTY = "empty"
    BEHIND = "behind"
    CURRENT = "current"
    AHEAD = "ahead"


class SchemaTooNew(MontuError):
    """The database was migrated by a newer Montu Desktop than this one."""


def migrations_folder() -> Path:
    """Where db/ (env.py and versions/) is: in the frozen bundle, the installed wheel or the source tree."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "db"
    package = Path(__file__).resolve().parents[1]
    installed = package / "_migrations"  # a wheel (pip install ., pipx) ships db/ here
    if (installed / "env.py").is_file():
        return installed
    return package.parent / "db"  # the source tree and editable installs


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    return config


_REVISION = re.compile(r"^revision\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


@functools.cache
def _revisions_at(folder: str) -> tuple[frozenset[str], frozenset[str]]:
    """(every revision, the heads) from the version files' `revision` and `down_revision`
    lines, read as text: checking the schema at start-up must not import Alembic."""
    known: set[str] = set()
    parents: set[str] = set()
    for path in (Path(folder) / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = _REVISION.search(source)
        if revision is None:
            continue
        known.add(revision.group(1))
        down = _DOWN_REVISION.search(source)
        if down is not None:
            parents.update(_QUOTED.findall(down.group(1)))
    return frozenset(known), frozenset(known - parents)


def known_revisions() -> set[str]:
    """Every schema revision this build knows (a database at another one is newer)."""
    return set(_revisions_at(str(migrations_folder()))[0])


def head_revisions() -> set[str]:
    """The newest revision of each line of history (one since 0005)."""
    return set(_revisions_at(str(migrations_folder()))[1])


def current_revisions(db: Database) -> set[str]:
    """The revisions the database says it is at (none when it was never migrated)."""
    with translate_connection_errors(), db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return set()
        return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}


def schema_state(db: Database) -> SchemaState:
    """Whether the database is empty, behind, at, or ahead of this build's migrations."""
    known, heads = known_revisions(), head_revisions()
    current = current_revisions(db)
    if not current:
        return SchemaState.EMPTY
    if current - known:
        return SchemaState.AHEAD
    return SchemaState.CURRENT if current == heads else SchemaState.BEHIND


def upgrade(db: Database) -> SchemaState:
    """Migrate to the newest schema (all heads); returns the state found before migrating."""
    state = schema_state(db)
    if state is SchemaState.AHEAD:
        raise SchemaTooNew(
            f"the database at {db.describe()} was set up by a newer Montu Desktop; "
            "install that version (or newer) on this PC"
        )
    if state is SchemaState.CURRENT:
        return state
    if state is SchemaState.BEHIND:
        _back_up_sqlite(db)
    from alembic import command

    config = _config()
    with translate_connection_errors(), db.engine.begin() as conn:
        if not db.is_sqlite:
            # Two PCs starting a new version together must not migrate at once.
            conn.execute(text("SELECT pg_advisory_xact_lock(724133)"))
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")
    return state


def _back_up_sqlite(db: Database) -> Path | None:
    """A consistent copy in the backup folder before the schema changes (kept, not rotated)."""
    path = db.sqlite_path
    if path is None or not path.exists():
        return None
    backup = backup_path(path, "before-upgrade", utc_now())
    copy_online(path, backup)
    return backup
