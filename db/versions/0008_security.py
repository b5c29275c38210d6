"""Security where the data lives: roles, grants, server-written audit chain.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 10:10:00
"""

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
