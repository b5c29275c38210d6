"""The `recalls` commands: add, list, done, cancel (issue 27)."""

from __future__ import annotations

import argparse

from montu_desktop.cli.arguments import day, record_id
from montu_desktop.cli.output import EXIT_OK, emit
from montu_desktop.services import recalls
from montu_desktop.services.context import ServiceContext

SUBCOMMANDS = ("recalls_command",)


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    sub = commands.add_parser("recalls", help="patients due back for a follow-up").add_subparsers(
        dest="recalls_command", required=True
    )
    add = sub.add_parser("add", parents=[common], help="record that a patient is due back")
    add.add_argument("patient", type=record_id, metavar="PATIENT", help="the patient's id")
    add.add_argument("--due", required=True, metavar="YYYY-MM-DD", help="due back by this day")
    add.add_argument(
        "--reason", required=True, metavar="TEXT", help="what for (never sent to the patient)"
    )
    add.add_argument("--type", metavar="NAME", help="the appointment type that answers it")
    add.add_argument("--doctor", type=record_id, metavar="ID")
    add.add_argument("--json", action="store_true")
    listing = sub.add_parser("list", parents=[common], help="recalls still due, soonest first")
    listing.add_argument(
        "--due-before", metavar="YYYY-MM-DD", help="only those due before this day"
    )
    listing.add_argument("--overdue", action="store_true", help="only those past their day")
    listing.add_argument("--all", action="store_true", help="closed ones too")
    listing.add_argument("--json", action="store_true")
    for name, what in (("done", "the patient came back: close it"), ("cancel", "no longer wanted")):
        close = sub.add_parser(name, parents=[common], help=what)
        close.add_argument("id", type=record_id, metavar="ID")
        close.add_argument("--json", action="store_true")


def recall_json(item: recalls.RecallItem) -> dict[str, object]:
    return {
        "id": item.id,
        "patient_id": item.patient_id,
        "due": item.due.isoformat(),
        "reason": item.reason,
        "type": item.type_name,
        "doctor_id": item.doctor_id,
        "status": item.status,
        "appointment_id": item.appointment_id,
    }


def _text(item: recalls.RecallItem) -> str:
    kind = f"  {item.type_name}" if item.type_name else ""
    doctor = f"  doctor {item.doctor_id}" if item.doctor_id else ""
    booked = f"  appointment {item.appointment_id}" if item.appointment_id else ""
    return (
        f"{item.id:>5}  {item.due}  {item.status:<9}  {item.patient_name}{kind}{doctor}"
        f"{booked}  {item.reason}"
    )


def _add(ctx: ServiceContext, args: argparse.Namespace) -> int:
    item = recalls.add_recall(
        ctx,
        args.patient,
        day(args.due, "due"),
        args.reason,
        type_name=args.type,
        doctor_id=args.doctor,
    )
    emit(args, recall_json(item), f"recall {item.id} added: due {item.due}")
    return EXIT_OK


def _list(ctx: ServiceContext, args: argparse.Namespace) -> int:
    before = day(args.due_before, "due-before") if args.due_before is not None else None
    found = recalls.list_recalls(
        ctx, due_before=before, overdue=args.overdue, include_closed=args.all
    )
    emit(args, [recall_json(i) for i in found], "\n".join(map(_text, found)) or "no recalls")
    return EXIT_OK


def _done(ctx: ServiceContext, args: argparse.Namespace) -> int:
    item = recalls.mark_done(ctx, args.id)
    emit(args, recall_json(item), f"recall {item.id} done")
    return EXIT_OK


def _cancel(ctx: ServiceContext, args: argparse.Namespace) -> int:
    item = recalls.cancel_recall(ctx, args.id)
    emit(args, recall_json(item), f"recall {item.id} cancelled")
    return EXIT_OK


COMMANDS = {
    "recalls add": _add,
    "recalls list": _list,
    "recalls done": _done,
    "recalls cancel": _cancel,
}
