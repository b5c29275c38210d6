"""The command line run in-process on the test's own clock, for tests that read its output."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator

import pytest

from montu_desktop.cli import commands, main
from montu_desktop.services.context import ServiceContext
from tests.support.clock import FixedClock

Run = Callable[..., tuple[int, str, str]]
"""run(*args) -> (exit status, stdout, stderr), with `--database` of the test's database."""


def in_process_cli(
    ctx: ServiceContext,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Run:
    real = commands.open_services

    @contextlib.contextmanager
    def with_test_clock(url: str | None = None, *, migrate: bool = True) -> Iterator[object]:
        with real(url, migrate=migrate) as opened:
            opened.clock, opened.rng = clock, random.Random(3)
            yield opened

    monkeypatch.setattr(commands, "open_services", with_test_clock)
    url = ctx.database.url.render_as_string(hide_password=False)

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main([*args, "--database", url])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
