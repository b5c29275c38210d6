# ruff: noqa: F811  (the clinic fixtures are imported from test_security_pg)
"""Security round two on PostgreSQL (issue 24, items 1 and 5), as a receptionist's own login:
the server's guards cannot be hijacked with temporary objects, every SECURITY DEFINER function
pins its search_path, key hashes and first answers are the server's login's alone, and a
revoked key stays revoked for every role.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError

from montu_desktop.config import clock as product_clock
from montu_desktop.domain.patients import PatientDetails
from montu_desktop.persistence.security import scram_verifier
from montu_desktop.services import online
from montu_desktop.services.admin.audit import audit_log
from montu_desktop.services.booking import BookingRequest, book_appointment, cancel_appointment
from montu_desktop.services.patients import add_patient, merge_patients
from tests.conftest import PG_ADMIN_URL
from tests.integration.test_security_pg import (  # noqa: F401  (fixtures used by name)
    PASSWORD,
    TUESDAY,
    Clinic,
    _refused,
    clinic,
    scram,
)
from tests.support import pg_logins
from tests.support.clinic import at

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]

FAKE_ROLES = (
    "CREATE TEMP VIEW pg_roles AS SELECT r.rolname, true AS rolsuper FROM pg_catalog.pg_roles r"
)


def _database_name(clinic: Clinic) -> str:
    return str(make_url(clinic.owner.database.url).database)


def _as_admin(clinic: Clinic, sql: str) -> None:
    admin = create_engine(clinic.owner.database.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(sql))
    admin.dispose()


@pytest.fixture
def temp_allowed(clinic: Clinic) -> Iterator[None]:
    """The receptionist's login may make temporary objects again (as before revision 0012):
    the guards must hold by themselves, not only because TEMP was taken away."""
    name = _database_name(clinic)
    _as_admin(clinic, f'GRANT TEMP ON DATABASE "{name}" TO "{clinic.reception_name}"')
    yield
    _as_admin(clinic, f'REVOKE TEMP ON DATABASE "{name}" FROM "{clinic.reception_name}"')


def _hijack(engine: Engine, attack: Callable[[Connection], None], *temp: str) -> str:
    """In one transaction: make pg_roles say every login is a superuser (and any other
    temporary shadow given), then the attack; commit. The server's refusal, or fail."""
    with engine.connect() as conn:
        try:
            conn.execute(text(FAKE_ROLES))
            conn.execute(text("GRANT SELECT ON pg_temp.pg_roles TO PUBLIC"))
            for sql in temp:
                conn.execute(text(sql))
            # The trick works on this session's own queries: the shadow is really there.
            assert conn.execute(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            ).scalar_one()
            attack(conn)
            conn.commit()
        except DBAPIError as exc:
            conn.rollback()
            return f"{getattr(exc.orig, 'sqlstate', None)} {str(exc.orig).splitlines()[0]}"
    pytest.fail("the server accepted the hijacked change")


def _event(conn: Connection, name: str, appointment: int, patient: int, start: str) -> None:
    payload = (
        f'{{"appointment_id": {appointment}, "patient_id": {patient}, "doctor_id": 1,'
        f' "start": "{start}", "end": "{start}", "old_start": "{start}"}}'
    )
    conn.execute(
        text(
            "INSERT INTO outbox_event (name, payload, created_at)"
            " VALUES (:n, CAST(:p AS json), now())"
        ),
        {"n": name, "p": payload},
    )


_INSERT = (
    "INSERT INTO appointment (doctor_id, patient_id, type_id, start_at, end_at, status,"
    " created_by, created_at, updated_at) SELECT :d, :p, id, :s, :e, 'booked', 'x', now(),"
    " now() FROM appointment_type WHERE name = :t RETURNING id"
)


