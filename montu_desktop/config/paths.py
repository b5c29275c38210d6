"""The per-user folders (platformdirs) for the embedded database, logs and local settings."""

from __future__ import annotations

from pathlib import Path

from platformdirs import PlatformDirs

APP_DIR_NAME = "MontuDesktop"
APP_AUTHOR = "Montu"


def _dirs() -> PlatformDirs:
    return PlatformDirs(APP_DIR_NAME, APP_AUTHOR)


def data_dir() -> Path:
    path = Path(_dirs().user_data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    path = Path(_dirs().user_log_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    path = Path(_dirs().user_config_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_path() -> Path:
    return data_dir() / "montu.sqlite3"
