-- Take holds for a new reservation (apps/stock/holds/postgresql.py, take):
-- lock the stock rows (by primary key) and read their free units in the same
-- statement, re-check that every product is still on sale and (p_checked: the
-- allocation was made from a read without locks) that every row still has its
-- units free and holds no expired hold; then write the reservation, the
-- counters, the lines (at the unit prices the caller read, p_unit_prices, one
-- per stock row) and the `reserve` movements. Returns the number of rows
-- written; 0 when a product is no longer on sale, -1 when a check of
-- p_checked failed (nothing written either way). A duplicate order_id raises
-- the unique violation of reservation_order_per_user.
--
-- One round trip: a stock row's lock is held only while PostgreSQL works. Each
-- statement after the locks reads a fresh snapshot (READ COMMITTED), so every
-- check sees what committed before the locks were granted.
CREATE OR REPLACE FUNCTION reservations_reserve(
    p_reservation uuid, p_user bigint, p_order_id varchar, p_expires_at timestamptz,
    p_now timestamptz, p_products uuid[], p_stock_ids bigint[], p_quantities bigint[],
    p_unit_prices numeric[], p_checked boolean
) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    written integer;
    short integer;
BEGIN
    SELECT count(*) FILTER (WHERE free < quantity) INTO short
      FROM (SELECT s.on_hand - s.reserved AS free, t.quantity
              FROM stock_stock s
              JOIN unnest(p_stock_ids, p_quantities) AS t(stock_id, quantity)
                ON s.id = t.stock_id
             ORDER BY s.id FOR UPDATE OF s) AS locked;
    IF (SELECT count(*) FROM products_product
         WHERE id = ANY(p_products)
           AND products_on_sale(deleted_at, status, sale_starts_at, sale_ends_at, p_now))
       <> cardinality(p_products) THEN
        RETURN 0;
    END IF;
    IF p_checked AND (
        short > 0
        OR EXISTS (SELECT 1 FROM reservations_line
                    WHERE stock_id = ANY(p_stock_ids) AND pending
                      AND reservations_hold_expired(expires_at, p_now))
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
          FROM unnest(p_stock_ids, p_quantities, p_unit_prices) AS t(stock_id, quantity, price)
         WHERE s.id = t.stock_id
        RETURNING s.id, s.product_id, s.warehouse_id, s.on_hand, s.reserved, t.quantity, t.price
    ), lines AS (
        INSERT INTO reservations_line
            (reservation_id, stock_id, product_id, warehouse_id, quantity, unit_price, pending,
             expires_at)
        SELECT p_reservation, id, product_id, warehouse_id, quantity, price, true, p_expires_at
          FROM stock ORDER BY id
    ), movements AS (
        -- After-values: each row appears once, so they are the row as updated.
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
