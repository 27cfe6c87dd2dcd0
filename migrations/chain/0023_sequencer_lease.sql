-- Leadership of the sequencers sharing this database (docs/deployment.md).
--
-- One row. The process holding it (`holder`, an id it drew at start) leads until
-- `expires_at` (milliseconds since the Unix epoch, by the database's clock) unless it renews.
-- Taking it over increments `epoch`; every block and every admission is written in a
-- transaction that first checks the epoch its writer was given (`UPDATE … WHERE epoch = $e`),
-- so a leader that lost the lease, however long it stalled, fails at commit and writes
-- nothing (a fencing token).
CREATE TABLE sequencer_lease (
    id         BIGINT PRIMARY KEY,
    epoch      BIGINT NOT NULL,
    holder     TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);

INSERT INTO sequencer_lease (id, epoch, holder, expires_at) VALUES (1, 0, '', 0);
