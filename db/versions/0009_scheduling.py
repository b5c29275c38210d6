"""Scheduling a real clinic: doctors' types, waitlist, series, held slots.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 10:10:00
"""

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
