-- Posting at the L1's capacity: several posts in flight, reorgs detected by block hash, and
-- the limits of one post recorded by the batcher for the sequencer (which bounds its blocks so
-- that each fits one post).

-- Hash of the L1 block that holds each batch's post: a reorg replaces it (NULL for batches
-- recorded before this migration; those are checked by receipt).
ALTER TABLE batches ADD COLUMN l1_block_hash BYTEA;

-- One row (id 1): what one post can carry on the L1, as the batcher last read it.
CREATE TABLE post_limits (
    id                 BIGINT PRIMARY KEY,
    -- The most a block may encode to alone so that it fits one post.
    max_block_bytes    BIGINT NOT NULL,
    max_post_bytes     BIGINT NOT NULL,
    post_gas           BIGINT NOT NULL,
    l1_block_gas_limit BIGINT NOT NULL,
    -- EIP-7825's per-transaction cap, when the L1 has it.
    l1_tx_gas_cap      BIGINT,
    -- Unix milliseconds.
    updated_at         BIGINT NOT NULL
);
