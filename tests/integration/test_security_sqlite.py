"""On one PC (SQLite): the same audit chain and row triggers, and the role checks in the services."""

from __future__ import annotations

import io
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from montu_desktop.cli import main as cli
from montu_desktop.domain.errors import InvalidRequest
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence.engine import Database
from montu_desktop.services import clinic_settings, notifications
from montu_desktop.services.admin import doctors, staff, types
from montu_desktop.services.admin.audit import audit_log, verify_chain
from montu_desktop.services.booking import BookingRequest, book_appointment, set_status
from montu_desktop.services.context import NotAllowed, ServiceContext
from montu_desktop.services.patients import add_patient, update_patient
from montu_desktop.services.schedules import regenerate_schedules
from montu_desktop.services.unit_of_work import UnitOfWork
from tests.support.clinic import at, tiny_clinic

TUESDAY = date(2026, 11, 24)


@pytest.fixture
def desk(sqlite_ctx: ServiceContext) -> ServiceContext:
    """A clinic with a manager (maria) and a receptionist (ros) signed in at the desk."""
    tiny_clinic(sqlite_ctx)
    staff.create_first_manager(sqlite_ctx, "maria", "Maria", "correct horse")
    staff.sign_in(sqlite_ctx, "maria", "correct horse")
    staff.add_staff(sqlite_ctx, "ros", "Ros", "battery staple", "receptionist")
    staff.sign_in(sqlite_ctx, "ros", "battery staple")
    return sqlite_ctx


def test_a_receptionist_is_refused_every_manager_use_case(desk: ServiceContext) -> None:
    refusals = [
        lambda: clinic_settings.set_setting(desk, "smtp.host", "smtp.evil.example"),
        lambda: clinic_settings.reset_setting(desk, "smtp.host"),
        lambda: staff.add_staff(desk, "evil", "Evil", "long enough", "manager"),
        lambda: staff.set_role(desk, 2, "manager"),
        lambda: staff.reset_password(desk, 1, "known password"),
        lambda: staff.set_account_active(desk, 1, False),
        lambda: doctors.add_doctor(desk, "Dr Who"),
        lambda: types.add_type(desk, "Evil", 15, "#000000"),
        lambda: regenerate_schedules(desk),
        lambda: notifications.retry_notification(desk, 1),
    ]
    for attempt in refusals:
        with pytest.raises(NotAllowed) as refused:
            attempt()
        assert refused.value.field == "role" and "only a manager" in refused.value.reason
    assert clinic_settings.get_setting(desk, "smtp.host").is_default
    assert [m.role.value for m in staff.list_staff(desk)] == ["manager", "receptionist"]


def test_the_desk_books_and_edits_and_the_audit_names_the_signed_in_person(
    desk: ServiceContext,
) -> None:
    patient = add_patient(desk, PatientDetails("Mei", "Ahmed", phone="0412 345 678"))
    update_patient(desk, patient.id, PatientDetails("Mei", "Ahmed-Li", phone="0412 345 678"))
    booked = book_appointment(desk, BookingRequest("Standard", at(TUESDAY, 9), patient.id))
    desk.clock.now = at(TUESDAY, 9, 30)  # type: ignore[attr-defined]  # the visit has started
    set_status(desk, booked.id, AppointmentStatus.NO_SHOW)

    rows = audit_log(desk, action="row.")
    assert {r.action for r in rows} >= {
        "row.patient.insert",
        "row.patient.update",
        "row.appointment.insert",
        "row.appointment.update",
        "row.staff_account.insert",
    }
    assert {r.actor for r in rows if "appointment" in r.action} == {"ros"}
    edited = audit_log(desk, action="patient.edited")[0]
    assert edited.details == {"fields": ["family_name"]}  # which field, never its value
    assert audit_log(desk, action="appointment.status")[0].actor == "ros"
    patient_rows = [r for r in rows if r.action.startswith("row.patient")]
    assert all("Ahmed" not in str(r.details) for r in patient_rows)
    assert verify_chain(desk).intact


