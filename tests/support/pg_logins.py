"""Staff logins on the test PostgreSQL server, checked by password (SCRAM), never by trust.

The server here trusts every loopback connection, which would prove nothing about
passwords. `ensure_scram_rule` puts one rule in pg_hba.conf ahead of the trust lines:
members of the Montu group roles connecting over 127.0.0.1 must give their password
(scram-sha-256). It is idempotent and run by the test fixtures (the CI machine is set up
by the tests, not by hand). Login names carry a per-session prefix, and the session's
logins are dropped at the end: roles are shared by the whole server.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from montu_desktop.persistence.security import GROUPS

MARKER = "# montu-desktop tests: staff logins must give their password"
RULE = f"host all {','.join('+' + g for g in GROUPS)} 127.0.0.1/32 scram-sha-256"
SESSION_PREFIX = f"t{uuid.uuid4().hex[:6]}_"


def create_groups(admin_url: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for group in GROUPS:
            conn.execute(
                text(
                    "DO $$ BEGIN CREATE ROLE " + group + " NOLOGIN; "
                    "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
                )
            )
    engine.dispose()


def ensure_scram_rule(admin_url: str) -> None:
    """Put RULE before the first `host` line of pg_hba.conf (once) and reload the server."""
    create_groups(admin_url)
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        hba = Path(conn.execute(text("SHOW hba_file")).scalar_one())
        lines = hba.read_text().splitlines()
        if RULE not in lines:
            at = next(
                (i for i, line in enumerate(lines) if line.split()[:1] in (["host"], ["hostssl"])),
                len(lines),
            )
            lines[at:at] = [MARKER, RULE]
            hba.write_text("\n".join(lines) + "\n")
        conn.execute(text("SELECT pg_reload_conf()"))
        active = conn.execute(
            text(
                "SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'scram-sha-256' "
                "AND address = '127.0.0.1' AND user_name @> CAST(:u AS text[]) AND error IS NULL"
            ),
            {"u": ["+" + g for g in GROUPS]},
        ).scalar_one()
    engine.dispose()
    if not active:
        raise RuntimeError(f"the scram-sha-256 rule is not active in {hba}")


def unique_name(base: str) -> str:
    return f"{SESSION_PREFIX}{base}"


def drop_session_logins(admin_url: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        names = conn.execute(
            text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"),
            {"p": SESSION_PREFIX.replace("_", r"\_") + "%"},
        ).scalars()
        for name in list(names):
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
    engine.dispose()
