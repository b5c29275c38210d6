"""PostgreSQL logins and the feeds (revision 0021_feeds): a manager makes and revokes
calendar tokens, staff never read the token hashes, and `serve` under its own login
(montu_api) answers the calendar feed and the FHIR reads."""

from __future__ import annotations

import warnings

import pytest
from sqlalchemy import create_engine, text

from montu_desktop.api.app import create_app
from montu_desktop.persistence.engine import Database
from montu_desktop.services import calendar_feed, online
from montu_desktop.services.context import NotAllowed, ServiceContext
from tests.conftest import PG_ADMIN_URL
from tests.integration.test_security_pg import (  # noqa: F401  (fixtures)
    PASSWORD,
    Clinic,
    _refused,
    clinic,
    scram,
)
from tests.support import pg_logins

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx versions
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.postgres


def test_managers_make_tokens_and_only_the_server_reads_their_hashes(
    clinic: Clinic,  # noqa: F811
) -> None:
    doctor = clinic.doctors[0]
    first = calendar_feed.create_token(clinic.manager, doctor)
    made = calendar_feed.create_token(clinic.manager, doctor)  # replaces the first
    assert made.replaced
    assert [t.doctor_id for t in calendar_feed.list_tokens(clinic.reception)] == [doctor]
    with pytest.raises(NotAllowed):
        calendar_feed.revoke_token(clinic.reception, doctor)
    for login in (clinic.reception_name, clinic.manager_name):
        engine = clinic.engine(login)
        try:
            refusal = _refused(engine, "SELECT token_hash FROM calendar_feed")
            assert refusal.startswith("42501 "), refusal
            assert _refused(
                engine,
                "UPDATE calendar_feed SET token_hash = 'x' WHERE doctor_id = :d",
                d=doctor,
            ).startswith("42501 ")
        finally:
            engine.dispose()

    web = pg_logins.unique_name("web")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {web} LOGIN PASSWORD '{PASSWORD}' IN ROLE montu_api"))
    admin.dispose()
    key = online.create_api_key(clinic.manager, "records", "fhir")[1]
    served = ServiceContext(Database(clinic.url(web)), clock=clinic.clock, actor=web)
    try:
        with TestClient(create_app(served), raise_server_exceptions=False) as api:
            path = f"/v1/calendar/{doctor}.ics"
            assert api.get(path, params={"token": made.token}).status_code == 200
            assert api.get(path, params={"token": first.token}).status_code == 404
            calendar_feed.revoke_token(clinic.manager, doctor)
            assert api.get(path, params={"token": made.token}).status_code == 404
            found = api.get("/fhir/Practitioner", headers={"Authorization": f"Bearer {key}"})
            assert found.status_code == 200, found.text
            assert found.json()["total"] == len(clinic.doctors)
    finally:
        served.database.dispose()