def test_audit_rows_cannot_be_changed_and_a_change_behind_the_app_is_found(
    desk: ServiceContext, capsys: pytest.CaptureFixture[str]
) -> None:
    for sql in ("UPDATE audit_entry SET actor = 'x'", "DELETE FROM audit_entry"):
        with (
            pytest.raises(Exception, match="cannot be changed or removed"),
            UnitOfWork(desk, write=True) as uow,
        ):
            uow.session.execute(text(sql))
            uow.commit()
    path = desk.database.sqlite_path
    assert path is not None
    url = f"sqlite:///{path}"
    assert cli(["audit", "verify", "--database", url]) == 0
    assert "intact" in capsys.readouterr().out

    # Someone with the file drops the guard trigger and edits an entry in the middle.
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER montu_audit_no_update")
    victim = raw.execute("SELECT id FROM audit_entry ORDER BY id LIMIT 1 OFFSET 3").fetchone()[0]
    raw.execute("UPDATE audit_entry SET subject = 'nothing happened' WHERE id = ?", (victim,))
    raw.commit()
    raw.close()
    found = verify_chain(desk)
    assert found.broken is not None and found.broken.entry_id == victim
    assert cli(["audit", "verify", "--database", url]) == 3
    assert f"audit entry {victim} " in capsys.readouterr().err


def test_a_removed_entry_breaks_the_chain(sqlite_db: Database, tmp_path: Path) -> None:
    ctx = ServiceContext(sqlite_db, actor="it")
    for n in range(4):
        with UnitOfWork(ctx, write=True) as uow:
            uow.audit("test.entry", f"n {n}")
            uow.commit()
    assert verify_chain(ctx).entries == 4
    raw = sqlite3.connect(sqlite_db.sqlite_path)  # type: ignore[arg-type]
    raw.execute("DROP TRIGGER montu_audit_no_delete")
    raw.execute("DELETE FROM audit_entry WHERE chain_seq = 2")
    raw.commit()
    raw.close()
    broken = verify_chain(ctx).broken
    assert broken is not None and broken.chain_seq == 3 and "missing" in broken.reason


