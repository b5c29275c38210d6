"""The IT commands for staff accounts and the audit trail: `staff …` and `audit verify`."""

from __future__ import annotations

import argparse
import getpass
import sys

from montu_desktop.cli.output import EXIT_OK, EXIT_REFUSED, emit
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.services.admin import staff
from montu_desktop.services.admin.audit import parse_head, verify_chain
from montu_desktop.services.admin.audit_head import record_verified
from montu_desktop.services.context import ServiceContext


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    people = commands.add_parser("staff", help="staff accounts (on a server: login roles)")
    sub = people.add_subparsers(dest="staff_command", required=True)
    add = sub.add_parser(
        "add", parents=[common], help="add an account; the password is read from standard input"
    )
    add.add_argument("--username", required=True, metavar="U")
    add.add_argument("--name", required=True, metavar="N")
    add.add_argument("--role", required=True, choices=("receptionist", "manager"))
    listing = sub.add_parser("list", parents=[common], help="every account and its role")
    listing.add_argument("--json", action="store_true")
    disable = sub.add_parser("disable", parents=[common], help="stop an account signing in")
    disable.add_argument("username", metavar="U")
    reset = sub.add_parser(
        "reset-password", parents=[common], help="a new password, read from standard input"
    )
    reset.add_argument("username", metavar="U")

    audit = commands.add_parser("audit", help="the audit trail").add_subparsers(
        dest="audit_command", required=True
    )
    verify = audit.add_parser(
        "verify",
        parents=[common],
        help="check the audit trail's hash chain and print its head COUNT:HASH (exit 3 if broken)",
    )
    verify.add_argument(
        "--expect",
        metavar="COUNT:HASH",
        help="a head written down earlier (backup sidecar, log): exit 3 if the chain no "
        "longer reaches it (newest entries removed)",
    )


def _read_password() -> str:
    """From standard input, never echoed (a terminal is asked without echo)."""
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


def _staff_add(ctx: ServiceContext, args: argparse.Namespace) -> int:
    password = _read_password()
    if not password:
        raise InvalidRequest("password", "is empty: nothing was read from standard input")
    member = staff.add_staff(ctx, args.username, args.name, password, args.role)
    print(f"{member.role.value} {member.username} added")
    return EXIT_OK


def _staff_list(ctx: ServiceContext, args: argparse.Namespace) -> int:
    found = staff.list_staff(ctx)
    data = [
        {
            "id": m.id,
            "username": m.username,
            "name": m.display_name,
            "role": m.role.value,
            "active": m.active,
        }
        for m in found
    ]
    text = "\n".join(
        f"{m.username:<20} {m.role.value:<13} {m.display_name}{'' if m.active else ' (disabled)'}"
        for m in found
    )
    emit(args, data, text or "no staff accounts")
    return EXIT_OK


def _staff_disable(ctx: ServiceContext, args: argparse.Namespace) -> int:
    member = staff.find_account(ctx, args.username)
    staff.set_account_active(ctx, member.id, False)
    print(f"{member.username} disabled")
    return EXIT_OK


def _staff_reset_password(ctx: ServiceContext, args: argparse.Namespace) -> int:
    member = staff.find_account(ctx, args.username)
    password = _read_password()
    if not password:
        raise InvalidRequest("password", "is empty: nothing was read from standard input")
    staff.reset_password(ctx, member.id, password)
    print(f"password of {member.username} reset")
    return EXIT_OK


def _audit_verify(ctx: ServiceContext, args: argparse.Namespace) -> int:
    expect = parse_head(args.expect) if args.expect is not None else None
    check = verify_chain(ctx, expect)
    if check.broken is not None:
        broken = check.broken
        print(
            f"refused: audit entry {broken.entry_id} (number {broken.chain_seq}): {broken.reason}",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    if check.head_lost is not None:
        print(f"refused: --expect: {check.head_lost}", file=sys.stderr)
        return EXIT_REFUSED
    record_verified(ctx.database, check.head, ctx.clock())
    print(f"audit trail intact: {check.entries} entries, last hash {check.last_hash or '-'}")
    if expect is not None:
        print(f"reaches {expect}")
    print(f"audit head: {check.head}")
    return EXIT_OK


COMMANDS = {
    "staff add": _staff_add,
    "staff list": _staff_list,
    "staff disable": _staff_disable,
    "staff reset-password": _staff_reset_password,
    "audit verify": _audit_verify,
}
SUBCOMMANDS = ("staff_command", "audit_command")
