"""Online bookings in one transaction: the patients to check, and who answers a retried request.

`patient.online_unchecked` marks a record an online booking created because no record
matched the identity rule (given name, family name, date of birth and phone or email): the
desk checks it (merge into the person's record, or keep as new). `api_request.claimed_by`
names the server process answering a request sent with an Idempotency-Key, so that a retry
after that process died takes the claim over instead of waiting a day.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-06 14:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it): a batch copy would drop the tables' triggers.
    op.add_column(
        "patient",
        sa.Column("online_unchecked", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("api_request", sa.Column("claimed_by", sa.String(length=120), nullable=True))


def downgrade() -> None:
    op.drop_column("api_request", "claimed_by")
    op.drop_column("patient", "online_unchecked")
