-- The rule "on sale at p_now" of apps/products/rules.py (not_on_sale_reason
-- and on_sale_q): not deleted, active, and inside its sale window (start
-- included, end excluded). A plain SQL expression, IMMUTABLE, so PostgreSQL
-- inlines it where it is called.
CREATE OR REPLACE FUNCTION products_on_sale(
    p_deleted_at timestamptz, p_status varchar, p_starts timestamptz, p_ends timestamptz,
    p_now timestamptz
) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN p_deleted_at IS NULL AND p_status = 'active'
   AND (p_starts IS NULL OR p_starts <= p_now)
   AND (p_ends IS NULL OR p_ends > p_now);
