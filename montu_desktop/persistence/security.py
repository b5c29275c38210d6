"""Database-side security: the app's PostgreSQL group roles, SCRAM verifiers, the audit hash chain.

The audit chain: every audit row carries `prev_hash` (the previous row's `row_hash`) and
`row_hash` = sha256(prev_hash "|" content), where content is the row's sequence number,
time, actor, login, action, subject and details as text. The database computes it when a
row is inserted (a trigger on PostgreSQL; on SQLite a trigger calling `montu_sha256`, a
function each connection registers) and `chain_breaks` recomputes it to find tampering.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

RECEPTION_GROUP = "montu_reception"
MANAGER_GROUP = "montu_manager"
DISPATCHER_GROUP = "montu_dispatcher"
GROUPS = (RECEPTION_GROUP, MANAGER_GROUP, DISPATCHER_GROUP)
APP_ROLE_GROUPS = {"receptionist": RECEPTION_GROUP, "manager": MANAGER_GROUP}

# The same text is hashed by the PostgreSQL trigger, the SQLite trigger and the verifier.
PG_CONTENT = (
    "concat_ws('|', {r}.chain_seq::text,"
    " to_char({r}.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'),"
    " {r}.actor, coalesce({r}.db_user, ''), {r}.action, {r}.subject, {r}.details::text)"
)
SQLITE_CONTENT = (
    "(CAST({r}.chain_seq AS TEXT) || '|' || {r}.at || '|' || {r}.actor || '|' ||"
    " coalesce({r}.db_user, '') || '|' || {r}.action || '|' || {r}.subject || '|' ||"
    " CAST({r}.details AS TEXT))"
)


def content_sql(dialect: str, row: str = "audit_entry") -> str:
    return (PG_CONTENT if dialect == "postgresql" else SQLITE_CONTENT).format(r=row)


def link_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}|{content}".encode()).hexdigest()


def sqlite_sha256(value: str | None) -> str | None:
    """What the SQLite triggers call as montu_sha256(text)."""
    return None if value is None else hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first audit row whose link does not hold, and why."""

    entry_id: int
    chain_seq: int | None
    reason: str


def chain_breaks(conn: Connection) -> Iterator[ChainBreak | tuple[int, str]]:
    """Walk the chain in order: yields the first break, or at the end (rows checked, last hash)."""
    dialect = conn.dialect.name
    rows = conn.execute(
        text(
            f"SELECT id, chain_seq, prev_hash, row_hash, {content_sql(dialect)} "
            "FROM audit_entry ORDER BY chain_seq NULLS FIRST, id"
        )
        if dialect == "postgresql"
        else text(
            f"SELECT id, chain_seq, prev_hash, row_hash, {content_sql(dialect)} "
            "FROM audit_entry ORDER BY chain_seq IS NOT NULL, chain_seq, id"
        )
    )
    previous = ""
    expected_seq = 1
    count = 0
    for entry_id, seq, prev_hash, row_hash, content in rows:
        count += 1
        if seq is None or row_hash is None:
            yield ChainBreak(entry_id, seq, "has no place in the chain (no hash)")
            return
        if seq != expected_seq:
            yield ChainBreak(
                entry_id, seq, f"comes after entry number {expected_seq - 1}: entries are missing"
            )
            return
        if prev_hash != previous:
            yield ChainBreak(entry_id, seq, "does not point at the entry before it")
            return
        if link_hash(previous, content or "") != row_hash:
            yield ChainBreak(entry_id, seq, "was changed after it was written")
            return
        previous = row_hash
        expected_seq += 1
    yield count, previous


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """A SCRAM-SHA-256 verifier PostgreSQL accepts in CREATE/ALTER ROLE … PASSWORD.

    Sending the verifier instead of the password keeps the password out of the server's
    statement log. PostgreSQL normalises passwords with SASLprep; NFKC is its core step.
    """
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac(
        "sha256", unicodedata.normalize("NFKC", password).encode(), salt, iterations
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def server_role(conn: Connection) -> str | None:
    """'manager' or 'receptionist' when the login is a staff member's, else None (IT, owner)."""
    found = conn.execute(
        text(
            "SELECT r.rolsuper, pg_has_role(current_user, :m, 'MEMBER'),"
            " pg_has_role(current_user, :r, 'MEMBER')"
            " FROM pg_roles r WHERE r.rolname = current_user"
        ),
        {"m": MANAGER_GROUP, "r": RECEPTION_GROUP},
    ).first()
    if found is None or found[0]:
        return None
    if found[1]:
        return "manager"
    if found[2]:
        return "receptionist"
    return None
