"""Invariant 4 (docs/architecture.md, "Invariants"): a wallet's free and paid
balances equal the sums of their ledger deltas and are never negative. Also:
each entry's after-values are the running sums, and the lots agree with the
balances and with the ledger. A wallet, its entries and its lots are matched
by their owner, a user or a company (OWNER: the two columns, NULL as 0, so the
joins stay plain equalities)."""

from collections.abc import Iterator

from apps.core.audit import audit_rows, register

OWNER = "COALESCE(user_id, 0) AS owner_user, COALESCE(company_id, 0) AS owner_company"


def _owner(user_id: int, company_id: int) -> str:
    return f"company {company_id}" if company_id else f"user {user_id}"


@register("points: balances are never negative")
def wallet_balances_not_negative() -> Iterator[str]:
    for wallet_id, free, paid in audit_rows(
        "SELECT id, free_balance, paid_balance FROM points_wallet "
        "WHERE free_balance < 0 OR paid_balance < 0 ORDER BY id"
    ):
        yield f"wallet {wallet_id}: free={free} paid={paid}"


@register("points: balances equal the sums of their ledger deltas")
def wallet_balances_match_ledger() -> Iterator[str]:
    for user_id, company_id, free, paid, free_sum, paid_sum in audit_rows(
        f"""
        SELECT COALESCE(w.owner_user, e.owner_user), COALESCE(w.owner_company, e.owner_company),
               w.free_balance, w.paid_balance, COALESCE(e.free_sum, 0), COALESCE(e.paid_sum, 0)
        FROM (SELECT {OWNER}, free_balance, paid_balance FROM points_wallet) w
        FULL OUTER JOIN (
            SELECT {OWNER}, SUM(free_delta) AS free_sum, SUM(paid_delta) AS paid_sum
            FROM points_entry GROUP BY user_id, company_id
        ) e ON e.owner_user = w.owner_user AND e.owner_company = w.owner_company
        WHERE w.owner_user IS NULL
           OR w.free_balance <> COALESCE(e.free_sum, 0)
           OR w.paid_balance <> COALESCE(e.paid_sum, 0)
        ORDER BY 1, 2
        """
    ):
        yield (
            f"wallet of {_owner(user_id, company_id)}: free={free} paid={paid} "
            f"but the ledger sums to free={free_sum} paid={paid_sum}"
        )


@register("points: after-values equal the running sums")
def entry_after_values_are_running_sums() -> Iterator[str]:
    for entry_id, user_id, company_id, free_after, free_run, paid_after, paid_run in audit_rows(
        """
        SELECT id, user_id, company_id, free_after, free_run, paid_after, paid_run
        FROM (
            SELECT id, user_id, company_id, free_after, paid_after,
                   SUM(free_delta) OVER w AS free_run, SUM(paid_delta) OVER w AS paid_run
            FROM points_entry
            WINDOW w AS (PARTITION BY user_id, company_id ORDER BY id)
        ) ledger
        WHERE free_after <> free_run OR paid_after <> paid_run
        ORDER BY id LIMIT 1000
        """
    ):
        yield (
            f"entry {entry_id} ({_owner(user_id, company_id)}): "
            f"free_after={free_after} running={free_run}; "
            f"paid_after={paid_after} running={paid_run}"
        )


@register("points: lots hold exactly the balances")
def lots_match_balances() -> Iterator[str]:
    for user_id, company_id, free, paid, free_lots, paid_lots in audit_rows(
        f"""
        SELECT w.owner_user, w.owner_company, w.free_balance, w.paid_balance,
               COALESCE(l.free_left, 0), COALESCE(l.paid_left, 0)
        FROM (SELECT {OWNER}, free_balance, paid_balance FROM points_wallet) w
        LEFT JOIN (
            SELECT {OWNER},
                   SUM(remaining) FILTER (WHERE kind = 'free') AS free_left,
                   SUM(remaining) FILTER (WHERE kind = 'paid') AS paid_left
            FROM points_lot GROUP BY user_id, company_id
        ) l ON l.owner_user = w.owner_user AND l.owner_company = w.owner_company
        WHERE w.free_balance <> COALESCE(l.free_left, 0)
           OR w.paid_balance <> COALESCE(l.paid_left, 0)
        ORDER BY 1, 2
        """
    ):
        yield (
            f"wallet of {_owner(user_id, company_id)}: free={free} paid={paid} "
            f"but its lots hold free={free_lots} paid={paid_lots}"
        )


@register("points: each lot's remaining is its earn less what was taken and not given back")
def lot_remaining_matches_allocations() -> Iterator[str]:
    # Taken: allocations of uses not cancelled and of expiries; and a cancelled
    # earn takes its whole lot.
    for lot_id, amount, remaining, expected in audit_rows(
        """
        SELECT l.id, l.amount, l.remaining,
               l.amount - COALESCE(t.taken, 0)
                 - CASE WHEN c.id IS NULL THEN 0 ELSE l.amount END
        FROM points_lot l
        LEFT JOIN points_entry c ON c.cancels_id = l.entry_id
        LEFT JOIN (
            SELECT a.lot_id, SUM(a.amount) AS taken
            FROM points_allocation a
            LEFT JOIN points_entry undo ON undo.cancels_id = a.entry_id
            WHERE undo.id IS NULL
            GROUP BY a.lot_id
        ) t ON t.lot_id = l.id
        WHERE l.remaining <> l.amount - COALESCE(t.taken, 0)
                              - CASE WHEN c.id IS NULL THEN 0 ELSE l.amount END
        ORDER BY l.id LIMIT 1000
        """
    ):
        yield f"lot {lot_id}: amount={amount} remaining={remaining}, allocations say {expected}"
