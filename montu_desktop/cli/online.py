"""The online-booking commands: `serve` (the HTTP API), `api-keys create/list/revoke` and
`online-patients list/merge/keep` (the records online bookings created, to check)."""

from __future__ import annotations

import argparse

from montu_desktop.cli.arguments import record_id
from montu_desktop.cli.output import EXIT_OK, emit, one_line
from montu_desktop.services import online, patients
from montu_desktop.services.context import ServiceContext

SUBCOMMANDS = ("api_keys_command", "online_patients_command")
DEFAULT_PORT = 8470


def _port(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError("must be a port number from 1 to 65535")
    return int(text)


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    serve = commands.add_parser("serve", parents=[common], help="serve the online-booking HTTP API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )

    keys = commands.add_parser("api-keys", help="keys of websites and kiosks").add_subparsers(
        dest="api_keys_command", required=True
    )
    create = keys.add_parser("create", parents=[common], help="create a key (token shown once)")
    create.add_argument("name")
    create.add_argument(
        "--scopes", required=True, metavar="availability,book", help="what the key may do"
    )
    create.add_argument("--rate", metavar="N/min", help="requests a minute (default 60/min)")
    create.add_argument(
        "--origin", metavar="URL", help="the website allowed to call from a browser"
    )
    create.add_argument("--json", action="store_true")
    listing = keys.add_parser("list", parents=[common], help="list keys")
    listing.add_argument("--json", action="store_true")
    revoke = keys.add_parser(
        "revoke", parents=[common], help="revoke a key (refused by every server within a second)"
    )
    revoke.add_argument("name")

    checks = commands.add_parser(
        "online-patients", help="records online bookings created, to check"
    ).add_subparsers(dest="online_patients_command", required=True)
    listing = checks.add_parser(
        "list", parents=[common], help="online bookings to check, with their look-alike records"
    )
    listing.add_argument("--json", action="store_true")
    merge = checks.add_parser(
        "merge", parents=[common], help="merge an online booking's record into an existing one"
    )
    merge.add_argument("id", type=record_id, metavar="ID", help="the online booking's record")
    merge.add_argument(
        "--into", required=True, type=record_id, metavar="KEEP_ID", help="the record kept"
    )
    merge.add_argument("--json", action="store_true")
    keep = checks.add_parser(
        "keep", parents=[common], help="keep an online booking's record as new"
    )
    keep.add_argument("id", type=record_id, metavar="ID")
    keep.add_argument("--json", action="store_true")


def _key_data(key: online.ApiKeyInfo) -> dict[str, object]:
    return {
        "name": key.name,
        "scopes": sorted(key.scopes),
        "rate_per_minute": key.rate_per_minute,
        "origin": key.origin,
        "created_at": key.created_at.isoformat(),
        "revoked": key.revoked_at is not None,
    }


def _serve(ctx: ServiceContext, args: argparse.Namespace) -> int:
    from montu_desktop.api.server import serve

    serve(ctx, args.host, args.port)
    return EXIT_OK


def _create(ctx: ServiceContext, args: argparse.Namespace) -> int:
    key, token = online.create_api_key(
        ctx, args.name, args.scopes, rate=args.rate, origin=args.origin
    )
    emit(
        args,
        {**_key_data(key), "token": token},
        f"API key {key.name} created. Its token (shown only now):\n{token}",
    )
    return EXIT_OK


def _list(ctx: ServiceContext, args: argparse.Namespace) -> int:
    keys = online.list_api_keys(ctx)
    emit(
        args,
        [_key_data(k) for k in keys],
        "\n".join(
            f"{k.name}  {','.join(sorted(k.scopes))}  {k.rate_per_minute}/min  "
            f"{k.origin or '-'}{'  (revoked)' if k.revoked_at else ''}"
            for k in keys
        )
        or "no API keys",
    )
    return EXIT_OK


def _revoke(ctx: ServiceContext, args: argparse.Namespace) -> int:
    key = online.revoke_api_key(ctx, args.name)
    print(f"API key {key.name} revoked")
    return EXIT_OK


def _person(record: patients.PatientRecord) -> dict[str, object]:
    d = record.details
    return {
        "id": record.id,
        "given": d.given_name,
        "family": d.family_name,
        "dob": d.date_of_birth.isoformat() if d.date_of_birth else None,
        "phone": d.phone,
        "email": d.email,
    }


def _person_line(record: patients.PatientRecord) -> str:
    d = record.details
    return one_line(
        f"{record.id:>6}  {record.display_name}  born {d.date_of_birth or '-'}  "
        f"{d.phone or '-'}  {d.email or '-'}"
    )


def _online_list(ctx: ServiceContext, args: argparse.Namespace) -> int:
    waiting = patients.online_patients_to_check(ctx)
    lines = []
    for item in waiting:
        lines.append(_person_line(item.patient))
        lines += [f"    looks like {_person_line(x).strip()}" for x in item.look_alikes]
        if not item.look_alikes:
            lines.append("    looks like no stored record")
    emit(
        args,
        [
            {**_person(i.patient), "look_alikes": [_person(x) for x in i.look_alikes]}
            for i in waiting
        ],
        "\n".join(lines) or "no online bookings to check",
    )
    return EXIT_OK


def _online_merge(ctx: ServiceContext, args: argparse.Namespace) -> int:
    merged = patients.merge_online_patient(ctx, args.id, args.into)
    emit(
        args,
        {
            "keep_id": merged.keep_id,
            "duplicate_id": merged.duplicate_id,
            "appointments": list(merged.appointment_ids),
            "notifications": merged.notifications,
        },
        f"patient {merged.duplicate_id} merged into patient {merged.keep_id}: "
        f"{len(merged.appointment_ids)} appointments and {merged.notifications} messages moved",
    )
    return EXIT_OK


def _online_keep(ctx: ServiceContext, args: argparse.Namespace) -> int:
    kept = patients.keep_online_patient(ctx, args.id)
    emit(args, {"id": kept.id}, f"patient {kept.id} kept as a new record")
    return EXIT_OK


COMMANDS = {
    "serve": _serve,
    "api-keys create": _create,
    "api-keys list": _list,
    "api-keys revoke": _revoke,
    "online-patients list": _online_list,
    "online-patients merge": _online_merge,
    "online-patients keep": _online_keep,
}
