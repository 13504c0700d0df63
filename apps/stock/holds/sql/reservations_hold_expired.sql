-- The expiry rule of a hold (apps/stock/holds/rules.py, hold_expired): a hold
-- whose expires_at is at or before now has expired. A plain SQL expression,
-- IMMUTABLE, so PostgreSQL inlines it where it is called and the partial index
-- of pending lines by (stock, expires_at) still serves the lookup.
CREATE OR REPLACE FUNCTION reservations_hold_expired(p_expires_at timestamptz, p_now timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN p_expires_at <= p_now;
