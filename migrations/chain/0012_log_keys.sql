-- The log index as keys per block (docs/api.md §3.0a): the logs themselves are in the receipts
-- (`transactions.logs`), so the index needs only which blocks hold a log of an address or of
-- an event signature (topic0). A block of thousands of transfers adds a few rows here, where
-- the table `logs` of 0010 added a row per log with its own index entries, in the single
-- writer's block commit (BENCHMARKS.md, "The log index's cost"). A key is 20 bytes (an
-- emitting address) or 32 (a topic0), so the two kinds never collide.
DROP TABLE logs;

CREATE TABLE log_keys (
    key          BYTEA  NOT NULL,
    block_number BIGINT NOT NULL,
    PRIMARY KEY (key, block_number)
);

-- Every block already sealed is indexed again, newest first, at the next start.
DELETE FROM log_backfill;
INSERT INTO log_backfill (below) SELECT COALESCE(MAX(number) + 1, 0) FROM blocks;
