-- Sequencers sharing this database beyond the leader (docs/deployment.md).
--
-- `url`: where the leader serves (followers forward submissions there). Each sequencer, leader
-- or follower, keeps a row of `sequencer_members` up to date every second: its id, where it
-- serves, its role and the last block it applied, by the database's clock, so that the
-- leader's status reports each follower's lag.
ALTER TABLE sequencer_lease ADD COLUMN url TEXT NOT NULL DEFAULT '';

CREATE TABLE sequencer_members (
    holder  TEXT   PRIMARY KEY,
    url     TEXT   NOT NULL,
    role    TEXT   NOT NULL,
    head    BIGINT NOT NULL,
    seen_at BIGINT NOT NULL
);
