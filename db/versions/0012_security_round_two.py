"""Security, round two: guards a login cannot hijack, keys whose revocation is final.

PostgreSQL:
- Every SECURITY DEFINER function in schema public (the audit chain, the outbox guards, the
  staff functions, …) gets `search_path = pg_catalog, pg_temp` and schema-qualified
  catalogue names. Without pg_temp in the path PostgreSQL searches it *first* for tables,
  views and types, so a login's `CREATE TEMP VIEW pg_roles …` made every guard think it was
  a superuser. The retired-patient guard (an invoker function) is pinned the same way.
- TEMP on the database is taken from PUBLIC: staff logins cannot make temporary objects.
- `api_key`: a revoked key stays revoked and its token hash never changes (a trigger, for
  every role); every change of a key is audited like appointments. Only the online-booking
  server's group `montu_api` (a member of montu_reception, so held to the desk's rules)
  reads token hashes and `api_request` (first answers hold cancel tokens); managers create
  and revoke keys, staff see a key's name, scopes, rate, website and dates.

SQLite: the same revocation rule and audit triggers for `api_key`.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 14:10:00
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

API_GROUP = "montu_api"
STAFF_GROUPS = "montu_reception, montu_manager"
KEY_VISIBLE = "id, name, scopes, rate_per_minute, origin, created_at, revoked_at"
PINNED = "pg_catalog, pg_temp"
# Catalogue relations the definer functions read; pg_temp is never searched for functions
# or operators, and with pg_catalog first no temporary table, view or type can shadow them.
_CATALOGUE = ("pg_roles", "pg_stat_activity", "pg_authid", "pg_class", "pg_namespace")
_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


# ---------------------------------------------------------------- PostgreSQL


def _definer_functions() -> list[tuple[int, str]]:
    bind = op.get_bind()
    return [
        (int(r[0]), str(r[1]))
        for r in bind.execute(
            sa.text(
                "SELECT p.oid, p.oid::regprocedure::text FROM pg_catalog.pg_proc p"
                " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname = 'public' AND p.prosecdef"
            )
        )
    ]


def _qualified(source: str) -> str:
    for name in _CATALOGUE:
        source = re.sub(rf"(?<![\w.]){name}\b", f"pg_catalog.{name}", source)
    return source


def _pin_definer_functions() -> None:
    """Re-create each definer function with the pinned path and qualified catalogue names."""
    bind = op.get_bind()
    for oid, signature in _definer_functions():
        definition = bind.execute(
            sa.text("SELECT pg_catalog.pg_get_functiondef(:o)"), {"o": oid}
        ).scalar_one()
        head, sep, body = definition.partition("AS $")
        if not sep:
            raise RuntimeError(f"cannot read the definition of {signature}")
        head = re.sub(r"\n\s*SET search_path TO [^\n]*", "", head)
        head = head.rstrip("\n") + f"\n SET search_path TO {PINNED}\n"
        bind.exec_driver_sql((head + sep + _qualified(body)).replace("%", "%%"))


_RETIRED = """
CREATE OR REPLACE FUNCTION appointment_patient_retired() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.status <> 'cancelled' AND EXISTS (
        SELECT 1 FROM public.patient WHERE id = NEW.patient_id AND merged_into_id IS NOT NULL
    ) THEN
        RAISE EXCEPTION 'appointment_patient_retired' USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END
