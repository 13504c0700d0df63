"""Every scenario, as data. A new module adds its SCENARIOS tuple here.

Targets on the command line: "all", a group (the first part of a name, e.g.
"catalog"), or names and shell patterns (e.g. "catalog.inbound.*").
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

from ..model import Scenario
from . import catalog, checkout, companies, coupons, framework, points, reservations

SCENARIOS: tuple[Scenario, ...] = (
    *framework.SCENARIOS,
    *catalog.SCENARIOS,
    *reservations.SCENARIOS,
    *points.SCENARIOS,
    *coupons.SCENARIOS,
    *checkout.SCENARIOS,
    *companies.SCENARIOS,
)


def groups() -> list[str]:
    return list(dict.fromkeys(scenario.group for scenario in SCENARIOS))


def select(targets: Sequence[str]) -> list[Scenario]:
    """The scenarios named by `targets`, in registry order; unknown targets are an error."""
    targets = list(targets) or ["all"]
    chosen: set[str] = set()
    for target in targets:
        matched = {
            s.name
            for s in SCENARIOS
            if target == "all" or s.group == target or fnmatchcase(s.name, target)
        }
        if not matched:
            raise ValueError(f"no scenario matches {target!r} (groups: {', '.join(groups())})")
        chosen |= matched
    return [scenario for scenario in SCENARIOS if scenario.name in chosen]
