-- The sequencer's chain database: every transaction it acknowledged, the blocks it sealed,
-- and the batches the batcher posted to L1. Types are chosen to mean the same on SQLite
-- and PostgreSQL (BIGINT, BYTEA, TEXT).

CREATE TABLE blocks (
    number            BIGINT PRIMARY KEY,
    hash              BYTEA  NOT NULL UNIQUE,
    parent_hash       BYTEA  NOT NULL,
    timestamp         BIGINT NOT NULL,
    state_root        BYTEA  NOT NULL,
    transactions_root BYTEA  NOT NULL,
    logs_bloom        BYTEA  NOT NULL,
    gas_used          BIGINT NOT NULL,
    tx_count          BIGINT NOT NULL,
    -- The state root after each chunk, concatenated (32 bytes each).
    chunk_roots       BYTEA  NOT NULL
);

CREATE TABLE transactions (
    hash         BYTEA  PRIMARY KEY,
    -- EIP-2718 encoding, exactly as signed.
    raw          BYTEA  NOT NULL,
    sender       BYTEA  NOT NULL,
    nonce        BIGINT NOT NULL,
    -- pending | included | rejected
    status       TEXT   NOT NULL,
    -- Arrival order, used to rebuild the mempool fairly after a restart.
    received_seq BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    block_number BIGINT,
    tx_index     BIGINT,
    -- success | revert | halt
    outcome      TEXT,
    gas_used     BIGINT,
    output       BYTEA,
    -- JSON array of {address, topics, data}.
    logs         TEXT,
    reason       TEXT
);

CREATE INDEX transactions_by_status ON transactions (status, received_seq);
CREATE INDEX transactions_by_block ON transactions (block_number, tx_index);
CREATE INDEX transactions_by_sender ON transactions (sender, nonce);

CREATE TABLE batches (
    batch_index  BIGINT PRIMARY KEY,
    first_block  BIGINT NOT NULL,
    last_block   BIGINT NOT NULL,
    state_root   BYTEA  NOT NULL,
    data_hash    BYTEA  NOT NULL,
    data_len     BIGINT NOT NULL,
    chunk_count  BIGINT NOT NULL,
    l1_tx_hash   BYTEA  NOT NULL,
    l1_block     BIGINT NOT NULL,
    -- L1 timestamp of the block that included the post.
    posted_at    BIGINT NOT NULL,
    finalized    BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX batches_by_last_block ON batches (last_block);
