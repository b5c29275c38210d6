"""Live refresh also watches the held time and the types each doctor skips.

Both are read into every desk's reference cache (availability and booking use them), yet
no trigger announced their changes: another desk kept the old rules until its cache's
ten-minute time-to-live ran out. The same statement-level notify trigger as revision 0004
now sits on both tables; SQLite desks poll them (persistence/watched.py).

Revision ID: 0023_fresh
Revises: 0022
Create Date: 2026-12-06 17:50:00
"""

from alembic import op

revision = "0023_fresh"
down_revision = "0022"
branch_labels = None
depends_on = None

WATCHED = {"doctor_type_skipped": "reference", "held_time": "reference"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, what in WATCHED.items():
        op.execute(
            f"CREATE TRIGGER montu_live_{table} "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION montu_notify_change('{what}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS montu_live_{table} ON {table}")
