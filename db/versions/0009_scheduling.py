"""Scheduling a real clinic: doctors' types, waitlist, series, held slots.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 10:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _horizon_limit(weeks: int) -> None:
    with op.batch_alter_table("clinic") as batch:
        batch.drop_constraint("ck_clinic_horizon", type_="check")
        batch.create_check_constraint("ck_clinic_horizon", f"horizon_weeks BETWEEN 1 AND {weeks}")


def upgrade() -> None:
    # A horizon of up to three years (was two), so a 30-month horizon can be kept.
    _horizon_limit(156)
    op.create_table(
        "doctor_type_skipped",
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["doctor_id"], ["doctor.id"]),
        sa.ForeignKeyConstraint(["type_id"], ["appointment_type.id"]),
        sa.PrimaryKeyConstraint("doctor_id", "type_id"),
    )
    op.create_table(
        "held_time",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_held_time_weekday"),
        sa.CheckConstraint("ends > starts", name="ck_held_time_order"),
        sa.ForeignKeyConstraint(["doctor_id"], ["doctor.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "waitlist_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=True),
        sa.Column("from_day", sa.Date(), nullable=True),
        sa.Column("until_day", sa.Date(), nullable=True),
        sa.Column("part", sa.String(length=9), nullable=False),
        sa.Column("note", sa.String(length=400), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "part IN ('morning', 'afternoon', 'any')", name="ck_waitlist_entry_part"
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["type_id"], ["appointment_type.id"]),
        sa.ForeignKeyConstraint(["doctor_id"], ["doctor.id"]),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_waitlist_entry_open", "waitlist_entry", ["closed_at", "type_id"])
    op.create_table(
        "appointment_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "series_occurrence",
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointment.id"]),
        sa.ForeignKeyConstraint(["series_id"], ["appointment_series.id"]),
        sa.PrimaryKeyConstraint("appointment_id"),
    )
    op.create_index("ix_series_occurrence_series", "series_occurrence", ["series_id", "position"])


def downgrade() -> None:
    op.execute("UPDATE clinic SET horizon_weeks = 104 WHERE horizon_weeks > 104")
    _horizon_limit(104)
    op.drop_index("ix_series_occurrence_series", table_name="series_occurrence")
    op.drop_table("series_occurrence")
    op.drop_table("appointment_series")
    op.drop_index("ix_waitlist_entry_open", table_name="waitlist_entry")
    op.drop_table("waitlist_entry")
    op.drop_table("held_time")
    op.drop_table("doctor_type_skipped")
