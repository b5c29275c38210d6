"""Chooses the clinic database: --database, then MONTU_DATABASE_URL, then this PC's saved
choice, else the embedded SQLite file in the user data folder."""

from __future__ import annotations

import json
import os

from sqlalchemy.engine import URL, make_url

from montu_desktop.config import paths, secrets

ENV_VAR = "MONTU_DATABASE_URL"
_CHOICE_FILE = "database.json"


def resolve_database_url(explicit: str | None = None) -> URL:
    """The URL to open, with the server password filled in from the keyring when not given."""
    text = explicit or os.environ.get(ENV_VAR) or saved_database_url()
    if not text:
        return URL.create("sqlite+pysqlite", database=str(paths.default_database_path()))
    url = make_url(text)
    if url.get_backend_name() == "postgresql" and url.password is None and url.username:
        password = secrets.get_secret(database_secret_name(url))
        if password:
            url = url.set(password=password)
    return url


def database_secret_name(url: URL) -> str:
    return f"database:{url.username}@{url.host}:{url.port or 5432}/{url.database}"


def saved_database_url() -> str | None:
    """This PC's saved choice (a URL without password), if any."""
    path = paths.config_dir() / _CHOICE_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("url") or None


def save_database_url(url: URL | None) -> None:
    """Remember this PC's database (never the password: that lives in the keyring)."""
    path = paths.config_dir() / _CHOICE_FILE
    if url is None:
        path.unlink(missing_ok=True)
        return
    text = url.set(password=None).render_as_string(hide_password=False)
    path.write_text(json.dumps({"url": text}), encoding="utf-8")
