-- What a byte of batch data costs on L1, in wei, as of the newest L1 block the queue reader
-- read: calldata's or a blob's, as the batcher posts (docs/fees.md §4). It replaces the L1 gas
-- price kept before, from which only calldata's cost followed. One row, a 16-byte big-endian
-- number; empty until the reader reads a block.
DROP TABLE l1_base_fee;
CREATE TABLE l1_byte_cost (
    id        BIGINT PRIMARY KEY,
    l1_block  BIGINT NOT NULL,
    wei       BYTEA  NOT NULL
);
