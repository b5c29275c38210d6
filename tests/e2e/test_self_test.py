"""`montu-desktop --self-test` from source: passes on a healthy install, names the failing step otherwise."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from montu_desktop import selftest
from montu_desktop.config import paths
from montu_desktop.persistence import migrate

STEPS = (
    "migrate a new SQLite database",
    "create the demo clinic",
    "compute availability",
    "book an appointment",
    "cancel it",
    "open the main window offscreen",
)


@pytest.mark.slow
def test_self_test_passes_as_a_process_and_leaves_the_user_data_alone() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}  # the self-test must choose offscreen itself
    done = subprocess.run(
        [sys.executable, "-m", "montu_desktop", "--self-test"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "self-test: Montu Desktop 0.1.0"
    for step in STEPS:
        assert any(line.startswith(f"self-test: {step}: ok") for line in lines), step
    assert lines[-1] == "self-test: ok"
    assert not paths.default_database_path().exists()
    log_text = (paths.log_dir() / "montu-desktop.log").read_text(encoding="utf-8")
    assert "Montu Desktop 0.1.0 starting" in log_text
    assert "Self" not in log_text  # the test patient's name never reaches the log


def test_a_window_problem_fails_with_the_step_and_the_reason() -> None:
    out, err = io.StringIO(), io.StringIO()
    status = selftest.run(lambda ctx: "the window title is 'x'", out=out, err=err)
    assert status == selftest.EXIT_FAILED
    assert "self-test: cancel it: ok" in out.getvalue()
    assert "self-test: ok" not in out.getvalue()
    assert err.getvalue().strip() == (
        "self-test: FAILED at 'open the main window offscreen': "
        "SelfTestFailed: the window title is 'x'"
    )


def test_missing_migrations_fail_at_the_first_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(migrate, "migrations_folder", lambda: tmp_path / "db")
    out, err = io.StringIO(), io.StringIO()
    status = selftest.run(lambda ctx: None, out=out, err=err)
    assert status == selftest.EXIT_FAILED
    assert err.getvalue().startswith("self-test: FAILED at 'migrate a new SQLite database': ")
    assert "create the demo clinic" not in out.getvalue()


def test_the_window_check_gets_the_self_test_clinic() -> None:
    seen: list[int] = []

    def window_check(ctx) -> None:  # type: ignore[no-untyped-def]
        from montu_desktop.services import catalogue

        seen.append(len(catalogue.list_doctors(ctx)))

    assert selftest.run(window_check, out=io.StringIO(), err=io.StringIO()) == selftest.EXIT_OK
    assert seen == [3]
