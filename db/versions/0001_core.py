"""Core clinic schema: clinic, hours, doctors, rosters, types, patients, appointments, outbox.

Also installs the no-overlap guard: an exclusion constraint on PostgreSQL, triggers on SQLite.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:02:46.665783
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appointment_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("length_minutes", sa.Integer(), nullable=False),
        sa.Column("colour", sa.String(length=9), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("length_minutes > 0 AND length_minutes <= 480", name="ck_type_length"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "clinic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("subdivision", sa.String(length=16), nullable=True),
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_weeks", sa.Integer(), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.CheckConstraint("horizon_weeks BETWEEN 1 AND 104", name="ck_clinic_horizon"),
        sa.CheckConstraint("slot_minutes > 0 AND 60 % slot_minutes = 0", name="ck_clinic_slot"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "clinic_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(active AND start_at IS NOT NULL AND end_at > start_at) OR NOT active",
            name="ck_clinic_schedule_hours",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day"),
    )
    op.create_table(
        "closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day"),
    )
    op.create_table(
        "doctor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "opening_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.CheckConstraint("closes > opens", name="ck_opening_order"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_opening_weekday"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("weekday"),
    )
    op.create_table(
        "outbox_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("processed_at IS NULL"),
            postgresql_where=sa.text("processed_at IS NULL"),
        )

    op.create_table(
        "patient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("sms_reminders", sa.Boolean(), nullable=False),
        sa.Column("email_reminders", sa.Boolean(), nullable=False),
        sa.Column("reminders_opt_out", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patient_family_given", ["family_name", "given_name"], unique=False
        )
        batch_op.create_index("ix_patient_phone", ["phone"], unique=False)

    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('booked', 'arrived', 'completed', 'no_show', 'cancelled')",
            name="ck_appointment_status",
        ),
        sa.CheckConstraint("end_at > start_at", name="ck_appointment_order"),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["doctor.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["appointment_type.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_appointment_doctor_start", ["doctor_id", "start_at"], unique=False
        )
        batch_op.create_index(
            "ix_appointment_patient_start", ["patient_id", "start_at"], unique=False
        )
        batch_op.create_index(
            "ix_appointment_week", ["start_at", "end_at", "doctor_id", "status"], unique=False
        )

    op.create_table(
        "doctor_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.CheckConstraint("end_at > start_at", name="ck_doctor_schedule_order"),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["doctor.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("doctor_schedule", schema=None) as batch_op:
        batch_op.create_index("ix_doctor_schedule_day", ["day", "doctor_id"], unique=False)

    op.create_table(
        "roster_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.CheckConstraint("ends > starts", name="ck_roster_template_order"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_roster_template_weekday"),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["doctor.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("roster_template", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roster_template_doctor_id"), ["doctor_id"], unique=False
        )

    _install_overlap_guard()


def downgrade() -> None:
    _remove_overlap_guard()
    with op.batch_alter_table("roster_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_template_doctor_id"))

    op.drop_table("roster_template")
    with op.batch_alter_table("doctor_schedule", schema=None) as batch_op:
        batch_op.drop_index("ix_doctor_schedule_day")

    op.drop_table("doctor_schedule")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_week")
        batch_op.drop_index("ix_appointment_patient_start")
        batch_op.drop_index("ix_appointment_doctor_start")

    op.drop_table("appointment")
    op.drop_table("setting")
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_phone")
        batch_op.drop_index("ix_patient_family_given")

    op.drop_table("patient")
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_pending",
            sqlite_where=sa.text("processed_at IS NULL"),
            postgresql_where=sa.text("processed_at IS NULL"),
        )

    op.drop_table("outbox_event")
    op.drop_table("opening_hours")
    op.drop_table("doctor")
    op.drop_table("closure")
    op.drop_table("clinic_schedule")
    op.drop_table("clinic")
    op.drop_table("appointment_type")


# Live appointments of one doctor (or one patient) may never overlap. On SQLite the
# search is bounded below by the longest possible appointment (480 minutes) so that it
# walks the (who, start_at) index over a few rows instead of the whole history.
_SQLITE_GUARD = """
CREATE TRIGGER appointment_{who}_overlap_{when}
BEFORE {event} ON appointment
WHEN NEW.status <> 'cancelled'
BEGIN
    SELECT RAISE(ABORT, 'appointment_{who}_overlap')
    WHERE EXISTS (
        SELECT 1 FROM appointment AS other
        WHERE other.{who}_id = NEW.{who}_id
          AND other.status <> 'cancelled'
          AND other.id IS NOT NEW.id
          AND other.start_at < NEW.end_at
          AND other.start_at > datetime(NEW.start_at, '-480 minutes')
          AND other.end_at > NEW.start_at
    );
END
"""
_SQLITE_EVENTS = {
    "insert": "INSERT",
    "update": "UPDATE OF start_at, end_at, doctor_id, patient_id, status",
}


def _install_overlap_guard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for who in ("doctor", "patient"):
            op.execute(
                f"ALTER TABLE appointment ADD CONSTRAINT appointment_{who}_overlap "
                f"EXCLUDE USING gist ({who}_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
                "WHERE (status <> 'cancelled')"
            )
        return
    for who in ("doctor", "patient"):
        for when, event in _SQLITE_EVENTS.items():
            op.execute(_SQLITE_GUARD.format(who=who, when=when, event=event))


def _remove_overlap_guard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for who in ("doctor", "patient"):
            op.execute(
                f"ALTER TABLE appointment DROP CONSTRAINT IF EXISTS appointment_{who}_overlap"
            )
        return
    for who in ("doctor", "patient"):
        for when in _SQLITE_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS appointment_{who}_overlap_{when}")
