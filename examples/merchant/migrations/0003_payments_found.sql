-- Every payment the gateway reports for an order, and the gateway's clock. TEXT and BIGINT
-- only, as in 0001.

-- When the order was placed by the gateway's clock (unix seconds; the embedded sandbox's test
-- clock when there is one). The sweeper's grace period for a payment whose notification never
-- arrived is measured from here. NULL for orders placed before this column existed.
ALTER TABLE orders ADD COLUMN placed_at_gateway BIGINT;

-- Payments of the order beyond the first (a buyer who paid twice: two tabs, the back button),
-- serialised with serde as a JSON array of the core's `Payment`. Each is recorded,
-- acknowledged and refundable; NULL when there is none.
ALTER TABLE orders ADD COLUMN extra_payments TEXT;

-- The payment a command is about, when it is not the order's first one (refunding the extra
-- payment of a double payment). NULL: the order's payment.
ALTER TABLE commands ADD COLUMN transaction_id TEXT;
