"""Sends the app's log to a rotated file in the per-user log folder, with contact details masked.

The rule is that log lines name records by id only. The masking here is a safety net for
messages that break the rule (an exception quoting an email address or a phone number),
not a licence to log patient details.
"""

from __future__ import annotations

import logging
import logging.handlers
import platform
import re
import sys
from pathlib import Path

from montu_desktop import APP_NAME, __version__
from montu_desktop.config import paths
from montu_desktop.config.private_files import open_private_append, private_app_folder

LOG_FILE_NAME = "montu-desktop.log"
# A week of normal use, generously: without the scheduler's routine lines a desk writes about
# 30 lines (~3.5 kB) in five minutes at its busiest, i.e. ~1 MB a day if it ran round the
# clock; 7 files of 2 MB keep well over a week, so real errors do not roll away.
MAX_BYTES = 2_000_000
BACKUP_COUNT = 6
QUIET_LOGGERS = ("apscheduler",)
"""Libraries whose routine INFO lines ("Running job …" every few seconds) drown the log."""
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A phone number: "+" or a leading 0, then at least 8 more digits, spaces/dashes/brackets allowed.
_PHONE = re.compile(r"(?<![\w.:/-])(?:\+|\(?0)\d(?:[ ()-]{0,2}\d){7,}")


# PostgreSQL's error details quote the row or key values (names, dates of birth).
_FAILING_ROW = re.compile(r"(Failing row contains )\(.*?\)(?=\.?\s*$|\n)", re.MULTILINE)
_KEY_VALUES = re.compile(r"(Key \([^)]*\))=\(.*?\)")


def mask_contact_details(text: str) -> str:
    """The text with email addresses and phone numbers replaced by placeholders, and the row
    values PostgreSQL quotes in a constraint error's detail left out."""
    text = _KEY_VALUES.sub(r"\1=(…)", _FAILING_ROW.sub(r"\1(…)", text))
    return _PHONE.sub("<phone>", _EMAIL.sub("<email>", text))


class MaskingFormatter(logging.Formatter):
    """Formats as usual (message, traceback, stack), then masks contact details in the result."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_contact_details(super().format(record))


class _MontuFileHandler(logging.handlers.RotatingFileHandler):
    """Marks the handler this module installed, so set-up can run twice without doubling lines.

    Its files are created 0600 whatever the umask (a log may still name a record)."""

    def _open(self):  # type: ignore[no-untyped-def]
        return open_private_append(Path(self.baseFilename), self.encoding or "utf-8", self.errors)


def configure_logging(
    level: int = logging.INFO,
    *,
    directory: Path | None = None,
    max_bytes: int = MAX_BYTES,
    backup_count: int = BACKUP_COUNT,
) -> Path:
    """Log to `<log folder>/montu-desktop.log` (rotated); returns the file's path."""
    folder = private_app_folder(directory or paths.log_dir())
    log_file = folder / LOG_FILE_NAME
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, _MontuFileHandler):
            if Path(handler.baseFilename) == log_file.resolve():
                return log_file
            root.removeHandler(handler)
            handler.close()
    handler = _MontuFileHandler(
        log_file, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8", delay=True
    )
    handler.setFormatter(MaskingFormatter(_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    logging.captureWarnings(True)
    logging.getLogger(__name__).info(
        "%s %s starting (Python %s, %s, %s)",
        APP_NAME,
        __version__,
        platform.python_version(),
        platform.platform(terse=True),
        "installed build" if getattr(sys, "frozen", False) else "from source",
    )
    return log_file


def current_log_file() -> Path | None:
    """The file the log is being written to, if configure_logging has run."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, _MontuFileHandler):
            return Path(handler.baseFilename)
    return None


def stop_logging() -> None:
    """Close and remove the log file handler (tests, and a clean exit)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _MontuFileHandler):
            root.removeHandler(handler)
            handler.close()
