"""The installer definitions agree with the build: names, version, icon and folders they point at."""

from __future__ import annotations

import re
from pathlib import Path

import montu_desktop

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
ISS = PACKAGING / "windows" / "montu-desktop.iss"


def _iss_defines() -> dict[str, str]:
    return dict(re.findall(r'#define (\w+) "([^"]*)"', ISS.read_text(encoding="utf-8")))


def _spec_name() -> str:
    match = re.search(r'^NAME = "([^"]+)"', (PACKAGING / "montu-desktop.spec").read_text(), re.M)
    assert match, "the spec names its bundle in NAME"
    return match.group(1)


def test_inno_setup_installs_the_folder_and_exe_the_spec_builds() -> None:
    defines = _iss_defines()
    name = _spec_name()
    assert defines["AppExe"] == f"{name}.exe"
    assert defines["BundleDir"] == rf"..\..\dist\{name}"
    assert defines["AppVersion"] == montu_desktop.__version__
    assert defines["AppName"] == montu_desktop.APP_NAME


def test_inno_setup_paths_exist_from_the_script_folder() -> None:
    text = ISS.read_text(encoding="utf-8")
    icon = re.search(r"^SetupIconFile=(.+)$", text, re.M).group(1)
    assert (ISS.parent / icon.replace("\\", "/")).read_bytes()[:4] == b"\x00\x00\x01\x00"


def test_inno_setup_has_a_start_menu_shortcut_and_an_uninstall_entry() -> None:
    text = ISS.read_text(encoding="utf-8")
    assert re.search(
        r'^Name: "\{group\}\\\{#AppName\}"; Filename: "\{app\}\\\{#AppExe\}"', text, re.M
    )
    assert re.search(
        r'^Name: "\{group\}\\Uninstall \{#AppName\}"; Filename: "\{uninstallexe\}"', text, re.M
    )
    assert re.search(r"^AppId=\{\{[0-9A-F-]{36}\}$", text, re.M)


def test_the_icon_ico_holds_every_size_up_to_256() -> None:
    data = (ROOT / "resources" / "icons" / "montu-desktop.ico").read_bytes()
    count = int.from_bytes(data[4:6], "little")
    sides = {data[6 + 16 * i] or 256 for i in range(count)}
    assert sides == {16, 24, 32, 48, 64, 128, 256}