def test_the_temp_view_trick_defeats_no_guard(clinic: Clinic, temp_allowed: None) -> None:
    desk = clinic.reception
    ann = add_patient(desk, PatientDetails("Ann", "Lee", phone="0412 345 678"))
    booked = book_appointment(desk, BookingRequest("Standard", at(TUESDAY, 9), ann.id))
    gone = book_appointment(desk, BookingRequest("Standard", at(TUESDAY, 10), ann.id))
    cancel_appointment(desk, gone.id)
    kept = add_patient(desk, PatientDetails("Bo", "Kept", phone="0412 000 001"))
    retired = add_patient(desk, PatientDetails("Bo", "Retired", phone="0412 000 002"))
    merge_patients(clinic.manager, kept.id, retired.id)
    start = booked.start.isoformat()

    def fake_cancellation(conn: Connection) -> None:  # the visit stays booked
        _event(conn, "appointment.cancelled", booked.id, ann.id, start)

    def fake_confirmation(conn: Connection) -> None:  # a made-up time
        _event(conn, "appointment.booked", booked.id, ann.id, at(TUESDAY, 11).isoformat())

    def cancellation_without_event(conn: Connection) -> None:
        conn.execute(text("UPDATE appointment SET status = 'cancelled' WHERE id = :i"),
                     {"i": booked.id})  # fmt: skip

    def outside_the_roster(conn: Connection) -> None:  # 02:00-07:00, with its event
        new_id = conn.execute(
            text(_INSERT),
            {"d": clinic.doctors[0], "p": ann.id, "s": at(TUESDAY, 2), "e": at(TUESDAY, 7),
             "t": "Standard"},
        ).scalar_one()  # fmt: skip
        _event(conn, "appointment.booked", new_id, ann.id, at(TUESDAY, 2).isoformat())

    def cancelled_to_booked(conn: Connection) -> None:
        conn.execute(text("UPDATE appointment SET status = 'booked' WHERE id = :i"),
                     {"i": gone.id})  # fmt: skip
        _event(conn, "appointment.booked", gone.id, ann.id, gone.start.isoformat())

    def booking_a_retired_record(conn: Connection) -> None:
        new_id = conn.execute(
            text(_INSERT),
            {"d": clinic.doctors[1], "p": retired.id, "s": at(TUESDAY, 9),
             "e": at(TUESDAY, 9, 15), "t": "Standard"},
        ).scalar_one()  # fmt: skip
        _event(conn, "appointment.booked", new_id, retired.id, at(TUESDAY, 9).isoformat())

    attacks: list[tuple[Callable[[Connection], None], tuple[str, ...], str]] = [
        (fake_cancellation, (), "does not match a change"),
        (fake_confirmation, (), "does not match a change"),
        (cancellation_without_event, (), "without its outbox event"),
        (outside_the_roster, (), "rostered time"),
        (cancelled_to_booked, (), "cancelled cannot become booked"),
        # The retired-record guard reads patients: shadowed by a temporary table.
        (
            booking_a_retired_record,
            ("CREATE TEMP TABLE patient (id int, merged_into_id int)",),
            "appointment_patient_retired",
        ),
    ]
    engine = clinic.engine(clinic.reception_name)
    try:
        for attack, shadows, reason in attacks:
            refusal = _hijack(engine, attack, *shadows)
            assert reason in refusal, (attack.__name__, refusal)

        # An audit entry in a manager's name, backdated a year: the chain trigger stamps the
        # real login and the server's time whatever pg_roles says.
        with engine.connect() as conn:
            conn.execute(text(FAKE_ROLES))
            new_id = conn.execute(
                text(
                    "INSERT INTO audit_entry (at, actor, action, subject, details) VALUES"
                    " (now() - interval '1 year', :m, 'staff.created', 'staff 1', '{}')"
                    " RETURNING id"
                ),
                {"m": clinic.manager_name},
            ).scalar_one()
            conn.commit()
    finally:
        engine.dispose()
    with clinic.owner.database.engine.connect() as conn:
        actor, db_user, age = conn.execute(
            text("SELECT actor, db_user, now() - at FROM audit_entry WHERE id = :i"),
            {"i": new_id},
        ).one()
    assert (actor, db_user) == (clinic.reception_name, clinic.reception_name)
    assert age.total_seconds() < 600
    # Nothing of the attacks landed.
    with clinic.owner.database.engine.connect() as conn:
        statuses = dict(conn.execute(text("SELECT id, status FROM appointment")).all())
    assert statuses == {booked.id: "booked", gone.id: "cancelled"}


def test_staff_logins_cannot_make_temporary_objects(clinic: Clinic) -> None:
    for login in (clinic.reception_name, clinic.manager_name):
        engine = clinic.engine(login)
        try:
            for sql in (FAKE_ROLES, "CREATE TEMP TABLE patient (id int)"):
                refusal = _refused(engine, sql)
                assert refusal.startswith("42501 "), refusal
                assert "temporary" in refusal
        finally:
            engine.dispose()


