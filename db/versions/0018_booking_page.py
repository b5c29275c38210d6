"""Manage-my-booking links in messages: the hash of each link's token, per appointment.

A confirmation or reminder whose template says {manage_link} gets a fresh random token when
the dispatcher writes it; only its SHA-256 is kept here (like API keys and cancel tokens),
and `/manage/{token}` finds the appointment by it.

PostgreSQL: the dispatcher (montu_dispatcher) adds the rows; `serve` (a staff login) reads them.

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-06 14:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "manage_link",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointment.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_manage_link_appointment_id", "manage_link", ["appointment_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            DO $$ BEGIN
              IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'montu_reception') THEN
                GRANT SELECT ON manage_link TO montu_reception, montu_manager;
              END IF;
              IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'montu_dispatcher') THEN
                GRANT SELECT, INSERT ON manage_link TO montu_dispatcher;
              END IF;
            END $$
            """
        )


def downgrade() -> None:
    op.drop_index("ix_manage_link_appointment_id", table_name="manage_link")
    op.drop_table("manage_link")
