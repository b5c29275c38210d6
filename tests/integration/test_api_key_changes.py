"""API keys on both databases (issue 24, item 5): a revoked key stays revoked whoever writes
to the table, a key's token never changes, and every change of a key is in the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from montu_desktop.services import online
from montu_desktop.services.admin.audit import audit_log, verify_chain
from montu_desktop.services.context import ServiceContext


def test_a_revoked_key_stays_revoked_even_for_the_owner(ctx: ServiceContext) -> None:
    key, token = online.create_api_key(ctx, "site", "availability,book")
    revoked = online.revoke_api_key(ctx, "site")
    assert not revoked.active and online.authenticate(ctx, token) is None
    for sql, why in (
        ("UPDATE api_key SET revoked_at = NULL", "revoked key stays revoked"),
        ("UPDATE api_key SET token_hash = upper(token_hash)", "cannot be changed"),
    ):
        # The database file's owner (SQLite) or the schema owner (PostgreSQL), past the app.
        with ctx.database.engine.connect() as conn:
            with pytest.raises(DBAPIError, match=why):
                conn.execute(text(sql))
            conn.rollback()
    assert online.authenticate(ctx, token) is None
    assert [k.active for k in online.list_api_keys(ctx)] == [False]
    assert online.revoke_api_key(ctx, "site").revoked_at == revoked.revoked_at  # unchanged
    # A live key's other details may still change, and that too is audited.
    online.create_api_key(ctx, "kiosk", "availability")
    with ctx.database.engine.begin() as conn:
        conn.execute(text("UPDATE api_key SET rate_per_minute = 5 WHERE name = 'kiosk'"))
    rows = audit_log(ctx, action="row.api_key")
    assert sorted(r.action for r in rows) == [
        "row.api_key.insert",
        "row.api_key.insert",
        "row.api_key.update",
        "row.api_key.update",
    ]
    changed = [r.details["columns"] for r in rows if r.action == "row.api_key.update"]
    # Which columns changed is named (PostgreSQL: a list; SQLite: comma-separated text).
    assert {("revoked_at" in str(c), "rate_per_minute" in str(c)) for c in changed} == {
        (True, False),
        (False, True),
    }
    assert key.id in {int(str(r.details["id"])) for r in rows}
    assert all("token_hash" not in str(r.details.get("values", "")) for r in rows)
    assert verify_chain(ctx).intact
