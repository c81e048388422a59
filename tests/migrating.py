"""Move the test database to an older migration state and back, to prove a migration keeps what is there."""

from contextlib import contextmanager

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(targets: list[tuple[str, str]]):
    """Migrate the test database to the targets; answer the app registry of that state (models as they were)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(leaves)
    executor.loader.build_graph()
    return executor.loader.project_state(leaves).apps


@contextmanager
def at_migration(targets: list[tuple[str, str]]):
    """Within the block the database is at the targets; afterwards it is at the latest migrations again, whatever
    happened (the next tests need the current schema)."""
    try:
        yield migrate_to(targets)
    finally:
        migrate_to_latest()
