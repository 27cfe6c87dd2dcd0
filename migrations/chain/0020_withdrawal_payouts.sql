-- Withdrawals paid on L1 (docs/bridge.md §5): one row per `L1Bridge.WithdrawalFinalized` event
-- the queue reader read at its confirmation depth, written in the same database transaction as
-- the reader's position and dropped with it when an L1 reorg takes the reader back, so that the
-- API's "paid" is what the canonical L1 holds.
CREATE TABLE withdrawal_payouts (
    l2_sender        BYTEA  NOT NULL,
    withdrawal_index BIGINT NOT NULL,
    l1_block         BIGINT NOT NULL,
    l1_tx_hash       BYTEA  NOT NULL,
    batch_index      BIGINT NOT NULL,
    PRIMARY KEY (l2_sender, withdrawal_index)
);
CREATE INDEX withdrawal_payouts_by_l1_block ON withdrawal_payouts (l1_block);
