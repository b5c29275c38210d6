"""Work-ins: an appointment squeezed in over a booked time, on purpose and with a reason.

A work-in is an appointment whose `work_in_reason` is set. The doctor's no-overlap guard
leaves work-ins out (both sides of the comparison), so a work-in may overlap the doctor's
other appointments; every overlap that is not a work-in is still refused, and the patient's
guard is unchanged (a patient is never in two places). On PostgreSQL the exclusion
constraint is re-made with the narrower predicate, and a trigger refuses a work-in written by
a login that may not make one (a receptionist, unless the `work_ins.receptionists` setting is
on): who may do what is enforced where the data lives. Staff may not update the column (a
booked appointment cannot be turned into a work-in afterwards). On SQLite the doctor's
overlap triggers are re-made.

Revision ID: 0022
Revises: 0021_feeds
Create Date: 2026-12-06 17:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021_feeds"
branch_labels = None
depends_on = None

_SQLITE_DOCTOR_GUARD = """
CREATE TRIGGER appointment_doctor_overlap_{when}
BEFORE {event} ON appointment
WHEN NEW.status <> 'cancelled' AND {new_filter}
BEGIN
    SELECT RAISE(ABORT, 'appointment_doctor_overlap')
    WHERE EXISTS (
        SELECT 1 FROM appointment AS other
        WHERE other.doctor_id = NEW.doctor_id
          AND other.status <> 'cancelled'
          AND {other_filter}
          AND other.id IS NOT NEW.id
          AND other.start_at < NEW.end_at
          AND other.start_at > datetime(NEW.start_at, '-480 minutes')
          AND other.end_at > NEW.start_at
    );
END
"""


def _sqlite_guard(*, work_ins_left_out: bool) -> None:
    events = {
        "insert": "INSERT",
        "update": "UPDATE OF start_at, end_at, doctor_id, patient_id, status"
        + (", work_in_reason" if work_ins_left_out else ""),
    }
    for when, event in events.items():
        op.execute(f"DROP TRIGGER IF EXISTS appointment_doctor_overlap_{when}")
        op.execute(
            _SQLITE_DOCTOR_GUARD.format(
                when=when,
                event=event,
                new_filter="NEW.work_in_reason IS NULL" if work_ins_left_out else "1",
                other_filter="other.work_in_reason IS NULL" if work_ins_left_out else "1",
            )
        )


def _pg_guard(predicate: str) -> None:
    op.execute("ALTER TABLE appointment DROP CONSTRAINT IF EXISTS appointment_doctor_overlap")
    op.execute(
        "ALTER TABLE appointment ADD CONSTRAINT appointment_doctor_overlap "
        "EXCLUDE USING gist (doctor_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
        f"WHERE ({predicate})"
    )


_PG_WHO_MAY = """
CREATE OR REPLACE FUNCTION public.montu_work_in_allowed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.work_in_reason IS NULL THEN
        RETURN NEW;
    END IF;
    IF pg_catalog.length(pg_catalog.btrim(NEW.work_in_reason)) = 0 THEN
        RAISE EXCEPTION 'a work-in needs a reason' USING ERRCODE = 'check_violation';
    END IF;
    IF NOT pg_catalog.pg_has_role(session_user, 'montu_manager', 'MEMBER')
       AND pg_catalog.pg_has_role(session_user, 'montu_reception', 'MEMBER')
       AND NOT EXISTS (
           SELECT 1 FROM public.setting
           WHERE key = 'work_ins.receptionists' AND value = 'on'
       ) THEN
        RAISE EXCEPTION 'only a manager may book a work-in' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
"""


def upgrade() -> None:
    op.add_column("appointment", sa.Column("work_in_reason", sa.String(200), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        _sqlite_guard(work_ins_left_out=True)
        return
    _pg_guard("status <> 'cancelled' AND work_in_reason IS NULL")
    op.execute(_PG_WHO_MAY)
    op.execute(
        "CREATE TRIGGER appointment_work_in_allowed BEFORE INSERT ON appointment "
        "FOR EACH ROW EXECUTE FUNCTION public.montu_work_in_allowed()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _sqlite_guard(work_ins_left_out=False)
        op.drop_column("appointment", "work_in_reason")
        return
    op.execute("DROP TRIGGER IF EXISTS appointment_work_in_allowed ON appointment")
    op.execute("DROP FUNCTION IF EXISTS public.montu_work_in_allowed()")
    _pg_guard("status <> 'cancelled'")
    op.drop_column("appointment", "work_in_reason")
