-- The bound on each block's encoding as a batch of its own (codec::BlockSizeBound), written
-- when it is sealed: what the sequencer counts as sealed but not yet on L1, so that a restart
-- knows the backlog it throttles admission on. 0 for blocks sealed before this migration.
ALTER TABLE blocks ADD COLUMN batch_bytes BIGINT NOT NULL DEFAULT 0;
