from django.db import migrations

from apps.core.migration_ops import PostgresOnlySQL

# The writes of a reserve and of a release as PL/pgSQL functions, for
# apps/reservations/sql.py: one round trip each, so that a stock row's lock is
# held only while PostgreSQL works, never across a round trip to Python. Both
# take their locks first, in the global order (a reservation, then stock rows by
# primary key), and each statement after that reads a fresh snapshot (READ
# COMMITTED), so every check sees what committed before the locks were granted.
RESERVE = """
-- Hold units of stock rows for a new reservation: lock the rows, re-check that
-- every product is still on sale, and (p_checked: the allocation was made from
-- a read without locks) that every row still has its units free and holds no
-- pending hold past its expiry; then write the reservation, the counters, the
-- lines and the `reserve` movements. Returns the number of rows written; 0 when
-- a product is no longer on sale, -1 when a check of p_checked failed (nothing
-- written either way). A duplicate order_id raises the unique violation of
-- reservation_order_per_user.
CREATE FUNCTION reservations_reserve(
    p_reservation uuid, p_user bigint, p_order_id varchar, p_expires_at timestamptz,
    p_now timestamptz, p_products uuid[], p_stock_ids bigint[], p_quantities bigint[],
    p_checked boolean
) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    written integer;
BEGIN
    PERFORM 1 FROM stock_stock WHERE id = ANY(p_stock_ids) ORDER BY id FOR UPDATE;
    IF (SELECT count(*) FROM products_product
         WHERE id = ANY(p_products) AND deleted_at IS NULL AND status = 'active'
           AND (sale_starts_at IS NULL OR sale_starts_at <= p_now)
           AND (sale_ends_at IS NULL OR sale_ends_at > p_now)) <> cardinality(p_products) THEN
        RETURN 0;
    END IF;
    IF p_checked AND (
        EXISTS (SELECT 1 FROM unnest(p_stock_ids, p_quantities) AS t(stock_id, quantity)
                  JOIN stock_stock s ON s.id = t.stock_id
                 WHERE s.on_hand - s.reserved < t.quantity)
        OR EXISTS (SELECT 1 FROM reservations_line
                    WHERE stock_id = ANY(p_stock_ids) AND pending AND expires_at <= p_now)
    ) THEN
        RETURN -1;
    END IF;
    -- The reservation row is written last of the locks: a duplicate order_id
    -- waits here for the first one's commit and fails, never holding a lock
    -- the first one needs.
    WITH reservation AS (
        INSERT INTO reservations_reservation
            (id, user_id, order_id, status, expires_at, created_at, updated_at)
        VALUES (p_reservation, p_user, p_order_id, 'pending', p_expires_at, p_now, p_now)
    ), stock AS (
        UPDATE stock_stock s SET reserved = s.reserved + t.quantity, updated_at = p_now
          FROM unnest(p_stock_ids, p_quantities) AS t(stock_id, quantity)
         WHERE s.id = t.stock_id
        RETURNING s.id, s.product_id, s.warehouse_id, s.on_hand, s.reserved, t.quantity
    ), lines AS (
        INSERT INTO reservations_line
            (reservation_id, stock_id, product_id, warehouse_id, quantity, pending, expires_at)
        SELECT p_reservation, id, product_id, warehouse_id, quantity, true, p_expires_at
          FROM stock ORDER BY id
    ), movements AS (
        INSERT INTO stock_movement
            (type, stock_id, product_id, warehouse_id, on_hand_delta, reserved_delta,
             on_hand_after, reserved_after, reservation_id, actor_id, reason, reference,
             created_at)
        SELECT 'reserve', id, product_id, warehouse_id, 0, quantity, on_hand, reserved,
               p_reservation, p_user, '', '', p_now
          FROM stock ORDER BY id
    )
    SELECT count(*) INTO written FROM stock;
    RETURN written;
END;
$$;
"""

