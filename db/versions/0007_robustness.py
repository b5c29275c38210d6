"""Robustness: backups and bounded settings (reserved; filled by the issue that needs it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 10:10:00
"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
