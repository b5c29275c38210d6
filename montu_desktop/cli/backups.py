"""`montu-desktop db backup [FILE]` and `db restore FILE`: the database file as it is, unmigrated."""

from __future__ import annotations

import argparse
from pathlib import Path

from montu_desktop.cli.output import EXIT_OK, EXIT_REFUSED, EXIT_UNREACHABLE, refuse
from montu_desktop.domain.errors import DatabaseUnavailable, InvalidRequest, MontuError


def run(args: argparse.Namespace) -> int:
    from montu_desktop.config.database import resolve_database_url
    from montu_desktop.persistence.engine import Database

    try:
        file = _file_argument(args.file)
        try:
            database = Database(resolve_database_url(getattr(args, "database", None)))
        except MontuError:
            raise
        except Exception as exc:  # an unusable URL or settings file: one line, no traceback
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DatabaseUnavailable(f"cannot use the database setting: {first}") from None
        try:
            if args.db_command == "backup":
                return _backup(database, file)
            assert file is not None
            return _restore(database, file)
        finally:
            database.dispose()
    except InvalidRequest as exc:
        refuse(f"refused: {exc.field}: {exc.reason}")
        return EXIT_REFUSED
    except DatabaseUnavailable as exc:
        refuse(f"database unavailable: {exc}")
        return EXIT_UNREACHABLE
    except MontuError as exc:
        refuse(f"error: {exc}")
        return EXIT_UNREACHABLE
    except OSError as exc:  # a file system refusal not foreseen above: still one line
        where = f" ({exc.filename})" if exc.filename else ""
        refuse(f"refused: file: {exc.strerror or exc}{where}")
        return EXIT_REFUSED


def _file_argument(text: str | None) -> Path | None:
    if text is None:
        return None
    if not text.strip() or "\x00" in text:
        raise InvalidRequest("file", "must name a file")
    return Path(text).expanduser()


def _backup(database, file: Path | None) -> int:  # type: ignore[no-untyped-def]
    from montu_desktop.services.backups import back_up, human_size

    made = back_up(database, file)
    print(_shown(f"backup written: {made.path} ({human_size(made.size)})"))
    return EXIT_OK


def _restore(database, file: Path) -> int:  # type: ignore[no-untyped-def]
    from montu_desktop.services.backups import restore

    done = restore(database, file)
    kept = f"; the previous data is kept in {done.previous}" if done.previous else ""
    upgraded = ", then upgraded to this version's schema" if done.upgraded else ""
    print(
        _shown(
            f"restored {done.file} (schema {done.revision}) into {database.describe()}"
            f"{upgraded}{kept}"
        )
    )
    return EXIT_OK


def _shown(text: str) -> str:
    """Text safe to print whatever bytes a path held (undecodable ones shown escaped)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
