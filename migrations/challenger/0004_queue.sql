-- The bridge's L1 -> L2 queue: a snapshot records how far the batches it covers consumed the
-- queue (the `queueEnd` of the last batch judged valid), so that a challenger resuming from it
-- checks the next batch's queue count against the right start (docs/bridge.md §6).
ALTER TABLE snapshots ADD COLUMN queue_end BIGINT NOT NULL DEFAULT 0;
