"""An export killed (SIGKILL) while its file is half written leaves the previous file as it
was; the next export writes the whole file. Real processes on SQLite."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from montu_desktop.services import exports
from montu_desktop.services.context import ServiceContext
from tests.support.clinic import new_patients, tiny_clinic

ROOT = Path(__file__).resolve().parents[2]
PATIENTS = 300


@pytest.mark.slow
def test_an_export_killed_mid_file_leaves_the_old_file_whole(sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx = ServiceContext(sqlite_db, actor="test")
    tiny_clinic(ctx, doctors=1)
    new_patients(ctx, PATIENTS)
    url = sqlite_db.url.render_as_string(hide_password=False)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "patients.csv"
    target.write_text("yesterday's export\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = ["export", "patients", "--csv", str(target), "--database", url]
    slow = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "support" / "slow_export.py"), *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    partial: list[Path] = []
    while time.monotonic() < deadline and slow.poll() is None:
        partial = [p for p in out.iterdir() if p.name.endswith(".partial")]
        if partial and partial[0].stat().st_size > 2000:  # rows are being written
            break
        time.sleep(0.01)
    assert slow.poll() is None, slow.communicate()
    slow.send_signal(signal.SIGKILL)
    slow.communicate(timeout=30)
    assert target.read_text(encoding="utf-8") == "yesterday's export\n"
    assert len(partial) == 1 and stat.S_IMODE(partial[0].stat().st_mode) == 0o600

    done = subprocess.run(
        [sys.executable, "-m", "montu_desktop", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == ",".join(exports.PATIENT_COLUMNS)
    assert len(lines) == 1 + PATIENTS
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
