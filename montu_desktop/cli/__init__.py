"""The `montu-desktop` command: starts the app, or runs one headless command for IT staff and scripts.

Exit status: 0 done; 2 bad usage; 3 request refused (one line on stderr naming the field
and the reason; nothing changed); 4 database unreachable or unusable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from montu_desktop.cli.arguments import (
    PASSWORD_ON_COMMAND_LINE,
    Parser,
    count,
    has_password,
    record_id,
    unreadable_argument,
)
from montu_desktop.domain.text import printable

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
    common = Parser(add_help=False)
    _database_option(common)
    parser = Parser(
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
    backup = db.add_parser(
        "backup",
        parents=[common],
        help="copy the database to FILE (default: the backup folder); prints the file and size",
    )
    backup.add_argument("file", nargs="?", metavar="FILE", help="a file or a folder")
    restore = db.add_parser(
        "restore",
        parents=[common],
        help="replace the embedded database with a checked backup (the current data is kept)",
    )
    restore.add_argument("file", metavar="FILE")

    demo = commands.add_parser(
        "demo-data",
        parents=[common],
        help="create the demo clinic",
        description="Create the demo clinic in an empty database, all or nothing.",
    )
    demo.add_argument(
        "--doctors", type=count(1, 500), default=8, metavar="N", help="1 to 500 (default 8)"
    )
    demo.add_argument(
        "--weeks",
        type=count(1, 104),
        default=4,
        metavar="W",
        help="weeks of appointments from this week on, 1 to 104 (default 4)",
    )
    demo.add_argument(
        "--seed", type=count(0, 2**32 - 1), default=1, metavar="S", help="0 to 4294967295"
    )
    demo.add_argument(
        "--history-weeks",
        type=count(0, 520),
        default=0,
        metavar="H",
        help="weeks of past appointments before this week, 0 to 520 (default 0)",
    )

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
    add.add_argument(
        "--allow-duplicate",
        action="store_true",
        help="add even when the patient looks already stored (same DOB and family name, phone or email)",
    )
    add.add_argument("--json", action="store_true")
    find = patients.add_parser("find", parents=[common], help="find patients by name, phone or DOB")
    find.add_argument("text")
    find.add_argument("--json", action="store_true")
    _patient_record_parsers(patients, common)

    book = commands.add_parser("book", parents=[common], help="book an appointment")
    book.add_argument("--type", required=True, metavar="NAME")
    book.add_argument("--start", required=True, metavar="ISO-8601")
    book.add_argument("--patient", required=True, type=record_id, metavar="ID")
    book.add_argument("--doctor", type=record_id, metavar="ID")
    book.add_argument("--note", metavar="TEXT", help="reason for visit (up to 500 characters)")
    book.add_argument("--json", action="store_true")
    scheduling.add_book_options(book)

    cancel = commands.add_parser("cancel", parents=[common], help="cancel an appointment")
    cancel.add_argument("id", type=record_id, help="appointment id (1 to 2147483647)")
    cancel.add_argument("--reason", metavar="TEXT", help="why (kept with it and audited)")
    cancel.add_argument("--json", action="store_true")
    scheduling.add_cancel_options(cancel)

    note = commands.add_parser("note", parents=[common], help="set an appointment's note")
    note.add_argument("id", type=record_id, metavar="ID")
    note.add_argument("text", metavar="TEXT", help="the note (empty text removes it)")
    note.add_argument("--json", action="store_true")

    mark = commands.add_parser(
        "mark",
        parents=[common],
        help="move a patient along the flow (arrived, called-in, in-consultation, completed, "
        "did-not-wait, no-show); booked undoes",
    )
    mark.add_argument("id", type=record_id, metavar="ID")
    mark.add_argument(
        "status",
        choices=(
            "arrived",
            "called-in",
            "in-consultation",
            "completed",
            "did-not-wait",
            "no-show",
            "booked",
        ),
    )
    mark.add_argument("--json", action="store_true")

    move = commands.add_parser("reschedule", parents=[common], help="move an appointment")
    move.add_argument("id", type=record_id, help="appointment id (1 to 2147483647)")
    move.add_argument("--start", required=True, metavar="ISO-8601")
    move.add_argument("--doctor", type=record_id, metavar="ID")
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

    from montu_desktop.cli import notifications, online

    notifications.add_parsers(commands, common)
    online.add_parsers(commands, common)
    from montu_desktop.cli import security

    security.add_parsers(commands, common)
    from montu_desktop.cli import reports

    reports.add_parsers(commands, common)
    from montu_desktop.cli import recalls

    recalls.add_parsers(commands, common)
    from montu_desktop.cli import calendar_tokens

    calendar_tokens.add_parsers(commands, common)
    from montu_desktop.cli import imports

    imports.add_parsers(commands, common)
    return parser


def _on_off(text: str) -> bool:
    value = text.strip().lower()
    if value not in ("on", "off"):
        raise argparse.ArgumentTypeError("must be on or off")
    return value == "on"


def _patient_record_parsers(patients: Any, common: argparse.ArgumentParser) -> None:
    """`patients show`, `patients edit` and `patients merge` (issue 11)."""
    show = patients.add_parser("show", parents=[common], help="a patient's record")
    show.add_argument("id", type=record_id, metavar="ID")
    show.add_argument("--json", action="store_true")
    edit = patients.add_parser("edit", parents=[common], help="correct a patient's details")
    edit.add_argument("id", type=record_id, metavar="ID")
    edit.add_argument("--given", metavar="G")
    edit.add_argument("--family", metavar="F")
    edit.add_argument("--dob", metavar="D", help="YYYY-MM-DD (empty text removes it)")
    edit.add_argument("--phone", metavar="P", help="empty text removes it")
    edit.add_argument("--email", metavar="E", help="empty text removes it")
    edit.add_argument("--sms-reminders", type=_on_off, metavar="on|off")
    edit.add_argument("--email-reminders", type=_on_off, metavar="on|off")
    edit.add_argument("--opt-out", type=_on_off, metavar="on|off", help="no reminders at all")
    edit.add_argument("--address", metavar="A", help="one line (empty text removes it)")
    edit.add_argument(
        "--medicare", metavar="N", help="the card's 10 digits, spaces allowed (empty removes it)"
    )
    edit.add_argument("--irn", metavar="1-9", help="the patient's line on the Medicare card")
    edit.add_argument("--dva", metavar="N", help="DVA file number, e.g. NX123456")
    edit.add_argument("--emergency-name", metavar="NAME", help="emergency contact's name")
    edit.add_argument("--emergency-phone", metavar="P", help="emergency contact's phone")
    edit.add_argument(
        "--alerts",
        metavar="FLAGS[:NOTE]",
        help="comma-separated allergy, interpreter, mobility, optionally ': short note' "
        "(e.g. 'allergy,mobility: penicillin'); empty text removes them all",
    )
    edit.add_argument("--json", action="store_true")
    merge = patients.add_parser(
        "merge", parents=[common], help="merge a duplicate record into the one kept"
    )
    merge.add_argument("keep_id", type=record_id, metavar="KEEP_ID")
    merge.add_argument("duplicate_id", type=record_id, metavar="DUPLICATE_ID")
    merge.add_argument("--json", action="store_true")


def _app_only_parser() -> argparse.ArgumentParser:
    """The options that only start the app: no command module (and its services) imported."""
    parser = Parser(prog="montu-desktop", add_help=False)
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
    # The first window comes sooner without the command parsers (and what they import).
    parser = _app_only_parser() if _starts_the_app(arguments) else build_parser()
    args = parser.parse_args(arguments)
    unreadable = unreadable_argument(args)
    if unreadable:
        parser.error(unreadable)
    if has_password(getattr(args, "database", "")):
        # Exit 4 as for every other unusable --database (README, "When input is wrong").
        print(PASSWORD_ON_COMMAND_LINE, file=sys.stderr)
        return EXIT_UNREACHABLE
    if args.command is None:
        from montu_desktop import app  # Qt is loaded only when the GUI starts

        return app.main(args)
    from montu_desktop.cli import commands

    try:
        return commands.run(args)
    except BrokenPipeError:
        # The reader stopped early (`| head`): nothing is wrong and nothing more is wanted.
        # Point stdout at /dev/null so Python's own flush at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


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
    from montu_desktop.cli.arguments import day

    return day(text, "week")


if __name__ == "__main__":
    sys.exit(main())
