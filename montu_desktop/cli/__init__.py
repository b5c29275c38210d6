"""The `montu-desktop` command: starts the app, or runs one headless command for IT staff and scripts.

Exit status: 0 done; 2 bad usage; 3 request refused (one line on stderr naming the field
and the reason; nothing changed); 4 database unreachable or unusable.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

EXIT_OK, EXIT_USAGE, EXIT_REFUSED, EXIT_UNREACHABLE = 0, 2, 3, 4

Handler = Callable[[argparse.Namespace], int]


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="database URL (default: $MONTU_DATABASE_URL, else the embedded SQLite file)",
    )


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _database_option(common)
    parser = argparse.ArgumentParser(
        prog="montu-desktop",
        description="Montu Desktop: clinic reception. With no command, starts the app.",
        parents=[common],
    )
    parser.add_argument("--self-test", action="store_true", help="start offscreen, check, exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    from montu_desktop.cli import scheduling

    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", parents=[common], help="migrate the database to this version")
    db.add_parser("status", parents=[common], help="say whether the database is up to date")

    demo = commands.add_parser("demo-data", parents=[common], help="create the demo clinic")
    demo.add_argument("--doctors", type=int, default=8)
    demo.add_argument("--weeks", type=int, default=4)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--history-weeks", type=int, default=0, help=argparse.SUPPRESS)

    avail = commands.add_parser(
        "availability", parents=[common], help="free doctors per slot of a week"
    )
    avail.add_argument("--type", required=True, metavar="NAME")
    avail.add_argument("--week", required=True, metavar="YYYY-MM-DD")
    avail.add_argument("--json", action="store_true")

    patients = commands.add_parser("patients", help="add or find patients").add_subparsers(
        dest="patients_command", required=True
    )
    add = patients.add_parser("add", parents=[common], help="add a patient")
    add.add_argument("--given", required=True)
    add.add_argument("--family", required=True)
    add.add_argument("--phone")
    add.add_argument("--email")
    add.add_argument("--dob", metavar="YYYY-MM-DD")
    add.add_argument("--no-sms", action="store_true", help="no SMS reminders")
    add.add_argument("--no-email", action="store_true", help="no email reminders")
    add.add_argument("--json", action="store_true")
    find = patients.add_parser("find", parents=[common], help="find patients by name, phone or DOB")
    find.add_argument("text")
    find.add_argument("--json", action="store_true")

    book = commands.add_parser("book", parents=[common], help="book an appointment")
    book.add_argument("--type", required=True, metavar="NAME")
    book.add_argument("--start", required=True, metavar="ISO-8601")
    book.add_argument("--patient", required=True, type=int, metavar="ID")
    book.add_argument("--doctor", type=int, metavar="ID")
    book.add_argument("--json", action="store_true")
    scheduling.add_book_options(book)

    cancel = commands.add_parser("cancel", parents=[common], help="cancel an appointment")
    cancel.add_argument("id", type=int)
    cancel.add_argument("--json", action="store_true")
    scheduling.add_cancel_options(cancel)

    move = commands.add_parser("reschedule", parents=[common], help="move an appointment")
    move.add_argument("id", type=int)
    move.add_argument("--start", required=True, metavar="ISO-8601")
    move.add_argument("--doctor", type=int, metavar="ID")
    move.add_argument("--json", action="store_true")
    scheduling.add_reschedule_options(move)

    for noun in ("doctors", "types"):
        sub = commands.add_parser(noun, help=f"list {noun}").add_subparsers(
            dest=f"{noun}_command", required=True
        )
        listing = sub.add_parser("list", parents=[common], help=f"list {noun}")
        listing.add_argument("--json", action="store_true")
        if noun == "doctors":
            scheduling.add_doctor_types(sub, common)
    scheduling.add_parsers(commands, common)

    schedules = commands.add_parser("schedules", help="clinic and doctor schedules").add_subparsers(
        dest="schedules_command", required=True
    )
    schedules.add_parser("generate", parents=[common], help="regenerate up to the booking horizon")

    from montu_desktop.cli import notifications

    notifications.add_parsers(commands, common)
    return parser


def _app_only_parser() -> argparse.ArgumentParser:
    """The options that only start the app: no command module (and its services) imported."""
    parser = argparse.ArgumentParser(prog="montu-desktop", add_help=False)
    _database_option(parser)
    parser.add_argument("--self-test", action="store_true")
    parser.set_defaults(command=None)
    return parser


def _starts_the_app(argv: Sequence[str]) -> bool:
    """True when the arguments can only mean 'start the app' (no command, no --help)."""
    rest = list(argv)
    while rest:
        token = rest.pop(0)
        if token == "--self-test" or token.startswith("--database="):
            continue
        if token == "--database" and rest:
            rest.pop(0)
            continue
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if _starts_the_app(arguments):  # the first window comes sooner without the command parsers
        args = _app_only_parser().parse_args(arguments)
    else:
        args = build_parser().parse_args(arguments)
    if args.command is None:
        from montu_desktop import app  # Qt is loaded only when the GUI starts

        return app.main(args)
    from montu_desktop.cli import commands

    return commands.run(args)


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print JSON when --json was given, else the human text."""
    if getattr(args, "json", False):
        print(json.dumps(data, indent=None, sort_keys=False))
    else:
        print(text)


def parse_week(text: str) -> date:
    from montu_desktop.domain.clinic_time import parse_day

    return parse_day(text, "week")


if __name__ == "__main__":
    sys.exit(main())
