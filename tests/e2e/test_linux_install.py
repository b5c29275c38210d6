"""The per-user Linux installer: program, command, menu entry and icons in; all out again, data kept."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
ICONS = ROOT / "resources" / "icons"

pytestmark = pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")


def _unpacked_archive(folder: Path, version: str) -> Path:
    """The archive's layout (as packaging/build.sh packs it) around a stand-in program."""
    stage = folder / "montu-desktop-test-linux"
    program = stage / "montu-desktop" / "montu-desktop"
    program.parent.mkdir(parents=True)
    program.write_text(f'#!/bin/sh\necho "montu {version} $*"\n')
    program.chmod(0o755)
    (stage / "montu-desktop" / "_internal").mkdir()
    for name in ("install.sh", "uninstall.sh", "montu-desktop.desktop.in", "README.txt"):
        shutil.copy2(LINUX / name, stage / name)
    (stage / "icons").mkdir()
    for icon in [ICONS / "montu-desktop.svg", *ICONS.glob("montu-desktop-*.png")]:
        shutil.copy2(icon, stage / "icons" / icon.name)
    return stage


def _run(script: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), PATH="/usr/bin:/bin")
    return subprocess.run(["sh", str(script)], capture_output=True, text=True, env=env, timeout=60)


def test_install_upgrade_and_uninstall_for_one_user(tmp_path: Path) -> None:
    home = tmp_path / "home with space"
    home.mkdir()
    data = home / ".local" / "share" / "MontuDesktop" / "montu.sqlite3"
    data.parent.mkdir(parents=True)
    data.write_text("the clinic's data")

    first = _run(_unpacked_archive(tmp_path / "v1", "1") / "install.sh", home)
    assert first.returncode == 0, first.stderr
    target = home / ".local" / "opt" / "montu-desktop"
    command = home / ".local" / "bin" / "montu-desktop"
    assert subprocess.run([command, "--self-test"], capture_output=True, text=True).stdout == (
        "montu 1 --self-test\n"
    )
    entry = (home / ".local/share/applications/montu-desktop.desktop").read_text()
    assert f'Exec="{target}/montu-desktop"\n' in entry
    assert "Icon=montu-desktop\n" in entry
    assert "Name=Montu Desktop\n" in entry
    hicolor = home / ".local/share/icons/hicolor"
    for size in (16, 32, 48, 256):
        assert (hicolor / f"{size}x{size}/apps/montu-desktop.png").read_bytes() == (
            ICONS / f"montu-desktop-{size}.png"
        ).read_bytes()
    assert (hicolor / "scalable/apps/montu-desktop.svg").exists()
    assert (target / "uninstall.sh").exists()

    upgrade = _run(_unpacked_archive(tmp_path / "v2", "2") / "install.sh", home)
    assert upgrade.returncode == 0, upgrade.stderr
    assert subprocess.run([command], capture_output=True, text=True).stdout == "montu 2 \n"
    assert not (home / ".local/opt/montu-desktop.new").exists()

    removed = _run(target / "uninstall.sh", home)
    assert removed.returncode == 0, removed.stderr
    assert not target.exists()
    assert not command.exists() and not command.is_symlink()
    assert not (home / ".local/share/applications/montu-desktop.desktop").exists()
    assert not list(hicolor.rglob("montu-desktop.*"))
    assert data.read_text() == "the clinic's data"


def test_install_refuses_to_run_outside_the_unpacked_archive(tmp_path: Path) -> None:
    lonely = tmp_path / "install.sh"
    shutil.copy2(LINUX / "install.sh", lonely)
    done = _run(lonely, tmp_path)
    assert done.returncode == 1
    assert "run me from the unpacked archive" in done.stderr
    assert not (tmp_path / ".local").exists()
