"""PostgreSQL enforces the roles: a receptionist's own login (checked by SCRAM) can book, move,
cancel and edit patients, and the server refuses every attack the shared desk login could make.
"""

from __future__ import annotations

import io
import os
import random
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from montu_desktop.cli import main as cli
from montu_desktop.domain.errors import DatabaseUnavailable, InvalidRequest
from montu_desktop.domain.model import AppointmentStatus
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.domain.staff import Role
from montu_desktop.persistence.engine import Database
from montu_desktop.services import clinic_settings
from montu_desktop.services.admin import staff
from montu_desktop.services.admin.audit import audit_log, verify_chain
from montu_desktop.services.booking import (
    BookingRequest,
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
    set_status,
)
from montu_desktop.services.context import NotAllowed, ServiceContext
from montu_desktop.services.patients import add_patient, update_patient
from tests.conftest import PG_ADMIN_URL
from tests.support import pg_logins
from tests.support.clinic import at, tiny_clinic
from tests.support.clock import FixedClock

pytestmark = pytest.mark.postgres

TUESDAY = date(2026, 11, 24)
PASSWORD = "a long pass phrase"


@pytest.fixture(scope="module")
def scram(pg_server_url: str) -> Iterator[None]:
    try:
        pg_logins.ensure_scram_rule(PG_ADMIN_URL)
    except (OSError, RuntimeError) as exc:
        pytest.fail(f"cannot require passwords for staff logins on this server: {exc}")
    yield
    pg_logins.drop_session_logins(PG_ADMIN_URL)


def _ctx(database: Database, clock: FixedClock) -> ServiceContext:
    return ServiceContext(database, clock=clock, rng=random.Random(7), actor="it")


class Clinic:
    """The test clinic as IT set it up: the owner's context, a manager and a receptionist."""

    def __init__(self, owner: ServiceContext, clock: FixedClock) -> None:
        self.owner = owner
        self.clock = clock
        self.manager_name = pg_logins.unique_name(f"mgr{random.randrange(10**6)}")
        self.reception_name = pg_logins.unique_name(f"ros{random.randrange(10**6)}")
        self.doctors = tiny_clinic(owner)
        staff.create_first_manager(owner, self.manager_name, "Maria Manager", PASSWORD)
        self.manager = self.sign_in(self.manager_name, PASSWORD)
        # The manager adds the receptionist through the server's staff functions.
        staff.add_staff(
            self.manager, self.reception_name, "Ros Reception", PASSWORD, "receptionist"
        )
        self.reception = self.sign_in(self.reception_name, PASSWORD)

    def sign_in(self, name: str, password: str) -> ServiceContext:
        ctx = _ctx(Database(self.owner.database.url), self.clock)
        _member, previous = staff.sign_in_server(ctx, name, password)
        previous.dispose()
        return ctx

    def url(self, name: str, password: str = PASSWORD) -> str:
        return (
            make_url(self.owner.database.url)
            .set(username=name, password=password)
            .render_as_string(hide_password=False)
        )

    def engine(self, name: str) -> Engine:
        return create_engine(self.url(name))

    def close(self) -> None:
        for ctx in (self.manager, self.reception):
            ctx.database.dispose()


@pytest.fixture
def clinic(scram: None, pg_db: Database, clock: FixedClock) -> Iterator[Clinic]:
    made = Clinic(_ctx(pg_db, clock), clock)
    yield made
    made.close()


def _refused(engine: Engine, sql: str, **params: object) -> str:
    """Run `sql` as that login and commit; return the server's refusal (fails if it went through)."""
    with engine.connect() as conn:
        try:
            conn.execute(text(sql), params)
            conn.commit()
        except DBAPIError as exc:
            conn.rollback()
            code = getattr(exc.orig, "sqlstate", None)
            return f"{code} {str(exc.orig).splitlines()[0]}"
    pytest.fail(f"the server accepted: {sql}")


def _cli(url: str, args: list[str]) -> int:
    """The CLI in this process with the login's URL (and password) in MONTU_DATABASE_URL: a
    password inside --database is refused (visible in the process list)."""
    before = os.environ.get("MONTU_DATABASE_URL")
    os.environ["MONTU_DATABASE_URL"] = url
    try:
        return cli(args)
    finally:
        if before is None:
            del os.environ["MONTU_DATABASE_URL"]
        else:
            os.environ["MONTU_DATABASE_URL"] = before


