-- A transaction's row written once (docs/sequencer.md, "What a transaction writes";
-- BENCHMARKS.md, "The chain store's writes").
--
-- Until now a row was written at admission and rewritten in place when its status changed
-- (included at a position, rejected for a reason): every page of admission's rows was written
-- again by the blocks that included them, ~220 bytes a transaction twice (the log, then the
-- checkpoint), and each block's body carried every hash and encoding a second time.
--
-- From now on:
-- * `transactions` holds what a row was admitted with, and nothing is written to it again;
-- * `tx_pending` names the rows still pending (a row in no other table's sense: added at
--   admission, removed when the row leaves the pool), so that a restart reloads the pool
--   without reading every row;
-- * `tx_status` holds what became of a row that is no longer pending: its status, its block
--   and position when included, the reason otherwise (a row of `transactions` with no row
--   here is pending);
-- * a block's `tx_ids` lists the ids of its transactions' rows in order (docs/sequencer.md:
--   LEB128, the first id and then each id's difference from the one before, zigzag), instead
--   of their hashes and encodings in `body`, which blocks sealed before keep;
-- * `tx_legacy` keeps, for the blocks sealed before, each included row by block and position
--   (what those blocks are read by) and the receipt columns of the blocks from before
--   migration 0013 that the receipts backfill still has to move.

CREATE TABLE tx_rows (
    id           BIGINT PRIMARY KEY,
    hash         BYTEA  NOT NULL,
    -- EIP-2718 encoding, exactly as signed.
    raw          BYTEA  NOT NULL,
    sender       BYTEA  NOT NULL,
    nonce        BIGINT NOT NULL,
    -- Arrival order (0 for a block's own transactions), to reload the pool fairly.
    received_seq BIGINT NOT NULL,
    received_at  BIGINT NOT NULL
);
INSERT INTO tx_rows (id, hash, raw, sender, nonce, received_seq, received_at)
SELECT id, hash, raw, sender, nonce, received_seq, received_at FROM transactions;

CREATE TABLE tx_pending (
    id BIGINT PRIMARY KEY
);
INSERT INTO tx_pending (id) SELECT id FROM transactions WHERE status = 'pending';

CREATE TABLE tx_status (
    id           BIGINT PRIMARY KEY,
    -- included | rejected | replaced | evicted
    status       TEXT   NOT NULL,
    block_number BIGINT,
    tx_index     BIGINT,
    reason       TEXT
);
INSERT INTO tx_status (id, status, block_number, tx_index, reason)
SELECT id, status, block_number, tx_index, reason FROM transactions WHERE status <> 'pending';

CREATE TABLE tx_legacy (
    block_number BIGINT NOT NULL,
    tx_index     BIGINT NOT NULL,
    id           BIGINT NOT NULL,
    outcome      TEXT,
    gas_used     BIGINT,
    output       BYTEA,
    logs         TEXT,
    PRIMARY KEY (block_number, tx_index)
);
INSERT INTO tx_legacy (block_number, tx_index, id, outcome, gas_used, output, logs)
SELECT block_number, tx_index, id, outcome, gas_used, output, logs
FROM transactions WHERE status = 'included' AND block_number IS NOT NULL;

DROP TABLE transactions;
ALTER TABLE tx_rows RENAME TO transactions;

ALTER TABLE blocks ADD COLUMN tx_ids BYTEA;
