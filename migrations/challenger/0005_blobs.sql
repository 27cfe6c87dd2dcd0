-- The blobs of blob posts the challenger read (docs/fraud-proofs.md §8.5): beacon nodes serve a
-- blob for 4,096 epochs (about 18 days) only, and a challenger judging again from a snapshot
-- (or from genesis) after that needs them. Kept from the oldest snapshot's L1 block on.
CREATE TABLE blobs (
    versioned_hash BYTEA  PRIMARY KEY,
    l1_block       BIGINT NOT NULL,
    data           BYTEA  NOT NULL
);
CREATE INDEX blobs_by_block ON blobs (l1_block);
