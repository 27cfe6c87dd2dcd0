-- The log index (docs/api.md §3.3): one row per log of an included transaction, numbered
-- across its block as receipts number them, for eth_getLogs and log filters. Each lookup
-- index ends in the block number, so a range is one index range per value asked for.
CREATE TABLE logs (
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL,
    tx_index     BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    address      BYTEA  NOT NULL,
    topic0       BYTEA,
    topic1       BYTEA,
    topic2       BYTEA,
    topic3       BYTEA,
    data         BYTEA  NOT NULL,
    PRIMARY KEY (block_number, log_index)
);

CREATE INDEX logs_by_address ON logs (address, block_number);
CREATE INDEX logs_by_topic0 ON logs (topic0, block_number);
CREATE INDEX logs_by_topic1 ON logs (topic1, block_number);
CREATE INDEX logs_by_topic2 ON logs (topic2, block_number);
CREATE INDEX logs_by_topic3 ON logs (topic3, block_number);

-- Blocks sealed before this migration (those below `below`) are indexed at the next start,
-- newest first, `below` moving down with each block indexed.
CREATE TABLE log_backfill (below BIGINT NOT NULL);
INSERT INTO log_backfill (below) SELECT COALESCE(MAX(number) + 1, 0) FROM blocks;
