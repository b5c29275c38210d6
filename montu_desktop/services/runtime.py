"""Opens a clinic database for a desk or a command: resolve the URL, migrate, build the context."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from montu_desktop.config.database import resolve_database_url
from montu_desktop.persistence import migrate
from montu_desktop.persistence.engine import Database
from montu_desktop.services.context import ServiceContext


def open_database(url: str | None = None, *, migrate_schema: bool = True) -> Database:
    """The database chosen by `url`, the environment or this PC's setting, migrated if asked."""
    database = Database(resolve_database_url(url))
    if database.sqlite_path is not None:
        database.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        database.mark_in_use()
    if migrate_schema:
        try:
            migrate.upgrade(database)
        except Exception:
            database.dispose()
            raise
    return database


@contextlib.contextmanager
def open_services(url: str | None = None, *, migrate: bool = True) -> Iterator[ServiceContext]:
    database = open_database(url, migrate_schema=migrate)
    try:
        yield ServiceContext(database)
    finally:
        database.dispose()
