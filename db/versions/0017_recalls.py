"""Recalls: patients due back for a follow-up ("skin check in 6 months").

A recall is `due` until a booking of its type closes it (`booked`, with the appointment),
or the desk marks it `done` or `cancelled`.

PostgreSQL: both staff groups add and close recalls, and a booking by either closes them in
its own transaction, so both may insert and update (reading comes from the default
privileges of revision 0008); the dispatcher reads them to send recall reminders.

Recall reminders are rows of `notification` with a `recall_id` and no appointment.

Revision ID: 0017
Revises: 0015 (the lead re-chains)
Create Date: 2026-12-06 14:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recall",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=True),
        sa.Column("doctor_id", sa.Integer(), nullable=True),
        sa.Column("due_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('due', 'booked', 'done', 'cancelled')", name="ck_recall_status"
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["type_id"], ["appointment_type.id"]),
        sa.ForeignKeyConstraint(["doctor_id"], ["doctor.id"]),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recall_status_due", "recall", ["status", "due_day"])
    op.create_index("ix_recall_patient", "recall", ["patient_id", "status"])
    # Recall reminders are notifications without an appointment.
    with op.batch_alter_table("notification") as batch:
        batch.alter_column("appointment_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("recall_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_notification_recall", "recall", ["recall_id"], ["id"])
    op.create_index("ix_notification_recall", "notification", ["recall_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            DO $$ BEGIN
              IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'montu_reception') THEN
                GRANT SELECT, INSERT, UPDATE ON recall TO montu_reception, montu_manager;
                GRANT SELECT ON recall TO montu_dispatcher;
              END IF;
            END $$
            """
        )


def downgrade() -> None:
    op.execute("DELETE FROM notification WHERE appointment_id IS NULL")
    op.drop_index("ix_notification_recall", table_name="notification")
    with op.batch_alter_table("notification") as batch:
        batch.drop_constraint("fk_notification_recall", type_="foreignkey")
        batch.drop_column("recall_id")
        batch.alter_column("appointment_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_recall_patient", table_name="recall")
    op.drop_index("ix_recall_status_due", table_name="recall")
    op.drop_table("recall")
