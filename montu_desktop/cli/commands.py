"""The headless commands behind `montu-desktop`: each opens the database, runs one use case, prints."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.exc import DBAPIError

from montu_desktop.cli import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    arguments,
    emit,
    parse_week,
    refuse,
)
from montu_desktop.cli import calendar_tokens as calendar_token_commands
from montu_desktop.cli import imports as import_commands
from montu_desktop.cli import notifications as notification_commands
from montu_desktop.cli import online as online_commands
from montu_desktop.cli import recalls as recall_commands
from montu_desktop.cli import reports as report_commands
from montu_desktop.cli import scheduling as scheduling_commands
from montu_desktop.cli import security as security_commands
from montu_desktop.config.database import UnusableDatabase
from montu_desktop.domain.clinic_time import parse_day, to_local
from montu_desktop.domain.errors import DatabaseUnavailable, InvalidRequest, MontuError
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.domain.wording import day_label
from montu_desktop.services import availability, booking, catalogue, demo_data, patients, schedules
from montu_desktop.services.booking import BookedAppointment, BookingRequest
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy, doctors
from montu_desktop.services.runtime import open_services
from montu_desktop.services.week_json import week_document

Command = Callable[[ServiceContext, argparse.Namespace], int]


def run(args: argparse.Namespace) -> int:
    """Run the parsed command; map refusals and lost databases to exit codes."""
    from montu_desktop.config import paths
    from montu_desktop.logging_setup import configure_logging

    configure_logging()  # the same rotated file as the app and the worker
    paths.make_private()  # patient files: what an older version left readable is tightened
    if args.command == "secrets":  # the keyring only: no database needed
        return notification_commands.secrets_set(args)
    if args.command == "db" and args.db_command in ("backup", "restore"):
        from montu_desktop.cli import backups  # before any migration: the file as it is

        return backups.run(args)
    handler = _handler(args)
    try:
        with open_services(getattr(args, "database", None), migrate=True) as ctx:
            if handler is None:  # `db upgrade` and `db status` need nothing more than the opening
                return _db(ctx, args)
            return handler(ctx, args)
    except InvalidRequest as exc:
        refuse(f"refused: {exc.field}: {exc.reason}")
        return EXIT_REFUSED
    except UnusableDatabase as exc:
        refuse(f"database unusable: {exc}")
        return EXIT_UNREACHABLE
    except DatabaseUnavailable as exc:
        if "password authentication failed" in str(exc) or "not permitted to log in" in str(exc):
            refuse("refused: password: the server refused this login and password")
            return EXIT_REFUSED
        refuse(f"database unavailable: {exc}")
        return EXIT_UNREACHABLE
    except MontuError as exc:
        refuse(f"error: {exc}")
        return EXIT_UNREACHABLE if "database" in str(exc) else EXIT_REFUSED
    except DBAPIError as exc:
        code = getattr(exc.orig, "sqlstate", None)
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        # The whole error (statement included) goes to the log; the engine hides parameters.
        logging.getLogger(__name__).warning(
            "command %s failed in the database: %s", args.command, exc
        )
        if code == "42501" or (code or "").startswith("P0"):  # no privilege, or a trigger said no
            print(f"refused: permission: the database refused: {first}", file=sys.stderr)
            return EXIT_REFUSED
        print(f"database error: {first}", file=sys.stderr)
        return EXIT_UNREACHABLE


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
        *online_commands.SUBCOMMANDS,
        *report_commands.SUBCOMMANDS,
        *security_commands.SUBCOMMANDS,
        *scheduling_commands.SUBCOMMANDS,
        *recall_commands.SUBCOMMANDS,
        *calendar_token_commands.SUBCOMMANDS,
        *import_commands.SUBCOMMANDS,
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
        "note": booked.note,
        "cancel_reason": booked.cancel_reason,
        "confirmed_at": _local_iso(booked.confirmed_at, zone) if booked.confirmed_at else None,
        "work_in_reason": booked.work_in_reason,
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
    data = week_document(week)
    emit(args, data, _availability_text(week))
    return EXIT_OK


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
        date_of_birth=arguments.day(args.dob, "dob") if args.dob else None,
        phone=args.phone,
        email=args.email,
        sms_reminders=not args.no_sms,
        email_reminders=not args.no_email,
    )
    record = patients.add_patient(ctx, details, allow_duplicate=args.allow_duplicate)
    emit(args, {"id": record.id}, f"patient {record.id} added: {record.display_name}")
    return EXIT_OK


def _patients_find(ctx: ServiceContext, args: argparse.Namespace) -> int:
    found = patients.find_patients(ctx, args.text)
    zone = _zone_or_utc(ctx)
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
            "next_appointment": _local_iso(p.next_appointment.start, zone)
            if p.next_appointment
            else None,
        }
        for p in found
    ]
    text = "\n".join(
        f"{p['id']:>6}  {p['family_name']}, {p['given_name']}  {p['date_of_birth'] or ''}  "
        f"{p['phone'] or ''}"
        + (
            f"  next: {p['next_appointment'][:16].replace('T', ' ')}"
            if p["next_appointment"]
            else ""
        )
        for p in data
    )
    emit(args, data, text or "no patient found")
    return EXIT_OK


def _book(ctx: ServiceContext, args: argparse.Namespace) -> int:
    zone = clinic_policy(ctx).timezone
    request = BookingRequest(
        args.type,
        arguments.moment(args.start, zone),
        args.patient,
        args.doctor,
        note=args.note,
        urgent=args.urgent,
        waitlist_id=args.waitlist,
        work_in_reason=args.work_in,
    )
    if args.repeat is not None or args.count is not None or args.until is not None:
        if args.repeat is None:
            refuse("usage: --count and --until need --repeat")
            return EXIT_USAGE
        return scheduling_commands.book_series(ctx, args, request)
    booked = booking.book_appointment(ctx, request)
    data = _appointment_json(ctx, booked)
    data.update(scheduling_commands.chosen_because(booked))
    emit(args, data, _booked_text(ctx, booked, zone))
    return EXIT_OK


def _booked_text(ctx: ServiceContext, booked: BookedAppointment, zone: str) -> str:
    """As the desk's notice says it: 'booked appointment 7: Ava Singh with Dr Lee on Tue 24 Nov
    at 10:00 (why that doctor).' Printed for the person at the terminal, never logged."""
    details = patients.get_patient(ctx, booked.patient_id).details
    doctor = next(
        (d.name for d in doctors(ctx) if d.id == booked.doctor_id), f"doctor {booked.doctor_id}"
    )
    local = to_local(booked.start, zone)
    text = (
        f"booked appointment {booked.id}: {details.given_name} {details.family_name} with "
        f"{doctor} on {day_label(local.date())} at {local:%H:%M}"
    )
    if booked.work_in_reason:
        return f"{text} as a work-in ({booked.work_in_reason})."
    why = scheduling_commands.why_text(ctx, booked)
    return f"{text} ({why})." if why else f"{text}."


