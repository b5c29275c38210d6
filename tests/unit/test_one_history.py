"""The migration scripts form one history: exactly one head, so `alembic upgrade head` is unambiguous."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from montu_desktop.persistence.migrate import migrations_folder


def _script() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    return ScriptDirectory.from_config(config)


def test_the_migrations_have_exactly_one_head() -> None:
    heads = _script().get_heads()
    assert len(heads) == 1, f"more than one migration head: {sorted(heads)}; add a merge revision"


def test_every_revision_is_on_the_way_to_that_head() -> None:
    script = _script()
    on_the_way = {rev.revision for rev in script.walk_revisions()}
    reachable = {
        rev.revision for rev in script.iterate_revisions(script.get_current_head(), "base")
    }
    assert on_the_way == reachable


def test_the_start_up_check_reads_the_same_history_as_alembic() -> None:
    """schema_state reads revisions from the files as text (Alembic is not imported to start
    the app): it must know the same revisions and heads as Alembic does."""
    from montu_desktop.persistence import migrate

    script = _script()
    assert migrate.known_revisions() == {rev.revision for rev in script.walk_revisions()}
    assert migrate.head_revisions() == set(script.get_heads())


def test_the_migrations_are_found_in_a_frozen_bundle_a_wheel_and_the_source_tree(
    tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import sys

    from montu_desktop.persistence import migrate

    assert (migrations_folder() / "env.py").is_file()  # this checkout (editable install)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert migrate.migrations_folder() == tmp_path / "db"
