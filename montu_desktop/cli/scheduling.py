"""The scheduling commands: `doctors types`, `waitlist ...`, and book's series, urgent and waitlist options."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from montu_desktop.cli import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, emit
from montu_desktop.cli.arguments import day, moment
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.series import Repeat
from montu_desktop.services import series, waitlist
from montu_desktop.services.admin import doctor_types
from montu_desktop.services.admin.changes import StrandedBooking
from montu_desktop.services.booking import BookedAppointment, BookingRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy, doctors

SUBCOMMANDS = ("waitlist_command",)


def add_book_options(book: argparse.ArgumentParser) -> None:
    book.add_argument(
        "--urgent", action="store_true", help="may take time held for urgent patients"
    )
    book.add_argument("--waitlist", type=int, metavar="ID", help="close this waitlist entry")
    book.add_argument(
        "--work-in",
        metavar="REASON",
        help="squeeze the patient in over --doctor's booked time, saying why (a work-in)",
    )
    book.add_argument(
        "--repeat", metavar="weekly|fortnightly|monthly|every-N-weeks", help="book a series"
    )
    end = book.add_mutually_exclusive_group()
    end.add_argument("--count", type=int, metavar="N", help="occurrences in the series")
    end.add_argument("--until", metavar="DATE", help="last day of the series")
    book.add_argument(
        "--skip-clashes", action="store_true", help="book the free occurrences, list the clashes"
    )


def add_cancel_options(cancel: argparse.ArgumentParser) -> None:
    cancel.add_argument(
        "--following", action="store_true", help="also cancel the later occurrences of its series"
    )


def add_reschedule_options(move: argparse.ArgumentParser) -> None:
    move.add_argument(
        "--following",
        action="store_true",
        help="also move the later occurrences of its series by the same number of days",
    )


def move_following(ctx: ServiceContext, args: argparse.Namespace) -> int:
    zone = clinic_policy(ctx).timezone
    moved = series.move_following(ctx, args.id, moment(args.start, zone))
    emit(
        args,
        [_series_json(ctx, m) for m in moved],
        "\n".join(f"appointment {m.id} moved to {_local(m.start, zone)}" for m in moved),
    )
    return EXIT_OK


def add_doctor_types(
    doctors_sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> None:  # type: ignore[type-arg]
    types = doctors_sub.add_parser(
        "types", parents=[common], help="show or set the types a doctor performs"
    )
    types.add_argument("id", type=int)
    types.add_argument("--set", metavar="NAME,NAME,...", dest="set_types")
    types.add_argument(
        "--confirm", action="store_true", help="apply even if future bookings are left stranded"
    )
    types.add_argument(
        "--reassign", action="store_true", help="move stranded bookings to the doctor offered"
    )
    types.add_argument("--json", action="store_true")


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    sub = commands.add_parser("waitlist", help="patients waiting for a time").add_subparsers(
        dest="waitlist_command", required=True
    )
    add = sub.add_parser("add", parents=[common], help="put a patient on the waitlist")
    add.add_argument("--patient", required=True, type=int, metavar="ID")
    add.add_argument("--type", required=True, metavar="NAME")
    add.add_argument("--doctor", type=int, metavar="ID")
    add.add_argument("--from", dest="from_day", metavar="DATE")
    add.add_argument("--until", dest="until_day", metavar="DATE")
    add.add_argument("--part", default="any", metavar="morning|afternoon|any")
    add.add_argument("--note", default="", metavar="TEXT")
    add.add_argument("--json", action="store_true")
    listing = sub.add_parser("list", parents=[common], help="open waitlist entries, oldest first")
    listing.add_argument("--json", action="store_true")
    remove = sub.add_parser("remove", parents=[common], help="take an entry off the waitlist")
    remove.add_argument("id", type=int)
    remove.add_argument("--json", action="store_true")
    matches = sub.add_parser("matches", parents=[common], help="entries that fit a start")
    matches.add_argument("--type", required=True, metavar="NAME")
    matches.add_argument("--start", required=True, metavar="ISO-8601")
    matches.add_argument("--json", action="store_true")


def _local(moment: datetime, zone: str) -> str:
    return to_local(moment, zone).isoformat()


def chosen_because(booked: BookedAppointment) -> dict[str, object]:
    """The `chosen_because` JSON of a booking: the free doctors and their loads that day."""
    if booked.choice is None:
        return {}
    return {
        "chosen_because": {
            "candidates": [
                {
                    "doctor_id": c.doctor_id,
                    "booked_minutes": c.booked_minutes,
                    "rostered_minutes": c.rostered_minutes,
                }
                for c in booked.choice.candidates
            ]
        }
    }


def why_text(ctx: ServiceContext, booked: BookedAppointment) -> str:
    """'Dr Chen: 2 h of 7 h booked, the least of 3 free' (empty when there is no choice)."""
    if booked.choice is None:
        return ""
    names = {d.id: d.name for d in doctors(ctx)}
    return booked.choice.why(names.get(booked.doctor_id, f"doctor {booked.doctor_id}"))


def waitlist_for_freed(ctx: ServiceContext, freed: BookedAppointment) -> dict[str, list[int]]:
    """The open waitlist entries (ids, oldest first) that fit the time a cancellation freed."""
    if freed.start <= ctx.clock():
        return {"waitlist_matches": []}
    try:
        found = waitlist.waitlist_matches(ctx, freed.type_name, freed.start)
    except InvalidRequest:  # e.g. a type no longer offered: the cancellation itself stands
        return {"waitlist_matches": []}
    return {"waitlist_matches": [i.id for i in found]}


def _series_json(ctx: ServiceContext, booked: BookedAppointment) -> dict[str, object]:
    zone = clinic_policy(ctx).timezone
    return {
        "id": booked.id,
        "doctor_id": booked.doctor_id,
        "patient_id": booked.patient_id,
        "type": booked.type_name,
        "start": _local(booked.start, zone),
        "end": _local(booked.end, zone),
        "status": booked.status,
    }


def book_series(ctx: ServiceContext, args: argparse.Namespace, request: BookingRequest) -> int:
    if args.count is None and args.until is None:
        print("usage: book --repeat needs --count N or --until DATE", file=sys.stderr)
        return EXIT_USAGE
    if args.waitlist is not None:
        print("usage: --waitlist books one appointment, not a series", file=sys.stderr)
        return EXIT_USAGE
    zone = clinic_policy(ctx).timezone
    repeat = Repeat.parse(args.repeat)
    until = day(args.until, "until") if args.until else None
    starts = series.series_starts(ctx, request.start, repeat, count=args.count, until=until)
    result = series.book_series(ctx, request, starts, repeat, skip_clashes=args.skip_clashes)
    data = {
        "series_id": result.series_id,
        "appointments": [_series_json(ctx, b) for b in result.appointments],
        "clashes": [{"start": _local(c.start, zone), "reason": c.clash} for c in result.clashes],
    }
    lines = [f"series {result.series_id}: {len(result.appointments)} appointments booked"]
    lines += [f"  {_local(b.start, zone)}  doctor {b.doctor_id}" for b in result.appointments]
    lines += [f"  {_local(c.start, zone)}  not booked: {c.clash}" for c in result.clashes]
    emit(args, data, "\n".join(lines))
    return EXIT_OK


def cancel_following(ctx: ServiceContext, args: argparse.Namespace) -> int:
    cancelled = series.cancel_following(ctx, args.id)
    data = [_series_json(ctx, c) for c in cancelled]
    emit(
        args,
        data,
        "\n".join(f"appointment {c.id} cancelled" for c in cancelled),
    )
    return EXIT_OK


def _stranded_json(s: StrandedBooking, zone: str) -> dict[str, object]:
    return {
        "appointment_id": s.appointment_id,
        "start": _local(s.start, zone),
        "doctor_id": s.doctor_id,
        "type": s.type_name,
        "offer_doctor_id": s.offer_doctor_id,
    }


def _doctors_types(ctx: ServiceContext, args: argparse.Namespace) -> int:
    zone = clinic_policy(ctx).timezone
    stranded: list[dict[str, object]] = []
    if args.set_types is not None:
        names = [n for n in args.set_types.split(",") if n.strip()]
        outcome = doctor_types.set_doctor_types(
            ctx, args.id, names, confirm=args.confirm or args.reassign, reassign=args.reassign
        )
        if not outcome.applied and outcome.stranded:
            listed = "; ".join(
                f"appointment {s.appointment_id} {_local(s.start, zone)} {s.type_name}"
                for s in outcome.stranded[:5]
            )
            if len(outcome.stranded) > 5:
                listed += f"; and {len(outcome.stranded) - 5} more"
            print(
                f"refused: types: {len(outcome.stranded)} future bookings are of a type taken "
                f"away ({listed}); repeat with --confirm to keep them as they are, or "
                "--reassign to move them to the doctor offered",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        if not outcome.applied:
            outcome = doctor_types.set_doctor_types(ctx, args.id, names)
        stranded = [_stranded_json(s, zone) for s in outcome.stranded]
    found = doctor_types.doctor_types(ctx, args.id)
    data: dict[str, object] = {
        "doctor_id": found.doctor_id,
        "name": found.doctor_name,
        "types": [k.name for k in found.performs],
        "not_performed": [k.name for k in found.skips],
    }
    if args.set_types is not None:
        data["stranded"] = stranded
    text = f"{found.doctor_name} performs: " + (", ".join(data["types"]) or "nothing")  # type: ignore[arg-type]
    if found.skips:
        text += "\nnot: " + ", ".join(k.name for k in found.skips)
    emit(args, data, text)
    return EXIT_OK


def _item_json(item: waitlist.WaitlistItem, zone: str) -> dict[str, object]:
    return {
        "id": item.id,
        "patient_id": item.patient_id,
        "patient": item.patient_name,
        "type": item.type_name,
        "doctor_id": item.doctor_id,
        "from": item.from_day.isoformat() if item.from_day else None,
        "until": item.until_day.isoformat() if item.until_day else None,
        "part": item.part,
        "note": item.note,
        "added": _local(item.created_at, zone),
    }


def _item_text(item: waitlist.WaitlistItem) -> str:
    when = f"{item.from_day or '…'} to {item.until_day or '…'}"
    doctor = f" doctor {item.doctor_id}" if item.doctor_id else ""
    return f"{item.id:>5}  {item.patient_name}  {item.type_name}{doctor}  {when}  {item.part}"


def _waitlist_add(ctx: ServiceContext, args: argparse.Namespace) -> int:
    entry = waitlist.add_to_waitlist(
        ctx,
        args.patient,
        args.type,
        doctor_id=args.doctor,
        from_day=day(args.from_day, "from") if args.from_day else None,
        until_day=day(args.until_day, "until") if args.until_day else None,
        part=args.part,
        note=args.note,
    )
    emit(args, {"id": entry}, f"waitlist entry {entry} added")
    return EXIT_OK


def _waitlist_list(ctx: ServiceContext, args: argparse.Namespace) -> int:
    zone = clinic_policy(ctx).timezone
    found = waitlist.list_waitlist(ctx)
    emit(
        args,
        [_item_json(i, zone) for i in found],
        "\n".join(_item_text(i) for i in found) or "nobody is waiting",
    )
    return EXIT_OK


def _waitlist_remove(ctx: ServiceContext, args: argparse.Namespace) -> int:
    waitlist.remove_from_waitlist(ctx, args.id)
    emit(args, {"id": args.id}, f"waitlist entry {args.id} removed")
    return EXIT_OK


def _waitlist_matches(ctx: ServiceContext, args: argparse.Namespace) -> int:
    zone = clinic_policy(ctx).timezone
    found = waitlist.waitlist_matches(ctx, args.type, moment(args.start, zone))
    emit(
        args,
        [_item_json(i, zone) for i in found],
        "\n".join(_item_text(i) for i in found) or "nobody on the waitlist fits that time",
    )
    return EXIT_OK


COMMANDS = {
    "doctors types": _doctors_types,
    "waitlist add": _waitlist_add,
    "waitlist list": _waitlist_list,
    "waitlist remove": _waitlist_remove,
    "waitlist matches": _waitlist_matches,
}
