-- Each block's L1 price of a byte (docs/fees.md §4), an 8-byte big-endian number: carried in
-- its batch, and committed by the state root through the fee state when the block holds an
-- item. NULL for a block sealed before the L1 data fee existed (it committed the floor).
ALTER TABLE blocks ADD COLUMN l1_byte_price BYTEA;

-- The base fee of the newest L1 block the queue reader read, from which the sequencer proposes
-- each block's L1 price (docs/fees.md §4). One row.
CREATE TABLE l1_base_fee (
    id        BIGINT PRIMARY KEY,
    l1_block  BIGINT NOT NULL,
    base_fee  BYTEA  NOT NULL
);
