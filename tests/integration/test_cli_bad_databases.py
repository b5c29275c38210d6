"""A database that cannot be used ends in one line on stderr with exit 4, naming what and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from montu_desktop import cli
from montu_desktop.config import database as config


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://example.com/db", "scheme 'http' is not supported"),
        ("foo://x", "scheme 'foo' is not supported"),
        ("postgresql://:@:/", "URL is not valid"),
        ("postgresql://desk@127.0.0.1:70000/montu", "port 70000"),
        ("sqlite:////proc/montu-nowhere/clinic.sqlite3", "/proc/montu-nowhere"),
    ],
)
def test_an_unusable_database_url_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], url: str, words: str
) -> None:
    code, err = _run(capsys, "doctors", "list", "--database", url)
    assert code == 4 and err.count("\n") == 1 and words in err, err
    assert "Traceback" not in err


def test_a_file_that_is_not_a_database_is_named_and_left_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    code, err = _run(capsys, "db", "upgrade", "--database", f"sqlite:///{notes}")
    assert code == 4 and err.count("\n") == 1
    assert str(notes) in err and "not an SQLite file" in err
    assert notes.read_text() == "not a database\n"


def test_a_damaged_settings_file_is_named_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    path = config.settings_file()
    path.write_bytes(b'{"url": "postgresql://desk@db/montu"\xff')
    code, err = _run(capsys, "doctors", "list")
    assert code == 4 and err.count("\n") == 1
    assert str(path) in err and "damaged" in err
    assert path.exists(), "the command only reports it; the app offers the reset"
