"""This PC's choice of clinic database (embedded file or server), checked and saved for Settings.

The server password goes to the OS keyring only; the saved choice is a URL without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from montu_desktop.config import database as config
from montu_desktop.config import paths, secrets
from montu_desktop.domain.errors import DatabaseUnavailable, InvalidRequest, MontuError
from montu_desktop.persistence import core_rows, migrate
from montu_desktop.persistence.engine import Database

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

TLS_MODES = ("disable", "prefer", "require", "verify-ca", "verify-full")
"""libpq's sslmode values; verify-ca and verify-full need the clinic's CA certificate."""


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Where the clinic's PostgreSQL server is and how to reach it (no password)."""

    host: str
    port: int = 5432
    database: str = "montu"
    user: str = "montu"
    tls_mode: str = "prefer"
    ca_file: str = ""

    def checked(self) -> ServerSettings:
        """These settings, tidied, or InvalidRequest naming the field at fault."""
        tidy = ServerSettings(
            self.host.strip(),
            self.port,
            self.database.strip(),
            self.user.strip(),
            self.tls_mode,
            self.ca_file.strip(),
        )
        if not tidy.host:
            raise InvalidRequest("host", "is required (the server's name or address)")
        if any(c.isspace() or c in "/@?#" for c in tidy.host):
            raise InvalidRequest("host", "must be a name or address without spaces or / @ ? #")
        if not 1 <= tidy.port <= 65535:
            raise InvalidRequest("port", "must be between 1 and 65535")
        if not tidy.database:
            raise InvalidRequest("database", "is required")
        if not tidy.user:
            raise InvalidRequest("user", "is required")
        if tidy.tls_mode not in TLS_MODES:
            raise InvalidRequest("tls_mode", f"must be one of {', '.join(TLS_MODES)}")
        if tidy.tls_mode in ("verify-ca", "verify-full"):
            if not tidy.ca_file:
                raise InvalidRequest("ca_file", f"is needed to verify the server ({tidy.tls_mode})")
            if not Path(tidy.ca_file).is_file():
                raise InvalidRequest("ca_file", f"{tidy.ca_file} is not a readable file")
        return tidy

    def url(self, password: str | None = None) -> URL:
        query = {"sslmode": self.tls_mode}
        if self.ca_file and self.tls_mode in ("verify-ca", "verify-full"):
            query["sslrootcert"] = self.ca_file
        return core_rows.server_url(
            username=self.user,
            password=password or None,
            host=self.host,
            port=self.port,
            database=self.database,
            query=query,
        )


@dataclass(frozen=True, slots=True)
class CurrentChoice:
    """What Settings → Database shows when it opens."""

    server: ServerSettings | None
    """None means the embedded file."""
    embedded_path: str
    has_password: bool


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """The answer to "Test connection", in words for the person at the desk."""

    ok: bool
    message: str


def current_choice() -> CurrentChoice:
    embedded = str(paths.default_database_path())
    try:
        text = config.saved_database_url()
    except config.DamagedSettingsFile:  # shown as no choice; saving a new one replaces the file
        text = None
    if not text:
        return CurrentChoice(None, embedded, False)
    url = core_rows.parse_url(text)
    if url.get_backend_name() != "postgresql":
        return CurrentChoice(None, url.database or embedded, False)
    query = dict(url.query)
    server = ServerSettings(
        host=url.host or "",
        port=url.port or 5432,
        database=url.database or "",
        user=url.username or "",
        tls_mode=str(query.get("sslmode", "prefer")),
        ca_file=str(query.get("sslrootcert", "")),
    )
    has_password = bool(secrets.get_secret(config.database_secret_name(server.url())))
    return CurrentChoice(server, embedded, has_password)


def check_server(settings: ServerSettings, password: str | None) -> ConnectionCheck:
    """Connect once with these settings and say whether this app can use that database."""
    settings = settings.checked()
    if not password:
        password = secrets.get_secret(config.database_secret_name(settings.url()))
    database = Database(settings.url(password), pool_size=1)
    try:
        database.ping()
        state = migrate.schema_state(database)
    except DatabaseUnavailable as exc:
        return ConnectionCheck(False, f"Could not connect: {_reason(exc)}")
    except MontuError as exc:
        return ConnectionCheck(False, str(exc))
    finally:
        database.dispose()
    return ConnectionCheck(state is not migrate.SchemaState.AHEAD, schema_message(state))


def schema_message(state: migrate.SchemaState) -> str:
    """What a schema state means for the person choosing this database, and what to do."""
    messages = {
        migrate.SchemaState.EMPTY: (
            "Connected. The database is empty: Montu Desktop will set it up when it next starts."
        ),
        migrate.SchemaState.BEHIND: (
            "Connected. The database is from an older version of Montu Desktop: it will be "
            "upgraded when this PC next starts, after which every desk needs this version."
        ),
        migrate.SchemaState.CURRENT: "Connected. The database is up to date.",
        migrate.SchemaState.AHEAD: (
            "Connected, but the database was set up by a newer Montu Desktop than this one. "
            "Install that version (or newer) on this PC before using it."
        ),
    }
    return messages[state]


def save_server(settings: ServerSettings, password: str | None) -> None:
    """Use this server from the next start; the password (if given) goes to the keyring."""
    settings = settings.checked()
    url = settings.url()
    if password:
        secrets.set_secret(config.database_secret_name(url), password)
    config.save_database_url(url)


def save_embedded() -> None:
    """Use the embedded file in this user's data folder from the next start."""
    config.save_database_url(None)


def _reason(exc: MontuError) -> str:
    text = str(exc)
    prefix = "the database cannot be reached: "
    return text[len(prefix) :] if text.startswith(prefix) else text
