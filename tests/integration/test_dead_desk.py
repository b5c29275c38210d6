"""A desk whose link dies half-open mid-booking blocks the others only for a bounded time."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, text

from montu_desktop.domain.clinic_time import to_local
from montu_desktop.persistence.booking_rows import _LOCK_DOCTOR
from montu_desktop.persistence.engine import Database
from montu_desktop.services.booking import BookingRequest, book_appointment
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.reference import clinic_policy
from tests.support.clinic import appointment_count, at, new_patients, tiny_clinic
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
IDLE_SECONDS = 6.0  # the server ends the vanished desk's transaction after this
LOCK_SECONDS = 2.0  # the other desk waits for a lock at most this long


def _desk_in_another_process(url: str, start: str, patient: int, doctor: int, go: Path):  # type: ignore[no-untyped-def]
    """A desk already started (imports done, database open), booking when `go` appears."""
    desk = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.support.one_booking", url, "Long", start),
            *(str(patient), str(doctor), str(go)),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "MONTU_PG_LOCK_TIMEOUT_SECONDS": str(LOCK_SECONDS),
            "PYTHONIOENCODING": "utf-8",
        },
    )
    assert desk.stdout.readline().strip() == "ready", desk.stderr.read()
    return desk


def _book_on_the_command_line(url: str, start: str, patient: int, doctor: int):  # type: ignore[no-untyped-def]
    """`montu-desktop book …` run here (its exit code and stderr), and how long it took."""
    from montu_desktop.cli import main

    err = io.StringIO()
    began = time.monotonic()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(
            [
                *("--database", url, "book", "--type", "Long", "--start", start),
                *("--patient", str(patient), "--doctor", str(doctor)),
            ]
        )
    return code, err.getvalue(), time.monotonic() - began


def _lock_holder(db: Database, doctor: int) -> int | None:
    with db.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid = CAST(:cls AS oid) AND objid = CAST(:doctor AS oid)"
            ),
            {"cls": _LOCK_DOCTOR, "doctor": doctor},
        ).scalar()


def _state(db: Database, pid: int) -> str | None:
    with db.engine.connect() as conn:
        return conn.execute(
            text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).scalar()


def test_a_desk_lost_at_commit_holds_a_doctor_only_until_the_server_ends_it(
    pg_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONTU_PG_LOCK_TIMEOUT_SECONDS", str(LOCK_SECONDS))
    ctx = ServiceContext(pg_db)
    (doctor,) = tiny_clinic(ctx, doctors=1)
    lost_patient, waiting_patient = new_patients(ctx, 2)
    today = to_local(ctx.clock(), clinic_policy(ctx).timezone).date()
    start = at(today + timedelta(days=7 - today.weekday() + 1), 10)  # Tuesday next week
    direct_url = pg_db.url.render_as_string(hide_password=False)
    iso = start.isoformat()
    go = tmp_path / "go"
    desk = _desk_in_another_process(direct_url, iso, waiting_patient, doctor, go)

    with TcpProxy(pg_db.url.host or "127.0.0.1", pg_db.url.port or 5432) as relay:
        lost_db = Database(
            pg_db.url.set(host="127.0.0.1", port=relay.port),
            idle_transaction_seconds=IDLE_SECONDS,
        )
        frozen_at: list[float] = []

        def cable_pulled_at_commit(_conn) -> None:  # type: ignore[no-untyped-def]
            if not frozen_at:
                relay.freeze()
                frozen_at.append(time.monotonic())

        event.listen(lost_db.engine, "commit", cable_pulled_at_commit)
        outcome: list[object] = []

        def lost_desk() -> None:
            try:
                outcome.append(
                    book_appointment(
                        ServiceContext(lost_db),
                        BookingRequest("Long", start, lost_patient, doctor),
                    )
                )
            except Exception as exc:  # the link is closed when the test ends
                outcome.append(exc)

        threading.Thread(target=lost_desk, daemon=True).start()
        deadline = time.monotonic() + 20
        while not frozen_at and time.monotonic() < deadline:
            time.sleep(0.02)
        assert frozen_at, "the lost desk never reached its COMMIT"
        stuck_pid = _lock_holder(pg_db, doctor)
        assert stuck_pid is not None
        assert _state(pg_db, stuck_pid) == "idle in transaction"

        # Another desk (another process) books the same doctor: refused after the lock
        # timeout, not hung.
        go.touch()
        assert desk.wait(timeout=30) == 3
        answer = json.loads(desk.stdout.read())
        assert answer["refused"] == "doctor: another desk is booking this doctor — try again"
        assert LOCK_SECONDS <= answer["seconds"] < LOCK_SECONDS + 1.5
        # The command line says so in one line with exit 3.
        code, err, took = _book_on_the_command_line(direct_url, iso, waiting_patient, doctor)
        assert (code, err) == (
            3,
            "refused: doctor: another desk is booking this doctor — try again\n",
        )
        assert took < LOCK_SECONDS + 1.5
        assert _state(pg_db, stuck_pid) == "idle in transaction"  # the refusals came first

        # The server ends the vanished desk's transaction by itself, releasing the doctor.
        while _state(pg_db, stuck_pid) is not None:
            assert time.monotonic() - frozen_at[0] < IDLE_SECONDS + 5, "still stuck"
            time.sleep(0.1)
        assert time.monotonic() - frozen_at[0] >= IDLE_SECONDS - 0.5
        assert _lock_holder(pg_db, doctor) is None
        assert not outcome  # the lost desk itself still waits: it never heard back

        code, err, took = _book_on_the_command_line(direct_url, iso, waiting_patient, doctor)
        assert code == 0, err
        assert took < LOCK_SECONDS
        assert appointment_count(ctx) == 1  # the lost desk's booking was rolled back
        lost_db.dispose()


def test_every_server_connection_is_bounded(pg_db: Database) -> None:
    with pg_db.engine.connect() as conn:
        shown = {
            name: conn.exec_driver_sql(f"SHOW {name}").scalar()
            for name in (
                "idle_in_transaction_session_timeout",
                "tcp_keepalives_idle",
                "tcp_keepalives_interval",
                "tcp_keepalives_count",
                "lock_timeout",
            )
        }
        params = conn.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
    assert shown == {
        "idle_in_transaction_session_timeout": "30s",
        "tcp_keepalives_idle": "10",
        "tcp_keepalives_interval": "5",
        "tcp_keepalives_count": "3",
        "lock_timeout": "0",  # only booking transactions bound their lock waits
    }
    assert params["keepalives"] == "1" and params["tcp_user_timeout"] == "25000"
