-- The bridge's L1 -> L2 queue as the L2 consumes it (docs/bridge.md §2-3): every entry read
-- from the L1 bridge's events at the batcher's confirmation depth, in queue order, with the
-- accumulator after it; and where the L2 consumed it. The columns of a deposit (recipient,
-- l1_token, amount, meta) are NULL for a forced transaction, whose `raw` is set.
CREATE TABLE queue_entries (
    queue_index  BIGINT PRIMARY KEY,
    -- deposit | forced
    kind         TEXT   NOT NULL,
    l1_from      BYTEA  NOT NULL,
    l1_block     BIGINT NOT NULL,
    recipient    BYTEA,
    l1_token     BYTEA,
    -- 32-byte big-endian words.
    amount       BYTEA,
    meta         BYTEA,
    raw          BYTEA,
    accumulator  BYTEA  NOT NULL,
    -- The L2 block that consumed it, NULL while it waits.
    block_number BIGINT,
    -- credited | success | revert | halt | skipped (NULL while it waits).
    outcome      TEXT,
    -- A forced transaction's hash; why one was skipped; the logs of its execution (JSON).
    tx_hash      BYTEA,
    reason       TEXT,
    logs         TEXT
);

-- How far each block consumed the queue, and the bridge's accumulator after it.
ALTER TABLE blocks ADD COLUMN queue_end BIGINT NOT NULL DEFAULT 0;
ALTER TABLE blocks ADD COLUMN queue_accumulator BYTEA;

-- One row (id 1): the last L1 block the queue reader read, and its hash.
CREATE TABLE queue_reader (
    id         BIGINT PRIMARY KEY,
    l1_block   BIGINT NOT NULL,
    l1_hash    BYTEA  NOT NULL
);
