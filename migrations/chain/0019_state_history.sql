-- The state's history, for reads at any past block (docs/api.md §3.0f, `--state.archive`):
-- for each state-tree key a block changed, its value before that block. The value of a key
-- after block N is the old value of its first change after N, or the head's when it has none:
-- one index seek a key, however old N is. Written with the block, only by a node whose archive
-- is on.
CREATE TABLE state_history (
    -- The 32-byte state-tree key (a storage slot, or the key of an account's nonce).
    state_key    BYTEA  NOT NULL,
    block_number BIGINT NOT NULL,
    -- The value before the block, big-endian with its leading zero bytes left out.
    old_value    BYTEA  NOT NULL,
    PRIMARY KEY (state_key, block_number)
);

-- The blocks the history is whole for: from `first_block` (the head when it was started) to
-- `last_block` (the newest block written with it). One row at most.
CREATE TABLE state_history_range (
    first_block BIGINT NOT NULL,
    last_block  BIGINT NOT NULL
);