def test_every_security_definer_function_pins_its_search_path(clinic: Clinic) -> None:
    with clinic.owner.database.engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT p.oid::regprocedure::text, p.proconfig, p.prosrc FROM pg_proc p"
                " WHERE p.prosecdef ORDER BY 1"
            )
        ).all()
        temp_for_public = conn.execute(
            text("SELECT has_database_privilege('public', current_database(), 'TEMP')")
        ).scalar_one()
    names = {name.split("(")[0] for name, _config, _src in found}
    assert {
        "montu_audit_chain",
        "montu_audit_row",
        "montu_audit_pending_flush",
        "montu_require_outbox",
        "montu_event_matches",
        "montu_notify_change",
        "montu_staff_add",
        "montu_staff_password",
        "montu_staff_active",
        "montu_staff_role",
    } <= names
    for name, config, source in found:
        assert "search_path=pg_catalog, pg_temp" in (config or []), (name, config)
        # Catalogue relations are named with their schema too.
        unqualified = re.findall(r"(?<![\w.])(pg_roles|pg_stat_activity|pg_authid)\b", source)
        assert not unqualified, (name, unqualified)
    assert temp_for_public is False


# ---------------------------------------------------------------- keys and tokens

READ_SECRETS = [
    "SELECT token_hash FROM api_key",
    "SELECT * FROM api_key",
    "SELECT response FROM api_request",
    "SELECT id FROM api_request",
]


def test_staff_cannot_read_key_hashes_or_first_answers(clinic: Clinic) -> None:
    key, _token = online.create_api_key(clinic.manager, "site", "availability,book")
    assert [k.name for k in online.list_api_keys(clinic.manager)] == ["site"]
    for login in (clinic.reception_name, clinic.manager_name):
        engine = clinic.engine(login)
        try:
            for sql in READ_SECRETS:
                refusal = _refused(engine, sql)
                assert refusal.startswith("42501 "), (login, sql, refusal)
            with engine.connect() as conn:  # a key's name, scopes and dates stay visible
                assert conn.execute(text("SELECT name FROM api_key")).scalar_one() == "site"
        finally:
            engine.dispose()
    assert key.active


