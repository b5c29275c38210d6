"""The per-user folders (platformdirs) for the embedded database, logs and local settings.

All three are private (0700, their files 0600: see private_files), made so on first use
in a process.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import PlatformDirs

from montu_desktop.config.private_files import private_app_folder

APP_DIR_NAME = "MontuDesktop"
APP_AUTHOR = "Montu"


def _dirs() -> PlatformDirs:
    return PlatformDirs(APP_DIR_NAME, APP_AUTHOR)


def data_dir() -> Path:
    return private_app_folder(Path(_dirs().user_data_dir))


def log_dir() -> Path:
    return private_app_folder(Path(_dirs().user_log_dir))


def config_dir() -> Path:
    return private_app_folder(Path(_dirs().user_config_dir))


def default_database_path() -> Path:
    return data_dir() / "montu.sqlite3"
