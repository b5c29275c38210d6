"""Security where the data lives: roles, grants, server-written audit chain.

Both databases: the audit table gets a hash chain (chain_seq, prev_hash, row_hash, db_user)
filled in by the database when a row is inserted, triggers that refuse changing or removing
audit rows, and triggers that write an audit row for every insert, update and delete of
appointments, patients, staff accounts and settings.

PostgreSQL only: the group roles montu_reception, montu_manager and montu_dispatcher
(created when missing), grants per group (reception: read, add and edit patients, book and
move; managers: also settings, rosters, types, clinic; dispatcher: notifications only),
every other grant on the schema's tables taken away, staff accounts as login roles managed
through SECURITY DEFINER functions, and a check that a staff login never books, moves or
cancels an appointment without its outbox event in the same transaction.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 10:10:00
"""

import sqlalchemy as sa
from alembic import op

from montu_desktop.persistence.security import (
    DISPATCHER_GROUP,
    GROUPS,
    MANAGER_GROUP,
    RECEPTION_GROUP,
    content_sql,
    link_hash,
)

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

AUDITED = ("appointment", "patient", "staff_account", "setting")
REFERENCE = (
    "clinic",
    "opening_hours",
    "closure",
    "clinic_schedule",
    "doctor",
    "roster_template",
    "doctor_schedule",
    "appointment_type",
    "roster_exception",
    "holiday_kept_open",
    "setting",
)
STAFF_VISIBLE = "id, username, display_name, role, active, created_at, updated_at"
APPOINTMENT_MOVABLE = (
    "doctor_id, start_at, end_at, status, updated_at, note, cancel_reason, arrived_at, completed_at"
)
LOCK_AUDIT = 724134


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("chain_seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("db_user", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    op.create_index("ux_audit_entry_chain", "audit_entry", ["chain_seq"], unique=True)
    _chain_existing_rows()
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def _chain_existing_rows() -> None:
    """Rows written before this revision join the chain in the order they were written."""
    bind = op.get_bind()
    ids = [r[0] for r in bind.execute(sa.text("SELECT id FROM audit_entry ORDER BY id"))]
    previous = ""
    for seq, entry_id in enumerate(ids, start=1):
        bind.execute(
            sa.text("UPDATE audit_entry SET chain_seq = :s, prev_hash = :p WHERE id = :i"),
            {"s": seq, "p": previous, "i": entry_id},
        )
        content = bind.execute(
            sa.text(f"SELECT {content_sql(bind.dialect.name)} FROM audit_entry WHERE id = :i"),
            {"i": entry_id},
        ).scalar_one()
        previous = link_hash(previous, content)
        bind.execute(
            sa.text("UPDATE audit_entry SET row_hash = :h WHERE id = :i"),
            {"h": previous, "i": entry_id},
        )


# ---------------------------------------------------------------- SQLite

_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"


def _sqlite() -> None:
    content = content_sql("sqlite")
    op.execute(
        f"""
        CREATE TRIGGER montu_audit_chain AFTER INSERT ON audit_entry
        WHEN NEW.row_hash IS NULL
        BEGIN
            UPDATE audit_entry SET
                chain_seq = (SELECT coalesce(max(chain_seq), 0) + 1 FROM audit_entry),
                prev_hash = coalesce((SELECT row_hash FROM audit_entry WHERE chain_seq =
                    (SELECT max(chain_seq) FROM audit_entry)), '')
            WHERE id = NEW.id;
            UPDATE audit_entry SET row_hash = montu_sha256(prev_hash || '|' || {content})
            WHERE id = NEW.id;
        END
        """
    )
    op.execute(
        """
        CREATE TRIGGER montu_audit_no_update BEFORE UPDATE ON audit_entry
        WHEN OLD.row_hash IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed or removed'); END
        """
    )
    op.execute(
        """
        CREATE TRIGGER montu_audit_no_delete BEFORE DELETE ON audit_entry
        BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed or removed'); END
        """
    )
    bind = op.get_bind()
    for table in AUDITED:
        columns = [r[1] for r in bind.execute(sa.text(f"PRAGMA table_info({table})"))]
        key = "key" if table == "setting" else "id"
        changed = " || ".join(
            f"(CASE WHEN OLD.{c} IS NOT NEW.{c} THEN '{c},' ELSE '' END)"
            for c in columns
            if c != "updated_at"
        )
        values = ""
        if table == "setting":
            values = ", 'value', NEW.value"
        for verb, row, cols in (
            ("insert", "NEW", "'*'"),
            ("update", "NEW", f"rtrim({changed}, ',')"),
            ("delete", "OLD", "'*'"),
        ):
            extra = values if verb != "delete" else ""
            op.execute(
                f"""
                CREATE TRIGGER montu_audit_{table}_{verb} AFTER {verb.upper()} ON {table}
                BEGIN
                    INSERT INTO audit_entry (at, actor, action, subject, details)
                    VALUES ({_SQLITE_NOW}, montu_actor(), 'row.{table}.{verb}',
                            '{table} ' || {row}.{key},
                            json_object('table', '{table}', 'id', {row}.{key},
                                        'columns', {cols}{extra}));
                END
                """
            )


# ---------------------------------------------------------------- PostgreSQL


def _postgresql() -> None:
    # On a server people sign in as their own logins: the app's argon2 hashes are not used
    # any more, so they are not kept (IT re-creates those accounts with `staff add`).
    op.execute("UPDATE staff_account SET password_hash = ''")
    _create_groups()
    _audit_functions()
    _staff_functions()
    _outbox_guard()
    # Live-refresh notifications are sent with the owner's rights, so pg_notify can be
    # taken away from PUBLIC (by a superuser: see the IT guide) without breaking them.
    op.execute("ALTER FUNCTION montu_notify_change() SECURITY DEFINER")
    op.execute("ALTER FUNCTION montu_notify_change() SET search_path = pg_catalog, public")
    _revoke_foreign_grants()
    _grant()


def _create_groups() -> None:
    names = ", ".join(f"'{g}'" for g in GROUPS)
    op.execute(
        f"""
        DO $$
        DECLARE g text;
        BEGIN
            FOREACH g IN ARRAY ARRAY[{names}] LOOP
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = g) THEN
                    BEGIN
                        EXECUTE format('CREATE ROLE %I NOLOGIN', g);
                    EXCEPTION
                        WHEN duplicate_object OR unique_violation THEN NULL;
                        WHEN insufficient_privilege THEN
                            RAISE EXCEPTION 'role % is missing and % may not create it: '
                                'create montu_reception, montu_manager and montu_dispatcher '
                                'first (README, IT guide)', g, current_user;
                    END;
                END IF;
            END LOOP;
        END $$
        """
    )


_STAFF_LOGIN = f"""
    (SELECT NOT r.rolsuper AND (pg_has_role(session_user, '{RECEPTION_GROUP}', 'MEMBER')
        OR pg_has_role(session_user, '{MANAGER_GROUP}', 'MEMBER')
        OR pg_has_role(session_user, '{DISPATCHER_GROUP}', 'MEMBER'))
     FROM pg_roles r WHERE r.rolname = session_user)
"""


def _audit_functions() -> None:
    content = content_sql("postgresql", "NEW")
    op.execute(
        f"""
        CREATE FUNCTION montu_audit_chain() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        DECLARE
            last_seq bigint;
            last_hash text;
        BEGIN
            -- One writer at a time extends the chain, in commit order.
            PERFORM pg_advisory_xact_lock({LOCK_AUDIT});
            NEW.db_user := session_user;
            IF coalesce({_STAFF_LOGIN}, false) THEN
                NEW.actor := session_user;
                NEW.at := now();
            END IF;
            SELECT chain_seq, row_hash INTO last_seq, last_hash FROM public.audit_entry
            WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
            NEW.chain_seq := coalesce(last_seq, 0) + 1;
            NEW.prev_hash := coalesce(last_hash, '');
            NEW.row_hash := encode(sha256(convert_to(NEW.prev_hash || '|' || {content}, 'UTF8')), 'hex');
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION montu_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit entries cannot be changed or removed'
                USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER montu_audit_chain BEFORE INSERT ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION montu_audit_chain()"
    )
    op.execute(
        "CREATE TRIGGER montu_audit_no_change BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION montu_audit_refuse()"
    )
    op.execute(
        "CREATE TRIGGER montu_audit_no_truncate BEFORE TRUNCATE ON audit_entry "
        "FOR EACH STATEMENT EXECUTE FUNCTION montu_audit_refuse()"
    )
    op.execute(
        """
        CREATE FUNCTION montu_audit_row() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        DECLARE
            newj jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
            oldj jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
            cur jsonb := coalesce(newj, oldj);
            key text := coalesce(cur->>'id', cur->>'key');
            changed jsonb;
            details jsonb;
        BEGIN
            SELECT coalesce(jsonb_agg(k ORDER BY k), '[]'::jsonb) INTO changed
            FROM jsonb_object_keys(coalesce(newj, '{}'::jsonb) || coalesce(oldj, '{}'::jsonb)) k
            WHERE (newj -> k) IS DISTINCT FROM (oldj -> k) AND k <> 'updated_at';
            details := jsonb_build_object('table', TG_TABLE_NAME, 'id', key, 'columns', changed);
            -- Appointment and setting values say what changed; patient and staff rows
            -- name the columns only (no patient details, no password hashes in the log),
            -- and an appointment's note (the reason for the visit) is named, never copied.
            IF TG_TABLE_NAME IN ('appointment', 'setting') AND newj IS NOT NULL THEN
                details := details || jsonb_build_object('values', (
                    SELECT jsonb_object_agg(k, newj -> k)
                    FROM jsonb_array_elements_text(changed) k WHERE k <> 'note'));
            END IF;
            INSERT INTO public.audit_entry (at, actor, action, subject, details)
            VALUES (now(), session_user, 'row.' || TG_TABLE_NAME || '.' || lower(TG_OP),
                    TG_TABLE_NAME || ' ' || key, details::json);
            RETURN NULL;
        END $$
        """
    )
    for table in AUDITED:
        op.execute(
            f"CREATE TRIGGER montu_audit_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION montu_audit_row()"
        )


_MANAGER_ONLY = """
    IF NOT (pg_has_role(session_user, 'montu_manager', 'MEMBER')
            OR pg_has_role(session_user, current_user, 'MEMBER')) THEN
        RAISE EXCEPTION 'only a manager can change staff accounts'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
"""

_STAFF_TARGET = """
    SELECT role INTO current_role_name FROM public.staff_account WHERE username = p_username;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no staff account named %', p_username USING ERRCODE = 'no_data_found';
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = p_username
               AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls))
       OR p_username = current_user THEN
        RAISE EXCEPTION '% is not a staff login', p_username USING ERRCODE = 'insufficient_privilege';
    END IF;