def _cancel(ctx: ServiceContext, args: argparse.Namespace) -> int:
    if args.following:
        return scheduling_commands.cancel_following(ctx, args)
    cancelled = booking.cancel_appointment(ctx, args.id, reason=args.reason)
    data = _appointment_json(ctx, cancelled)
    waiting = scheduling_commands.waitlist_for_freed(ctx, cancelled)
    data.update(waiting)
    text = f"appointment {cancelled.id} cancelled"
    if waiting["waitlist_matches"]:
        text += f"; waitlist entries that fit the freed time: {waiting['waitlist_matches']}"
    emit(args, data, text)
    return EXIT_OK


def _note(ctx: ServiceContext, args: argparse.Namespace) -> int:
    changed = booking.set_note(ctx, args.id, args.text)
    said = "note saved" if changed.note else "note removed"
    emit(args, _appointment_json(ctx, changed), f"appointment {changed.id}: {said}")
    return EXIT_OK


def _mark(ctx: ServiceContext, args: argparse.Namespace) -> int:
    marked = booking.mark_status(ctx, args.id, args.status)
    zone = clinic_policy(ctx).timezone
    data = _appointment_json(ctx, marked)
    for key in ("arrived_at", "called_in_at", "consultation_at", "completed_at", "left_at"):
        when = getattr(marked, key)
        data[key] = _local_iso(when, zone) if when else None
    emit(args, data, f"appointment {marked.id} is now {marked.status.replace('_', '-')}")
    return EXIT_OK


def _record_json(ctx: ServiceContext, record: patients.PatientRecord) -> dict[str, object]:
    zone = _zone_or_utc(ctx)
    d = record.details
    return {
        "id": record.id,
        "given": d.given_name,
        "family": d.family_name,
        "dob": d.date_of_birth.isoformat() if d.date_of_birth else None,
        "phone": d.phone,
        "email": d.email,
        "sms_reminders": d.sms_reminders,
        "email_reminders": d.email_reminders,
        "reminders_opt_out": d.reminders_opt_out,
        "address": d.address,
        "medicare": d.medicare_number,
        "irn": d.medicare_irn,
        "dva": d.dva_number,
        "emergency_name": d.emergency_name,
        "emergency_phone": d.emergency_phone,
        "alerts": list(d.alerts),
        "alert_note": d.alert_note,
        "merged_into": record.merged_into,
        "appointments": [
            {
                "id": a.id,
                "start": _local_iso(a.start, zone),
                "end": _local_iso(a.end, zone),
                "doctor_id": a.doctor_id,
                "doctor": a.doctor_name,
                "type": a.type_name,
                "status": a.status.value,
                "note": a.note,
                "cancel_reason": a.cancel_reason,
                "confirmed_at": _local_iso(a.confirmed_at, zone) if a.confirmed_at else None,
            }
            for a in record.appointments
        ],
    }


