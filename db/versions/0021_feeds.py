"""Doctors' calendar feeds: the hash of each doctor's secret feed token (issue 27 item 5).

`GET /v1/calendar/{doctor_id}.ics?token=…` finds its doctor by the SHA-256 of the token
(like API keys: the token itself is shown once and never kept). A doctor has at most one
live token (a partial unique index); revoking sets `revoked_at`, and a revoked row is kept
for the record.

PostgreSQL: like `api_key` (revision 0012), managers create and revoke tokens and staff see
which doctors have one, but only the server's group `montu_api` reads the token hashes.

Revision ID: 0021_feeds
Revises: 0020 (the lead re-chains)
Create Date: 2026-12-06 17:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_feeds"
down_revision = "0020"
branch_labels = None
depends_on = None

VISIBLE = "id, doctor_id, created_at, created_by, revoked_at"


def upgrade() -> None:
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["doctor_id"], ["doctor.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash", name="uq_calendar_feed_token"),
    )
    op.create_index(
        "uq_calendar_feed_live",
        "calendar_feed",
        ["doctor_id"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            DO $$ BEGIN
              IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'montu_reception') THEN
                REVOKE ALL ON calendar_feed FROM montu_reception, montu_manager;
                GRANT SELECT ({VISIBLE}) ON calendar_feed TO montu_reception, montu_manager;
                GRANT INSERT ON calendar_feed TO montu_manager;
                GRANT UPDATE (revoked_at) ON calendar_feed TO montu_manager;
              END IF;
              IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'montu_dispatcher') THEN
                REVOKE ALL ON calendar_feed FROM montu_dispatcher;
              END IF;
              IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'montu_api') THEN
                GRANT SELECT ON calendar_feed TO montu_api;
              END IF;
            END $$
            """
        )


def downgrade() -> None:
    op.drop_index("uq_calendar_feed_live", table_name="calendar_feed")
    op.drop_table("calendar_feed")