RELEASE = """
-- End pending reservations: lock their stock rows (by primary key), close their
-- lines, give the units back (or ship them: p_ship), stamp the reservations
-- with p_status and write one movement per line whose after-values are the
-- row's running values. The caller holds the reservations locked, or passes
-- p_expires_at (one reservation): then the reservation is locked here first and
-- released only if it is still pending with that expiry; else nothing is
-- written and no line returned. Returns the lines released, in line order.
CREATE FUNCTION reservations_release(
    p_ids uuid[], p_status varchar, p_type varchar, p_ship boolean, p_now timestamptz,
    p_expires_at timestamptz
) RETURNS TABLE (
    reservation_id uuid, stock_id bigint, product_id uuid, warehouse_id bigint,
    code varchar, quantity bigint
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    IF p_expires_at IS NOT NULL THEN
        PERFORM 1 FROM reservations_reservation
         WHERE id = ANY(p_ids) AND status = 'pending' AND expires_at = p_expires_at
           FOR UPDATE;
        IF NOT FOUND THEN
            RETURN;
        END IF;
    END IF;
    RETURN QUERY
    WITH locked AS MATERIALIZED (
        SELECT id FROM stock_stock
         WHERE id IN (SELECT stock_id FROM reservations_line
                       WHERE reservation_id = ANY(p_ids) AND pending)
         ORDER BY id FOR UPDATE
    ), released AS (
        UPDATE reservations_line SET pending = false
         WHERE reservation_id = ANY(p_ids) AND pending
        RETURNING id, reservation_id, stock_id, product_id, warehouse_id, quantity
    ), per_row AS (
        SELECT stock_id, SUM(quantity) AS quantity FROM released GROUP BY stock_id
    ), stock AS (
        UPDATE stock_stock s
           SET reserved = s.reserved - r.quantity,
               on_hand = s.on_hand - CASE WHEN p_ship THEN r.quantity ELSE 0 END,
               updated_at = p_now
          FROM per_row r JOIN locked k ON k.id = r.stock_id
         WHERE s.id = r.stock_id
        RETURNING s.id, s.on_hand, s.reserved
    ), ended AS (
        UPDATE reservations_reservation
           SET status = p_status, updated_at = p_now,
               confirmed_at = CASE WHEN p_status = 'confirmed' THEN p_now ELSE confirmed_at END,
               cancelled_at = CASE WHEN p_status = 'cancelled' THEN p_now ELSE cancelled_at END,
               expired_at = CASE WHEN p_status = 'expired' THEN p_now ELSE expired_at END
         WHERE id = ANY(p_ids)
    ), movements AS (
        INSERT INTO stock_movement
            (type, stock_id, product_id, warehouse_id, on_hand_delta, reserved_delta,
             on_hand_after, reserved_after, reservation_id, reason, reference, created_at)
        SELECT p_type, l.stock_id, l.product_id, l.warehouse_id,
               CASE WHEN p_ship THEN -l.quantity ELSE 0 END, -l.quantity,
               s.on_hand + CASE WHEN p_ship THEN l.later ELSE 0 END, s.reserved + l.later,
               l.reservation_id, '', '', p_now
          FROM (SELECT released.*,
                       COALESCE(SUM(quantity) OVER (PARTITION BY stock_id ORDER BY id
                                ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0) AS later
                  FROM released) l
          JOIN stock s ON s.id = l.stock_id
         ORDER BY l.stock_id, l.id
    )
    SELECT l.reservation_id, l.stock_id, l.product_id, l.warehouse_id, w.code::varchar,
           l.quantity
      FROM released l JOIN products_warehouse w ON w.id = l.warehouse_id
     ORDER BY l.id;
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("reservations", "0001_initial"), ("transactions", "0001_initial")]

    operations = [
        PostgresOnlySQL(
            RESERVE + RELEASE,
            reverse_sql="DROP FUNCTION reservations_release(uuid[], varchar, varchar, boolean, "
            "timestamptz, timestamptz); DROP FUNCTION reservations_reserve(uuid, bigint, varchar, "
            "timestamptz, timestamptz, uuid[], bigint[], bigint[], boolean);",
        ),
    ]
