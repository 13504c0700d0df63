"""`python -m bench.seed`: create the bench database if missing, migrate, seed, analyze.

    python -m bench.seed --products 1000000 --warehouses 5

Idempotent up to the seeding itself: seed_catalog decides what a second run does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from . import ROOT, SETTINGS_MODULE
from .runner import log, setup_django


def ensure_database() -> str:
    import psycopg
    from django.conf import settings
    from psycopg import sql

    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=int(db.get("PORT") or 5432),
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    ) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
            log(f"created database {db['NAME']}")
    return str(db["NAME"])


def manage(*args: str) -> None:
    log(f"$ manage.py {' '.join(args)}")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def vacuum_analyze() -> None:
    """Statistics and visibility map as a database in service would have them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.seed", description=__doc__)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--warehouses", type=int, default=5)
    args = parser.parse_args(argv)
    setup_django()
    name = ensure_database()
    manage("migrate", "--noinput")
    manage("seed_catalog", f"--products={args.products}", f"--warehouses={args.warehouses}")
    log(f"VACUUM (ANALYZE) on {name}")
    vacuum_analyze()
    return 0


if __name__ == "__main__":
    sys.exit(main())
