"""Starting the app skips the command parsers; anything else still gets the full command line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from montu_desktop.cli import _app_only_parser, _starts_the_app


@pytest.mark.parametrize(
    "argv",
    [[], ["--self-test"], ["--database", "sqlite:///x.db"], ["--database=sqlite:///x.db"]],
)
def test_these_only_start_the_app(argv: list[str]) -> None:
    assert _starts_the_app(argv)
    args = _app_only_parser().parse_args(argv)
    assert args.command is None


@pytest.mark.parametrize(
    "argv", [["--help"], ["-h"], ["db", "status"], ["--database"], ["--database", "x", "types"]]
)
def test_commands_help_and_bad_usage_go_to_the_full_parser(argv: list[str]) -> None:
    assert not _starts_the_app(argv)


def test_starting_the_app_does_not_import_the_command_modules_or_psycopg() -> None:
    code = (
        "import sys; from montu_desktop import cli; "
        "cli._app_only_parser().parse_args([]); "
        "import montu_desktop.app; "
        "print(sorted(m for m in sys.modules if m in ("
        "'montu_desktop.cli.scheduling', 'montu_desktop.cli.notifications', "
        "'montu_desktop.ui.main_window', 'psycopg')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
