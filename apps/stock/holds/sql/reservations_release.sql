-- End pending reservations (apps/stock/holds/postgresql.py, release and
-- end_if_pending): lock their stock rows (by primary key), close their
-- lines, give the units back (or ship them: p_ship), stamp the reservations
-- with p_status and write one movement per line whose after-values are the
-- row's running values. The caller holds the reservations locked, or passes
-- p_expires_at (one reservation): then the reservation is locked here first and
-- released only if it is still pending with that expiry; else nothing is
-- written and no line returned. Returns the lines released, in line order,
-- with the unit price each was held at.
CREATE OR REPLACE FUNCTION reservations_release(
    p_ids uuid[], p_status varchar, p_type varchar, p_ship boolean, p_now timestamptz,
    p_expires_at timestamptz
) RETURNS TABLE (
    reservation_id uuid, stock_id bigint, product_id uuid, warehouse_id bigint,
    code varchar, quantity bigint, unit_price numeric
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
        RETURNING id, reservation_id, stock_id, product_id, warehouse_id, quantity, unit_price
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
        -- After-values: a row's running values, counted back from the row as
        -- updated by the quantities of its later lines in this release.
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
           l.quantity, l.unit_price
      FROM released l JOIN products_warehouse w ON w.id = l.warehouse_id
     ORDER BY l.id;
END;
$$;
