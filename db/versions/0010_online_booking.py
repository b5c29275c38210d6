"""Online booking: API keys, types bookable online, cancel tokens and idempotent retries.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 10:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=100), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "rate_per_minute > 0 AND rate_per_minute <= 100000", name="ck_api_key_rate"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="uq_api_key_name"),
        sa.UniqueConstraint("token_hash", name="uq_api_key_token"),
    )
    op.create_table(
        "online_booking",
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("cancel_token_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointment.id"]),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"]),
        sa.PrimaryKeyConstraint("appointment_id"),
    )
    op.create_table(
        "api_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("api_key_id", "idempotency_key", name="uq_api_request_key"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # `montu-desktop serve` signs in as a staff login: it records online bookings and
        # the first answers to retried requests (default privileges give managers the keys).
        op.execute(
            """
            DO $$ BEGIN
              IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'montu_reception') THEN
                GRANT SELECT, INSERT ON online_booking TO montu_reception, montu_manager;
                GRANT SELECT, INSERT, UPDATE, DELETE ON api_request
                  TO montu_reception, montu_manager;
              END IF;
            END $$
            """
        )
    # Plain ADD COLUMN (SQLite has it): a batch copy would drop the appointment triggers.
    op.add_column(
        "appointment_type",
        sa.Column("bookable_online", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "patient",
        sa.Column("booked_online", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("patient", "booked_online")
    op.drop_column("appointment_type", "bookable_online")
    op.drop_table("api_request")
    op.drop_table("online_booking")
    op.drop_table("api_key")