$$
"""

_KEY_GUARD = """
CREATE FUNCTION montu_api_key_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'api key %: a revoked key stays revoked', OLD.name
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.token_hash IS DISTINCT FROM OLD.token_hash THEN
        RAISE EXCEPTION 'api key %: its token cannot be changed (create a new key)', OLD.name
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$
"""


def _create_api_group() -> None:
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{API_GROUP}') THEN
                BEGIN
                    CREATE ROLE {API_GROUP} NOLOGIN;
                EXCEPTION
                    WHEN duplicate_object OR unique_violation THEN NULL;
                    WHEN insufficient_privilege THEN
                        RAISE EXCEPTION 'role {API_GROUP} is missing and % may not create it: '
                            'create it first (README, IT guide)', current_user;
                END;
            END IF;
        END $$
        """
    )
    # The server books as the desks do, so it is held to the desks' rules (outbox guard).
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT pg_catalog.pg_has_role('{API_GROUP}', 'montu_reception', 'MEMBER') THEN
                GRANT montu_reception TO {API_GROUP};
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION '% may not add {API_GROUP} to montu_reception: run '
                '"GRANT montu_reception TO {API_GROUP}" as a superuser (README, IT guide)',
                current_user;
        END $$
        """
    )


def _postgresql() -> None:
    _pin_definer_functions()
    op.execute(_RETIRED)
    op.execute(f"ALTER FUNCTION montu_audit_refuse() SET search_path = {PINNED}")
    # The database's owner may do this; PostgreSQL only warns otherwise (IT guide step).
    op.execute(
        "DO $$ BEGIN EXECUTE pg_catalog.format('REVOKE TEMP ON DATABASE %I FROM PUBLIC',"
        " pg_catalog.current_database()); END $$"
    )
    op.execute(_KEY_GUARD)
    op.execute("REVOKE ALL ON FUNCTION montu_api_key_guard() FROM PUBLIC")
    op.execute(
        "CREATE TRIGGER montu_api_key_guard BEFORE UPDATE ON api_key "
        "FOR EACH ROW EXECUTE FUNCTION montu_api_key_guard()"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER montu_audit_api_key "
        "AFTER INSERT OR UPDATE OR DELETE ON api_key DEFERRABLE INITIALLY DEFERRED "
        "FOR EACH ROW EXECUTE FUNCTION montu_audit_row()"
    )
    _create_api_group()
    for role in ("montu_reception", "montu_manager", "montu_dispatcher"):
        op.execute(f"REVOKE ALL ON api_key FROM {role}")
        op.execute(f"REVOKE ALL ON api_request FROM {role}")
    op.execute(f"GRANT SELECT ({KEY_VISIBLE}) ON api_key TO {STAFF_GROUPS}, montu_dispatcher")
    op.execute("GRANT INSERT ON api_key TO montu_manager")
    op.execute("GRANT UPDATE (revoked_at) ON api_key TO montu_manager")
    op.execute(f"GRANT SELECT ON api_key TO {API_GROUP}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON api_request TO {API_GROUP}")
    op.execute(f"GRANT SELECT, INSERT ON online_booking TO {API_GROUP}")


# ---------------------------------------------------------------- SQLite


def _sqlite() -> None:
    op.execute(
        """
        CREATE TRIGGER montu_api_key_revoked BEFORE UPDATE ON api_key
        WHEN OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS NOT OLD.revoked_at
        BEGIN SELECT RAISE(ABORT, 'a revoked key stays revoked'); END
        """
    )
    op.execute(
        """
        CREATE TRIGGER montu_api_key_token BEFORE UPDATE OF token_hash ON api_key
        WHEN NEW.token_hash IS NOT OLD.token_hash
        BEGIN SELECT RAISE(ABORT, 'a key''s token cannot be changed (create a new key)'); END
        """
    )
    bind = op.get_bind()
    columns = [r[1] for r in bind.execute(sa.text("PRAGMA table_info(api_key)"))]
    changed = " || ".join(
        f"(CASE WHEN OLD.{c} IS NOT NEW.{c} THEN '{c},' ELSE '' END)" for c in columns
    )
    for verb, row, cols in (
        ("insert", "NEW", "'*'"),
        ("update", "NEW", f"rtrim({changed}, ',')"),
        ("delete", "OLD", "'*'"),
    ):
        op.execute(
            f"""
            CREATE TRIGGER montu_audit_api_key_{verb} AFTER {verb.upper()} ON api_key
            BEGIN
                INSERT INTO audit_entry (at, actor, action, subject, details)
                VALUES ({_SQLITE_NOW}, montu_actor(), 'row.api_key.{verb}',
                        'api_key ' || {row}.id,
                        json_object('table', 'api_key', 'id', {row}.id, 'columns', {cols}));
            END
            """
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for name in (
            "montu_api_key_revoked",
            "montu_api_key_token",
            "montu_audit_api_key_insert",
            "montu_audit_api_key_update",
            "montu_audit_api_key_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    op.execute("DROP TRIGGER IF EXISTS montu_audit_api_key ON api_key")
    op.execute("DROP TRIGGER IF EXISTS montu_api_key_guard ON api_key")
    op.execute("DROP FUNCTION IF EXISTS montu_api_key_guard()")
    op.execute(f"REVOKE ALL ON api_key, api_request, online_booking FROM {API_GROUP}")
    op.execute(f"GRANT SELECT ON api_key TO {STAFF_GROUPS}, montu_dispatcher")
    op.execute("GRANT INSERT, UPDATE ON api_key TO montu_manager")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON api_request TO {STAFF_GROUPS}")
    op.execute(
        "DO $$ BEGIN EXECUTE pg_catalog.format('GRANT TEMP ON DATABASE %I TO PUBLIC',"
        " pg_catalog.current_database()); END $$"
    )
    # The qualified bodies stay valid; the path goes back to what 0008 set.
    for _oid, signature in _definer_functions():
        op.execute(f"ALTER FUNCTION {signature} SET search_path = pg_catalog, public")
