"""Baselines below the API: a plain Django view, and DRF plus one SQL round trip."""

from ..model import Scenario, SqlCeiling, get

SCENARIOS = (
    Scenario(
        name="framework.healthz",
        description="Plain Django view (no DRF), the middleware stack only.",
        request=get("/healthz/"),
    ),
    Scenario(
        name="framework.select1",
        description=(
            "DRF view running SELECT 1 on its persistent connection; "
            "the ceiling is pgbench running the same SELECT 1."
        ),
        request=get("/bench/select1/"),
        ceiling=SqlCeiling("SELECT 1"),
    ),
)