def _zone_or_utc(ctx: ServiceContext) -> str:
    try:
        return clinic_policy(ctx).timezone
    except InvalidRequest:
        return "UTC"


def _record_text(ctx: ServiceContext, record: patients.PatientRecord) -> str:
    zone = _zone_or_utc(ctx)
    d = record.details
    on = {True: "on", False: "off"}
    lines = []
    if record.merged_into is not None:
        lines.append(f"patient {record.id} was merged into patient {record.merged_into}")
    lines += [
        f"patient {record.id}: {record.display_name}",
        f"  born: {d.date_of_birth or '-'}   phone: {d.phone or '-'}   email: {d.email or '-'}",
        f"  reminders: SMS {on[d.sms_reminders]}, email {on[d.email_reminders]}"
        + ("; opted out of reminders" if d.reminders_opt_out else ""),
    ]
    for title, items in (("upcoming", record.upcoming), ("past", record.past)):
        lines.append(f"{title}:" if items else f"{title}: none")
        for a in items:
            when = to_local(a.start, zone).strftime("%a %d %b %Y %H:%M")
            status = a.status.value.replace("_", "-")
            note = f"  note: {a.note}" if a.note else ""
            if a.confirmed_at is not None:
                status += " (confirmed by SMS)"
            lines.append(f"  {a.id:>6}  {when}  {a.doctor_name}  {a.type_name}  {status}{note}")
    return "\n".join(lines)


def _patients_show(ctx: ServiceContext, args: argparse.Namespace) -> int:
    record = patients.patient_record(ctx, args.id)
    emit(args, _record_json(ctx, record), _record_text(ctx, record))
    return EXIT_OK


_EDITS = (
    ("given", "given_name"),
    ("family", "family_name"),
    ("dob", "date_of_birth"),
    ("phone", "phone"),
    ("email", "email"),
    ("sms_reminders", "sms_reminders"),
    ("email_reminders", "email_reminders"),
    ("opt_out", "reminders_opt_out"),
    ("address", "address"),
    ("medicare", "medicare_number"),
    ("irn", "medicare_irn"),
    ("dva", "dva_number"),
    ("emergency_name", "emergency_name"),
    ("emergency_phone", "emergency_phone"),
)


def _patients_edit(ctx: ServiceContext, args: argparse.Namespace) -> int:
    changes: dict[str, object] = {
        detail: getattr(args, option)
        for option, detail in _EDITS
        if getattr(args, option) is not None
    }
    if args.alerts is not None:
        flags, _colon, note = args.alerts.partition(":")
        changes["alerts"] = flags
        changes["alert_note"] = note.strip() if note.strip() else None
    if not changes:
        print("patients edit: say what to change (e.g. --phone P); see --help", file=sys.stderr)
        return EXIT_USAGE
    if "date_of_birth" in changes:
        dob = str(changes["date_of_birth"]).strip()
        changes["date_of_birth"] = parse_day(dob, "dob") if dob else None
    patients.edit_patient(ctx, args.id, **changes)
    record = patients.patient_record(ctx, args.id)
    emit(args, _record_json(ctx, record), _record_text(ctx, record))
    return EXIT_OK


def _patients_merge(ctx: ServiceContext, args: argparse.Namespace) -> int:
    merged = patients.merge_patients(ctx, args.keep_id, args.duplicate_id)
    data = {
        "keep_id": merged.keep_id,
        "duplicate_id": merged.duplicate_id,
        "appointments": list(merged.appointment_ids),
        "notifications": merged.notifications,
    }
    emit(
        args,
        data,
        f"patient {merged.duplicate_id} merged into patient {merged.keep_id}: "
        f"{len(merged.appointment_ids)} appointments and {merged.notifications} messages moved",
    )
    return EXIT_OK


def _reschedule(ctx: ServiceContext, args: argparse.Namespace) -> int:
    if args.following:
        return scheduling_commands.move_following(ctx, args)
    zone = clinic_policy(ctx).timezone
    moved = booking.reschedule_appointment(
        ctx, args.id, arguments.moment(args.start, zone), args.doctor
    )
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
    "patients show": _patients_show,
    "patients edit": _patients_edit,
    "patients merge": _patients_merge,
    "book": _book,
    "cancel": _cancel,
    "note": _note,
    "mark": _mark,
    "reschedule": _reschedule,
    "doctors list": _doctors_list,
    "types list": _types_list,
    "schedules generate": _schedules_generate,
}
COMMANDS.update(notification_commands.COMMANDS)
COMMANDS.update(online_commands.COMMANDS)
COMMANDS.update(report_commands.COMMANDS)
COMMANDS.update(security_commands.COMMANDS)
COMMANDS.update(scheduling_commands.COMMANDS)
COMMANDS.update(recall_commands.COMMANDS)
COMMANDS.update(calendar_token_commands.COMMANDS)
COMMANDS.update(import_commands.COMMANDS)
