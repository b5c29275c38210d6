"""The audit trail's end cannot be cut off unnoticed (issue 24, item 4), on both databases.

`audit verify` prints the head (COUNT:HASH); `audit verify --expect COUNT:HASH` exits 3 when
the newest entries were deleted or the table emptied, even by someone who switched the
refusing triggers off (the owner, a superuser, anyone with the SQLite file). The head is
also written beside each backup and into the log, and the Audit page shows it.
"""

from __future__ import annotations

import logging
import os
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from montu_desktop.cli import main as cli
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence.engine import Database
from montu_desktop.services import backups
from montu_desktop.services.admin import audit_head
from montu_desktop.services.admin.audit import AuditHead, parse_head, verify_chain
from montu_desktop.services.context import ServiceContext
from montu_desktop.services.patients import add_patient
from tests.support.clinic import tiny_clinic


@pytest.fixture
def trail(ctx: ServiceContext) -> ServiceContext:
    """A clinic whose audit trail has well over 50 entries."""
    tiny_clinic(ctx)
    for i in range(30):
        add_patient(ctx, PatientDetails("Pat", f"Number{i}", phone=f"0412 000 {i:03d}"))
    return ctx


def _url(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


def _verify(db: Database, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    os.environ["MONTU_DATABASE_URL"] = _url(db)  # a password never goes in --database
    try:
        code = cli(["audit", "verify", *extra])
    finally:
        del os.environ["MONTU_DATABASE_URL"]
    out = capsys.readouterr()
    return code, out.out + out.err


def _head(db: Database, capsys: pytest.CaptureFixture[str]) -> str:
    code, said = _verify(db, capsys)
    assert code == 0, said
    lines = [line for line in said.splitlines() if line.startswith("audit head: ")]
    assert len(lines) == 1, said
    return lines[0].removeprefix("audit head: ")


def _cut(db: Database, newest: int | None) -> None:
    """What the owner can do with the refusing triggers switched off: delete the newest
    entries, or (None) empty the table."""
    if db.is_sqlite:
        assert db.sqlite_path is not None
        conn = sqlite3.connect(db.sqlite_path)
        try:
            conn.execute("DROP TRIGGER montu_audit_no_delete")
            if newest is None:
                conn.execute("DELETE FROM audit_entry")
            else:
                conn.execute(
                    "DELETE FROM audit_entry WHERE chain_seq >"
                    " (SELECT max(chain_seq) FROM audit_entry) - ?",
                    (newest,),
                )
            conn.execute(
                "CREATE TRIGGER montu_audit_no_delete BEFORE DELETE ON audit_entry"
                " BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed or removed'); END"
            )
            conn.commit()
        finally:
            conn.close()
        return
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        if newest is None:
            conn.execute(text("TRUNCATE audit_entry"))
        else:
            conn.execute(
                text(
                    "DELETE FROM audit_entry WHERE chain_seq >"
                    " (SELECT max(chain_seq) FROM audit_entry) - :n"
                ),
                {"n": newest},
            )


def test_audit_verify_prints_the_head(trail: ServiceContext, capsys) -> None:  # type: ignore[no-untyped-def]
    head = parse_head(_head(trail.database, capsys))
    check = verify_chain(trail)
    assert head == AuditHead(check.entries, check.last_hash) and head.count > 60
    code, said = _verify(trail.database, capsys, "--expect", str(head))
    assert code == 0 and f"reaches {head}" in said


@pytest.mark.parametrize("newest", [1, 50, None], ids=["newest 1", "newest 50", "truncated"])
def test_expect_finds_the_newest_entries_removed(
    trail: ServiceContext, capsys: pytest.CaptureFixture[str], newest: int | None
) -> None:
    written_down = _head(trail.database, capsys)
    count = parse_head(written_down).count
    _cut(trail.database, newest)
    # Without the head written down, nothing looks wrong: that is the hole --expect closes.
    code, said = _verify(trail.database, capsys)
    assert code == 0, said
    left = 0 if newest is None else count - newest
    assert f"intact: {left} entries" in said
    code, said = _verify(trail.database, capsys, "--expect", written_down)
    assert code == 3, said
    lines = said.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("refused: --expect: ")
    assert f"the newest {count - left} were removed" in lines[0]


def test_expect_finds_entries_removed_and_others_written_since(
    trail: ServiceContext, capsys: pytest.CaptureFixture[str]
) -> None:
    written_down = _head(trail.database, capsys)
    _cut(trail.database, 2)
    for i in range(3):  # the trail grows past the old count again
        add_patient(trail, PatientDetails("New", f"Since{i}", phone=f"0412 111 {i:03d}"))
    assert verify_chain(trail).entries > parse_head(written_down).count
    code, said = _verify(trail.database, capsys, "--expect", written_down)
    assert code == 3 and "is not the one written down" in said


def test_a_bad_expect_is_refused_in_one_line(trail: ServiceContext, capsys) -> None:  # type: ignore[no-untyped-def]
    for bad in ("12", "x:y", "5:" + "g" * 64, "0:" + "a" * 64, "3:-"):
        code, said = _verify(trail.database, capsys, "--expect", bad)
        assert code == 3 and said.startswith("refused: --expect: "), (bad, said)
        assert len(said.strip().splitlines()) == 1


def test_the_owner_cannot_delete_or_empty_the_trail(trail: ServiceContext) -> None:
    db = trail.database
    statements = ["DELETE FROM audit_entry", "DELETE FROM audit_entry WHERE id = 1"]
    if not db.is_sqlite:
        statements.append("TRUNCATE audit_entry")
    for sql in statements:
        with db.engine.connect() as conn:  # SQLite's file owner; PostgreSQL's superuser
            with pytest.raises(DBAPIError, match="audit entries cannot be changed or removed"):
                conn.execute(text(sql))
            conn.rollback()
    assert verify_chain(trail).entries > 60


def test_each_backup_carries_the_head_beside_it(
    trail: ServiceContext, capsys: pytest.CaptureFixture[str]
) -> None:
    made = backups.back_up(trail.database)
    beside = audit_head.sidecar_path(made.path)
    assert beside.name == made.path.name + ".audit-head"
    head = audit_head.read_sidecar(made.path)
    assert head is not None and head == verify_chain(trail).head
    # The sidecar is no backup of its own: listing (and so restoring, pruning) ignores it.
    assert [b.path for b in backups.list_backups(trail.database)] == [made.path]
    _cut(trail.database, 1)
    code, said = _verify(trail.database, capsys, "--expect", beside.read_text().strip())
    assert code == 3 and "the newest 1 were removed" in said


def test_the_head_goes_into_the_log_once_a_day(
    trail: ServiceContext, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.support.clock import FixedClock

    clock = FixedClock(trail.clock())
    desk = ServiceContext(trail.database, clock=clock, actor="test")
    with caplog.at_level(logging.INFO, logger="montu_desktop.services.admin.audit_head"):
        first = audit_head.verify_if_due(desk)
        assert first is not None
        assert audit_head.verify_if_due(desk) is None  # the same day: once is enough
        clock.advance(hours=24)
        assert audit_head.verify_if_due(desk) is not None
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("audit head: ")]
    assert lines == [f"audit head: {first.head}"] * 2
    last = audit_head.last_verified(trail.database)
    assert last is not None and last.head == first.head and last.taken_at == clock()
