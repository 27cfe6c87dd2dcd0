-- Each block's base fee (docs/fees.md §3), a 16-byte big-endian number: part of its header and
-- hash. NULL for a block sealed before fees existed (its header said 0).
ALTER TABLE blocks ADD COLUMN base_fee BYTEA;
