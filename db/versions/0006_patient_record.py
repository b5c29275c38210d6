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


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_patient_merged_into", "patient", type_="foreignkey")
    op.drop_column("patient", "merged_into_id")
    for name, _kind in reversed(_APPOINTMENT_COLUMNS):
        op.drop_column("appointment", name)
