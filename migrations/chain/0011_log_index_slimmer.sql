-- Indexing every log's topics 1-3 cost a third of the whole path's throughput: those topics
-- are mostly addresses, so each log inserted into three B-trees at random places (measured in
-- BENCHMARKS.md, "The log index's cost"). Lookups go by address or event signature (topic0),
-- whose index entries are appended in block order; topics 1-3 are filtered on the rows those
-- indexes (or the block range) give.
DROP INDEX IF EXISTS logs_by_topic1;
DROP INDEX IF EXISTS logs_by_topic2;
DROP INDEX IF EXISTS logs_by_topic3;
