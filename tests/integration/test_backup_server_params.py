"""`db backup` on PostgreSQL hands pg_dump every connection parameter, never the password on
its command line: a URL asking for TLS is not dumped in clear from a server without it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from montu_desktop.persistence.engine import Database
from montu_desktop.services import backups

ROOT = Path(__file__).resolve().parents[2]


def _montu(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "montu_desktop", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def _server_has_tls(url: str) -> bool:
    with Database(url).engine.connect() as conn:
        return conn.exec_driver_sql("SHOW ssl").scalar_one() == "on"


@pytest.mark.postgres
@pytest.mark.slow
def test_a_backup_asking_for_tls_from_a_server_without_it_is_refused(
    pg_db: Database, tmp_path: Path
) -> None:
    url = pg_db.url.render_as_string(hide_password=False)
    if _server_has_tls(url):
        pytest.skip("this server speaks TLS: the refusal needs one without it")
    target = tmp_path / "clinic.dump"

    done = _montu("--database", f"{url}?sslmode=require", "db", "backup", str(target))

    assert done.returncode == 4, done.stderr
    assert done.stdout == "" and done.stderr.count("\n") == 1
    assert done.stderr.startswith("database unavailable: pg_dump failed: ")
    assert "SSL" in done.stderr
    assert list(tmp_path.iterdir()) == []  # no dump, not even a partial one

    plain = _montu("--database", f"{url}?sslmode=disable", "db", "backup", str(target))
    assert plain.returncode == 0, plain.stderr
    assert target.read_bytes()[:5] == b"PGDMP"
    assert oct(target.stat().st_mode & 0o777) == oct(0o600)


def test_pg_dump_gets_every_parameter_of_the_url_and_the_password_only_in_its_environment(
    tmp_path: Path,
) -> None:
    db = Database(
        "postgresql://clerk:s3cr%27et@db.clinic.example:6543/montu"
        "?sslmode=verify-full&sslrootcert=/etc/clinic/ca%20file.pem&application_name=desk"
    )
    try:
        command = backups.pg_dump_command(db, tmp_path / "x.dump")
        restore = backups.restore_command(db, tmp_path / "x.dump")
        env = backups._pg_env(db)
    finally:
        db.dispose()
    assert command[:10] == [
        "pg_dump", "-Fc", "-f", str(tmp_path / "x.dump"),
        "-h", "db.clinic.example", "-p", "6543", "-U", "clerk",
    ]  # fmt: skip
    conninfo = command[-1]
    assert "dbname=montu" in conninfo and "sslmode=verify-full" in conninfo
    assert "sslrootcert='/etc/clinic/ca file.pem'" in conninfo
    assert "application_name=desk" in conninfo
    assert all("s3cr" not in part for part in command)
    assert "s3cr" not in restore and "sslmode=verify-full" in restore
    assert env["PGPASSWORD"] == "s3cr'et"


def test_an_unknown_url_parameter_is_refused_in_one_line(tmp_path: Path) -> None:
    done = _montu(
        "--database", "postgresql://postgres@127.0.0.1/test?sslmod=require",
        "db", "backup", str(tmp_path / "x.dump"),
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert done.stderr.startswith("refused: database: the URL's parameters are not valid: ")
    assert "sslmod" in done.stderr and done.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
