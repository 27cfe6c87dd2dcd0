-- Durable ingest: transactions can also end `replaced` (a same-nonce replacement won) or
-- `evicted` (dropped when the mempool was full); the reason column says why. Snapshots of
-- the committed state let a restart skip re-executing the chain from genesis.

CREATE TABLE state_snapshots (
    block_number BIGINT PRIMARY KEY,
    state_root   BYTEA  NOT NULL,
    -- Encoding in sequencer/src/snapshot.rs (versioned).
    data         BYTEA  NOT NULL,
    created_at   BIGINT NOT NULL
);
