-- Following L1 reorgs and resuming after a restart.
--
-- Verdicts are kept per post (a batch index can be posted again after a reorg or a fraud
-- proof's rollback), with the L1 block hash and log position of the post: when a reorg takes
-- posts out, the challenger deletes their rows as it unwinds; a rollback marks the batches it
-- removed (`rolled_back_at`, the L1 block of the rollback) instead of deleting them, and a
-- reorg of the rollback clears the mark again. The previous table held one row per index and
-- could not tell these apart; it is rebuilt (the verdicts are re-derived from L1).
DROP TABLE l1_batches;
CREATE TABLE l1_batches (
    batch_index    BIGINT NOT NULL,
    l1_tx_hash     BYTEA  NOT NULL,
    l1_block       BIGINT NOT NULL,
    l1_block_hash  BYTEA  NOT NULL,
    log_index      BIGINT NOT NULL,
    data_hash      BYTEA  NOT NULL,
    state_root     BYTEA  NOT NULL,
    last_block     BIGINT NOT NULL,
    chunk_count    BIGINT NOT NULL,
    -- verified | mismatch
    verdict        TEXT   NOT NULL,
    computed_root  BYTEA,
    reason         TEXT,
    checked_at     BIGINT NOT NULL,
    rolled_back_at BIGINT,
    PRIMARY KEY (batch_index, l1_tx_hash)
);
CREATE INDEX l1_batches_by_l1_block ON l1_batches (l1_block);

-- The verified state after every L1 block up to `l1_block` (a block of the canonical chain when
-- it was taken, `l1_block_hash`), with the verifier's position; a restart resumes from the
-- newest one still canonical, and a reorg deeper than what the challenger can take back in
-- memory restores one at or before the common ancestor.
CREATE TABLE snapshots (
    l1_block      BIGINT PRIMARY KEY,
    l1_block_hash BYTEA  NOT NULL,
    next_index    BIGINT NOT NULL,
    next_block    BIGINT NOT NULL,
    invalid_from  BIGINT,
    state_root    BYTEA  NOT NULL,
    -- Encoding: rollup_executor's state snapshot (versioned).
    data          BYTEA  NOT NULL,
    created_at    BIGINT NOT NULL
);

-- When each proof was first built, so that a restart lists them in that order.
ALTER TABLE l1_proofs ADD COLUMN created_at BIGINT;
