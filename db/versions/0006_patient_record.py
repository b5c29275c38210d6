"""The patient record: notes, cancel reasons, arrival and completion times, merged patients.

Columns are added with plain ALTER TABLE ADD COLUMN on both databases: a batch copy of the
appointment table on SQLite would drop its no-overlap triggers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_APPOINTMENT_COLUMNS = (
    ("note", sa.String(length=500)),
    ("cancel_reason", sa.String(length=200)),
    ("arrived_at", sa.DateTime(timezone=True)),
    ("completed_at", sa.DateTime(timezone=True)),
)


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    present = _columns("appointment")
    for name, kind in _APPOINTMENT_COLUMNS:
        if name not in present:
            op.add_column("appointment", sa.Column(name, kind, nullable=True))
    patient = _columns("patient")
    if "reminders_opt_out" not in patient:
        op.add_column(
            "patient",
            sa.Column("reminders_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()),
        )
    if "merged_into_id" not in patient:
        op.add_column("patient", sa.Column("merged_into_id", sa.Integer(), nullable=True))
        if op.get_bind().dialect.name == "postgresql":
            # SQLite cannot add a foreign key to an existing table without copying it.
            op.create_foreign_key(
                "fk_patient_merged_into", "patient", "patient", ["merged_into_id"], ["id"]
            )
    _install_retired_guard()


# A retired (merged) patient is never booked again: a booking read just before a merge
# committed would otherwise land on the retired record. Cancelled rows are left alone.
_PG_RETIRED_FUNCTION = """
CREATE OR REPLACE FUNCTION appointment_patient_retired() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> 'cancelled' AND EXISTS (
        SELECT 1 FROM patient WHERE id = NEW.patient_id AND merged_into_id IS NOT NULL
    ) THEN
        RAISE EXCEPTION 'appointment_patient_retired' USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END
$$
"""
_PG_RETIRED_TRIGGER = (
    "CREATE TRIGGER appointment_patient_retired BEFORE INSERT OR UPDATE OF patient_id"
    " ON appointment FOR EACH ROW EXECUTE FUNCTION appointment_patient_retired()"
)
_SQLITE_RETIRED = """
CREATE TRIGGER appointment_patient_retired_{when}
BEFORE {event} ON appointment
WHEN NEW.status <> 'cancelled'
BEGIN
    SELECT RAISE(ABORT, 'appointment_patient_retired')
    WHERE EXISTS (SELECT 1 FROM patient WHERE id = NEW.patient_id AND merged_into_id IS NOT NULL);
END
"""
_SQLITE_RETIRED_EVENTS = {"insert": "INSERT", "update": "UPDATE OF patient_id"}


def _install_retired_guard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_RETIRED_FUNCTION)
        op.execute("DROP TRIGGER IF EXISTS appointment_patient_retired ON appointment")
        op.execute(_PG_RETIRED_TRIGGER)
        return
    for when, event in _SQLITE_RETIRED_EVENTS.items():
        op.execute(f"DROP TRIGGER IF EXISTS appointment_patient_retired_{when}")
        op.execute(_SQLITE_RETIRED.format(when=when, event=event))


def _remove_retired_guard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS appointment_patient_retired ON appointment")
        op.execute("DROP FUNCTION IF EXISTS appointment_patient_retired()")
        return
    for when in _SQLITE_RETIRED_EVENTS:
        op.execute(f"DROP TRIGGER IF EXISTS appointment_patient_retired_{when}")


def downgrade() -> None:
    _remove_retired_guard()
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_patient_merged_into", "patient", type_="foreignkey")
    op.drop_column("patient", "merged_into_id")
    for name, _kind in reversed(_APPOINTMENT_COLUMNS):
        op.drop_column("appointment", name)
