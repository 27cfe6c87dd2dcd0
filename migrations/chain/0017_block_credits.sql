-- The transactions of a block that did not come from the pool (docs/fees.md §8): the queue
-- entries it consumed that ran (deposits as type-0x7e transactions, forced transactions as
-- themselves) open its body and receipts, and the fee vault's credit closes them. The body's
-- pool transactions, what a batch carries, are those between. 0 and 0 for blocks sealed before.
ALTER TABLE blocks ADD COLUMN queue_txs BIGINT NOT NULL DEFAULT 0;
ALTER TABLE blocks ADD COLUMN closing_txs BIGINT NOT NULL DEFAULT 0;
