-- The batchers' lease (docs/deployment.md §4): row 2 of `sequencer_lease`. One `rollup batcher`
-- on the database posts at a time; its writes (each L1 attempt, stored before it is broadcast;
-- the mined posts; the queue it reads from the L1; the L1's limits and prices) end with the
-- same check of its epoch as the leader's blocks do with row 1's, so that a batcher that lost
-- the lease records, and so broadcasts, nothing more.
INSERT INTO sequencer_lease (id, epoch, holder, expires_at, url) VALUES (2, 0, '', 0, '');
