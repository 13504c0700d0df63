from importlib import import_module

from django.db import migrations

from apps.core.migration_ops import PostgresOnlySQL

PREVIOUS = import_module("apps.reservations.migrations.0002_reserve_and_release_functions")

# reservations_reserve reads the free units of its rows in the statement that
# locks them (the locked rows come back as they are now) instead of in a second
# statement under the lock; otherwise as in 0002.
FUNCTION = """
CREATE OR REPLACE FUNCTION reservations_reserve(
    p_reservation uuid, p_user bigint, p_order_id varchar, p_expires_at timestamptz,
    p_now timestamptz, p_products uuid[], p_stock_ids bigint[], p_quantities bigint[],
    p_checked boolean
) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    written integer;
    short integer;
BEGIN
    -- Lock and read in one statement: the locked rows come back as they are now.
    SELECT count(*) FILTER (WHERE free < quantity) INTO short
      FROM (SELECT s.on_hand - s.reserved AS free, t.quantity
              FROM stock_stock s
              JOIN unnest(p_stock_ids, p_quantities) AS t(stock_id, quantity)
                ON s.id = t.stock_id
             ORDER BY s.id FOR UPDATE OF s) AS locked;
    IF (SELECT count(*) FROM products_product
         WHERE id = ANY(p_products) AND deleted_at IS NULL AND status = 'active'
           AND (sale_starts_at IS NULL OR sale_starts_at <= p_now)
           AND (sale_ends_at IS NULL OR sale_ends_at > p_now)) <> cardinality(p_products) THEN
        RETURN 0;
    END IF;
    IF p_checked AND (
        short > 0
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


class Migration(migrations.Migration):
    dependencies = [("reservations", "0002_reserve_and_release_functions")]

    operations = [
        PostgresOnlySQL(
            FUNCTION,
            reverse_sql=PREVIOUS.RESERVE.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
        ),
    ]
