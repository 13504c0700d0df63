-- The points ledger (entries and their allocations to lots) is append-only
-- (apps/points/models.py): triggers on both tables call this function
-- (migration points/0002). TRUNCATE, used by test teardown, is not a row
-- operation.
CREATE OR REPLACE FUNCTION points_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
