"""The notification commands: `config`, `secrets`, `notifications list/retry` and `worker`
(which also rolls the schedules forward, nightly)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import date

from montu_desktop.cli.arguments import record_id
from montu_desktop.cli.output import EXIT_OK, EXIT_REFUSED, emit, refuse
from montu_desktop.config.secrets import KeyringUnavailable
from montu_desktop.domain.clinic_time import to_local
from montu_desktop.domain.errors import InvalidRequest, NoSchedule
from montu_desktop.services import clinic_settings, notifications, sms_replies
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    config = commands.add_parser("config", help="clinic-wide settings").add_subparsers(
        dest="config_command", required=True
    )
    set_ = config.add_parser("set", parents=[common], help="store a setting for every PC")
    set_.add_argument("key")
    set_.add_argument("value")
    get = config.add_parser("get", parents=[common], help="show one setting")
    get.add_argument("key")
    get.add_argument("--json", action="store_true")
    listing = config.add_parser("list", parents=[common], help="show every setting")
    listing.add_argument("--json", action="store_true")

    secrets = commands.add_parser("secrets", help="passwords and tokens (OS keyring)")
    secrets_sub = secrets.add_subparsers(dest="secrets_command", required=True)
    secret_set = secrets_sub.add_parser(
        "set", help="read a secret from standard input into the keyring"
    )
    secret_set.add_argument("name", help="smtp.password or sms.token")

    notes = commands.add_parser("notifications", help="confirmations and reminders")
    notes_sub = notes.add_subparsers(dest="notifications_command", required=True)
    notes_list = notes_sub.add_parser("list", parents=[common], help="messages and their status")
    notes_list.add_argument("--status", metavar="pending|waiting|sent|failed|dead")
    notes_list.add_argument("--json", action="store_true")
    retry = notes_sub.add_parser("retry", parents=[common], help="put a dead message back")
    retry.add_argument("id", type=record_id, help="notification id (1 to 2147483647)")
    dismiss = notes_sub.add_parser("dismiss", parents=[common], help="set a dead message aside")
    dismiss.add_argument("id", type=record_id, help="notification id (1 to 2147483647)")

    replies = commands.add_parser("replies", help="patients' SMS replies (two-way SMS)")
    replies_sub = replies.add_subparsers(dest="replies_command", required=True)
    replies_list = replies_sub.add_parser("list", parents=[common], help="replies, newest first")
    replies_list.add_argument("--unread", action="store_true", help="only those not read yet")
    replies_list.add_argument("--json", action="store_true")
    replies_read = replies_sub.add_parser("read", parents=[common], help="mark a reply read")
    replies_read.add_argument("id", type=record_id, help="reply id (1 to 2147483647)")

    worker = commands.add_parser(
        "worker",
        parents=[common],
        help="the server's always-on process: send notifications, roll schedules forward nightly",
    )
    worker.add_argument(
        "--once",
        action="store_true",
        help="roll schedules forward and send everything due now, then exit",
    )


def secrets_set(args: argparse.Namespace) -> int:
    """Store stdin as a secret; never echoes it. Needs no database."""
    value = sys.stdin.read().rstrip("\r\n")
    try:
        clinic_settings.store_secret(args.name, value)
    except InvalidRequest as exc:
        refuse(f"refused: {exc.field}: {exc.reason}")
        return EXIT_REFUSED
    except KeyringUnavailable as exc:
        refuse(f"refused: {args.name}: {exc}")
        return EXIT_REFUSED
    print(f"secret {args.name} stored in the OS keyring")
    return EXIT_OK


def _config_set(ctx: ServiceContext, args: argparse.Namespace) -> int:
    stored = clinic_settings.set_setting(ctx, args.key, args.value)
    print(f"{stored.key} = {stored.value}")
    return EXIT_OK


def _config_get(ctx: ServiceContext, args: argparse.Namespace) -> int:
    found = clinic_settings.get_setting(ctx, args.key)
    emit(args, {"key": found.key, "value": found.value, "default": found.is_default}, found.value)
    return EXIT_OK


def _config_list(ctx: ServiceContext, args: argparse.Namespace) -> int:
    found = clinic_settings.list_settings(ctx)
    data = [
        {"key": s.key, "value": s.value, "default": s.is_default, "meaning": s.meaning}
        for s in found
    ]
    text = "\n".join(
        f"{s.key} = {s.value!r}{'' if not s.is_default else '  (default)'}"
        for s in found
        if not s.key.startswith("template.")
    )
    emit(args, data, text)
    return EXIT_OK


def _zone(ctx: ServiceContext) -> str:
    try:
        return clinic_policy(ctx).timezone
    except NoSchedule:
        return "UTC"


def _notifications_list(ctx: ServiceContext, args: argparse.Namespace) -> int:
    zone = _zone(ctx)
    found = notifications.list_notifications(ctx, args.status)
    data = [
        {
            "id": n.id,
            "appointment_id": n.appointment_id,
            "channel": n.channel,
            "kind": n.kind,
            "status": n.status,
            "state": n.state,
            "attempts": n.attempts,
            "last_error": n.last_error,
            "due_at": to_local(n.due_at, zone).isoformat(),
            "sent_at": to_local(n.sent_at, zone).isoformat() if n.sent_at else None,
            "delivery": n.delivery,
            "delivery_error": n.delivery_error,
        }
        for n in found
    ]
    # A message waiting for its channel reads as the app's log says it ("not sent: email
    # not set up"), not as a failure with the setting names.
    text = "\n".join(
        f"{d['id']:>6}  appt {d['appointment_id'] or '-'!s:<6} {d['kind']:<12} {d['channel']:<5} "
        f"{d['status']:<9} tries {d['attempts']}  due {d['due_at'][:16]}"
        + (
            f"  ({n.state})"
            if n.not_set_up
            else f"  ({d['last_error']})"
            if d["last_error"]
            else ""
        )
        for n, d in zip(found, data, strict=True)
    )
    emit(args, data, text or "no notifications")
    return EXIT_OK


def _replies_list(ctx: ServiceContext, args: argparse.Namespace) -> int:
    zone = _zone(ctx)
    found = sms_replies.list_replies(ctx, unread_only=args.unread)
    data = []
    for r in found:
        item = r.as_json()
        item["received_at"] = to_local(r.received_at, zone).isoformat()
        item["read_at"] = to_local(r.read_at, zone).isoformat() if r.read_at else None
        data.append(item)
    text = "\n".join(
        f"{r.id:>6}  {d['received_at'][:16]}  {'read  ' if r.read_at else 'UNREAD'}  "
        f"{r.patient_name or r.from_number:<24} {r.outcome:<20} {r.body!r}"
        for r, d in zip(found, data, strict=True)
    )
    emit(args, data, text or "no replies")
    return EXIT_OK


def _replies_read(ctx: ServiceContext, args: argparse.Namespace) -> int:
    sms_replies.mark_read(ctx, args.id)
    print(f"reply {args.id} marked read")
    return EXIT_OK


def _notifications_retry(ctx: ServiceContext, args: argparse.Namespace) -> int:
    again = notifications.retry_notification(ctx, args.id)
    print(f"notification {again.id} is queued again")
    return EXIT_OK


def _notifications_dismiss(ctx: ServiceContext, args: argparse.Namespace) -> int:
    notifications.dismiss_notification(ctx, args.id)
    print(f"notification {args.id} dismissed")
    return EXIT_OK


def _say_rolled(outcome: tuple[date, date] | None) -> None:
    if outcome is None:
        print("schedules are already generated to the booking horizon", flush=True)
    else:
        print(f"schedules generated from {outcome[0]} to {outcome[1]}", flush=True)


def _worker(ctx: ServiceContext, args: argparse.Namespace) -> int:
    from montu_desktop.services.admin.rollover import DailyRollForward

    rolling = DailyRollForward(ctx, on_rolled=_say_rolled)
    if args.once:
        rolling.roll_if_due()
        outcome = notifications.dispatch_now(ctx)
        print(", ".join(f"{k} {v}" for k, v in sorted(outcome.items()) if v) or "nothing to do")
        return EXIT_OK
    from montu_desktop.notifications.scheduler import DispatchSchedule

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    schedule = DispatchSchedule(notifications.make_dispatcher(ctx), notifications.poll_seconds(ctx))
    rolling.start()
    schedule.start()
    print(f"dispatching notifications from {ctx.database.describe()}; Ctrl+C stops", flush=True)
    try:
        stop.wait()
    finally:
        schedule.stop()
        rolling.stop()
    return EXIT_OK


COMMANDS = {
    "config set": _config_set,
    "config get": _config_get,
    "config list": _config_list,
    "notifications list": _notifications_list,
    "notifications retry": _notifications_retry,
    "notifications dismiss": _notifications_dismiss,
    "replies list": _replies_list,
    "replies read": _replies_read,
    "worker": _worker,
}
SUBCOMMANDS = ("config_command", "notifications_command", "replies_command")
