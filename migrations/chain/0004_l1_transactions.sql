-- The batcher's L1 transactions, written before each is broadcast so that a restart finds
-- every post in flight and neither loses nor repeats it. One row per signed attempt: a fee
-- bump signs the same nonce again and adds a row. Fees are in wei (they fit 63 bits).

CREATE TABLE l1_transactions (
    tx_hash                  BYTEA  PRIMARY KEY,
    batch_index              BIGINT NOT NULL,
    nonce                    BIGINT NOT NULL,
    -- The signed EIP-2718 bytes, rebroadcast as they are after a restart.
    raw                      BYTEA  NOT NULL,
    max_fee_per_gas          BIGINT NOT NULL,
    max_priority_fee_per_gas BIGINT NOT NULL,
    -- Unix milliseconds of signing.
    sent_at                  BIGINT NOT NULL,
    -- pending | mined | replaced | dropped | reverted
    status                   TEXT   NOT NULL
);

CREATE INDEX l1_transactions_pending ON l1_transactions (nonce) WHERE status = 'pending';
