"""A password inside --database is refused (issue 24, item 5): every local account can read a
command line in the process list. One line names the safer ways; nothing is opened."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from montu_desktop.cli import main
from montu_desktop.cli.arguments import has_password

SECRET = "s3cret-Pass"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://maria:{SECRET}@db.clinic.lan/montu",
        f"postgresql+psycopg://maria:{SECRET}@127.0.0.1:1/montu",
        f"postgres://maria:{SECRET}@db.clinic.lan:5432/montu?sslmode=verify-full",
        f"postgresql://maria@db.clinic.lan/montu?password={SECRET}",
    ],
)
def test_a_password_in_database_is_refused_in_one_line(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert has_password(url)
    for argv in (["types", "list", "--database", url], ["--database", url, "audit", "verify"]):
        assert main(argv) == 4
        out = capsys.readouterr()
        lines = out.err.strip().splitlines()
        assert len(lines) == 1 and out.out == ""
        assert lines[0].startswith("refused: --database: ")
        for way in ("MONTU_DATABASE_URL", "keyring", "pgpass"):
            assert way in lines[0]
        assert SECRET not in out.err


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://maria@db.clinic.lan/montu",
        "postgresql://maria:@db.clinic.lan/montu",
        "postgresql://:@:/",
        "sqlite:////tmp/clinic.sqlite3",
        "not a url at all",
    ],
)
def test_urls_without_a_password_are_not_refused_for_it(url: str) -> None:
    assert not has_password(url)


def test_the_same_url_in_montu_database_url_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Port 1 refuses at once: the password was accepted as given and a connection tried.
    monkeypatch.setenv("MONTU_DATABASE_URL", f"postgresql://maria:{SECRET}@127.0.0.1:1/montu")
    assert main(["types", "list"]) == 4
    err = capsys.readouterr().err
    assert "cannot be reached" in err and "--database" not in err and SECRET not in err


def test_starting_the_app_with_a_password_is_refused_before_any_window() -> None:
    """A real process, as a shortcut on a desk would start it: no Qt, no connection."""
    done = subprocess.run(
        [sys.executable, "-m", "montu_desktop", "--database",
         f"postgresql://maria:{SECRET}@db.clinic.lan/montu"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert done.returncode == 4, done.stderr
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
    assert "MONTU_DATABASE_URL" in done.stderr and SECRET not in done.stderr
