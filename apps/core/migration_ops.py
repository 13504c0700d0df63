"""Migration operations that only apply on PostgreSQL (the system of record).

The embedded SQLite default of `make run` skips them: it has no tsvector, no
GIN and no PL/pgSQL, and the code falls back accordingly.
"""

import hashlib
from pathlib import Path

from django.db import migrations

ROOT = Path(__file__).resolve().parents[2]


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class LoadSQLFiles(PostgresOnlySQL):
    """Run the repository's .sql files (each one function, `CREATE OR REPLACE`,
    in a `sql/` directory next to the rule it serves, named after the function)
    as they are when the migration runs.

    `files` maps each path to the first 16 hex digits of its SHA-256 when the
    migration was written. A function changes in its file and in a new
    migration that loads it again with the new digest:
    apps/core/tests/test_sql_files.py fails while the latest migration loading
    a file names another digest, and holds every installed function equal to
    its file.

    Only for functions whose body PostgreSQL does not check against tables at
    creation (PL/pgSQL, or SQL over their arguments alone): an early migration
    loads today's text, and it must load on the schema of that day."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files
        super().__init__(
            "\n".join((ROOT / path).read_text() for path in files),
            reverse_sql=migrations.RunSQL.noop,
        )

    def deconstruct(self):
        return self.__class__.__qualname__, [self.files], {}


def sql_file_digest(path: str) -> str:
    return hashlib.sha256((ROOT / path).read_bytes()).hexdigest()[:16]
