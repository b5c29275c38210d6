"""Chooses the clinic database: --database, then MONTU_DATABASE_URL, then this PC's saved
choice, else the embedded SQLite file in the user data folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from montu_desktop.config import paths, secrets
from montu_desktop.config.private_files import write_private_text
from montu_desktop.domain.errors import DatabaseUnavailable

ENV_VAR = "MONTU_DATABASE_URL"
_CHOICE_FILE = "database.json"
_DRIVERS = {
    "sqlite": ("sqlite", "sqlite+pysqlite"),
    "postgresql": ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"),
}
_URL_FORMS = "use sqlite:///PATH or postgresql://USER@HOST[:PORT]/DATABASE"


class UnusableDatabase(DatabaseUnavailable):
    """The chosen database cannot be used as given (bad URL, not a database); nothing was changed."""


class DamagedSettingsFile(UnusableDatabase):
    """This PC's saved database choice (database.json) cannot be read."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(
            f"the settings file {path} is damaged ({why}); reset it in the app, delete it, "
            "or give --database"
        )
        self.path = path


def check_database_url(text: str) -> URL:
    """The parsed URL of a supported database, or UnusableDatabase saying what is wrong."""
    try:
        url = make_url(text.strip())
        port = url.port
    except (ArgumentError, ValueError, TypeError):
        raise UnusableDatabase(f"the database URL is not valid; {_URL_FORMS}") from None
    if url.drivername.split("+")[0] == "postgres":
        url = url.set(drivername="postgresql")
    backend = url.drivername.split("+")[0]
    if url.drivername not in _DRIVERS.get(backend, ()):
        raise UnusableDatabase(
            f"the database URL scheme {url.drivername!r} is not supported; {_URL_FORMS}"
        )
    if port is not None and not 1 <= port <= 65535:
        raise UnusableDatabase(f"the database URL port {port} is not between 1 and 65535")
    return url


def resolve_database_url(explicit: str | None = None) -> URL:
    """The URL to open, with the server password filled in from the keyring when not given."""
    text = explicit or os.environ.get(ENV_VAR) or saved_database_url()
    if not text:
        return URL.create("sqlite+pysqlite", database=str(paths.default_database_path()))
    url = check_database_url(text)
    if url.get_backend_name() == "postgresql" and url.password is None and url.username:
        password = secrets.get_secret(database_secret_name(url))
        if password:
            url = url.set(password=password)
    return url


def database_secret_name(url: URL) -> str:
    return f"database:{url.username}@{url.host}:{url.port or 5432}/{url.database}"


def saved_database_url() -> str | None:
    """This PC's saved choice (a URL without password), if any."""
    path = settings_file()
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:  # not UTF-8 or not JSON
        raise DamagedSettingsFile(path, str(exc).splitlines()[0][:120]) from None
    except OSError as exc:
        raise DamagedSettingsFile(path, exc.strerror or type(exc).__name__) from None
    if not isinstance(saved, dict):
        raise DamagedSettingsFile(path, "it does not hold a JSON object")
    url = saved.get("url")
    if url is not None and not isinstance(url, str):
        raise DamagedSettingsFile(path, "its url is not text")
    return url or None


def settings_file() -> Path:
    """Where this PC's database choice is kept."""
    return paths.config_dir() / _CHOICE_FILE


def reset_settings_file() -> Path | None:
    """Set a damaged settings file aside (kept as database.json.damaged); returns where it went."""
    path = settings_file()
    if not path.exists():
        return None
    aside = path.with_name(path.name + ".damaged")
    path.replace(aside)
    return aside


def save_database_url(url: URL | None) -> None:
    """Remember this PC's database (never the password: that lives in the keyring)."""
    path = settings_file()
    if url is None:
        path.unlink(missing_ok=True)
        return
    text = url.set(password=None).render_as_string(hide_password=False)
    write_private_text(path, json.dumps({"url": text}))