def test_passwords_are_checked_by_the_server(clinic: Clinic) -> None:
    ctx = _ctx(Database(clinic.owner.database.url), clinic.clock)
    with pytest.raises(staff.SignInRefused):
        staff.sign_in_server(ctx, clinic.reception_name, "not the password")
    bad_url = clinic.url(clinic.reception_name, "not the password")
    assert _cli(bad_url, ["patients", "find", "Lee"]) == 3
    bad = create_engine(bad_url)
    with pytest.raises(DBAPIError, match="password authentication failed"):
        bad.connect()
    bad.dispose()
    assert clinic.reception.role is Role.RECEPTIONIST
    assert clinic.manager.role is Role.MANAGER


def test_a_receptionist_books_moves_cancels_and_edits_patients(clinic: Clinic) -> None:
    desk = clinic.reception
    patient = add_patient(desk, PatientDetails("Mei", "Ahmed", phone="0412 345 678"))
    update_patient(desk, patient.id, PatientDetails("Mei", "Ahmed-Li", phone="0412 345 678"))
    booked = book_appointment(desk, BookingRequest("Standard", at(TUESDAY, 9), patient.id))
    moved = reschedule_appointment(desk, booked.id, at(TUESDAY, 10))
    assert moved.start == at(TUESDAY, 10)
    clinic.clock.now = at(TUESDAY, 10, 5)  # no-show only once the visit has started
    assert set_status(desk, booked.id, AppointmentStatus.NO_SHOW).status == "no_show"
    set_status(desk, booked.id, AppointmentStatus.BOOKED)
    assert cancel_appointment(desk, booked.id).status == "cancelled"

    # The server wrote who did it: the receptionist's own login, not a name the app chose.
    rows = audit_log(clinic.manager, action="row.appointment")
    assert rows and {r.actor for r in rows} == {clinic.reception_name}
    booked_rows = audit_log(clinic.manager, action="appointment.booked")
    assert [r.actor for r in booked_rows] == [clinic.reception_name]
    assert verify_chain(clinic.owner).intact


ATTACKS = [
    ("read staff password hashes", "SELECT password_hash FROM staff_account"),
    ("read the server's password hashes", "SELECT rolpassword FROM pg_authid"),
    ("rewrite an audit entry", "UPDATE audit_entry SET actor = 'someone' WHERE id > 0"),
    ("remove audit entries", "DELETE FROM audit_entry"),
    ("promote oneself in the table", "UPDATE staff_account SET role = 'manager'"),
    ("promote oneself on the server", "GRANT montu_manager TO CURRENT_USER"),
    ("swap in a known password hash", "UPDATE staff_account SET password_hash = '$argon2id$x'"),
    ("give oneself CREATEROLE", "ALTER ROLE CURRENT_USER CREATEROLE"),
    (
        "insert a new manager",
        "INSERT INTO staff_account (username, display_name, password_hash, role, active,"
        " created_at, updated_at) VALUES ('evil', 'Evil', '', 'manager', true, now(), now())",
    ),
    ("create a login", "CREATE ROLE evil_login LOGIN PASSWORD 'x'"),
    (
        "call the staff functions",
        "SELECT montu_staff_add('evil2', 'Evil', 'SCRAM-SHA-256$4096:x$y:z', 'manager')",
    ),
    (
        "redirect patients' email",
        "UPDATE setting SET value = 'smtp.evil.example' WHERE key = 'smtp.host'",
    ),
    (
        "add a setting",
        "INSERT INTO setting (key, value) VALUES ('smtp.host', 'smtp.evil.example')",
    ),
    ("delete appointments", "DELETE FROM appointment"),
    ("delete patients", "DELETE FROM patient"),
    ("change rosters", "DELETE FROM roster_template"),
    ("change types", "UPDATE appointment_type SET length_minutes = 480"),
    ("change clinic hours", "UPDATE opening_hours SET closes = '23:00'"),
    ("rewrite alembic_version", "UPDATE alembic_version SET version_num = '0001'"),
    ("create a table", "CREATE TABLE public.evil (id int)"),
    ("drop a table", "DROP TABLE appointment"),
    ("truncate", "TRUNCATE appointment CASCADE"),
    ("alter a table", "ALTER TABLE appointment ADD COLUMN evil int"),
    ("disable triggers", "ALTER TABLE audit_entry DISABLE TRIGGER USER"),
    ("skip triggers", "SET session_replication_role = replica"),
    ("mark notifications sent", "UPDATE notification SET status = 'sent'"),
    ("read audit entries waiting for commit", "SELECT * FROM audit_pending"),
    ("remove audit entries waiting for commit", "DELETE FROM audit_pending"),
    ("rewrite audit entries waiting for commit", "UPDATE audit_pending SET actor = 'x'"),
]


