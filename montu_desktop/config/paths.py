"""The per-user folders (platformdirs) for the embedded database, logs and local settings.

All three are private (0700, their files 0600: see private_files), made so on first use
in a process.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import PlatformDirs

from montu_desktop.config.private_files import private_app_folder, tighten_tree

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


def make_private() -> None:
    """At start (the app, every command): the app's folders and everything in them 0700/0600,
    tightening what an older version (or a umask of 022) left readable by other accounts."""
    for folder in (data_dir(), config_dir(), log_dir()):
        tighten_tree(folder)
