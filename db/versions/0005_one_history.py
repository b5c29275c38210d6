"""One history: joins the notifications (0002), staff/audit (0003) and live-refresh (0004) branches.

From here on every revision follows the one before it, so `alembic heads` is a single head.

Revision ID: 0005
Revises: 0002, 0003, 0004
Create Date: 2026-11-26 10:10:00
"""

revision = "0005"
down_revision = ("0002", "0003", "0004")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
