"""Database rules that only PostgreSQL can hold, declared in a model's Meta so migrations and validation see them.

Each class is its PostgreSQL counterpart on PostgreSQL and writes nothing elsewhere: on SQLite (the embedded mode)
the services and the IMMEDIATE write transaction hold the same rules. Declaring them in Meta, rather than in raw
SQL, keeps `makemigrations` aware of them and lets SQLite rebuild a table without tripping over PostgreSQL syntax.
LocalDate is the one expression both databases answer, each in its own words.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField
from django.contrib.postgres.indexes import GinIndex
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import CheckConstraint, DateField, Func


def _postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class _PostgresOnlyConstraint:
    """No SQL and no validation query outside PostgreSQL."""

    def constraint_sql(self, model, schema_editor):
        return super().constraint_sql(model, schema_editor) if _postgres(schema_editor) else None

    def create_sql(self, model, schema_editor):
        return super().create_sql(model, schema_editor) if _postgres(schema_editor) else None

    def remove_sql(self, model, schema_editor):
        return super().remove_sql(model, schema_editor) if _postgres(schema_editor) else None

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


class PostgresExclusionConstraint(_PostgresOnlyConstraint, ExclusionConstraint):
    """An ExclusionConstraint on PostgreSQL; nothing elsewhere (SQLite has no EXCLUDE)."""


class PostgresCheckConstraint(_PostgresOnlyConstraint, CheckConstraint):
    """A CHECK constraint on PostgreSQL only: for conditions that SQLite could evaluate only through a function
    Django registers on its own connections (date arithmetic), which any other client of the file would lack."""


class PostgresGinIndex(GinIndex):
    """A GIN index on PostgreSQL; nothing elsewhere. An index cannot answer None as a constraint can (the schema
    editor runs whatever it gets), so it answers an empty statement, which SQLite runs as nothing."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        return super().create_sql(model, schema_editor, using=using, **kwargs) if _postgres(schema_editor) else ""

    def remove_sql(self, model, schema_editor, **kwargs):
        return super().remove_sql(model, schema_editor, **kwargs) if _postgres(schema_editor) else ""


class TsTzRange(Func):
    """PostgreSQL's tstzrange(lower, upper, bounds): a stretch of time, for exclusion constraints over it."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class LocalDate(Func):
    """The calendar day of an instant in a time zone named by a column (a row's own zone, e.g. its location's):
    `LocalDate("start", "location__time_zone")`. PostgreSQL converts with AT TIME ZONE; SQLite with the date function
    Django registers on its connections (the instant stored in UTC, as USE_TZ keeps it)."""

    output_field = DateField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="(%(expressions)s)::date", arg_joiner=" AT TIME ZONE ")

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="django_datetime_cast_date(%(expressions)s, 'UTC')", arg_joiner=", "
        )
