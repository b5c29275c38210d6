"""Opens a clinic database for a desk or a command: resolve the URL, migrate, build the context."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from montu_desktop.config.database import UnusableDatabase, resolve_database_url
from montu_desktop.config.private_files import create_private_file, private_folder
from montu_desktop.domain.staff import Role
from montu_desktop.persistence import core_rows, migrate
from montu_desktop.persistence.engine import Database
from montu_desktop.persistence.errors import DBAPIError
from montu_desktop.persistence.sqlite_files import why_unreadable
from montu_desktop.services.context import ServiceContext


def open_database(url: str | None = None, *, migrate_schema: bool = True) -> Database:
    """The database chosen by `url`, the environment or this PC's setting, migrated if asked."""
    database = Database(resolve_database_url(url))
    try:
        if database.sqlite_path is not None:
            _check_sqlite_file(database.sqlite_path)
            database.mark_in_use()
        if migrate_schema:
            migrate.upgrade(database)
    except DBAPIError as exc:
        database.dispose()
        if database.is_sqlite and _damaged(exc):
            raise UnusableDatabase(
                f"{database.sqlite_path} is not a usable database: {_first_line(exc)}"
            ) from exc
        raise
    except Exception:
        database.dispose()
        raise
    return database


def _check_sqlite_file(path: Path) -> None:
    """Refuse, naming the path, a folder that cannot be made or a file that is not SQLite.

    The file is asked through SQLite, never read with open(): this process may already have
    it open (the rule in persistence/engine.py). A new database starts as an empty 0600 file.
    """
    try:
        private_folder(path.parent)
    except OSError as exc:
        raise UnusableDatabase(
            f"the folder {path.parent} for the database cannot be created: {exc.strerror or exc}"
        ) from None
    if path.is_dir():
        raise UnusableDatabase(f"{path} is a folder, not a database file")
    if not path.exists():
        with contextlib.suppress(OSError):  # else SQLite creates it and says why it cannot
            create_private_file(path)
        return
    if not os.access(path, os.R_OK):
        raise UnusableDatabase(f"{path} cannot be read: permission denied")
    why = why_unreadable(path)
    if why is not None and "not a database" in why:
        raise UnusableDatabase(f"{path} is not a database: it is not an SQLite file")


def _damaged(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    return any(w in message for w in ("not a database", "malformed", "disk i/o", "readonly"))


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


def open_for_desk(url: str | None = None) -> Database:
    """The database for the app. A server reached without a saved login is only opened when
    someone signs in (as their own login); the schema is checked then (`check_schema`)."""
    resolved = resolve_database_url(url)
    if resolved.get_backend_name() == "postgresql" and not (
        resolved.username and resolved.password
    ):
        return Database(resolved)
    return open_database(url)


def check_schema(database: Database) -> None:
    """Bring the schema up to date (or say plainly why not), as open_database does."""
    migrate.upgrade(database)


@contextlib.contextmanager
def open_services(url: str | None = None, *, migrate: bool = True) -> Iterator[ServiceContext]:
    database = open_database(url, migrate_schema=migrate)
    try:
        yield _acting_as_login(ServiceContext(database))
    finally:
        database.dispose()


def _acting_as_login(ctx: ServiceContext) -> ServiceContext:
    """On PostgreSQL a command acts as the login it connected with: a staff member's login
    has that member's role (IT's and the owner's logins have none: the server decides)."""
    if ctx.database.is_sqlite:
        return ctx
    with ctx.database.session() as session:
        role, login = core_rows.login_acting_as(session)
        if role is not None and login is not None:
            ctx.role = Role(role)
            ctx.actor = login
    return ctx