def test_the_cli_audits_as_the_os_user_and_refuses_header_injection(
    sqlite_db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{sqlite_db.sqlite_path}"
    monkeypatch.setattr("getpass.getuser", lambda: "it-person")
    assert cli(["config", "set", "smtp.host", "mail.clinic.example", "--database", url]) == 0
    for key, value in (
        ("smtp.sender", "Clinic\r\nBcc: x@evil.example <desk@clinic.example>"),
        ("smtp.host", "mail.clinic.example\nX-Evil: 1"),
        ("template.reminder.subject", "Reminder\r\nBcc: x@evil.example"),
    ):
        assert cli(["config", "set", key, value, "--database", url]) == 3
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and key in err and "control characters" in err
    ctx = ServiceContext(sqlite_db)
    # A NUL cannot travel in a command line (the CLI refuses it as a usage error): the
    # service refuses it too, for any other caller.
    with pytest.raises(InvalidRequest) as refused:
        clinic_settings.set_setting(ctx, "sms.sender", "Clinic\x00")
    assert refused.value.field == "sms.sender" and "control characters" in refused.value.reason
    assert clinic_settings.get_setting(ctx, "smtp.sender").is_default
    changed = audit_log(ctx, action="setting.changed")
    assert [(e.actor, e.subject) for e in changed] == [("it-person", "smtp.host")]
    assert audit_log(ctx, action="row.setting.insert")[0].actor == "it-person"


def test_staff_commands_on_sqlite(
    sqlite_db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{sqlite_db.sqlite_path}"
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse\n"))
    args = ["staff", "add", "--username", "maria", "--name", "Maria R", "--role", "manager"]
    assert cli([*args, "--database", url]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("battery staple\n"))
    args = ["staff", "add", "--username", "ros", "--name", "Ros", "--role", "receptionist"]
    assert cli([*args, "--database", url]) == 0
    out = capsys.readouterr().out
    assert "correct horse" not in out and "battery staple" not in out
    assert cli(["staff", "list", "--json", "--database", url]) == 0
    listed = capsys.readouterr().out
    assert '"username": "ros"' in listed and "argon2" not in listed
    monkeypatch.setattr("sys.stdin", io.StringIO("a new password\n"))
    assert cli(["staff", "reset-password", "ros", "--database", url]) == 0
    assert cli(["staff", "disable", "ros", "--database", url]) == 0
    assert cli(["staff", "disable", "maria", "--database", url]) == 3  # the last manager
    assert "last active manager" in capsys.readouterr().err
    assert cli(["staff", "disable", "nobody", "--database", url]) == 3
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert cli(["staff", "reset-password", "maria", "--database", url]) == 3
    ctx = ServiceContext(sqlite_db)
    with pytest.raises(staff.SignInRefused):
        staff.sign_in(ctx, "ros", "a new password")
    assert staff.sign_in(ctx, "maria", "correct horse").role.can_manage
    with pytest.raises(InvalidRequest):
        staff.find_account(ctx, "nobody")


def test_the_audit_triggers_exist_after_every_migration(any_db: Database) -> None:
    """A later revision that rebuilds an audited table (SQLite batch mode) would drop them."""
    expected = {"montu_audit_chain"}
    if any_db.is_sqlite:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        expected |= {"montu_audit_no_update", "montu_audit_no_delete"}
        expected |= {
            f"montu_audit_{table}_{verb}"
            for table in ("appointment", "patient", "staff_account", "setting")
            for verb in ("insert", "update", "delete")
        }
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        expected |= {"montu_audit_no_change", "montu_audit_no_truncate", "montu_appointment_outbox"}
        expected |= {"montu_outbox_matches"}
        expected |= {
            f"montu_audit_{table}"
            for table in ("appointment", "patient", "staff_account", "setting")
        }
    with any_db.engine.connect() as conn:
        found = set(conn.execute(text(sql)).scalars())
    assert expected <= found, expected - found


def test_notification_retry_and_dismiss_are_audited_from_the_app_and_the_cli(
    desk: ServiceContext, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from montu_desktop.notifications.records import NotificationRow

    patient = add_patient(desk, PatientDetails("Al", "Bo", email="al@example.com"))
    booked = book_appointment(desk, BookingRequest("Standard", at(TUESDAY, 9), patient.id))
    now = desk.clock()
    with UnitOfWork(desk, write=True) as uow:
        for key in ("a", "b"):
            uow.session.add(
                NotificationRow(
                    idempotency_key=key,
                    appointment_id=booked.id,
                    patient_id=patient.id,
                    channel="email",
                    kind="confirmation",
                    status="dead",
                    due_at=now,
                    appointment_start=booked.start,
                    attempts=5,
                    last_error="550 <address>",
                    created_at=now,
                    updated_at=now,
                )
            )
        uow.commit()
        ids = [n.id for n in notifications.list_notifications(desk, "dead")]
    staff.sign_in(desk, "maria", "correct horse")
    notifications.retry_notification(desk, ids[0])
    monkeypatch.setattr("getpass.getuser", lambda: "it-person")
    url = f"sqlite:///{desk.database.sqlite_path}"
    assert cli(["notifications", "dismiss", str(ids[1]), "--database", url]) == 0
    entries = {e.action: e.actor for e in audit_log(desk, action="notification.")}
    assert entries == {"notification.retried": "maria", "notification.dismissed": "it-person"}


def test_the_chain_holds_with_several_desks_writing_at_once(any_db: Database) -> None:
    """Writers take turns extending the chain (an advisory lock on PostgreSQL, the write
    lock on SQLite): no two entries share a place, no link is lost."""
    from concurrent.futures import ThreadPoolExecutor

    def desk(n: int) -> None:
        ctx = ServiceContext(any_db, actor=f"desk{n}")
        for i in range(8):
            add_patient(ctx, PatientDetails(f"P{n}x{i}", "Busy"))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(desk, range(4)))
    check = verify_chain(ServiceContext(any_db))
    assert check.intact and check.entries == 4 * 8 * 2  # the app's entry and the row's


def test_two_writers_at_once_each_name_themselves_in_the_row_audit(sqlite_db: Database) -> None:
    """The audit triggers' actor belongs to the unit of work, not to the shared database
    object: a second API key's request that starts (and waits for SQLite's write lock) while
    the first is writing cannot put its name on the first one's rows."""
    import threading
    import time

    first, second = (
        ServiceContext(sqlite_db, actor="key one"),
        ServiceContext(sqlite_db, actor="key two"),
    )
    first_wrote = threading.Event()

    def write(ctx: ServiceContext, key: str) -> None:
        with UnitOfWork(ctx, write=True) as uow:
            uow.session.execute(
                text("INSERT INTO setting (key, value) VALUES (:k, 'x')"), {"k": key}
            )
            uow.commit()

    def first_writer() -> None:
        with UnitOfWork(first, write=True) as uow:
            uow.session.execute(text("INSERT INTO setting (key, value) VALUES ('a.one', 'x')"))
            first_wrote.set()
            time.sleep(0.4)  # the second writer starts now and waits for the write lock
            uow.session.execute(text("INSERT INTO setting (key, value) VALUES ('a.two', 'x')"))
            uow.commit()

    def second_writer() -> None:
        first_wrote.wait(10)
        write(second, "b.one")

    threads = [threading.Thread(target=first_writer), threading.Thread(target=second_writer)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    named = {e.subject: e.actor for e in audit_log(first, action="row.setting.insert")}
    assert named == {
        "setting a.one": "key one",
        "setting a.two": "key one",
        "setting b.one": "key two",
    }
