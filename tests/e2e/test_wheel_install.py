"""A built wheel installed into a fresh venv outside the repo serves the headless commands.

The wheel is built from the source tree (pip's cache and the configured index serve the
build backend); the venv reuses the project's installed dependencies through a .pth line
(a full dependency install, PySide6 included, is measured in the README) so the test stays
quick, but montu_desktop itself comes only from the wheel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support.clock import next_monday

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `montu-desktop` script of a fresh venv holding only the wheel (plus the deps)."""
    base = tmp_path_factory.mktemp("wheel")
    built = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", base, ROOT, cwd=base
    )
    assert built.returncode == 0, built.stderr
    [wheel] = base.glob("montu_desktop-*.whl")
    venv = base / "venv"
    made = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=base)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=base
        ).stdout.strip()
    )
    # The project's dependencies, without the project's own (editable) montu_desktop: a plain
    # path entry does not run the editable finder's .pth, so only the wheel's copy is importable.
    (site / "project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "-q",
        wheel,
        cwd=base,
    )
    assert done.returncode == 0, done.stderr
    return venv / "bin" / "montu-desktop"


def test_the_wheel_carries_the_migrations_and_serves_the_headless_commands(
    installed: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MONTU_DATABASE_URL")}
    env["MONTU_DATABASE_URL"] = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    env["QT_QPA_PLATFORM"] = "offscreen"

    def montu(*args: str) -> subprocess.CompletedProcess[str]:
        return _run(installed, *args, cwd=elsewhere, env=env)

    where = _run(
        installed.parent / "python",
        "-c",
        "import montu_desktop.persistence.migrate as m; print(m.__file__); print(m.migrations_folder())",
        cwd=elsewhere,
        env=env,
    )
    module, folder = where.stdout.split()
    assert str(installed.parents[1]) in module and str(ROOT) not in module
    assert folder.endswith("montu_desktop/_migrations") and str(ROOT) not in folder

    upgraded = montu("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "schema" in montu("db", "status").stdout
    demo = montu("demo-data", "--doctors", "2", "--weeks", "2")
    assert demo.returncode == 0, demo.stderr
    monday = next_monday()
    week = montu("availability", "--type", "Standard", "--week", monday.isoformat(), "--json")
    assert week.returncode == 0, week.stderr
    free = next(s for d in json.loads(week.stdout)["days"] for s in d["slots"] if s["free_doctors"])
    patient = montu("patients", "add", "--given", "Wheel", "--family", "Test", "--json")
    assert patient.returncode == 0, patient.stderr
    booked = montu(
        "book", "--type", "Standard", "--start", free["start"],
        "--patient", str(json.loads(patient.stdout)["id"]), "--json",
    )  # fmt: skip
    assert booked.returncode == 0, booked.stderr
    assert json.loads(booked.stdout)["start"] == free["start"]

    # The app itself (offscreen): its icons and style sheet come from the wheel as well.
    resources = _run(
        installed.parent / "python",
        "-c",
        "from montu_desktop.ui.style import resources_dir as r; print(r(), (r() / 'icons').is_dir())",
        cwd=elsewhere,
        env=env,
    )
    assert resources.stdout.split() == [f"{Path(folder).parent}/_resources", "True"]
    app = montu("--self-test")
    assert app.returncode == 0, app.stdout + app.stderr