def test_revocation_is_final_for_every_role_and_every_key_change_is_audited(
    clinic: Clinic,
) -> None:
    key, token = online.create_api_key(clinic.manager, "site", "availability,book")
    assert online.authenticate(clinic.owner, token) is not None
    assert not online.revoke_api_key(clinic.manager, "site").active
    engine = clinic.engine(clinic.manager_name)
    try:
        for sql in (
            "UPDATE api_key SET revoked_at = NULL",
            "UPDATE api_key SET revoked_at = revoked_at + interval '1 day'",
            "UPDATE api_key SET token_hash = 'known'",
        ):
            refusal = _refused(engine, sql)
            assert refusal.startswith("42501 "), (sql, refusal)
    finally:
        engine.dispose()
    owner = create_engine(clinic.owner.database.url)  # the owner (here a superuser) alike
    try:
        refusal = _refused(owner, "UPDATE api_key SET revoked_at = NULL")
        assert "a revoked key stays revoked" in refusal
    finally:
        owner.dispose()
    assert online.authenticate(clinic.owner, token) is None

    # A manager's change straight in the table is audited in the manager's name too.
    online.create_api_key(clinic.manager, "kiosk", "availability")
    engine = clinic.engine(clinic.manager_name)
    with engine.connect() as conn:
        conn.execute(text("UPDATE api_key SET revoked_at = now() WHERE name = 'kiosk'"))
        conn.commit()
    engine.dispose()
    rows = audit_log(clinic.owner, action="row.api_key")
    assert sorted(r.action for r in rows) == [
        "row.api_key.insert",
        "row.api_key.insert",
        "row.api_key.update",
        "row.api_key.update",
    ]
    assert {r.actor for r in rows} == {clinic.manager_name}
    assert all("token" not in str(r.details.get("values", "")) for r in rows)
    assert key.id in {int(str(r.details["id"])) for r in rows}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_servers_own_login_serves_bookings_retries_and_cancellations(
    clinic: Clinic, tmp_path: Path
) -> None:
    """`serve` as a login of montu_api (the IT guide's montu_web): it alone reads key hashes
    and first answers, and it is held to the desks' rules like any reception login."""
    web = pg_logins.unique_name("web")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {web} LOGIN PASSWORD '{PASSWORD}' IN ROLE montu_api"))
    admin.dispose()
    _key, token = online.create_api_key(clinic.manager, "site", "availability,book")
    port = _free_port()
    env = {
        **os.environ,
        "MONTU_DATABASE_URL": clinic.url(web),
        product_clock.ENV: product_clock.pinned(clinic.clock()),
    }
    log = tmp_path / "serve.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "montu_desktop", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "first-try"}
        body = {
            "type": "Standard",
            "start": at(TUESDAY, 10).isoformat(),
            "patient": {"given": "Web", "family": "Visitor", "dob": "1980-02-03",
                        "phone": "0412 999 111", "email": "web@example.com"},
        }  # fmt: skip
        with httpx.Client(base_url=base, timeout=30) as client:
            first = client.post("/v1/appointments", json=body, headers=headers)
            assert first.status_code == 201, first.text
            again = client.post("/v1/appointments", json=body, headers=headers)
            assert (again.status_code, again.json()) == (201, first.json())
            gone = client.delete(
                f"/v1/appointments/{first.json()['id']}",
                headers={"Authorization": f"Bearer {token}",
                         "X-Cancel-Token": first.json()["cancel_token"]},
            )  # fmt: skip
            assert gone.status_code == 204, gone.text
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    rows = audit_log(clinic.owner, action="row.appointment")
    assert rows and {r.actor for r in rows} == {web}
    # Its own rights: key hashes and first answers yes, settings and audit rows no.
    engine = clinic.engine(web)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(token_hash) FROM api_key")).scalar_one() == 1
            assert conn.execute(text("SELECT count(response) FROM api_request")).scalar_one() == 1
        for sql in ("UPDATE setting SET value = 'x'", "DELETE FROM audit_entry",
                    "UPDATE api_key SET revoked_at = NULL"):  # fmt: skip
            assert _refused(engine, sql).startswith("42501 "), sql
    finally:
        engine.dispose()


def _stored_password(clinic: Clinic, login: str) -> str:
    admin = create_engine(clinic.owner.database.url)
    try:
        with admin.connect() as conn:
            return str(
                conn.execute(
                    text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": login}
                ).scalar_one()
            )
    finally:
        admin.dispose()


def test_a_manager_cannot_hijack_the_staff_functions(clinic: Clinic) -> None:
    """The staff functions refuse a login with special attributes; a temporary pg_roles that
    hides them must not let a manager take over such a login's password."""
    special = pg_logins.unique_name("itadmin")
    name = _database_name(clinic)
    _as_admin(clinic, f"CREATE ROLE {special} LOGIN CREATEROLE PASSWORD 'it pass phrase'")
    _as_admin(clinic, f'GRANT TEMP ON DATABASE "{name}" TO "{clinic.manager_name}"')
    before = _stored_password(clinic, special)
    # An account row for that login (as if IT had once added themselves as staff).
    with clinic.owner.database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO staff_account (username, display_name, password_hash, role, active,"
                " created_at, updated_at) VALUES (:u, 'IT', '', 'manager', true, now(), now())"
            ),
            {"u": special},
        )
    engine = clinic.engine(clinic.manager_name)
    try:
        with engine.connect() as conn:
            conn.execute(
                text(
                    "CREATE TEMP VIEW pg_roles AS SELECT r.rolname, false AS rolsuper,"
                    " false AS rolcreaterole, false AS rolcreatedb, false AS rolreplication,"
                    " false AS rolbypassrls FROM pg_catalog.pg_roles r"
                )
            )
            with pytest.raises(DBAPIError, match="is not a staff login"):
                conn.execute(
                    text("SELECT montu_staff_password(:u, :v)"),
                    {"u": special, "v": scram_verifier("known pass phrase")},
                )
            conn.rollback()
    finally:
        engine.dispose()
        _as_admin(clinic, f'REVOKE TEMP ON DATABASE "{name}" FROM "{clinic.manager_name}"')
    # Its password is the one IT gave it (pg_authid: only the superuser reads it).
    assert _stored_password(clinic, special) == before
