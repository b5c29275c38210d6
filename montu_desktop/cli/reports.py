"""`reports attendance` and `export patients|appointments`: the clinic's figures and data out."""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import date
from pathlib import Path

from montu_desktop.cli import arguments
from montu_desktop.cli.output import EXIT_OK
from montu_desktop.domain.booking import hours_text
from montu_desktop.services import exports, reports
from montu_desktop.services.context import ServiceContext

SUBCOMMANDS = ("reports_command", "export_command")


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    reports_parser = commands.add_parser("reports", help="the clinic's figures").add_subparsers(
        dest="reports_command", required=True
    )
    attendance = reports_parser.add_parser(
        "attendance",
        parents=[common],
        help="booked, completed, no-show, cancelled and utilisation per doctor and type",
        description="Appointments whose start falls on a clinic-local day from --from to --to "
        f"(both included, at most {reports.MAX_DAYS} days), by their status now.",
    )
    attendance.add_argument("--from", dest="from", required=True, metavar="YYYY-MM-DD")
    attendance.add_argument("--to", dest="to", required=True, metavar="YYYY-MM-DD")
    form = attendance.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true")
    form.add_argument("--csv", action="store_true", help="CSV on standard output")

    export = commands.add_parser("export", help="the clinic's data as CSV files").add_subparsers(
        dest="export_command", required=True
    )
    patients = export.add_parser(
        "patients", parents=[common], help="every patient (merged duplicates left out)"
    )
    patients.add_argument("--csv", dest="csv", required=True, metavar="FILE")
    appointments = export.add_parser(
        "appointments", parents=[common], help="appointments starting from --from to --to"
    )
    appointments.add_argument("--from", dest="from", required=True, metavar="YYYY-MM-DD")
    appointments.add_argument("--to", dest="to", required=True, metavar="YYYY-MM-DD")
    appointments.add_argument("--csv", dest="csv", required=True, metavar="FILE")


def _days(args: argparse.Namespace) -> tuple[date, date]:
    return arguments.day(getattr(args, "from"), "from"), arguments.day(args.to, "to")


def report_csv(report: reports.AttendanceReport) -> str:
    """One row per doctor, per type and the totals; a column per cancel reason recorded."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(exports.attendance_table(report))
    return buffer.getvalue()


def report_text(report: reports.AttendanceReport) -> str:
    """A plain table for the terminal."""
    lines = [
        f"Attendance {report.first.isoformat()} to {report.last.isoformat()} ({report.timezone})"
    ]
    header = (
        f"{'':24} {'booked':>6} {'done':>5} {'no-sh':>5} {'dnw':>5} {'canc':>5} {'onl':>4} {'desk':>5}"
        f"  {'booked time':>14} / {'rostered':>14}  use"
    )
    for title, rows in (
        ("By doctor", [(d.name, d.counts) for d in report.doctors]),
        ("By type", [(k.name, k.counts) for k in report.types]),
        ("Clinic", [("Total", report.totals)]),
    ):
        lines += ["", title, header]
        for name, c in rows:
            rostered = "" if c.rostered_minutes is None else hours_text(c.rostered_minutes)
            use = "" if c.utilisation is None else f"{c.utilisation:.0%}"
            lines.append(
                f"{name[:24]:24} {c.booked:>6} {c.completed:>5} {c.no_show:>5} {c.did_not_wait:>5} {c.cancelled:>5}"
                f" {c.online:>4} {c.desk:>5}  {hours_text(c.booked_minutes):>14} /"
                f" {rostered:>14}  {use}"
            )
    if report.totals.cancel_reasons:
        lines += ["", "Cancelled, by reason"]
        for reason, n in sorted(report.totals.cancel_reasons.items(), key=lambda i: (-i[1], i[0])):
            lines.append(f"{n:>6}  {reason or '(no reason given)'}")
    return "\n".join(lines)


def _attendance(ctx: ServiceContext, args: argparse.Namespace) -> int:
    first, last = _days(args)
    report = reports.attendance_report(ctx, first, last)
    if args.json:
        print(json.dumps(reports.report_document(report)))
    elif args.csv:
        print(report_csv(report), end="")
    else:
        print(report_text(report))
    return EXIT_OK


def _file(args: argparse.Namespace) -> Path:
    return Path(args.csv)


def _export_patients(ctx: ServiceContext, args: argparse.Namespace) -> int:
    done = exports.export_patients(ctx, _file(args))
    print(_shown(f"{done.rows} patients written to {done.path}"))
    return EXIT_OK


def _export_appointments(ctx: ServiceContext, args: argparse.Namespace) -> int:
    first, last = _days(args)
    done = exports.export_appointments(ctx, first, last, _file(args))
    print(_shown(f"{done.rows} appointments written to {done.path}"))
    return EXIT_OK


def _shown(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


COMMANDS = {
    "reports attendance": _attendance,
    "export patients": _export_patients,
    "export appointments": _export_appointments,
}
