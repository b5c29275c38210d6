"""Folded name parts for search, filled for the patients already stored.

`patient_name_part` holds each live patient's folded name parts (montu_desktop.domain.names:
case, accents, apostrophes, hyphens and spaces folded away; each word joined to the words
after it), so that every typed word is an indexed prefix lookup on both databases: the part
column is collated C on PostgreSQL and NOCASE on SQLite, the collations under which each
database serves `LIKE 'prefix%'` from a btree index. Also an index on patient.date_of_birth
(search by date of birth and the duplicate check look patients up by it).

PostgreSQL: the desk's staff logins add and rename patients, so both staff groups may
insert and delete parts (reading comes from the default privileges of revision 0008).

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-06 14:10:00
"""

import sqlalchemy as sa
from alembic import op

from montu_desktop.domain.names import name_parts

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_PART = sa.String(length=100, collation="C").with_variant(
    sa.String(length=100, collation="NOCASE"), "sqlite"
)
_BATCH = 2000


def upgrade() -> None:
    op.create_table(
        "patient_name_part",
        sa.Column("part", _PART, nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("part", "patient_id"),
    )
    op.create_index("ix_patient_name_part_patient", "patient_name_part", ["patient_id"])
    op.create_index("ix_patient_birth", "patient", ["date_of_birth"])
    _fill()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            DO $$ BEGIN
              IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'montu_reception') THEN
                GRANT SELECT, INSERT, DELETE ON patient_name_part
                  TO montu_reception, montu_manager;
              END IF;
            END $$
            """
        )


def _fill() -> None:
    """Every live (not merged) patient's parts, from the same function the service uses."""
    bind = op.get_bind()
    part_table = sa.table("patient_name_part", sa.column("part"), sa.column("patient_id"))
    rows = bind.execute(
        sa.text(
            "SELECT id, given_name, family_name FROM patient "
            "WHERE merged_into_id IS NULL ORDER BY id"
        )
    ).all()
    batch: list[dict[str, object]] = []
    for patient_id, given_name, family_name in rows:
        batch.extend(
            {"part": part, "patient_id": patient_id}
            for part in sorted(name_parts(given_name or "", family_name or ""))
        )
        if len(batch) >= _BATCH:
            bind.execute(sa.insert(part_table), batch)
            batch = []
    if batch:
        bind.execute(sa.insert(part_table), batch)


def downgrade() -> None:
    op.drop_index("ix_patient_birth", table_name="patient")
    op.drop_index("ix_patient_name_part_patient", table_name="patient_name_part")
    op.drop_table("patient_name_part")
