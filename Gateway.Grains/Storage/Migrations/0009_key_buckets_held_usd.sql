-- The budget money a key's grain holds for running requests and fronts' slices, saved with the bucket
-- levels on the same short timer: an activation that replaces a lost one treats it as still held until
-- the fronts have declared what they hold (Leases:BudgetHoldCarryOver), so a silo kill creates no
-- headroom beyond the budget except what was granted in the last save interval.
ALTER TABLE key_buckets ADD COLUMN held_usd numeric(20,8);
