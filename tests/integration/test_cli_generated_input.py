"""Generated bad (and good) command lines for EVERY headless command, on SQLite and PostgreSQL.

The commands are read from `build_parser()`, so a command added later is covered without
editing this file. Each generated command line must end with exit 0, 2, 3 or 4, never a
traceback; a refusal (2, 3, 4) prints one line on stderr and changes nothing (every table's
rows are hashed before and after). Most cases run in-process through `cli.main(argv)`; a few
run as real processes, with arguments that are not valid UTF-8 as bytes on the command line.

Seeded: MONTU_FUZZ_SEED and MONTU_FUZZ_CASES change the seed and the number of cases.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import random
import signal
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from montu_desktop import cli
from montu_desktop.cli.arguments import record_id
from montu_desktop.persistence.engine import Database
from montu_desktop.services import clinic_settings
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.demo_data import create_demo_clinic
from tests.support.clock import next_monday

ROOT = Path(__file__).resolve().parents[2]
SEED = int(os.environ.get("MONTU_FUZZ_SEED", "20261126"))
CASES = int(os.environ.get("MONTU_FUZZ_CASES", "120"))
NOT_UTF8 = "a\udcffb"  # how Python hands over the bytes a\xffb from a command line

_MONDAY = next_monday()
GOOD = {
    "ids": ["1", "2", "3", "4", "5"],
    "counts": ["1", "2"],
    "days": [_MONDAY.isoformat(), (_MONDAY + timedelta(days=8)).isoformat()],
    "starts": [
        f"{_MONDAY + timedelta(days=d)}T{h}" for d in (0, 1, 2) for h in ("09:00", "10:15", "14:30")
    ],
    "texts": ["Smith", "Ruby", "Lee", "Nguyen"],
    "types": ["Standard", "Long"],
    "statuses": ["pending", "sent", "dead"],
    "keys": ["notifications.max_attempts", "quiet_hours", "template.confirmation.sms"],
    "values": ["5", "none", "Hi {first_name}, see you {date} at {time}"],
}
"""Plausible values, chosen half the time so that commands get past the parser too."""
IDS = ["1", "2", "3", "0", "-1", "2147483647", "2147483648", "-2147483649",
       "-9223372036854775809", "99999999999999999999", "abc", "", " 4", "1e3", "٣"]  # fmt: skip
COUNTS = ["0", "1", "2", "-1", "-100", "105", "501", "521", "99999999", "x", ""]
DAYS = ["2026-11-30", "2026-12-07", "9999-12-31", "0001-01-01", "2026-13-01", "1899-12-31",
        "2199-12-31", "1900-01-01", "tomorrow", "", "2026-11-30T10:00"]  # fmt: skip
STARTS = ["2026-11-30T10:00", "2026-12-01T09:15:00+11:00", "0001-01-01T00:00+14:00",
          "9999-12-31T23:59-12:00", "2199-12-31T23:59-12:00", "1900-01-01T00:00+14:00",
          "2026-11-30T25:00", "2026-11-30", "now", ""]  # fmt: skip
TEXTS = ["Smith", "Ruby", "%", "_", "_mith", "O'Brien", "a" * 300, "", " ", NOT_UTF8,
         "Zoë 李", "\x00", "line\nbreak", "{first_name:d}", "{date!z}", "--", "-5",
         "Robert'); DROP TABLE patient;--", "0412 345 678", "1980-02-03", "ruby@example.com",
         "\u202eevil"]  # fmt: skip
TYPES = ["Standard", "Long", "Procedure", "standard", "Nope", "", NOT_UTF8]
STATUSES = ["pending", "sent", "failed", "dead", "sending", "bogus", ""]
KEYS = [*clinic_settings.known_keys(), "smtp.password", "nope", "", NOT_UTF8]
VALUES = ["5", "0", "21:00-08:00", "none", "24h,2h", "{first_name:d}", "{date!z}",
          "Hi {first_name}", "Clinic\n<desk@clinic.example>", "Clinic <desk@clinic.example>",
          "+61400000000", "twilio", "http://127.0.0.1:9", "x" * 5000, NOT_UTF8, ""]  # fmt: skip


def bad_urls(tmp: Path) -> list[str]:
    not_a_db = tmp / "notes.txt"
    not_a_db.write_text("these are not a database\n")
    return ["http://example.com/db", "foo://x", "postgresql://:@:/", "mysql://a/b",
            "sqlite:////proc/montu/clinic.db", f"sqlite:///{not_a_db}", f"sqlite:///{tmp}",
            "postgresql://u@127.0.0.1:99999/x", NOT_UTF8]  # fmt: skip


ONE_SHOT: dict[tuple[str, ...], list[str]] = {
    ("worker",): ["--once"],
    # An address of no interface here: `serve` is refused at once instead of serving
    # (serving itself is tested in tests/e2e/test_api.py).
    ("serve",): ["--host=192.0.2.1"],
}
"""Options that make a command that otherwise runs until stopped return (add new ones here)."""
CASE_SECONDS = 30
"""A command line running longer than this fails the test rather than hanging it."""


@dataclass(frozen=True)
class Command:
    """One leaf command of the parser: its words and its arguments."""

    words: tuple[str, ...]
    arguments: tuple[argparse.Action, ...]


def commands() -> list[Command]:
    """Every headless command `build_parser()` knows (the no-command app start excluded)."""
    found: list[Command] = []

    def walk(parser: argparse.ArgumentParser, words: tuple[str, ...]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            found.append(Command(words, tuple(_own(parser))))
            return
        for name, sub in subs[0].choices.items():
            walk(sub, (*words, name))

    walk(cli.build_parser(), ())
    return [c for c in found if c.words]


def _own(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.dest in ("database", "self_test"):
            continue
        yield action


def _pools(action: argparse.Action) -> tuple[list[str], list[str]]:
    """(plausible values, any values) for an argument, by its type or its name."""
    name = action.dest
    if action.choices:
        return [*map(str, action.choices)], [*map(str, action.choices), "bogus", NOT_UTF8]
    if action.type is record_id:
        kind, pool = "ids", IDS
    elif getattr(action.type, "__name__", "").startswith("count"):
        kind, pool = "counts", COUNTS
    elif name in ("week", "dob") or "date" in name:
        kind, pool = "days", DAYS
    elif name == "start":
        kind, pool = "starts", STARTS
    elif name == "type":
        kind, pool = "types", TYPES
    elif name == "status":
        kind, pool = "statuses", STATUSES
    elif name == "key":
        kind, pool = "keys", KEYS
    elif name == "value":
        kind, pool = "values", VALUES
    else:
        kind, pool = "texts", TEXTS
    return GOOD[kind], pool


def generate(command: Command, rng: random.Random, urls: list[str]) -> list[str]:
    """A command line for `command`: mostly plausible, often wrong in one or more places."""
    options: list[str] = []
    positionals: list[str] = []
    for action in command.arguments:
        if action.nargs == 0:  # a flag
            if rng.random() < 0.3:
                options.append(action.option_strings[0])
            continue
        wanted = action.required or not action.option_strings or rng.random() < 0.4
        if not wanted or (action.required and rng.random() < 0.04):
            continue  # sometimes a required one is left out: a usage error
        good, anything = _pools(action)
        value = rng.choice(good if rng.random() < 0.5 else anything)
        if action.option_strings:
            options.append(f"{action.option_strings[-1]}={value}")
        else:
            positionals.append(value)
    options += ONE_SHOT.get(command.words, [])
    if rng.random() < 0.05:
        options.append("--no-such-option")
    if rng.random() < 0.06:
        options.append(f"--database={rng.choice(urls)}")
    # After "--" every word is positional, so values such as -5 or -- stay values.
    return [*command.words, *options, *(["--", *positionals] if positionals else [])]


def snapshot(db: Database) -> dict[str, str]:
    """Each table's row count and a hash of its rows: what a refusal must leave alone."""
    found = {}
    with db.engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
            digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()[:16]
            found[table] = f"{len(rows)}:{digest}"
    return found


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def _too_long(*_args: object) -> None:
    raise TimeoutError(
        f"still running after {CASE_SECONDS} s (a long-running command? see ONE_SHOT)"
    )


