"""`import patients|appointments FILE.csv`: another system's export brought in, all or nothing.

Exit 0 when the file was imported (or, --dry-run, would be), even when every row was
already stored; 3 when a row is refused (nothing written; the report on stdout names each
refused row by its line, field and reason, one summary line goes to stderr) or the file
cannot be read (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from montu_desktop.cli import EXIT_OK, EXIT_REFUSED, one_line, refuse
from montu_desktop.services import imports
from montu_desktop.services.context import ServiceContext

SUBCOMMANDS = ("import_command",)
SHOWN_SKIPPED = 20
"""Rows skipped as already stored that the text report lists one by one (--json counts them)."""


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "import", help="patients or appointments from another system's CSV export"
    ).add_subparsers(dest="import_command", required=True)
    patients = parser.add_parser(
        "patients",
        parents=[common],
        help="add patients (the ones already stored are skipped)",
        description="Columns by header: given/first name, family/last name or surname, date of "
        "birth (DD/MM/YYYY or YYYY-MM-DD), mobile/phone, email. UTF-8, comma or semicolon. "
        "All or nothing: any refused row and nothing is written.",
    )
    appointments = parser.add_parser(
        "appointments",
        parents=[common],
        help="add appointments (the ones already stored are skipped)",
        description="Columns by header: patient id, or given name, family name and date of "
        "birth; doctor (name); type (name); start (clinic time, or with its offset); "
        "optionally end, status, note, cancel reason. Booked appointments follow the clinic "
        "hours and rosters unless --outside-roster. All or nothing.",
    )
    appointments.add_argument(
        "--outside-roster",
        action="store_true",
        help="history: store appointments as recorded (any status, past times, outside the "
        "rosters); overlaps are still refused",
    )
    for sub in (patients, appointments):
        sub.add_argument("file", metavar="FILE.csv")
        sub.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
        sub.add_argument("--json", action="store_true")


def report_text(report: imports.ImportReport) -> str:
    what = report.what
    lines = []
    if report.refused:
        lines.append(
            f"Nothing imported from {report.file}: {len(report.refused)} "
            f"row{'s' if len(report.refused) != 1 else ''} refused"
        )
        lines += [f"  line {r.line}: {r.field}: {r.reason}" for r in report.refused]
        if report.stopped_at is not None:
            lines.append(f"  (the rows after line {report.stopped_at} were not checked)")
    elif report.dry_run:
        lines.append(
            f"Dry run, nothing written: {report.added} {what} would be added, "
            f"{report.skipped_duplicates} skipped as already stored"
        )
    else:
        lines.append(
            f"{report.added} {what} added from {report.file}, "
            f"{report.skipped_duplicates} skipped as already stored"
        )
    if report.skipped and not report.refused:
        lines += [f"  line {s.line}: skipped: {s.why}" for s in report.skipped[:SHOWN_SKIPPED]]
        if len(report.skipped) > SHOWN_SKIPPED:
            lines.append(f"  … and {len(report.skipped) - SHOWN_SKIPPED} more skipped")
    if report.ignored_columns:
        lines.append("Columns not read: " + ", ".join(report.ignored_columns))
    return "\n".join(one_line(line) for line in lines)


def _import(ctx: ServiceContext, args: argparse.Namespace) -> int:
    path = Path(args.file)
    if args.import_command == "patients":
        report = imports.import_patients(ctx, path, dry_run=args.dry_run)
    else:
        report = imports.import_appointments(
            ctx, path, dry_run=args.dry_run, outside_roster=args.outside_roster
        )
    if args.json:
        print(json.dumps(report.document()))
    else:
        print(report_text(report))
    if not report.refused:
        return EXIT_OK
    # As every refusal: one line on stderr (the report above names each row).
    lines = ", ".join(str(r.line) for r in report.refused[:10])
    more = ", …" if len(report.refused) > 10 else ""
    count = len(report.refused)
    refuse(
        f"refused: {count} row{'s' if count != 1 else ''} (line{'s' if count != 1 else ''} "
        f"{lines}{more}); nothing was written"
    )
    return EXIT_REFUSED


COMMANDS = {"import patients": _import, "import appointments": _import}