@pytest.mark.parametrize(("what", "sql"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_the_server_refuses_the_receptionist(clinic: Clinic, what: str, sql: str) -> None:
    clinic_settings.set_setting(clinic.manager, "smtp.host", "smtp.clinic.example")
    engine = clinic.engine(clinic.reception_name)
    try:
        refusal = _refused(engine, sql)
    finally:
        engine.dispose()
    assert refusal.startswith("42501 "), refusal  # insufficient privilege, not some other error
    assert clinic_settings.get_setting(clinic.owner, "smtp.host").value == "smtp.clinic.example"


def test_a_receptionist_cannot_take_over_a_managers_login(clinic: Clinic) -> None:
    engine = clinic.engine(clinic.reception_name)
    try:
        for sql in (
            f"ALTER ROLE {clinic.manager_name} PASSWORD 'known password'",
            f"SELECT montu_staff_password('{clinic.manager_name}', 'SCRAM-SHA-256$4096:a$b:c')",
            f"GRANT {clinic.manager_name} TO CURRENT_USER",
            f"SET ROLE {clinic.manager_name}",
        ):
            assert _refused(engine, sql).startswith("42501 "), sql
    finally:
        engine.dispose()
    clinic.sign_in(clinic.manager_name, PASSWORD).database.dispose()  # unchanged


def _with_event(engine: Engine, insert: str, **params: object) -> str:
    """Insert an appointment together with a matching outbox event; the server's refusal."""
    with engine.connect() as conn:
        try:
            new_id = conn.execute(text(insert), params).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO outbox_event (name, payload, created_at) VALUES"
                    " ('appointment.booked', CAST(:p AS json), now())"
                ),
                {"p": f'{{"appointment_id": {new_id}}}'},
            )
            conn.commit()
        except DBAPIError as exc:
            conn.rollback()
            return str(exc.orig).splitlines()[0]
    pytest.fail(f"the server accepted: {insert}")


def test_appointments_without_their_outbox_event_are_refused(clinic: Clinic) -> None:
    desk = clinic.reception
    patient = add_patient(desk, PatientDetails("Ann", "Lee"))
    booked = book_appointment(desk, BookingRequest("Standard", at(TUESDAY, 9), patient.id))
    engine = clinic.engine(clinic.reception_name)
    try:
        refusal = _refused(
            engine,
            "INSERT INTO appointment (doctor_id, patient_id, type_id, start_at, end_at, status,"
            " created_by, created_at, updated_at) SELECT :d, :p, id, :s, :e, 'booked', 'x',"
            " now(), now() FROM appointment_type WHERE name = 'Standard'",
            d=clinic.doctors[1],
            p=patient.id,
            s=at(TUESDAY, 11),
            e=at(TUESDAY, 11, 15),
        )
        assert "without its outbox event" in refusal
        refusal = _refused(
            engine, "UPDATE appointment SET status = 'cancelled' WHERE id = :i", i=booked.id
        )
        assert "without its outbox event" in refusal
        refusal = _refused(
            engine,
            "UPDATE appointment SET start_at = start_at + interval '1 hour',"
            " end_at = end_at + interval '1 hour' WHERE id = :i",
            i=booked.id,
        )
        assert "without its outbox event" in refusal
        # Even with an outbox event, the no-overlap guard still refuses a double booking.
        with engine.connect() as conn:
            conn.execute(
                text(
                    "INSERT INTO outbox_event (name, payload, created_at) VALUES"
                    " ('appointment.booked', CAST(:p AS json), now())"
                ),
                {"p": '{"appointment_id": 0}'},
            )
            with pytest.raises(DBAPIError) as overlap:
                conn.execute(
                    text(
                        "INSERT INTO appointment (doctor_id, patient_id, type_id, start_at,"
                        " end_at, status, created_by, created_at, updated_at) SELECT doctor_id,"
                        " patient_id, type_id, start_at, end_at, 'booked', 'x', now(), now()"
                        " FROM appointment WHERE id = :i"
                    ),
                    {"i": booked.id},
                )
            assert getattr(overlap.value.orig, "sqlstate", None) == "23P01"
            conn.rollback()
        # With an outbox event, still the desk's rules: the type's length, the doctor's roster,
        # and the day book's status steps.
        for start, end in (
            (at(TUESDAY, 10), at(TUESDAY, 10, 45)),
            (at(TUESDAY, 19), at(TUESDAY, 19, 15)),
        ):
            refusal = _with_event(
                engine,
                "INSERT INTO appointment (doctor_id, patient_id, type_id, start_at, end_at,"
                " status, created_by, created_at, updated_at) SELECT :d, :p, id, :s, :e,"
                " 'booked', 'x', now(), now() FROM appointment_type WHERE name = 'Standard'"
                " RETURNING id",
                d=clinic.doctors[1], p=patient.id, s=start, e=end,
            )  # fmt: skip
            assert "rostered time" in refusal
        refusal = _refused(
            engine, "UPDATE appointment SET status = 'completed' WHERE id = :i", i=booked.id
        )
        assert "booked cannot become completed" in refusal
    finally:
        engine.dispose()