def run_in_process(argv: list[str], stdin: str = "x\n") -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    previous = signal.signal(signal.SIGALRM, _too_long)
    signal.alarm(CASE_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
            except BaseException:
                return Outcome(-1, out.getvalue(), traceback.format_exc())
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        sys.stdin = saved_stdin
    return Outcome(code, out.getvalue(), err.getvalue())


def _check(argv: object, outcome: Outcome, before: dict[str, str], after: dict[str, str]) -> None:
    where = f"seed {SEED}: {argv!r}"
    assert outcome.code != -1, f"{where} raised:\n{outcome.err}"
    assert "Traceback" not in outcome.err, f"{where} printed a traceback:\n{outcome.err}"
    assert outcome.code in (0, 2, 3, 4), f"{where} exited {outcome.code}: {outcome.err}"
    if outcome.code != 0:
        lines = outcome.err.strip().splitlines()
        assert len(lines) == 1, f"{where} exited {outcome.code} with {outcome.err!r}"
        assert after == before, f"{where} was refused ({outcome.err.strip()}) but wrote: " + str(
            {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
        )


@pytest.fixture
def clinic(
    ctx: ServiceContext,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Database:
    """A small demo clinic (with a few bookings) that every generated command line talks to."""
    create_demo_clinic(ctx, doctors=2, weeks=2, patients=8, fill=0.3)
    url = ctx.database.url.render_as_string(hide_password=False)
    monkeypatch.setenv("MONTU_DATABASE_URL", url)
    # Commands that write files named on the command line write them in a scratch folder.
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    return ctx.database


def test_every_headless_command_ends_cleanly_on_generated_input(
    clinic: Database, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    urls = bad_urls(tmp_path)
    known = commands()
    assert {"book", "cancel", "demo-data", "worker"} <= {c.words[0] for c in known}
    seen: dict[int, int] = {}
    before = snapshot(clinic)
    for case in range(CASES):
        command = known[case % len(known)]  # every command, round and round
        argv = generate(command, rng, urls)
        outcome = run_in_process(argv, stdin=rng.choice(["", "pw\n", NOT_UTF8]))
        after = snapshot(clinic)
        _check(argv, outcome, before, after)
        seen[outcome.code] = seen.get(outcome.code, 0) + 1
        before = after
    # The generator must reach past the parser: refusals and successes both happen.
    assert seen.get(2, 0) and seen.get(3, 0) and seen.get(0, 0), seen


REAL_PROCESS_CASES: dict[str, list[list[bytes]]] = {
    "sqlite": [
        [b"patients", b"add", b"--given", b"Ann", b"--family", b"a\xffb"],
        [b"cancel", b"--", b"-9223372036854775809"],
        [b"doctors", b"list", b"--database", b"postgresql://:@:/"],
    ],
    "postgresql": [
        [b"patients", b"find", b"\xfe\xff"],
        [b"availability", b"--type", b"Long", b"--week", b"9999-12-31"],
    ],
}


@pytest.mark.slow
def test_real_processes_with_bytes_that_are_not_utf8(
    clinic: Database, request: pytest.FixtureRequest
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for argv in REAL_PROCESS_CASES[request.node.callspec.params["any_db"]]:
        before = snapshot(clinic)
        done = subprocess.run(
            [sys.executable.encode(), b"-m", b"montu_desktop", *argv],
            cwd=ROOT,
            capture_output=True,
            timeout=120,
            env=env,
        )
        err = done.stderr.decode("utf-8", "replace")
        _check(argv, Outcome(done.returncode, "", err), before, snapshot(clinic))
        assert done.returncode in (2, 3, 4), (argv, done.returncode, err)


def test_the_enumeration_sees_every_command_the_parser_has() -> None:
    words = {" ".join(c.words) for c in commands()}
    assert {"db upgrade", "patients add", "config set", "notifications retry"} <= words
    assert all(" " not in w.split(" ", 1)[0] for w in words)
