"""Move the test database to an older migration state and back, to prove a migration keeps what is there."""

from contextlib import contextmanager

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader


def database_state():
    """The app registry of the migrations applied to the test database now: the models as its tables are. An app
    the targets did not name keeps its latest tables, so its models keep their latest columns too (a NOT NULL
    column added later must be in the model, or rows written with it fail)."""
    loader = MigrationLoader(connection)
    return loader.project_state([node for node in loader.applied_migrations if node in loader.graph.nodes]).apps


def migrate_to(targets: list[tuple[str, str | None]]):
    """Migrate the test database to the targets; answer the app registry of that state (models as they were).
    A target `(app, None)` takes the app back to no migrations at all (its tables gone, its models absent)."""
    MigrationExecutor(connection).migrate(targets)
    return database_state()


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    return database_state()


@contextmanager
def at_migration(targets: list[tuple[str, str | None]]):
    """Within the block the database is at the targets; afterwards it is at the latest migrations again, whatever
    happened (the next tests need the current schema)."""
    try:
        yield migrate_to(targets)
    finally:
        migrate_to_latest()