def test_made_up_outbox_events_are_refused(clinic: Clinic) -> None:
    """A desk cannot have a patient sent a confirmation or cancellation that did not happen."""
    desk = clinic.reception
    patient = add_patient(desk, PatientDetails("Eve", "Fox", email="eve@example.com"))
    other = add_patient(desk, PatientDetails("Gus", "Ho", email="gus@example.com"))
    booked = book_appointment(desk, BookingRequest("Standard", at(TUESDAY, 9), patient.id))
    fakes = [
        ("appointment.cancelled", booked.id, patient.id, booked.start),  # still booked
        ("appointment.booked", booked.id, other.id, booked.start),  # someone else's
        ("appointment.rescheduled", booked.id, patient.id, at(TUESDAY, 11)),  # no move
    ]
    engine = clinic.engine(clinic.reception_name)
    try:
        for name, appointment_id, patient_id, start in fakes:
            payload = (
                f'{{"appointment_id": {appointment_id}, "patient_id": {patient_id}, '
                f'"start": "{start.isoformat()}", "old_start": "{start.isoformat()}", '
                f'"end": "{start.isoformat()}", "doctor_id": 1}}'
            )
            refusal = _refused(
                engine,
                "INSERT INTO outbox_event (name, payload, created_at)"
                " VALUES (:n, CAST(:p AS json), now())",
                n=name,
                p=payload,
            )
            assert "does not match a change" in refusal, name
    finally:
        engine.dispose()
    # The real thing still goes through.
    assert cancel_appointment(desk, booked.id).status == "cancelled"


def test_notifications_pg_notify_refused_after_the_guide_step_but_notify_remains(
    clinic: Clinic,
) -> None:
    admin = create_engine(clinic.owner.database.url)
    with admin.begin() as conn:  # the IT guide's superuser step, in this database
        conn.execute(text("REVOKE EXECUTE ON FUNCTION pg_notify(text, text) FROM PUBLIC"))
    engine = clinic.engine(clinic.reception_name)
    try:
        assert "permission denied" in _refused(
            engine, "SELECT pg_notify('montu_changes', 'appointments')"
        )
        # Live refresh still works: the triggers notify with the owner's rights.
        patient = add_patient(clinic.reception, PatientDetails("Bo", "Chan"))
        assert patient.id
        # NOTIFY is a statement, not a function: PostgreSQL has no privilege to take away.
        # A fake notice only makes desks refresh; it carries no data (see the IT guide).
        with engine.connect() as conn:
            conn.execute(text("NOTIFY montu_changes, 'appointments'"))
            conn.commit()
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text("GRANT EXECUTE ON FUNCTION pg_notify(text, text) TO PUBLIC"))
        admin.dispose()


def test_the_service_layer_refuses_the_receptionist_first(clinic: Clinic) -> None:
    desk = clinic.reception
    with pytest.raises(NotAllowed) as refused:
        clinic_settings.set_setting(desk, "smtp.host", "smtp.evil.example")
    assert refused.value.field == "role" and "manager" in refused.value.reason
    with pytest.raises(NotAllowed):
        staff.add_staff(desk, pg_logins.unique_name("evil"), "Evil", PASSWORD, "manager")


