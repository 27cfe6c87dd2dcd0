-- Withdrawals written on L2 (docs/bridge.md §5): one row per `WithdrawalInitiated` event of a
-- sealed block, so that the API can say where a withdrawal stands and give what the L1 bridge
-- needs to pay it (the leaf holds only the hash of these fields).
CREATE TABLE withdrawals (
    l2_sender       BYTEA  NOT NULL,
    withdrawal_index BIGINT NOT NULL,
    l1_token        BYTEA  NOT NULL,
    l2_token        BYTEA  NOT NULL,
    recipient       BYTEA  NOT NULL,
    -- 32-byte big-endian word.
    amount          BYTEA  NOT NULL,
    leaf            BYTEA  NOT NULL,
    block_number    BIGINT NOT NULL,
    tx_hash         BYTEA  NOT NULL,
    PRIMARY KEY (l2_sender, withdrawal_index)
);
