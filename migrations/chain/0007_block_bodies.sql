-- Each block's transactions in one value, written when it is sealed: whoever reads whole
-- blocks (the batcher, a restart's replay, a block's transaction hashes for the API) reads one
-- row instead of one per transaction. Layout (chain-store `encode_block_body`): for each
-- transaction in order, its hash (32 bytes), the length of its EIP-2718 encoding (4 bytes,
-- big-endian) and the encoding. NULL for blocks sealed before this migration, which are read
-- from the transactions table.
ALTER TABLE blocks ADD COLUMN body BYTEA;
