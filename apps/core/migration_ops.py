"""Migration operations that only apply on PostgreSQL (the system of record).

The embedded SQLite default of `make run` skips them: it has no tsvector, no
GIN and no PL/pgSQL, and the code falls back accordingly.
"""

from pathlib import Path

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


SQL_DIRECTORIES = ("apps/products/sql", "apps/stock/holds/sql")


class LoadSQLFiles(PostgresOnlySQL):
    """Run the repository's .sql files (each one function, `CREATE OR REPLACE`)
    as they are when the migration runs. A function changes in its file and in a
    new migration that loads it again; apps/core/tests/test_sql_files.py holds
    every installed function equal to its file.

    Only for functions whose body PostgreSQL does not check against tables at
    creation (PL/pgSQL, or SQL over their arguments alone): an early migration
    loads today's text, and it must load on the schema of that day."""

    def __init__(self, *paths: str) -> None:
        self.paths = paths
        root = Path(__file__).resolve().parents[2]
        super().__init__(
            "\n".join((root / path).read_text() for path in paths),
            reverse_sql=migrations.RunSQL.noop,
        )
