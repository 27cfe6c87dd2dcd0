-- Every fraud proof the challenger built, keyed by its commitment (one per prover and proof
-- calldata), with where it stands: built, committed, proven or failed.

CREATE TABLE l1_proofs (
    commitment     BYTEA  PRIMARY KEY,
    batch_index    BIGINT NOT NULL,
    -- header | chunk N
    target         TEXT   NOT NULL,
    reason         TEXT   NOT NULL,
    -- built | committed | proven | failed
    state          TEXT   NOT NULL,
    commit_tx      BYTEA,
    proof_tx       BYTEA,
    gas_used       BIGINT,
    calldata_bytes BIGINT NOT NULL,
    error          TEXT,
    updated_at     BIGINT NOT NULL
);
