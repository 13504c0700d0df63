-- The record of gateway calls is append-only (apps/payments/models.py,
-- PaymentAttempt): a trigger calling this function refuses UPDATE and DELETE
-- (migration payments/0002). TRUNCATE, used by test teardown, is not a row
-- operation.
CREATE OR REPLACE FUNCTION payments_attempt_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payments_attempt is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
