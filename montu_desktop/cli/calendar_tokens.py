"""The `calendar-tokens` commands: create, list and revoke doctors' calendar feed tokens."""

from __future__ import annotations

import argparse

from montu_desktop.cli import EXIT_OK, emit
from montu_desktop.cli.arguments import record_id
from montu_desktop.services import calendar_feed
from montu_desktop.services.context import ServiceContext

SUBCOMMANDS = ("calendar_tokens_command",)


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    sub = commands.add_parser(
        "calendar-tokens", help="doctors' calendar feeds (a secret address each)"
    ).add_subparsers(dest="calendar_tokens_command", required=True)
    create = sub.add_parser(
        "create",
        parents=[common],
        help="make the doctor's feed token (shown once; replaces the doctor's previous one)",
    )
    create.add_argument("doctor", type=record_id, metavar="DOCTOR_ID")
    create.add_argument("--json", action="store_true")
    listing = sub.add_parser("list", parents=[common], help="doctors with a feed token")
    listing.add_argument("--json", action="store_true")
    revoke = sub.add_parser("revoke", parents=[common], help="revoke the doctor's token at once")
    revoke.add_argument("doctor", type=record_id, metavar="DOCTOR_ID")


def _data(token: calendar_feed.FeedToken) -> dict[str, object]:
    return {
        "doctor_id": token.doctor_id,
        "doctor": token.doctor_name,
        "created_at": token.created_at.isoformat(),
        "created_by": token.created_by,
        "revoked": token.revoked_at is not None,
    }


def _create(ctx: ServiceContext, args: argparse.Namespace) -> int:
    made = calendar_feed.create_token(ctx, args.doctor)
    replaced = "; the previous address no longer works" if made.replaced else ""
    emit(
        args,
        {**_data(made.info), "token": made.token, "url": made.url, "replaced": made.replaced},
        f"Calendar feed of {made.info.doctor_name} (doctor {args.doctor}) made{replaced}.\n"
        f"Its address (shown only now; subscribe to it in the doctor's calendar):\n{made.url}",
    )
    return EXIT_OK


def _list(ctx: ServiceContext, args: argparse.Namespace) -> int:
    tokens = calendar_feed.list_tokens(ctx)
    emit(
        args,
        [_data(t) for t in tokens],
        "\n".join(
            f"{t.doctor_id:>5}  {t.doctor_name}  made {t.created_at:%Y-%m-%d} by {t.created_by}"
            + ("  (revoked)" if t.revoked_at else "")
            for t in tokens
        )
        or "no calendar feeds",
    )
    return EXIT_OK


def _revoke(ctx: ServiceContext, args: argparse.Namespace) -> int:
    calendar_feed.revoke_token(ctx, args.doctor)
    print(f"calendar feed of doctor {args.doctor} revoked")
    return EXIT_OK


COMMANDS = {
    "calendar-tokens create": _create,
    "calendar-tokens list": _list,
    "calendar-tokens revoke": _revoke,
}
