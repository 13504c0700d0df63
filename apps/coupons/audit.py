"""Invariant 3 (docs/architecture.md, "Invariants"): a coupon's issued count
equals its issue rows and never exceeds total_quantity; a user holds at most one
issue per coupon."""

from collections.abc import Iterator

from apps.core.audit import audit_rows, register


@register("coupons: issued_count equals the issue rows, within total_quantity")
def issued_count_matches_issues() -> Iterator[str]:
    for coupon_id, issued_count, total_quantity, rows in audit_rows(
        """
        SELECT c.id, c.issued_count, c.total_quantity, COALESCE(i.n, 0)
        FROM coupons_coupon c
        LEFT JOIN (
            SELECT coupon_id, COUNT(*) AS n FROM coupons_issue GROUP BY coupon_id
        ) i ON i.coupon_id = c.id
        WHERE c.issued_count <> COALESCE(i.n, 0)
           OR c.issued_count > c.total_quantity
           OR c.issued_count < 0
        ORDER BY c.id LIMIT 1000
        """
    ):
        yield (
            f"coupon {coupon_id}: issued_count={issued_count} total_quantity={total_quantity} "
            f"but {rows} issue rows"
        )


@register("coupons: at most one issue per user and coupon")
def one_issue_per_user() -> Iterator[str]:
    for coupon_id, user_id, count in audit_rows(
        """
        SELECT coupon_id, user_id, COUNT(*) FROM coupons_issue
        GROUP BY coupon_id, user_id HAVING COUNT(*) > 1
        ORDER BY coupon_id, user_id LIMIT 1000
        """
    ):
        yield f"coupon {coupon_id}: user {user_id} holds {count} issues"
