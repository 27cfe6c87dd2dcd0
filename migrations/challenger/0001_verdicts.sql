-- The challenger's own database: what it read from L1 and what it concluded. It never
-- reads the sequencer's database.

CREATE TABLE l1_batches (
    batch_index  BIGINT PRIMARY KEY,
    l1_block     BIGINT NOT NULL,
    l1_tx_hash   BYTEA  NOT NULL,
    data_hash    BYTEA  NOT NULL,
    state_root   BYTEA  NOT NULL,
    last_block   BIGINT NOT NULL,
    chunk_count  BIGINT NOT NULL,
    -- verified | mismatch
    verdict      TEXT   NOT NULL,
    -- The challenger's own root after the batch (when it could execute it).
    computed_root BYTEA,
    reason       TEXT,
    checked_at   BIGINT NOT NULL
);
