-- Fewer index writes per transaction: nothing looks transactions up by sender, and only
-- pending transactions are looked up by status (to reload the mempool), so that index holds
-- only them. Both statements mean the same on SQLite and PostgreSQL.

DROP INDEX transactions_by_sender;
DROP INDEX transactions_by_status;
CREATE INDEX transactions_pending ON transactions (received_seq) WHERE status = 'pending';