"""

_LAST_MANAGER = """
    IF current_role_name = 'manager' AND NOT EXISTS (
        SELECT FROM public.staff_account
        WHERE role = 'manager' AND active AND username <> p_username) THEN
        RAISE EXCEPTION 'is the last active manager; add another manager first'
            USING ERRCODE = 'check_violation';
    END IF;
"""


def _staff_functions() -> None:
    head = "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$"
    op.execute(
        f"""
        CREATE FUNCTION montu_staff_add(p_username text, p_display_name text,
                                        p_verifier text, p_role text) RETURNS integer
        {head}
        DECLARE new_id integer;
        BEGIN
            {_MANAGER_ONLY}
            IF p_username !~ '^[a-z0-9][a-z0-9._-]{{1,63}}$' THEN
                RAISE EXCEPTION 'username: use 2-64 letters, digits, dots, dashes or underscores'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF p_role NOT IN ('receptionist', 'manager') THEN
                RAISE EXCEPTION 'role: must be receptionist or manager'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF p_verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
                RAISE EXCEPTION 'password: only a SCRAM verifier is accepted'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = p_username) THEN
                RAISE EXCEPTION 'username: % is already taken on this server', p_username
                    USING ERRCODE = 'unique_violation';
            END IF;
            EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', p_username,
                           p_verifier, CASE p_role WHEN 'manager' THEN '{MANAGER_GROUP}'
                                                   ELSE '{RECEPTION_GROUP}' END);
            -- An account from before logins (its row, no login role) is taken over.
            INSERT INTO public.staff_account
                (username, display_name, password_hash, role, active, created_at, updated_at)
            VALUES (p_username, left(p_display_name, 200), '', p_role, true, now(), now())
            ON CONFLICT (username) DO UPDATE SET display_name = EXCLUDED.display_name,
                role = EXCLUDED.role, active = true, password_hash = '', updated_at = now()
            RETURNING id INTO new_id;
            RETURN new_id;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION montu_staff_password(p_username text, p_verifier text) RETURNS void
        {head}
        DECLARE current_role_name text;
        BEGIN
            {_MANAGER_ONLY}
            {_STAFF_TARGET}
            IF p_verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
                RAISE EXCEPTION 'password: only a SCRAM verifier is accepted'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            EXECUTE format('ALTER ROLE %I PASSWORD %L', p_username, p_verifier);
            UPDATE public.staff_account SET updated_at = now() WHERE username = p_username;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION montu_staff_active(p_username text, p_active boolean) RETURNS void
        {head}
        DECLARE current_role_name text;
        BEGIN
            {_MANAGER_ONLY}
            {_STAFF_TARGET}
            IF NOT p_active THEN
                {_LAST_MANAGER}
            END IF;
            EXECUTE format('ALTER ROLE %I %s', p_username,
                           CASE WHEN p_active THEN 'LOGIN' ELSE 'NOLOGIN' END);
            UPDATE public.staff_account SET active = p_active, updated_at = now()
            WHERE username = p_username;
            IF NOT p_active THEN
                -- Desks still connected as that login lose the connection now (needs
                -- pg_signal_backend for a non-superuser owner; otherwise at their next sign-in).
                BEGIN
                    PERFORM pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE usename = p_username AND pid <> pg_backend_pid();
                EXCEPTION WHEN insufficient_privilege THEN NULL;
                END;
            END IF;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION montu_staff_role(p_username text, p_role text) RETURNS void
        {head}
        DECLARE current_role_name text;
        BEGIN
            {_MANAGER_ONLY}
            {_STAFF_TARGET}
            IF p_role NOT IN ('receptionist', 'manager') THEN
                RAISE EXCEPTION 'role: must be receptionist or manager'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF p_role = 'receptionist' THEN
                {_LAST_MANAGER}
                EXECUTE format('GRANT {RECEPTION_GROUP} TO %I', p_username);
                EXECUTE format('REVOKE {MANAGER_GROUP} FROM %I', p_username);
            ELSE
                EXECUTE format('GRANT {MANAGER_GROUP} TO %I', p_username);
                EXECUTE format('REVOKE {RECEPTION_GROUP} FROM %I', p_username);
            END IF;
            UPDATE public.staff_account SET role = p_role, updated_at = now()
            WHERE username = p_username;
        END $$
        """
    )
    for signature in (
        "montu_staff_add(text, text, text, text)",
        "montu_staff_password(text, text)",
        "montu_staff_active(text, boolean)",
        "montu_staff_role(text, text)",
    ):
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {MANAGER_GROUP}")
    for signature in ("montu_audit_chain()", "montu_audit_row()", "montu_audit_refuse()"):
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")


def _outbox_guard() -> None:
    """What a staff login writes to appointments follows the desk's rules even from psql: a
    booking, move or cancellation carries its outbox event (same transaction), or no
    confirmation would go out and no desk would hear of it; a booked or moved appointment
    lasts its type's length inside the doctor's rostered time; a status changes only as the
    day book allows. Checked at commit (deferred), for staff logins only (IT's and the
    owner's repairs are not held to it)."""
    bind = op.get_bind()
    modern = int(bind.execute(sa.text("SHOW server_version_num")).scalar_one()) >= 140000
    # PostgreSQL 14+ joins adjacent roster blocks as the app does; 13 checks one block.
    covered = (
        "(SELECT range_agg(tstzrange(ds.start_at, ds.end_at)) FROM public.doctor_schedule ds"
        " WHERE ds.doctor_id = NEW.doctor_id AND ds.start_at < NEW.end_at"
        " AND ds.end_at > NEW.start_at) @> tstzrange(NEW.start_at, NEW.end_at)"
        if modern
        else "EXISTS (SELECT FROM public.doctor_schedule ds WHERE ds.doctor_id = NEW.doctor_id"
        " AND ds.start_at <= NEW.start_at AND ds.end_at >= NEW.end_at)"
    )
    op.execute(
        f"""
        CREATE FUNCTION montu_require_outbox() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        DECLARE
            moved boolean := TG_OP = 'INSERT' OR NEW.start_at <> OLD.start_at
                OR NEW.end_at <> OLD.end_at OR NEW.doctor_id <> OLD.doctor_id;
        BEGIN
            IF NOT coalesce({_STAFF_LOGIN}, false) THEN
                RETURN NULL;
            END IF;
            IF TG_OP = 'UPDATE' AND NEW.status IS DISTINCT FROM OLD.status
               AND (OLD.status, NEW.status) NOT IN (
                   ('booked', 'arrived'), ('booked', 'no_show'), ('booked', 'cancelled'),
                   ('arrived', 'completed'), ('arrived', 'booked'), ('arrived', 'cancelled'),
                   ('no_show', 'booked'), ('no_show', 'cancelled'), ('completed', 'arrived'),
                   ('completed', 'booked'), ('completed', 'cancelled')) THEN
                RAISE EXCEPTION 'appointment %: % cannot become %', NEW.id, OLD.status, NEW.status
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF moved AND NEW.status <> 'cancelled' THEN
                IF NOT EXISTS (SELECT FROM public.appointment_type k WHERE k.id = NEW.type_id
                               AND NEW.end_at - NEW.start_at = make_interval(mins => k.length_minutes))
                   OR NOT coalesce({covered}, false) THEN
                    RAISE EXCEPTION 'appointment % is not its type''s length inside the doctor''s rostered time', NEW.id
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
            END IF;
            IF NOT moved AND (NEW.status = 'cancelled') = (OLD.status = 'cancelled') THEN
                RETURN NULL;
            END IF;
            IF NOT EXISTS (SELECT FROM public.outbox_event o
                           WHERE o.xmin = pg_current_xact_id()::xid
                             AND o.payload ->> 'appointment_id' = NEW.id::text) THEN
                RAISE EXCEPTION 'appointment % changed without its outbox event', NEW.id
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION montu_require_outbox() FROM PUBLIC")
    # The other way round: an appointment event from a staff login must report a change
    # made in the same transaction, or a desk could have patients sent made-up
    # confirmations or cancellations (and their reminders withdrawn).
    op.execute(
        f"""
        CREATE FUNCTION montu_event_matches() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        BEGIN
            IF NOT coalesce({_STAFF_LOGIN}, false) OR NEW.name NOT IN
               ('appointment.booked', 'appointment.rescheduled', 'appointment.cancelled') THEN
                RETURN NULL;
            END IF;
            IF NOT EXISTS (
                SELECT FROM public.appointment a
                WHERE a.id::text = NEW.payload ->> 'appointment_id'
                  AND a.patient_id::text = NEW.payload ->> 'patient_id'
                  AND a.xmin = pg_current_xact_id()::xid
                  AND CASE WHEN NEW.name = 'appointment.cancelled' THEN a.status = 'cancelled'
                      ELSE a.status <> 'cancelled'
                           AND a.start_at = (NEW.payload ->> 'start')::timestamptz END) THEN
                RAISE EXCEPTION 'outbox event % does not match a change made with it', NEW.id
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION montu_event_matches() FROM PUBLIC")
    op.execute(
        "CREATE CONSTRAINT TRIGGER montu_outbox_matches AFTER INSERT ON outbox_event "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION montu_event_matches()"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER montu_appointment_outbox AFTER INSERT OR UPDATE ON appointment "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION montu_require_outbox()"
    )


def _revoke_foreign_grants() -> None:
    """Take away every grant on the schema's tables and sequences this revision does not make
    (e.g. the shared desk login's SELECT, INSERT, UPDATE, DELETE from the old guide), and the
    owner's default privileges that would hand them out again on new tables."""
    op.execute(
        """
        DO $$
        DECLARE r record;
        BEGIN
            FOR r IN
                SELECT c.relname, c.relkind, a.grantee
                FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                CROSS JOIN LATERAL aclexplode(c.relacl) a
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
                  AND a.grantee <> c.relowner AND a.grantor = (SELECT oid FROM pg_roles WHERE rolname = current_user)
            LOOP
                EXECUTE format('REVOKE ALL ON %s %I FROM %s',
                    CASE WHEN r.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.relname,
                    CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.grantee)) END);
            END LOOP;
            FOR r IN
                SELECT d.defaclobjtype, a.grantee
                FROM pg_default_acl d CROSS JOIN LATERAL aclexplode(d.defaclacl) a
                WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
                  AND d.defaclobjtype IN ('r', 'S') AND a.grantee <> d.defaclrole
            LOOP
                EXECUTE format('ALTER DEFAULT PRIVILEGES REVOKE ALL ON %s FROM %s',
                    CASE WHEN r.defaclobjtype = 'S' THEN 'SEQUENCES' ELSE 'TABLES' END,
                    CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.grantee)) END);
            END LOOP;
        END $$
        """
    )
    # The owner of the database (PostgreSQL 15+: of schema public) may do this; otherwise
    # PostgreSQL only warns and the IT guide's superuser step does it.
    op.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")


def _grant() -> None:
    bind = op.get_bind()
    tables = [
        r[0]
        for r in bind.execute(
            sa.text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
            )
        )
    ]
    sequences = [
        r[0]
        for r in bind.execute(
            sa.text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'S'"
            )
        )
    ]
    staff_groups = f"{RECEPTION_GROUP}, {MANAGER_GROUP}"
    special = {"staff_account", "audit_entry", "alembic_version", "notification", "outbox_event"}
    for table in tables:
        if table in special:
            continue
        # Clinic data (and tables of other revisions): every staff login reads them.
        op.execute(f"GRANT SELECT ON {table} TO {staff_groups}, {DISPATCHER_GROUP}")
        if table in REFERENCE or table not in ("patient", "appointment"):
            op.execute(f"GRANT INSERT, UPDATE, DELETE ON {table} TO {MANAGER_GROUP}")
    op.execute(f"GRANT SELECT ON alembic_version TO {staff_groups}, {DISPATCHER_GROUP}")
    op.execute(f"GRANT SELECT ({STAFF_VISIBLE}) ON staff_account TO {staff_groups}")
    # Patients: added and edited at the desk, never removed.
    op.execute(f"GRANT INSERT, UPDATE ON patient TO {staff_groups}")
    # Appointments: booked, moved, marked and cancelled (a status), never removed.
    op.execute(f"GRANT INSERT ON appointment TO {staff_groups}")
    op.execute(f"GRANT UPDATE ({APPOINTMENT_MOVABLE}) ON appointment TO {staff_groups}")
    # Merging a duplicate patient (managers) moves their appointments to the kept record.
    op.execute(f"GRANT UPDATE (patient_id) ON appointment TO {MANAGER_GROUP}")
    op.execute(f"GRANT SELECT, INSERT ON outbox_event TO {staff_groups}")
    op.execute(f"GRANT SELECT (id), INSERT ON audit_entry TO {staff_groups}")
    op.execute(f"GRANT SELECT ON audit_entry TO {MANAGER_GROUP}")
    op.execute(f"GRANT SELECT ON notification TO {staff_groups}")
    op.execute(f"GRANT UPDATE ON notification TO {MANAGER_GROUP}")
    # The dispatcher plans and sends: it claims and updates notifications, marks events done.
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON notification TO {DISPATCHER_GROUP}")
    op.execute(f"GRANT SELECT, UPDATE (processed_at) ON outbox_event TO {DISPATCHER_GROUP}")
    for sequence in sequences:
        op.execute(f"GRANT USAGE ON SEQUENCE {sequence} TO {staff_groups}, {DISPATCHER_GROUP}")
    # Tables added by later revisions: readable by staff, writable by managers, unless
    # that revision grants otherwise.
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT ON TABLES TO {staff_groups}, {DISPATCHER_GROUP}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT INSERT, UPDATE ON TABLES TO {MANAGER_GROUP}"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT USAGE ON SEQUENCES TO {staff_groups}, {DISPATCHER_GROUP}"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS montu_appointment_outbox ON appointment")
        op.execute("DROP TRIGGER IF EXISTS montu_outbox_matches ON outbox_event")
        for table in AUDITED:
            op.execute(f"DROP TRIGGER IF EXISTS montu_audit_{table} ON {table}")
        for trigger in ("montu_audit_chain", "montu_audit_no_change", "montu_audit_no_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON audit_entry")
        for function in (
            "montu_require_outbox()",
            "montu_event_matches()",
            "montu_audit_row()",
            "montu_audit_chain()",
            "montu_audit_refuse()",
            "montu_staff_add(text, text, text, text)",
            "montu_staff_password(text, text)",
            "montu_staff_active(text, boolean)",
            "montu_staff_role(text, text)",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    else:
        for table in AUDITED:
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS montu_audit_{table}_{verb}")
        for trigger in ("montu_audit_chain", "montu_audit_no_update", "montu_audit_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_index("ux_audit_entry_chain", table_name="audit_entry")
    with op.batch_alter_table("audit_entry") as batch:
        for column in ("row_hash", "prev_hash", "db_user", "chain_seq"):
            batch.drop_column(column)
