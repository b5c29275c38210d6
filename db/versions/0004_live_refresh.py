"""Live refresh: PostgreSQL announces every committed change on the `montu_changes` channel.

Statement-level triggers send pg_notify('montu_changes', what) where `what` is
"appointments", "patients" or "reference", so every PC's change feed (and any other tool
writing to the database) is heard. PostgreSQL delivers a notification only when the
transaction commits, and folds identical ones within a transaction into one. SQLite has no
notifications: this revision does nothing there and the desks poll instead.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-25 13:10:00
"""

from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None

CHANNEL = "montu_changes"
WATCHED = {
    "appointment": "appointments",
    "patient": "patients",
    "clinic": "reference",
    "opening_hours": "reference",
    "closure": "reference",
    "clinic_schedule": "reference",
    "doctor": "reference",
    "roster_template": "reference",
    "doctor_schedule": "reference",
    "appointment_type": "reference",
    "setting": "reference",
}

_FUNCTION = f"""
CREATE OR REPLACE FUNCTION montu_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', TG_ARGV[0]);
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTION)
    for table, what in WATCHED.items():
        op.execute(
            f"CREATE TRIGGER montu_live_{table} "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION montu_notify_change('{what}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS montu_live_{table} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS montu_notify_change()")
