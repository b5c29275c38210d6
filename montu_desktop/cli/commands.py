"""The headless commands behind `montu-desktop`: each opens the database, runs one use case, prints."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date, datetime

from montu_desktop.cli import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    emit,
    parse_week,
)
from montu_desktop.cli import notifications as notification_commands
from montu_desktop.cli import scheduling as scheduling_commands
from montu_desktop.domain.availability import Unavailable
from montu_desktop.domain.clinic_time import parse_day, parse_local, to_local
from montu_desktop.domain.errors import DatabaseUnavailable, InvalidRequest, MontuError
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.services import availability, booking, catalogue, demo_data, patients, schedules
from montu_desktop.services.booking import BookedAppointment, BookingRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from montu_desktop.services.runtime import open_services

Command = Callable[[ServiceContext, argparse.Namespace], int]


def run(args: argparse.Namespace) -> int:
    """Run the parsed command; map refusals and lost databases to exit codes."""
    if args.command == "secrets":  # the keyring only: no database needed
        return notification_commands.secrets_set(args)
    handler = _handler(args)
    try:
        with open_services(getattr(args, "database", None), migrate=True) as ctx:
            if handler is None:  # `db upgrade` and `db status` need nothing more than the opening
                return _db(ctx, args)
            return handler(ctx, args)
    except InvalidRequest as exc:
        print(f"refused: {exc.field}: {exc.reason}", file=sys.stderr)
        return EXIT_REFUSED
    except DatabaseUnavailable as exc:
        print(f"database unavailable: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except MontuError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE if "database" in str(exc) else EXIT_REFUSED


def _handler(args: argparse.Namespace) -> Command | None:
    if args.command == "db":
        return None
    key = args.command
    for sub in (
        "patients_command",
        "doctors_command",
        "types_command",
        "schedules_command",
        *notification_commands.SUBCOMMANDS,
        *scheduling_commands.SUBCOMMANDS,
    ):
        if getattr(args, sub, None):
            key = f"{key} {getattr(args, sub)}"
    return COMMANDS[key]


def _db(ctx: ServiceContext, args: argparse.Namespace) -> int:
    from montu_desktop.persistence.migrate import schema_state

    print(f"{ctx.database.describe()}: schema {schema_state(ctx.database).value}")
    return EXIT_OK


def _local_iso(moment: datetime, zone: str) -> str:
    return to_local(moment, zone).isoformat()


def _appointment_json(ctx: ServiceContext, booked: BookedAppointment) -> dict[str, object]:
    zone = clinic_policy(ctx).timezone
    return {
        "id": booked.id,
        "doctor_id": booked.doctor_id,
        "patient_id": booked.patient_id,
        "type": booked.type_name,
        "start": _local_iso(booked.start, zone),
        "end": _local_iso(booked.end, zone),
        "status": booked.status,
    }


def _demo(ctx: ServiceContext, args: argparse.Namespace) -> int:
    summary = demo_data.create_demo_clinic(
        ctx,
        doctors=args.doctors,
        weeks=args.weeks,
        seed=args.seed,
        history_weeks=args.history_weeks,
    )
    print(
        f"demo clinic created: {summary.doctors} doctors, {summary.patients} patients, "
        f"{summary.appointments} appointments from {summary.first_day} to {summary.last_day}"
    )
    return EXIT_OK


def _availability(ctx: ServiceContext, args: argparse.Namespace) -> int:
    week = availability.week_availability(ctx, args.type, parse_week(args.week))
    data = {
        "appointment_type": week.appointment_type.name,
        "timezone": week.timezone,
        "slot_minutes": week.slot_minutes,
        "days": [
            {
                "date": day.day.isoformat(),
                "open": day.open,
                **(
                    {"closed_reason": week.closed_reasons.get(day.day, "closed")}
                    if not day.open
                    else {}
                ),
                "slots": [
                    {
                        "start": _local_iso(s.starts_at, week.timezone),
                        "free_doctors": s.free_doctors,
                        **({"reason": SLOT_REASONS[s.unavailable]} if s.unavailable else {}),
                    }
                    for s in day.slots
                ],
            }
            for day in week.days
        ],
    }
    emit(args, data, _availability_text(week))
    return EXIT_OK


SLOT_REASONS = {
    Unavailable.ALL_BUSY: "booked out",
    Unavailable.NOBODY_ROSTERED: "no doctor rostered",
    Unavailable.TOO_CLOSE_TO_CLOSING: "too late for this length",
    Unavailable.PAST: "past",
    Unavailable.HELD: "held",
    Unavailable.BEYOND_HORIZON: "beyond the horizon",
}
"""The `reason` of a slot with no free doctor, in the availability JSON."""


def _availability_text(week: availability.WeekAvailability) -> str:
    """A plain grid: one row per slot time, one column per day, free doctors or '·'."""
    rows: dict[str, dict[date, str]] = {}
    for day in week.days:
        for slot in day.slots:
            label = to_local(slot.starts_at, week.timezone).strftime("%H:%M")
            rows.setdefault(label, {})[day.day] = (
                str(slot.free_doctors) if slot.free_doctors else "·"
            )
    header = "       " + " ".join(f"{d.day:%a %d}".rjust(6) for d in week.days)
    lines = [
        f"{week.appointment_type.name} ({week.appointment_type.length_minutes} min), {week.timezone}",
        header,
    ]
    for label in sorted(rows):
        cells = [rows[label].get(d.day, "").rjust(6) for d in week.days]
        lines.append(f"{label}  " + " ".join(cells))
    return "\n".join(lines)


def _patients_add(ctx: ServiceContext, args: argparse.Namespace) -> int:
    details = PatientDetails(
        given_name=args.given,
        family_name=args.family,
        date_of_birth=parse_day(args.dob, "dob") if args.dob else None,
        phone=args.phone,
        email=args.email,
        sms_reminders=not args.no_sms,
        email_reminders=not args.no_email,
    )
    record = patients.add_patient(ctx, details)
    emit(args, {"id": record.id}, f"patient {record.id} added: {record.display_name}")
    return EXIT_OK


def _patients_find(ctx: ServiceContext, args: argparse.Namespace) -> int:
    found = patients.find_patients(ctx, args.text)
    data = [
        {
            "id": p.id,
            "given_name": p.details.given_name,
            "family_name": p.details.family_name,
            "date_of_birth": p.details.date_of_birth.isoformat()
            if p.details.date_of_birth
            else None,
            "phone": p.details.phone,
            "email": p.details.email,
        }
        for p in found
    ]
    text = "\n".join(
        f"{p['id']:>6}  {p['family_name']}, {p['given_name']}  {p['date_of_birth'] or ''}  {p['phone'] or ''}"
        for p in data
    )
    emit(args, data, text or "no patient found")
    return EXIT_OK


def _book(ctx: ServiceContext, args: argparse.Namespace) -> int:
    zone = clinic_policy(ctx).timezone
    request = BookingRequest(
        args.type,
        parse_local(args.start, zone),
        args.patient,
        args.doctor,
        urgent=args.urgent,
        waitlist_id=args.waitlist,
    )
    if args.repeat is not None or args.count is not None or args.until is not None:
        if args.repeat is None:
            print("usage: --count and --until need --repeat", file=sys.stderr)
            return EXIT_USAGE
        return scheduling_commands.book_series(ctx, args, request)
    booked = booking.book_appointment(ctx, request)
    data = _appointment_json(ctx, booked)
    data.update(scheduling_commands.chosen_because(booked))
    emit(
        args,
        data,
        f"booked appointment {booked.id} with doctor {booked.doctor_id} at {data['start']}"
        f" ({scheduling_commands.why_text(ctx, booked)})",
    )
    return EXIT_OK


def _cancel(ctx: ServiceContext, args: argparse.Namespace) -> int:
    if args.following:
        return scheduling_commands.cancel_following(ctx, args)
    cancelled = booking.cancel_appointment(ctx, args.id)
    data = _appointment_json(ctx, cancelled)
    waiting = scheduling_commands.waitlist_for_freed(ctx, cancelled)
    data.update(waiting)
    text = f"appointment {cancelled.id} cancelled"
    if waiting["waitlist_matches"]:
        text += f"; waitlist entries that fit the freed time: {waiting['waitlist_matches']}"
    emit(args, data, text)
    return EXIT_OK


def _reschedule(ctx: ServiceContext, args: argparse.Namespace) -> int:
    if args.following:
        return scheduling_commands.move_following(ctx, args)
    zone = clinic_policy(ctx).timezone
    moved = booking.reschedule_appointment(ctx, args.id, parse_local(args.start, zone), args.doctor)
    data = _appointment_json(ctx, moved)
    emit(
        args, data, f"appointment {moved.id} moved to {data['start']} with doctor {moved.doctor_id}"
    )
    return EXIT_OK


def _doctors_list(ctx: ServiceContext, args: argparse.Namespace) -> int:
    found = catalogue.list_doctors(ctx)
    data = [{"id": d.id, "name": d.name, "active": d.active} for d in found]
    emit(
        args,
        data,
        "\n".join(f"{d.id:>4}  {d.name}{'' if d.active else ' (inactive)'}" for d in found),
    )
    return EXIT_OK


def _types_list(ctx: ServiceContext, args: argparse.Namespace) -> int:
    found = catalogue.list_types(ctx)
    data = [
        {
            "id": k.id,
            "name": k.name,
            "length_minutes": k.length_minutes,
            "colour": k.colour,
            "active": k.active,
        }
        for k in found
    ]
    emit(args, data, "\n".join(f"{k.id:>4}  {k.name} ({k.length_minutes} min)" for k in found))
    return EXIT_OK


def _schedules_generate(ctx: ServiceContext, args: argparse.Namespace) -> int:
    days = schedules.regenerate_schedules(ctx)
    print(f"schedules generated for {days} days")
    return EXIT_OK


COMMANDS: dict[str, Command] = {
    "demo-data": _demo,
    "availability": _availability,
    "patients add": _patients_add,
    "patients find": _patients_find,
    "book": _book,
    "cancel": _cancel,
    "reschedule": _reschedule,
    "doctors list": _doctors_list,
    "types list": _types_list,
    "schedules generate": _schedules_generate,
}
COMMANDS.update(notification_commands.COMMANDS)
COMMANDS.update(scheduling_commands.COMMANDS)
