"""What every `montu-desktop` command shares: the exit codes, and printing one refusal line,
JSON or text. The command modules import this, never the package that parses the command
line (which imports them)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from montu_desktop.cli.arguments import day
from montu_desktop.domain.text import printable

EXIT_OK, EXIT_USAGE, EXIT_REFUSED, EXIT_UNREACHABLE = 0, 2, 3, 4


def one_line(text: str) -> str:
    """A message safe to print as one line: typed text may hold line breaks, control
    characters or bytes that were not UTF-8; those are shown escaped."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


def refuse(text: str) -> None:
    """Print one refusal line on stderr."""
    print(one_line(text), file=sys.stderr)


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print JSON when --json was given, else the human text.

    The text may quote what the database holds (a name stored before control characters
    were refused): each line is printed with those escaped. JSON escapes them itself.
    """
    if getattr(args, "json", False):
        print(json.dumps(data, indent=None, sort_keys=False))
    else:
        print("\n".join(printable(line) for line in text.split("\n")))


def parse_week(text: str) -> date:
    return day(text, "week")
