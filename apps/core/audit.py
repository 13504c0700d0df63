"""The invariants of docs/architecture.md, checked by `python manage.py audit`.

Each app registers its checks in its own `audit.py`; a check yields one line per
violation. The registry is filled by importing every installed app's `audit`
module.
"""

from collections.abc import Callable, Iterable

from django.db import connection
from django.utils.module_loading import autodiscover_modules

Check = Callable[[], Iterable[str]]
_CHECKS: dict[str, Check] = {}


def audit_rows(sql: str) -> list[tuple]:
    """The rows of one audit query (checks are plain SQL over whole tables)."""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def register(name: str) -> Callable[[Check], Check]:
    def decorator(check: Check) -> Check:
        _CHECKS[name] = check
        return check

    return decorator


def registered_checks() -> dict[str, Check]:
    autodiscover_modules("audit")
    return dict(sorted(_CHECKS.items()))


def run_audit() -> dict[str, list[str]]:
    """Every check's violations, by check name (empty lists when all hold)."""
    return {name: list(check()) for name, check in registered_checks().items()}
