"""The database adapter: engine and sessions, ORM tables, repositories, migrations."""
