"""Brings a clinic database to the schema this build expects, on request and at start-up.

The migrations live in the top-level db/ folder; an installed wheel carries a copy as
montu_desktop/_migrations and a frozen build ships it as db/ beside the bundle's data. An
embedded database is copied into the backup folder before it is migrated. A database newer
than this build is refused with a plain explanation rather than touched.
"""

from __future__ import annotations

import enum
import functools
import sys
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from montu_desktop.domain.errors import MontuError
from montu_desktop.persistence.backup_files import backup_path, copy_online
from montu_desktop.persistence.engine import Database, translate_connection_errors


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
    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    return config


def _script() -> ScriptDirectory:
    return _script_at(str(migrations_folder()))


@functools.cache
def _script_at(folder: str) -> ScriptDirectory:
    # Reading the scripts costs tens of milliseconds; every command checks the schema once.
    config = Config()
    config.set_main_option("script_location", folder)
    return ScriptDirectory.from_config(config)


def known_revisions() -> set[str]:
    """Every schema revision this build knows (a database at another one is newer)."""
    return {rev.revision for rev in _script().walk_revisions()}


def schema_state(db: Database) -> SchemaState:
    """Whether the database is empty, behind, at, or ahead of this build's migrations."""
    script = _script()
    known = known_revisions()
    heads = set(script.get_heads())
    with translate_connection_errors(), db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
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
    backup = backup_path(path, "before-upgrade", datetime.now(UTC))
    copy_online(path, backup)
    return backup