def test_the_cli_as_a_receptionist_is_refused(
    clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    url = clinic.url(clinic.reception_name)
    assert _cli(url, ["config", "set", "smtp.host", "smtp.evil.example"]) == 3
    assert "refused: role" in capsys.readouterr().err
    assert _cli(url, ["staff", "disable", clinic.manager_name]) == 3
    assert _cli(url, ["staff", "list", "--json"]) == 0
    listed = capsys.readouterr().out
    assert clinic.reception_name in listed and "hash" not in listed
    assert _cli(url, ["audit", "verify"]) == 3  # the audit table is managers'
    capsys.readouterr()


def test_past_the_service_layer_the_server_refuses_the_cli(
    clinic: Clinic, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A modified copy of the app without the role checks gets no further."""
    monkeypatch.setattr(clinic_settings, "require_manager", lambda *_args: None)
    url = clinic.url(clinic.reception_name)
    assert _cli(url, ["config", "set", "smtp.host", "smtp.evil.example"]) == 3
    assert "refused: permission: the database refused" in capsys.readouterr().err
    assert clinic_settings.get_setting(clinic.owner, "smtp.host").is_default
    monkeypatch.setattr(staff, "require_manager", lambda *_args: None)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long pass phrase\n"))
    evil = pg_logins.unique_name("evil")
    args = ["staff", "add", "--username", evil, "--name", "Evil", "--role", "manager"]
    assert _cli(url, [*args]) == 3
    assert "permission denied for function montu_staff_add" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("known pass phrase\n"))
    assert _cli(url, ["staff", "reset-password", clinic.manager_name]) == 3
    assert "permission denied for function montu_staff_password" in capsys.readouterr().err
    assert [m.username for m in staff.list_staff(clinic.owner) if m.active] == sorted(
        [clinic.manager_name, clinic.reception_name]
    )


def test_a_manager_changes_settings_and_staff(
    clinic: Clinic, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    boss = clinic.manager
    assert clinic_settings.set_setting(boss, "smtp.host", "mail.clinic.example").value == (
        "mail.clinic.example"
    )
    # Reference data is the manager's: doctors, types, schedules, settings back to default.
    from montu_desktop.services.admin import doctors, types
    from montu_desktop.services.schedules import regenerate_schedules

    assert doctors.add_doctor(boss, "Dr New") > 0
    assert types.add_type(boss, "Check-up", 30, "#336699") > 0
    assert regenerate_schedules(boss) > 0
    assert clinic_settings.reset_setting(boss, "smtp.host").is_default
    clinic_settings.set_setting(boss, "smtp.host", "mail.clinic.example")
    ros = staff.find_account(boss, clinic.reception_name)
    staff.reset_password(boss, ros.id, "a new pass phrase")
    with pytest.raises(staff.SignInRefused):
        clinic.sign_in(clinic.reception_name, PASSWORD)
    clinic.sign_in(clinic.reception_name, "a new pass phrase").database.dispose()
    at_desk = clinic.sign_in(clinic.reception_name, "a new pass phrase")
    add_patient(at_desk, PatientDetails("Still", "Here"))  # a connection is open
    staff.set_account_active(boss, ros.id, False)
    with pytest.raises(staff.SignInRefused):
        clinic.sign_in(clinic.reception_name, "a new pass phrase")
    with pytest.raises(DatabaseUnavailable):  # the open desk is cut off at once
        add_patient(at_desk, PatientDetails("Not", "Anymore"))
    at_desk.database.dispose()
    with pytest.raises(InvalidRequest) as last:
        staff.set_account_active(boss, staff.find_account(boss, clinic.manager_name).id, False)
    assert "last active manager" in last.value.reason

    # The CLI with the manager's login: a new receptionist, password from stdin.
    import io

    newcomer = pg_logins.unique_name("kim")
    monkeypatch.setattr("sys.stdin", io.StringIO("kims pass phrase\n"))
    url = clinic.url(clinic.manager_name)
    assert (
        _cli(
            url,
            [
                "staff",
                "add",
                "--username",
                newcomer,
                "--name",
                "Kim",
                "--role",
                "receptionist",
            ],
        )
        == 0
    )
    assert "kims pass phrase" not in capsys.readouterr().out
    clinic.sign_in(newcomer, "kims pass phrase").database.dispose()
    staff.set_role(boss, staff.find_account(boss, newcomer).id, "manager")
    promoted = clinic.sign_in(newcomer, "kims pass phrase")
    assert promoted.role is Role.MANAGER
    promoted.database.dispose()
    actions = [e.action for e in audit_log(boss, action="staff")]
    assert {"staff.created", "staff.password_reset", "staff.disabled"} <= set(actions)
    assert {e.actor for e in audit_log(boss, action="setting.")} == {clinic.manager_name}


def test_audit_verify_finds_a_row_the_owner_changed(
    clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    patient = add_patient(clinic.reception, PatientDetails("Cy", "Dee"))
    book_appointment(clinic.reception, BookingRequest("Standard", at(TUESDAY, 9), patient.id))
    url = make_url(clinic.owner.database.url).render_as_string(hide_password=False)
    assert _cli(url, ["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    admin = create_engine(clinic.owner.database.url)
    with admin.begin() as conn:
        victim = conn.execute(
            text("SELECT id FROM audit_entry WHERE action = 'appointment.booked'")
        ).scalar_one()
        conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER montu_audit_no_change"))
        conn.execute(
            text("UPDATE audit_entry SET actor = 'someone else' WHERE id = :i"), {"i": victim}
        )
        conn.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER montu_audit_no_change"))
    admin.dispose()
    found = verify_chain(clinic.owner)
    assert found.broken is not None and found.broken.entry_id == victim
    assert _cli(url, ["audit", "verify"]) == 3
    assert f"audit entry {victim} " in capsys.readouterr().err


def test_the_it_guide_with_an_owner_that_is_not_a_superuser(
    scram: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Step 1 to 3 of the guide: an owner with CREATEROLE only, the upgrade, the first manager."""
    import io

    owner = pg_logins.unique_name("owner")
    boss = pg_logins.unique_name("boss")
    database = pg_logins.unique_name("guide")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    base = make_url(PG_ADMIN_URL)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {owner} LOGIN CREATEROLE PASSWORD 'owner pass'"))
        conn.execute(text(f"CREATE DATABASE {database} OWNER {owner}"))
    in_db = create_engine(base.set(database=database), isolation_level="AUTOCOMMIT")
    try:
        with in_db.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
            conn.execute(text("REVOKE EXECUTE ON FUNCTION pg_notify(text, text) FROM PUBLIC"))
            conn.execute(text(f"GRANT EXECUTE ON FUNCTION pg_notify(text, text) TO {owner}"))
        as_owner = base.set(username=owner, password="owner pass", database=database)
        owner_url = as_owner.render_as_string(hide_password=False)
        assert _cli(owner_url, ["db", "upgrade"]) == 0
        monkeypatch.setattr("sys.stdin", io.StringIO("boss pass phrase\n"))
        adding = ["staff", "add", "--username", boss, "--name", "Boss", "--role", "manager"]
        assert _cli(owner_url, adding) == 0
        boss_url = as_owner.set(username=boss, password="boss pass phrase").render_as_string(
            hide_password=False
        )
        assert _cli(boss_url, ["config", "set", "smtp.host", "mail.clinic.example"]) == 0
        assert _cli(owner_url, ["audit", "verify"]) == 0
        assert "intact" in capsys.readouterr().out
        with in_db.connect() as conn:  # the desk login of the old guide would have no rights
            grants = conn.execute(
                text(
                    "SELECT count(*) FROM information_schema.role_table_grants "
                    "WHERE grantee = 'PUBLIC' AND table_schema = 'public'"
                )
            ).scalar_one()
        assert grants == 0
    finally:
        in_db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{boss}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{owner}"'))
        admin.dispose()


def test_the_dispatcher_login_sends_and_does_nothing_else(
    clinic: Clinic, capsys: pytest.CaptureFixture[str]
) -> None:
    worker = pg_logins.unique_name("worker")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(f"CREATE ROLE {worker} LOGIN PASSWORD '{PASSWORD}' IN ROLE montu_dispatcher")
        )
    admin.dispose()
    patient = add_patient(clinic.reception, PatientDetails("Di", "Eng", email="di@example.com"))
    book_appointment(clinic.reception, BookingRequest("Standard", at(TUESDAY, 9), patient.id))
    capsys.readouterr()
    assert _cli(clinic.url(worker), ["worker", "--once"]) == 0
    assert "nothing to do" not in capsys.readouterr().out  # it planned and tried to send
    with clinic.owner.database.engine.connect() as conn:
        planned = conn.execute(text("SELECT count(*) FROM notification")).scalar_one()
        pending = conn.execute(
            text("SELECT count(*) FROM outbox_event WHERE processed_at IS NULL")
        ).scalar_one()
    assert planned > 0 and pending == 0
    engine = clinic.engine(worker)
    try:
        for sql in (
            "SELECT display_name FROM staff_account",
            "UPDATE patient SET email = 'x@evil.example'",
            "UPDATE appointment SET status = 'cancelled'",
            "INSERT INTO setting (key, value) VALUES ('smtp.host', 'evil')",
            "UPDATE outbox_event SET payload = '{}'",
        ):
            assert _refused(engine, sql).startswith("42501 ")
    finally:
        engine.dispose()


def test_an_account_from_before_logins_is_taken_over_by_staff_add(clinic: Clinic) -> None:
    old_name = pg_logins.unique_name("legacy")
    with clinic.owner.database.engine.begin() as conn:  # a row as revision 0003 made them
        conn.execute(
            text(
                "INSERT INTO staff_account (username, display_name, password_hash, role, active,"
                " created_at, updated_at) VALUES (:u, 'Lee Gacy', '$argon2id$…', 'receptionist',"
                " true, now(), now())"
            ),
            {"u": old_name},
        )
    with pytest.raises(staff.SignInRefused):
        clinic.sign_in(old_name, PASSWORD)
    staff.add_staff(clinic.manager, old_name, "Lee Gacy", PASSWORD, "receptionist")
    signed = clinic.sign_in(old_name, PASSWORD)
    assert signed.role is Role.RECEPTIONIST
    signed.database.dispose()
    assert [m.username for m in staff.list_staff(clinic.owner)].count(old_name) == 1


def test_an_open_transaction_does_not_hold_the_audit_chain(clinic: Clinic) -> None:
    """Audit rows join the chain during COMMIT (migration 0011): a desk whose booking is
    still open does not make the others' audited writes wait, and what it wrote is still
    chained under its own login once it commits."""
    desk = clinic.engine(clinic.reception_name)
    try:
        with desk.connect() as open_desk:
            open_desk.execute(
                text(
                    "INSERT INTO audit_pending (at, actor, action, subject, details) "
                    "VALUES (now(), 'anyone', 'appointment.booked', 'appointment 1', '{}')"
                )
            )
            open_desk.execute(
                text(
                    "INSERT INTO patient (given_name, family_name, sms_reminders,"
                    " email_reminders, reminders_opt_out, created_at, updated_at)"
                    " VALUES ('Open', 'Desk', true, true, false, now(), now())"
                )
            )
            manager = clinic.engine(clinic.manager_name)
            try:
                with manager.connect() as other:
                    other.execute(text("SET lock_timeout = '2s'"))
                    other.execute(
                        text(
                            "INSERT INTO audit_pending (at, actor, action, subject, details) "
                            "VALUES (now(), 'm', 'setting.changed', 'setting x', '{}')"
                        )
                    )
                    other.commit()  # would wait for the open desk and time out before 0011
            finally:
                manager.dispose()
            open_desk.commit()
    finally:
        desk.dispose()
    rows = audit_log(clinic.manager, action="appointment.booked")
    assert [r.actor for r in rows] == [clinic.reception_name]
    assert audit_log(clinic.manager, action="row.patient")[-1].actor == clinic.reception_name
    with clinic.owner.database.engine.connect() as owner:
        assert owner.execute(text("SELECT count(*) FROM audit_pending")).scalar_one() == 0
    assert verify_chain(clinic.owner).intact


_GUARD_QUERIES = {
    # montu_require_outbox looks up the change's event, montu_event_matches the event's change.
    "outbox_event": "FROM public.outbox_event o",
    "appointment": "FROM public.appointment a",
}


def _fill_history(owner: ServiceContext, rows: int) -> None:
    """Years of past appointments and their events, so that no plan finds a scan cheaper."""
    add_patient(owner, PatientDetails("Hal", "History", phone="0412 000 001"))
    with owner.database.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # no audit rows
        doctor, patient, kind = conn.execute(
            text(
                "SELECT (SELECT min(id) FROM doctor), (SELECT min(id) FROM patient),"
                " (SELECT min(id) FROM appointment_type)"
            )
        ).one()
        conn.execute(
            text(
                "INSERT INTO appointment (doctor_id, patient_id, type_id, start_at, end_at,"
                " status, created_by, created_at, updated_at)"
                " SELECT :d, :p, :k, s, s + interval '15 minutes', 'completed', 'history', s, s"
                " FROM (SELECT timestamptz '2001-01-01' + n * interval '15 minutes' AS s"
                "       FROM generate_series(1, :rows) AS n) AS slots"
            ),
            {"d": doctor, "p": patient, "k": kind, "rows": rows},
        )
        conn.execute(
            text(
                "INSERT INTO outbox_event (name, payload, created_at)"
                " SELECT 'appointment.booked', json_build_object('appointment_id', id), created_at"
                " FROM appointment"
            )
        )
        conn.execute(text("ANALYZE appointment"))
        conn.execute(text("ANALYZE outbox_event"))


def _guard_plans(clinic: Clinic, booking_hour: int) -> dict[str, list[str]]:
    """The plans the server chose for the guards' look-ups while a receptionist booked:
    auto_explain sends each nested statement's plan to the desk as a NOTICE."""
    notices: list[str] = []
    desk = clinic.sign_in(clinic.reception_name, PASSWORD)
    desk.database.engine.dispose()
    event.listen(
        desk.database.engine,
        "connect",
        lambda dbapi, _record: dbapi.add_notice_handler(
            lambda d: notices.append(d.message_primary or "")
        ),
    )
    try:
        patient = add_patient(
            desk, PatientDetails("Ida", "Index", phone=f"0412 345 6{booking_hour:02d}")
        )
        book_appointment(desk, BookingRequest("Standard", at(TUESDAY, booking_hour), patient.id))
    finally:
        desk.database.dispose()
    return {
        table: [n for n in notices if marker in n and "Query Text" in n]
        for table, marker in _GUARD_QUERIES.items()
    }


def test_a_receptionists_booking_is_checked_through_indexes(clinic: Clinic) -> None:
    """The commit-time checks of a staff login's booking find its appointment and its outbox
    event by index (migration 0011): before, each booking scanned every appointment and every
    event the clinic ever had. Over 10,000 rows of history the server's own plans for the
    guards' look-ups (auto_explain, nested statements) are index scans; with the event index
    dropped the same booking's plan is a sequential scan, so the check can fail."""
    _fill_history(clinic.owner, 10_000)
    role = clinic.reception_name
    with clinic.owner.database.engine.begin() as conn:
        for setting, value in (
            ("session_preload_libraries", "auto_explain"),
            ("auto_explain.log_min_duration", "0"),
            ("auto_explain.log_nested_statements", "on"),
            ("auto_explain.log_level", "notice"),
        ):
            conn.execute(text(f"ALTER ROLE \"{role}\" SET {setting} = '{value}'"))
    try:
        plans = _guard_plans(clinic, 10)
        assert all(plans.values()), plans  # both guards ran and were explained
        for table, found in plans.items():
            assert not [p for p in found if f"Seq Scan on {table}" in p], found
            assert all("Index" in p for p in found), found
        with clinic.owner.database.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_outbox_event_appointment"))
        without = _guard_plans(clinic, 11)["outbox_event"]
        assert [p for p in without if "Seq Scan on outbox_event" in p], without
    finally:
        with clinic.owner.database.engine.begin() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" RESET ALL'))
            conn.execute(
                text(
                    "CREATE INDEX IF NOT EXISTS ix_outbox_event_appointment"
                    " ON outbox_event ((payload ->> 'appointment_id'))"
                )
            )


def test_staff_logins_keep_the_folded_name_parts_that_search_uses(clinic: Clinic) -> None:
    """The desk's own logins write the name parts: a receptionist adds and renames, a manager
    merges (the retired record's parts go); no staff login may rewrite a part (no UPDATE)."""
    from montu_desktop.services.patients import edit_patient, find_patients, merge_patients

    desk, boss = clinic.reception, clinic.manager
    zoe = add_patient(desk, PatientDetails("Zoë", "O'Connor", date(1988, 5, 17)))
    twin = add_patient(
        desk, PatientDetails("Zoe", "Oconnor-Nunez", date(1988, 5, 17)), allow_duplicate=True
    )
    edit_patient(desk, zoe.id, family_name="O'Connor-Núñez")
    assert {p.id for p in find_patients(desk, "zoe nunez")} == {zoe.id, twin.id}
    merge_patients(boss, zoe.id, twin.id)
    assert [p.id for p in find_patients(desk, "o connor nunez")] == [zoe.id]
    refusal = _refused(
        clinic.engine(clinic.reception_name),
        "UPDATE patient_name_part SET part = 'x' WHERE patient_id = :p",
        p=zoe.id,
    )
    assert refusal.startswith("42501"), refusal  # insufficient_privilege


def test_only_a_managers_login_makes_a_work_in_unless_the_setting_allows(clinic: Clinic) -> None:
    """Who may squeeze a patient in is enforced by the server (migration 0022), not only by
    the service: a receptionist's own login writing a work-in straight into the table is
    refused, until a manager turns `work_ins.receptionists` on."""
    d1, _ = clinic.doctors
    a = add_patient(clinic.manager, PatientDetails("Ada", "Booked")).id
    b = add_patient(clinic.manager, PatientDetails("Ben", "Squeezed")).id
    start = at(TUESDAY, 9)
    book_appointment(clinic.reception, BookingRequest("Standard", start, a, doctor_id=d1))
    squeeze = BookingRequest("Standard", start, b, doctor_id=d1, work_in_reason="chest pain")
    with pytest.raises(NotAllowed):
        book_appointment(clinic.reception, squeeze)
    refusal = _refused(
        clinic.engine(clinic.reception_name),
        "INSERT INTO appointment (doctor_id, patient_id, type_id, start_at, end_at, status,"
        " work_in_reason, created_by, created_at, updated_at) VALUES (:d, :p, 1, :s, :e,"
        " 'booked', 'sneaked', 'x', now(), now())",
        d=d1,
        p=b,
        s=start,
        e=start + timedelta(minutes=15),
    )
    assert refusal.startswith("42501") and "only a manager may book a work-in" in refusal
    clinic_settings.set_setting(clinic.manager, "work_ins.receptionists", "on")
    booked = book_appointment(clinic.reception, squeeze)
    assert (booked.doctor_id, booked.work_in_reason) == (d1, "chest pain")
