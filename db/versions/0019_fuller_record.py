"""A fuller patient record: address, Medicare card and IRN, DVA file number, emergency
contact and alerts (issue 28, feature 20).

All columns are nullable (existing patients simply have none of them). An index on
patient.medicare_number: search by Medicare number is an indexed equality on both databases.
No grants are needed: the staff groups already read and update patient rows.

Revision ID: 0019
Revises: 0015
Create Date: 2026-12-06 15:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("address", sa.String(length=200)),
    ("medicare_number", sa.String(length=10)),
    ("medicare_irn", sa.SmallInteger()),
    ("dva_number", sa.String(length=9)),
    ("emergency_name", sa.String(length=100)),
    ("emergency_phone", sa.String(length=20)),
    ("alerts", sa.String(length=60)),
    ("alert_note", sa.String(length=120)),
)


def upgrade() -> None:
    with op.batch_alter_table("patient") as batch:
        for name, kind in _COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_index("ix_patient_medicare", "patient", ["medicare_number"])


def downgrade() -> None:
    op.drop_index("ix_patient_medicare", table_name="patient")
    # Plain DROP COLUMN on both databases: a batch rebuild of `patient` on SQLite would drop
    # its audit triggers and trip the foreign keys that point at it.
    for name, _kind in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE patient DROP COLUMN {name}")
