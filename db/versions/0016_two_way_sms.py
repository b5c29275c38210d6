"""Two-way SMS and delivery receipts (issue 26, items 3 and 4).

- `appointment.confirmed_at`: the patient confirmed by replying Y to a reminder.
- `notification.delivery`, `notification.delivery_error`, `notification.delivery_at`: what
  the SMS provider's delivery receipt said (sent, delivered or undelivered, and why).
- `sms_reply`: every text a patient sent to the clinic's number, the patient when the number
  identifies exactly one, what was done with it, and when the desk read it.

PostgreSQL: the API server (`montu-desktop serve`) and the desks sign in as staff; both
staff groups may store and mark replies, mark an appointment confirmed and record a
message's delivery state (only those columns). As for the appointment events (revision
0008), a staff login's `sms.late_cancel` event (the dispatcher then texts the patient that
their appointment is too close to cancel by SMS) must come with the reply it answers, stored
in the same transaction for that booked appointment of that patient: a desk cannot have a
patient sent a made-up answer.

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-06 14:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_STAFF = "montu_reception, montu_manager"
_STAFF_LOGIN = """
    (SELECT NOT r.rolsuper AND (pg_catalog.pg_has_role(session_user, 'montu_reception', 'MEMBER')
        OR pg_catalog.pg_has_role(session_user, 'montu_manager', 'MEMBER')
        OR pg_catalog.pg_has_role(session_user, 'montu_dispatcher', 'MEMBER'))
     FROM pg_catalog.pg_roles r WHERE r.rolname = session_user)
"""
_LATE_CANCEL_MATCHES = f"""
    CREATE FUNCTION montu_late_cancel_matches() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    BEGIN
        IF NEW.name <> 'sms.late_cancel' OR NOT coalesce({_STAFF_LOGIN}, false) THEN
            RETURN NULL;
        END IF;
        IF NOT EXISTS (
            SELECT FROM public.sms_reply r
            JOIN public.appointment a ON a.id = r.appointment_id
            WHERE r.appointment_id::text = NEW.payload ->> 'appointment_id'
              AND r.patient_id::text = NEW.payload ->> 'patient_id'
              AND a.patient_id = r.patient_id
              AND a.status = 'booked'
              AND r.outcome = 'too late to cancel'
              AND r.xmin = pg_catalog.pg_current_xact_id()::xid) THEN
            RAISE EXCEPTION 'outbox event % does not match a reply stored with it', NEW.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NULL;
    END $$
"""


def upgrade() -> None:
    # Plain ALTER TABLE on both databases: a batch rebuild would drop SQLite's triggers.
    op.add_column("appointment", sa.Column("confirmed_at", sa.DateTime(timezone=True)))
    op.add_column("notification", sa.Column("delivery", sa.String(length=12)))
    op.add_column("notification", sa.Column("delivery_error", sa.String(length=200)))
    op.add_column("notification", sa.Column("delivery_at", sa.DateTime(timezone=True)))
    op.create_index("ix_notification_provider_ref", "notification", ["provider_ref"])
    op.create_table(
        "sms_reply",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_sid", sa.String(length=64), nullable=False),
        sa.Column("from_number", sa.String(length=40), nullable=False),
        sa.Column("to_number", sa.String(length=40), nullable=False),
        sa.Column("body", sa.String(length=1600), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=True),
        sa.Column("appointment_id", sa.Integer(), sa.ForeignKey("appointment.id"), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_by", sa.String(length=100), nullable=True),
        sa.UniqueConstraint("message_sid", name="uq_sms_reply_message_sid"),
    )
    op.create_index("ix_sms_reply_unread", "sms_reply", ["read_at", "received_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            DO $$ BEGIN
              IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'montu_reception') THEN
                GRANT SELECT, INSERT, UPDATE ON sms_reply TO {_STAFF};
                GRANT USAGE ON SEQUENCE sms_reply_id_seq TO {_STAFF};
                GRANT UPDATE (confirmed_at) ON appointment TO {_STAFF};
                GRANT UPDATE (delivery, delivery_error, delivery_at) ON notification
                  TO {_STAFF};
              END IF;
            END $$
            """
        )
        op.execute(_LATE_CANCEL_MATCHES)
        op.execute("REVOKE ALL ON FUNCTION montu_late_cancel_matches() FROM PUBLIC")
        op.execute(
            "CREATE CONSTRAINT TRIGGER montu_late_cancel_matches AFTER INSERT ON outbox_event "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION montu_late_cancel_matches()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS montu_late_cancel_matches ON outbox_event")
        op.execute("DROP FUNCTION IF EXISTS montu_late_cancel_matches()")
    op.drop_index("ix_sms_reply_unread", table_name="sms_reply")
    op.drop_table("sms_reply")
    op.drop_index("ix_notification_provider_ref", table_name="notification")
    for column in ("delivery_at", "delivery_error", "delivery"):
        op.drop_column("notification", column)
    op.drop_column("appointment", "confirmed_at")
