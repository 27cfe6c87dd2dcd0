-- The receipts of a block in one value (chain-store/src/receipts.rs), written with the block:
-- a transaction's row is written at admission and, at inclusion, only gains its status and
-- position. Its columns outcome, gas_used, output and logs are left NULL for blocks sealed
-- from now on; those of the blocks sealed before are moved into their block's value at the
-- next start, newest first (`below` moving down with each block), and cleared.
ALTER TABLE blocks ADD COLUMN receipts BYTEA;

CREATE TABLE receipts_backfill (below BIGINT NOT NULL);
INSERT INTO receipts_backfill (below) SELECT COALESCE(MAX(number) + 1, 0) FROM blocks;
