"""What scenario setups and checks share while the server runs.

Runs in the harness process with Django set up on config.settings.bench: SQL
through Django's connection, HTTP to the running server, JWTs minted for bench
users, and a memo so that scenarios share expensive samples.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from . import ROOT, SETTINGS_MODULE

T = TypeVar("T")

# Roles a scenario may ask for (RequestShape.auth), as User flags.
ROLE_FLAGS: dict[str, dict[str, bool]] = {
    "customer": {},
    "warehouse_admin": {"is_warehouse_admin": True},
    "staff": {"is_staff": True},
}
BENCH_PASSWORD = "Bench-pass-2026!"


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400


class Context:
    def __init__(self, base_url: str, server_pid: int = 0) -> None:
        self.base_url = base_url.rstrip("/")
        self.server_pid = server_pid  # gunicorn's master, leader of its process group
        self._memo: dict[str, Any] = {}
        self._notes: list[str] = []
        # The measured levels of each scenario run so far, by name (for post-checks
        # that compare phases, e.g. a drop's refusals against its issues).
        self.levels: dict[str, list[Any]] = {}

    # --- HTTP ---------------------------------------------------------------

    def http(
        self,
        method: str,
        path: str,
        body: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> HttpAnswer:
        request = urllib.request.Request(
            self.base_url + path,
            data=body.encode() if body is not None else None,
            method=method,
            headers=headers or {},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return HttpAnswer(response.status, response.read())
        except urllib.error.HTTPError as error:
            return HttpAnswer(error.code, error.read())

    def get_json(self, path: str) -> Any:
        answer = self.http("GET", path)
        if not answer.ok:
            raise RuntimeError(f"GET {path} answered {answer.status}: {answer.body[:300]!r}")
        return answer.json()

    # --- SQL ----------------------------------------------------------------

    def query(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def table_exists(self, table: str) -> bool:
        return bool(self.query("SELECT to_regclass(%s) IS NOT NULL", [table])[0][0])

    # --- Auth ---------------------------------------------------------------

    def bench_user_id(self, role: str) -> int:
        from django.contrib.auth import get_user_model

        self.bearer(role)
        email = f"bench-{role.replace('_', '-')}@bench.invalid"
        return get_user_model().objects.get(email=email).pk

    def bearer(self, role: str) -> dict[str, str]:
        """An Authorization header for the bench user of `role` (created if missing)."""
        return self.memo(f"bearer:{role}", lambda: {"Authorization": f"Bearer {self._mint(role)}"})

    def _mint(self, role: str) -> str:
        from django.contrib.auth import get_user_model

        from apps.accounts.tokens import PlatformAccessToken

        flags = ROLE_FLAGS[role]
        user_model = get_user_model()
        email = f"bench-{role.replace('_', '-')}@bench.invalid"
        user = user_model.objects.filter(email=email).first()
        if user is None:
            user = user_model.objects.create_user(email, BENCH_PASSWORD, **flags)
        # The platform's token carries roles and email, as login issues it, so the
        # stateless authentication path is the one measured.
        return str(PlatformAccessToken.for_user(user))

    # --- Memo and notes -----------------------------------------------------

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def note(self, text: str) -> None:
        """A fact of the setup worth reporting next to the figures."""
        self._notes.append(text)

    def take_notes(self) -> list[str]:
        notes, self._notes = self._notes, []
        return notes

    # --- manage.py ----------------------------------------------------------

    def manage(self, *args: str, timeout: float = 900.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
