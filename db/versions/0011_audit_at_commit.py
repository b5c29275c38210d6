"""PostgreSQL: audit rows join the audit chain during the commit, not as the rows change.

The audit chain lets one transaction at a time extend it (its insert waits on one advisory
lock held until commit). Written as the rows changed, a booking held that lock from its
appointment insert through the outbox and audit inserts to its commit, and every other
desk's booking queued behind those round trips and behind the desk's own Python: with 16
desks racing, 13 were seen waiting on it while the holder sat "idle in transaction".

Now the row audit of appointments, patients, staff and settings runs as deferred
constraint triggers, and the app's own audit entries go to `audit_pending`, whose deferred
trigger moves them into the chain. Both run inside COMMIT, so the lock is held only while
the server commits. The rows, their order within a transaction, their actor (the server
login) and their hashes are as before; `audit_pending` is empty outside a transaction.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 13:20:00
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

AUDITED = ("appointment", "patient", "staff_account", "setting")
STAFF_GROUPS = "montu_reception, montu_manager"
_STAFF_LOGIN = """
    (SELECT NOT r.rolsuper AND (pg_has_role(session_user, 'montu_reception', 'MEMBER')
        OR pg_has_role(session_user, 'montu_manager', 'MEMBER')
        OR pg_has_role(session_user, 'montu_dispatcher', 'MEMBER'))
     FROM pg_roles r WHERE r.rolname = session_user)
"""


def _event_matches(appointment: str) -> str:
    """montu_event_matches (revision 0008) with the appointment looked up by `appointment`."""
    return f"""
        CREATE OR REPLACE FUNCTION montu_event_matches() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        BEGIN
            IF NOT coalesce({_STAFF_LOGIN}, false) OR NEW.name NOT IN
               ('appointment.booked', 'appointment.rescheduled', 'appointment.cancelled') THEN
                RETURN NULL;
            END IF;
            IF NOT EXISTS (
                SELECT FROM public.appointment a
                WHERE {appointment}
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


_BY_KEY = (
    "a.id = (SELECT v::int FROM (SELECT NEW.payload ->> 'appointment_id' AS v) AS given"
    " WHERE v ~ '^[0-9]{1,9}$')"
)
_BY_TEXT = "a.id::text = NEW.payload ->> 'appointment_id'"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in AUDITED:
        op.execute(f"DROP TRIGGER IF EXISTS montu_audit_{table} ON {table}")
        op.execute(
            f"CREATE CONSTRAINT TRIGGER montu_audit_{table} "
            f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "DEFERRABLE INITIALLY DEFERRED "
            "FOR EACH ROW EXECUTE FUNCTION montu_audit_row()"
        )
    op.execute(
        """
        CREATE TABLE audit_pending (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL,
            actor varchar(100) NOT NULL,
            action varchar(64) NOT NULL,
            subject varchar(200) NOT NULL,
            details json NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE FUNCTION montu_audit_pending_flush() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
            -- session_user is still the desk's login here: the chain trigger names it.
            INSERT INTO public.audit_entry (at, actor, action, subject, details)
            VALUES (NEW.at, NEW.actor, NEW.action, NEW.subject, NEW.details);
            DELETE FROM public.audit_pending WHERE id = NEW.id;
            RETURN NULL;
        END $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION montu_audit_pending_flush() FROM PUBLIC")
    op.execute(
        "CREATE CONSTRAINT TRIGGER montu_audit_pending AFTER INSERT ON audit_pending "
        "DEFERRABLE INITIALLY DEFERRED "
        "FOR EACH ROW EXECUTE FUNCTION montu_audit_pending_flush()"
    )
    for role in ("montu_reception", "montu_manager", "montu_dispatcher"):
        op.execute(f"REVOKE ALL ON audit_pending FROM {role}")
    op.execute(f"GRANT INSERT ON audit_pending TO {STAFF_GROUPS}")
    op.execute(f"GRANT USAGE ON SEQUENCE audit_pending_id_seq TO {STAFF_GROUPS}")
    op.execute(_event_matches(_BY_KEY))
    # montu_require_outbox finds the change's event by this expression.
    op.execute(
        "CREATE INDEX ix_outbox_event_appointment ON outbox_event ((payload ->> 'appointment_id'))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_outbox_event_appointment")
    op.execute(_event_matches(_BY_TEXT))
    op.execute("DROP TABLE IF EXISTS audit_pending")
    op.execute("DROP FUNCTION IF EXISTS montu_audit_pending_flush()")
    for table in AUDITED:
        op.execute(f"DROP TRIGGER IF EXISTS montu_audit_{table} ON {table}")
        op.execute(
            f"CREATE TRIGGER montu_audit_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION montu_audit_row()"
        )
