-- Transactions by hash without a B-tree that takes every hash at a random place
-- (docs/sequencer.md, "Lookups by hash"; BENCHMARKS.md, "The chain store's writes").
--
-- The table of transactions is keyed by `id`, a number the store gives each row in the order
-- it writes them, so that admission appends rows instead of placing one index entry per row
-- at a random page: a group commit of 500 admissions dirtied nearly 500 pages of the old
-- primary key on `hash`, 4.3 kB written per transaction. Several rows may share a hash (a
-- transaction rejected, then sent again, has a new row); a lookup by hash reads them all and
-- answers the included one, else the newest.
--
-- The hash → id entries live in sorted runs (`tx_hash_runs`, `tx_hash_pages`): the store keeps
-- the entries of its newest rows in memory and writes them as one run when there are enough
-- (tens of thousands), each run a sequence of pages of about 200 entries (the first 8 bytes of
-- a hash and an id, 16 bytes each), and merges runs of a level into one run of the next. Rows
-- whose id is above every run's `last_id` are indexed from memory, rebuilt from this table at
-- start: losing them in a crash loses nothing.

CREATE TABLE transactions_by_id (
    id           BIGINT PRIMARY KEY,
    hash         BYTEA  NOT NULL,
    raw          BYTEA  NOT NULL,
    sender       BYTEA  NOT NULL,
    nonce        BIGINT NOT NULL,
    status       TEXT   NOT NULL,
    received_seq BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    block_number BIGINT,
    tx_index     BIGINT,
    outcome      TEXT,
    gas_used     BIGINT,
    output       BYTEA,
    logs         TEXT,
    reason       TEXT
);

INSERT INTO transactions_by_id (id, hash, raw, sender, nonce, status, received_seq, received_at, block_number,
                                tx_index, outcome, gas_used, output, logs, reason)
SELECT ROW_NUMBER() OVER (ORDER BY COALESCE(block_number, -1), tx_index, received_seq, hash), hash, raw, sender,
       nonce, status, received_seq, received_at, block_number, tx_index, outcome, gas_used, output, logs, reason
FROM transactions;

DROP TABLE transactions;
ALTER TABLE transactions_by_id RENAME TO transactions;

CREATE INDEX transactions_pending ON transactions (received_seq) WHERE status = 'pending';
CREATE INDEX transactions_by_block ON transactions (block_number, tx_index) WHERE block_number IS NOT NULL;

-- A run: its level (0 for a run written from memory, L + 1 for a merge of runs of level L),
-- how many entries it holds, and the highest id among them.
CREATE TABLE tx_hash_runs (
    run     BIGINT PRIMARY KEY,
    level   BIGINT NOT NULL,
    entries BIGINT NOT NULL,
    last_id BIGINT NOT NULL
);

-- A run's pages in key order: `first_key` is the first entry's key (the hash's first 8 bytes
-- as a big-endian number, its top bit flipped so that the signed order of a BIGINT is the
-- unsigned one); entries of one key never span two pages.
CREATE TABLE tx_hash_pages (
    run       BIGINT NOT NULL,
    first_key BIGINT NOT NULL,
    data      BYTEA  NOT NULL,
    PRIMARY KEY (run, first_key)
);
