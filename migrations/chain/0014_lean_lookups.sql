-- The batcher asks every round for the oldest batch not yet past its challenge window: an
-- index of those alone, instead of a scan of every batch ever posted.
CREATE INDEX batches_unfinalized ON batches (batch_index) WHERE finalized = 0;

-- A transaction has a block only once included: pending rows stay out of the index by block,
-- so that admission adds no entry there and inclusion adds one instead of moving one.
DROP INDEX transactions_by_block;
CREATE INDEX transactions_by_block ON transactions (block_number, tx_index) WHERE block_number IS NOT NULL;
