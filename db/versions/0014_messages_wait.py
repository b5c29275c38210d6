"""Messages wait for their channel; the worker rolls schedules forward (issue 23, items 6 and 7).

Both databases: a message that failed or died only because its channel (email or SMS) was not
set up is put back as `waiting`, with no tries used, so it goes once the channel is set up
(the dispatcher skips it if its appointment has begun by then).

PostgreSQL: `montu-desktop worker` signs in as a member of montu_dispatcher and now rolls
the schedules forward (issue 23 item 7). It is granted exactly what that writes: it adds
clinic and doctor schedule rows (the roll-forward's replace also deletes, only ever in days
not generated yet), adds public-holiday closures, moves the `schedules.generated_until`
stamp forward, and writes its audit entry. A guard trigger holds the dispatcher to that:
schedule rows only for days after the stamp, and no setting but the stamp, only forward.

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-06 14:00:00
"""

from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None

# The reasons the dispatcher recorded before this revision (notifications/channels.py then).
EMAIL_NOT_SET_UP = "email is not set up (config smtp.host and smtp.sender)"
SMS_NOT_SET_UP = "SMS is not set up (config sms.provider, sms.account, sms.sender)"
STAMP = "schedules.generated_until"
DISPATCHER = "montu_dispatcher"
SCHEDULES = ("clinic_schedule", "doctor_schedule")

# Members of montu_dispatcher that are not managers (a superuser is a member of every role).
_DISPATCHER_ONLY = (
    f"pg_has_role(session_user, '{DISPATCHER}', 'MEMBER')"
    " AND NOT pg_has_role(session_user, 'montu_manager', 'MEMBER')"
)


def upgrade() -> None:
    op.execute(
        f"""
        UPDATE notification SET status = 'waiting', attempts = 0, claimed_by = NULL,
            claimed_until = NULL
        WHERE status IN ('failed', 'dead')
          AND ((channel = 'email' AND last_error = '{EMAIL_NOT_SET_UP}')
            OR (channel = 'sms' AND last_error = '{SMS_NOT_SET_UP}'))
        """
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()


def _postgresql() -> None:
    op.execute(
        f"""
        CREATE FUNCTION montu_dispatcher_schedules() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            row_day date := CASE WHEN TG_OP = 'DELETE' THEN OLD.day ELSE NEW.day END;
            stamp date;
        BEGIN
            IF NOT ({_DISPATCHER_ONLY}) THEN
                RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
            END IF;
            SELECT value::date INTO stamp FROM public.setting WHERE key = '{STAMP}';
            IF stamp IS NOT NULL AND row_day <= stamp THEN
                RAISE EXCEPTION 'the dispatcher only adds schedules after %', stamp
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION montu_dispatcher_setting() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            IF NOT ({_DISPATCHER_ONLY}) THEN
                RETURN NEW;
            END IF;
            IF NEW.key <> '{STAMP}' OR (TG_OP = 'UPDATE' AND OLD.key <> '{STAMP}') THEN
                RAISE EXCEPTION 'the dispatcher may change no setting but {STAMP}'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF TG_OP = 'UPDATE' AND NEW.value::date < OLD.value::date
               OR NEW.value::date > current_date + 3 * 366 THEN
                RAISE EXCEPTION '{STAMP} only moves forward, within the longest horizon'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$
        """
    )
    for function in ("montu_dispatcher_schedules()", "montu_dispatcher_setting()"):
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
    for table in SCHEDULES:
        op.execute(
            f"CREATE TRIGGER montu_dispatcher_{table} BEFORE INSERT OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION montu_dispatcher_schedules()"
        )
        op.execute(f"GRANT INSERT, DELETE ON {table} TO {DISPATCHER}")
    op.execute(
        "CREATE TRIGGER montu_dispatcher_setting BEFORE INSERT OR UPDATE ON setting "
        "FOR EACH ROW EXECUTE FUNCTION montu_dispatcher_setting()"
    )
    op.execute(f"GRANT INSERT, UPDATE ON setting TO {DISPATCHER}")
    op.execute(f"GRANT INSERT ON closure TO {DISPATCHER}")
    op.execute(f"GRANT INSERT ON audit_pending TO {DISPATCHER}")
    op.execute(f"GRANT USAGE ON SEQUENCE audit_pending_id_seq TO {DISPATCHER}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"REVOKE USAGE ON SEQUENCE audit_pending_id_seq FROM {DISPATCHER}")
        op.execute(f"REVOKE INSERT ON audit_pending FROM {DISPATCHER}")
        op.execute(f"REVOKE INSERT ON closure FROM {DISPATCHER}")
        op.execute(f"REVOKE INSERT, UPDATE ON setting FROM {DISPATCHER}")
        op.execute("DROP TRIGGER IF EXISTS montu_dispatcher_setting ON setting")
        for table in SCHEDULES:
            op.execute(f"REVOKE INSERT, DELETE ON {table} FROM {DISPATCHER}")
            op.execute(f"DROP TRIGGER IF EXISTS montu_dispatcher_{table} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS montu_dispatcher_setting()")
        op.execute("DROP FUNCTION IF EXISTS montu_dispatcher_schedules()")
    op.execute(
        f"""
        UPDATE notification SET status = 'dead',
            last_error = CASE channel WHEN 'email' THEN '{EMAIL_NOT_SET_UP}'
                                      ELSE '{SMS_NOT_SET_UP}' END
        WHERE status = 'waiting'
        """
    )
