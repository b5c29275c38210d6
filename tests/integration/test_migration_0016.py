"""Revision 0016 (two-way SMS) goes up, down and up again on both databases, data kept."""

from __future__ import annotations

from sqlalchemy import inspect, text

from montu_desktop.persistence import migrate
from montu_desktop.services.context import ServiceContext
from tests.support.clinic import new_patients, tiny_clinic


def _alembic(ctx: ServiceContext, target: str, *, up: bool) -> None:
    from alembic import command

    config = migrate._config()
    with ctx.database.engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.upgrade if up else command.downgrade)(config, target)


def _columns(ctx: ServiceContext, table: str) -> set[str]:
    return {c["name"] for c in inspect(ctx.database.engine).get_columns(table)}


def test_0016_down_and_up_again_keeps_the_clinic(ctx: ServiceContext) -> None:
    tiny_clinic(ctx)
    new_patients(ctx, 2)
    assert "confirmed_at" in _columns(ctx, "appointment")
    _alembic(ctx, "0016-1", up=False)
    assert "confirmed_at" not in _columns(ctx, "appointment")
    assert "delivery" not in _columns(ctx, "notification")
    assert "sms_reply" not in inspect(ctx.database.engine).get_table_names()
    _alembic(ctx, "heads", up=True)
    assert {"delivery", "delivery_error", "delivery_at"} <= _columns(ctx, "notification")
    with ctx.database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM patient")).scalar_one() == 2
    if ctx.database.is_sqlite:  # the overlap guard's triggers survived (no table rebuild)
        with ctx.database.engine.connect() as conn:
            triggers = conn.execute(
                text(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                    " AND tbl_name = 'appointment'"
                )
            ).scalar_one()
        assert triggers > 0
