"""`make run` serves the whole API on the embedded default: SQLite, local-memory
cache, Celery eager. Every main flow is walked through HTTP there (in a clean
process, as `make run` starts) and must answer as on PostgreSQL."""

import json

from apps.core.testing import run_on_embedded_default

EXPECTED = {
    "catalog_list": 200,
    "catalog_search": 200,
    "availability": 200,
    "availability_bulk": 200,
    "inbound": 201,
    "adjust": 201,
    "reserve": 201,
    "reserve_short": 409,
    "reserve_duplicate": 409,
    "extend": 200,
    "confirm": 200,
    "reserve_named_warehouse": 201,
    "cancel": 200,
    "reservations_list": 200,
    "coupon_create": 201,
    "coupon_issue": 201,
    "coupon_sold_out": 409,
    "points_earn": 201,
    "points_use": 201,
    "points_balance": 200,
    "movements": 200,
    "report_day": 200,
    "stock_alerts": 200,
}


def test_every_main_flow_works_on_the_embedded_default(tmp_path):
    # given a clean environment: no DATABASE_URL, REDIS_URL or broker
    # when the walkthrough runs
    result = run_on_embedded_default(tmp_path, "-m", "apps.core.tests.embedded_walkthrough")

    # then every step answers as the API says, and the audit passes
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout)
    steps = outcome["steps"]
    assert {name: status for name, (status, _) in steps.items()} == EXPECTED, result.stderr[-3000:]
    reserve = steps["reserve"][1]
    # 450 mugs: the 396 SEL-1 has free (400 adjusted, 4 held by the demo's
    # walkthrough), then 54 of BSN-1's 200, by priority
    assert sorted((line["warehouse"], line["quantity"]) for line in reserve["lines"]) == [
        ("BSN-1", 54),
        ("SEL-1", 396),
    ]
    assert steps["reserve_short"][1]["error"]["code"] == "insufficient_stock"
    assert steps["reserve_duplicate"][1]["error"]["code"] == "duplicate_order_id"
    assert steps["confirm"][1]["status"] == "confirmed"
    assert steps["cancel"][1]["status"] == "cancelled"
    assert steps["coupon_sold_out"][1]["error"]["code"] == "sold_out"
    # the demo's 500 free (50 used) and 1,000 paid, then 30 earned and 12 used, free first
    assert steps["points_balance"][1] == {"free": 468, "paid": 1000, "total": 1468}
    assert outcome["built"] == ["points", "stock"]
    rows = steps["report_day"][1]["results"]
    assert rows and all(row["provisional"] is False for row in rows)
    assert any(row["inbound"] > 0 for row in rows)
    assert outcome["audit"] == 0
