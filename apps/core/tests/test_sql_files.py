"""Every function of ours in the database is its .sql file: a change to one is
one file and one migration that loads it again (apps/core/migration_ops.py,
LoadSQLFiles)."""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from apps.core.migration_ops import LoadSQLFiles, sql_file_digest

pytestmark = pytest.mark.django_db

SQL_FILES = sorted(settings.BASE_DIR.glob("apps/**/sql/*.sql"))
DEFINES = re.compile(r"CREATE OR REPLACE FUNCTION (\w+)\(", re.I)

# Our functions in the public schema: not an extension's (pg_trgm, unaccent).
OURS = """
SELECT p.proname FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                      AND d.deptype = 'e')
"""


def _in_migration_order():
    graph = MigrationLoader(connection).graph
    seen = set()
    for leaf in sorted(graph.leaf_nodes()):
        for key in graph.forwards_plan(leaf):
            if key not in seen:
                seen.add(key)
                yield graph.nodes[key]


def _definition(schema: str, name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_functiondef(p.oid) FROM pg_proc p"
            " WHERE p.pronamespace = %s::regnamespace AND p.proname = %s",
            [schema, name],
        )
        (definition,) = cursor.fetchone()
    return definition.replace(f"FUNCTION {schema}.", "FUNCTION ")


def test_each_file_defines_the_one_function_it_is_named_after():
    assert SQL_FILES
    for path in SQL_FILES:
        assert DEFINES.findall(path.read_text()) == [path.stem], path


def test_the_latest_migration_loading_each_file_loads_it_as_it_is():
    # A file changed without a migration that loads it again would leave every
    # existing database on the old function (a fresh one gets the new text).
    latest = {}
    for migration in _in_migration_order():
        for operation in migration.operations:
            if isinstance(operation, LoadSQLFiles):
                latest.update(
                    {path: (migration, digest) for path, digest in operation.files.items()}
                )
    assert set(latest) == {str(path.relative_to(settings.BASE_DIR)) for path in SQL_FILES}
    stale = {
        path: f"{migration!r} loads {digest}, the file is {sql_file_digest(path)}"
        for path, (migration, digest) in latest.items()
        if digest != sql_file_digest(path)
    }
    assert not stale, "add a migration that loads the changed file again: " + str(stale)


def test_every_function_of_ours_in_the_database_has_its_file():
    with connection.cursor() as cursor:
        cursor.execute(OURS)
        installed = sorted(name for (name,) in cursor.fetchall())
    # Once each: a file whose signature changed leaves no old overload behind.
    assert installed == sorted(path.stem for path in SQL_FILES)


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda path: path.stem)
def test_the_installed_function_is_its_file(path):
    # Created again from the file in a scratch schema (rolled back with the
    # test's transaction), the function reads back exactly as the installed one.
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA sql_file_check")
        cursor.execute("SET LOCAL search_path TO sql_file_check, public")
        cursor.execute(path.read_text())
        cursor.execute("SET LOCAL search_path TO public")
    assert _definition("sql_file_check", path.stem) == _definition("public", path.stem)
