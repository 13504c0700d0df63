-- The stock ledger is append-only (apps/ledger/models.py, StockMovement): the
-- last guard is the database refusing UPDATE and DELETE on it, by a trigger
-- calling this function (migration ledger/0002). TRUNCATE, used by test
-- teardown, is not a row operation.
CREATE OR REPLACE FUNCTION stock_movement_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock_movement is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
