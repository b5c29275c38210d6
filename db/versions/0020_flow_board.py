"""The patient flow board: called in, in consultation and did not wait, with their times.

Three new appointment times (called_in_at, consultation_at, left_at) and three new statuses
(called_in, in_consultation, did_not_wait) in the status check. On PostgreSQL the staff
logins may update the new time columns, and the status guard (montu_require_outbox) is
re-created from its stored definition with the new (old, new) pairs added, so it keeps the
pinned search_path and schema-qualified names of revision 0012. On SQLite the status check
is widened in place (the documented writable_schema edit for loosening a CHECK constraint):
rebuilding the table would drop its audit triggers, and every stored row already passes.

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-06 15:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TIMES = ("called_in_at", "consultation_at", "left_at")
OLD_CHECK = "status IN ('booked', 'arrived', 'completed', 'no_show', 'cancelled')"
NEW_CHECK = (
    "status IN ('booked', 'arrived', 'called_in', 'in_consultation', 'did_not_wait',"
    " 'completed', 'no_show', 'cancelled')"
)
# The domain's moves (montu_desktop.domain.visits._MOVES) that revision 0008 did not know.
NEW_PAIRS = (
    ("arrived", "called_in"),
    ("arrived", "in_consultation"),
    ("arrived", "did_not_wait"),
    ("called_in", "in_consultation"),
    ("called_in", "completed"),
    ("called_in", "did_not_wait"),
    ("called_in", "arrived"),
    ("called_in", "booked"),
    ("called_in", "cancelled"),
    ("in_consultation", "completed"),
    ("in_consultation", "called_in"),
    ("in_consultation", "booked"),
    ("in_consultation", "cancelled"),
    ("completed", "in_consultation"),
    ("did_not_wait", "arrived"),
    ("did_not_wait", "booked"),
    ("did_not_wait", "cancelled"),
)
_LAST_PAIR = "('completed', 'cancelled'))"
_ADDED = "".join(f", ('{a}', '{b}')" for a, b in NEW_PAIRS)


def upgrade() -> None:
    for name in TIMES:
        op.add_column("appointment", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ck_appointment_status", "appointment", type_="check")
        op.create_check_constraint("ck_appointment_status", "appointment", NEW_CHECK)
        _grant_times()
        _rewrite_guard(_LAST_PAIR, _LAST_PAIR[:-1] + _ADDED + ")")
    else:
        _sqlite_check(OLD_CHECK, NEW_CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rewrite_guard(_LAST_PAIR[:-1] + _ADDED + ")", _LAST_PAIR)
        op.drop_constraint("ck_appointment_status", "appointment", type_="check")
        op.create_check_constraint("ck_appointment_status", "appointment", OLD_CHECK)
    else:
        _sqlite_check(NEW_CHECK, OLD_CHECK)
    for name in TIMES:
        with op.batch_alter_table("appointment", recreate="never") as batch:
            batch.drop_column(name)


def _grant_times() -> None:
    columns = ", ".join(TIMES)
    op.execute(
        f"""
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'montu_reception') THEN
            GRANT UPDATE ({columns}) ON appointment TO montu_reception, montu_manager;
          END IF;
        END $$
        """
    )


def _rewrite_guard(old: str, new: str) -> None:
    """Re-create montu_require_outbox from its stored text with the pairs list changed."""
    bind = op.get_bind()
    oid = bind.execute(
        sa.text(
            "SELECT p.oid FROM pg_catalog.pg_proc p"
            " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'public' AND p.proname = 'montu_require_outbox'"
        )
    ).scalar_one_or_none()
    if oid is None:
        return  # a database made without revision 0008's PostgreSQL part (none in practice)
    definition = bind.execute(
        sa.text("SELECT pg_catalog.pg_get_functiondef(:o)"), {"o": oid}
    ).scalar_one()
    if definition.count(old) != 1:
        raise RuntimeError("montu_require_outbox does not hold the expected status pairs")
    bind.exec_driver_sql(definition.replace(old, new).replace("%", "%%"))


def _sqlite_check(old: str, new: str) -> None:
    bind = op.get_bind()
    sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'appointment'")
    ).scalar_one()
    if sql.count(old) != 1:
        raise RuntimeError("the appointment table does not hold the expected status check")
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text(
            "UPDATE sqlite_master SET sql = :s WHERE type = 'table' AND name = 'appointment'"
        ),
        {"s": sql.replace(old, new)},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))
