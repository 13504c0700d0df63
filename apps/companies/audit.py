"""Invariant 7 (docs/architecture.md, "Invariants"): a settlement's closing =
opening + charged + granted - used - expired, and each figure is the points
ledger's for its company and month; a done run's totals are the ledger's
totals for its month."""

from collections.abc import Iterator

from apps.core.audit import audit_rows, register

from .models import SETTLEMENT_FIGURES, SettlementRun, SettlementRunStatus
from .periods import period_of

# The ledger's opening and closing balances of each settled company and month,
# next to the settlement's (the month's bounds from the settlement's own row).
_BALANCES = """
SELECT s.company_id, s.period, s.opening_free, s.opening_paid, s.closing_free, s.closing_paid,
       COALESCE(SUM(e.free_delta) FILTER (WHERE e.created_at < %(starts)s), 0),
       COALESCE(SUM(e.paid_delta) FILTER (WHERE e.created_at < %(starts)s), 0),
       COALESCE(SUM(e.free_delta), 0), COALESCE(SUM(e.paid_delta), 0)
  FROM companies_settlement s
  LEFT JOIN points_entry e ON e.company_id = s.company_id AND e.created_at < %(ends)s
 WHERE s.period = %(month)s
 GROUP BY s.id
HAVING s.opening_free <> COALESCE(SUM(e.free_delta) FILTER (WHERE e.created_at < %(starts)s), 0)
    OR s.opening_paid <> COALESCE(SUM(e.paid_delta) FILTER (WHERE e.created_at < %(starts)s), 0)
    OR s.closing_free <> COALESCE(SUM(e.free_delta), 0)
    OR s.closing_paid <> COALESCE(SUM(e.paid_delta), 0)
 LIMIT 1000
"""


def _periods() -> list:
    return [
        period_of(row[0])
        for row in audit_rows("SELECT DISTINCT period FROM companies_settlement ORDER BY 1")
    ]


@register("companies: a settlement's closing adds up and equals the ledger's")
def settlements_match_the_ledger() -> Iterator[str]:
    for row in audit_rows(
        """
        SELECT company_id, period FROM companies_settlement
         WHERE closing_free <> opening_free + granted_free - used_free - expired
            OR closing_paid <> opening_paid + charged_paid - used_paid
         ORDER BY period, company_id LIMIT 1000
        """
    ):
        yield f"company {row[0]} for {row[1]:%Y-%m}: closing is not opening + moves"
    for period in _periods():
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                _BALANCES,
                {"month": period.month, "starts": period.starts_at, "ends": period.ends_at},
            )
            for company_id, month, *figures in cursor.fetchall():
                yield (
                    f"company {company_id} for {month:%Y-%m}: settlement opening/closing "
                    f"{figures[:4]} but the ledger says {figures[4:]}"
                )


@register("companies: a done run's totals are the ledger's for its month")
def run_totals_match_the_ledger() -> Iterator[str]:
    from django.db import connection

    for run in SettlementRun.objects.filter(status=SettlementRunStatus.DONE):
        period = period_of(run.period)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT COALESCE(SUM(free_delta) FILTER (WHERE e.created_at < %(starts)s), 0),
                       COALESCE(SUM(paid_delta) FILTER (WHERE e.created_at < %(starts)s), 0),
                       COALESCE(SUM(free_delta), 0), COALESCE(SUM(paid_delta), 0)
                  FROM points_entry e
                  JOIN companies_company c ON c.id = e.company_id AND c.created_at < %(ends)s
                 WHERE e.created_at < %(ends)s
                """,
                {"starts": period.starts_at, "ends": period.ends_at},
            )
            ledger = dict(
                zip(
                    ("opening_free", "opening_paid", "closing_free", "closing_paid"),
                    cursor.fetchone(),
                    strict=True,
                )
            )
        totals = run.totals or {}
        missing = [name for name in SETTLEMENT_FIGURES if name not in totals]
        if missing:
            yield f"run {run.pk} ({period}): done without totals for {missing}"
            continue
        for name, value in ledger.items():
            if int(totals[name]) != value:
                yield f"run {run.pk} ({period}): total {name} {totals[name]}, the ledger {value}"
        if run.companies_done != run.companies_total:
            yield f"run {run.pk}: done with {run.companies_done} of {run.companies_total}"
