//! The log index (`migrations/chain/0010_logs.sql`): every log of an included transaction,
//! one row each, numbered across its block as receipts number them, for `eth_getLogs` and
//! log filters (docs/api.md §3.3).

use crate::{Store, StoreError, StoredLog, rows_per_statement};
use alloy_primitives::{Address, B256, Bytes};
use rollup_db::{Backend, address, b256, i64_of, sqlx, u64_of, values_clause};
use sqlx::{Row, any::AnyRow};

/// A log as the index holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedLog {
    /// The block that emitted it.
    pub block_number: u64,
    /// Its position among the block's logs.
    pub log_index: u64,
    /// The position of its transaction in the block.
    pub tx_index: u64,
    /// Its transaction.
    pub tx_hash: B256,
    /// The contract that emitted it.
    pub address: Address,
    /// Its topics (at most four).
    pub topics: Vec<B256>,
    /// Its data.
    pub data: Bytes,
}

/// What a log query matches: blocks `from_block..=to_block`, any of `addresses` (empty: any
/// address) and, at each topic position, any of the topics listed (empty: anything, or no
/// topic at all).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogQuery {
    /// First block.
    pub from_block: u64,
    /// Last block.
    pub to_block: u64,
    /// Emitting contracts.
    pub addresses: Vec<Address>,
    /// Topic sets by position.
    pub topics: [Vec<B256>; 4],
}

const TOPIC_COLUMNS: [&str; 4] = ["topic0", "topic1", "topic2", "topic3"];

/// Placeholders in the order they are bound: `?` on SQLite, `$n` on PostgreSQL.
struct Placeholders {
    backend: Backend,
    next: usize,
}

impl Placeholders {
    fn next(&mut self) -> String {
        self.next += 1;
        match self.backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${}", self.next),
        }
    }

    fn list(&mut self, n: usize) -> String {
        (0..n).map(|_| self.next()).collect::<Vec<_>>().join(", ")
    }
}

fn log_of(row: &AnyRow) -> Result<IndexedLog, StoreError> {
    let mut topics = Vec::with_capacity(4);
    for column in TOPIC_COLUMNS {
        let topic: Option<Vec<u8>> = row.try_get(column)?;
        let Some(topic) = topic else { break };
        topics.push(B256::try_from(topic.as_slice()).map_err(|_| StoreError::Corrupt(format!("{column} length")))?);
    }
    Ok(IndexedLog {
        block_number: u64_of(row, "block_number")?,
        log_index: u64_of(row, "log_index")?,
        tx_index: u64_of(row, "tx_index")?,
        tx_hash: b256(row, "tx_hash")?,
        address: address(row, "address")?,
        topics,
        data: Bytes::from(row.try_get::<Vec<u8>, _>("data")?),
    })
}

impl Store {
    /// Indexes in `tx` the logs of the transactions block `number` includes, given in order
    /// as (hash, logs).
    pub(crate) async fn insert_logs_in<'l>(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        backend: Backend,
        number: u64,
        txs: impl Iterator<Item = (B256, &'l [StoredLog])>,
    ) -> Result<(), StoreError> {
        const COLUMNS: usize = 10;
        let mut rows = Vec::new();
        for (tx_index, (hash, logs)) in txs.enumerate() {
            for log in logs {
                if log.topics.len() > 4 {
                    return Err(StoreError::Corrupt(format!("a log of {hash} has {} topics", log.topics.len())));
                }
                rows.push((tx_index as u64, hash, log));
            }
        }
        let number = i64_of(number)?;
        let per_statement = rows_per_statement(backend, COLUMNS);
        for (c, chunk) in rows.chunks(per_statement).enumerate() {
            let sql = format!(
                "INSERT INTO logs (block_number, log_index, tx_index, tx_hash, address, topic0, topic1, topic2, topic3,
                                   data) {}",
                values_clause(backend, chunk.len(), COLUMNS, "")
            );
            let mut query = sqlx::query(&sql);
            for (i, (tx_index, hash, log)) in chunk.iter().enumerate() {
                query = query
                    .bind(number)
                    .bind(i64_of((c * per_statement + i) as u64)?)
                    .bind(i64_of(*tx_index)?)
                    .bind(hash.as_slice())
                    .bind(log.address.as_slice());
                for position in 0..4 {
                    query = query.bind(log.topics.get(position).map(|t| t.to_vec()));
                }
                query = query.bind(log.data.as_ref());
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Indexes the logs of the blocks sealed before the index existed (once: a database
    /// created with it has none), newest first, each block in one database transaction with
    /// the progress. Returns how many blocks it indexed.
    pub async fn backfill_logs(&self) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT below FROM log_backfill").fetch_optional(&self.pool).await?;
        let mut below = match row {
            Some(row) => u64_of(&row, "below")?,
            None => 0,
        };
        let mut indexed = 0;
        while below > 0 {
            let number = below - 1;
            let records = self.block_transaction_records(number).await?;
            let mut tx = self.db.writer().begin().await?;
            sqlx::query("DELETE FROM logs WHERE block_number = $1").bind(i64_of(number)?).execute(&mut *tx).await?;
            let txs =
                records.iter().filter_map(|r| r.receipt.as_ref().map(|receipt| (r.hash, receipt.logs.as_slice())));
            Self::insert_logs_in(&mut tx, self.backend(), number, txs).await?;
            sqlx::query("UPDATE log_backfill SET below = $1").bind(i64_of(number)?).execute(&mut *tx).await?;
            tx.commit().await?;
            below = number;
            indexed += 1;
        }
        Ok(indexed)
    }

    /// The logs `query` matches, in chain order, at most `limit` of them (ask for one more
    /// than a bound to learn whether it is passed).
    pub async fn logs(&self, query: &LogQuery, limit: usize) -> Result<Vec<IndexedLog>, StoreError> {
        let mut ph = Placeholders { backend: self.backend(), next: 0 };
        let mut sql = format!(
            "SELECT block_number, log_index, tx_index, tx_hash, address, topic0, topic1, topic2, topic3, data
             FROM logs WHERE block_number >= {} AND block_number <= {}",
            ph.next(),
            ph.next()
        );
        if !query.addresses.is_empty() {
            sql.push_str(&format!(" AND address IN ({})", ph.list(query.addresses.len())));
        }
        for (column, set) in TOPIC_COLUMNS.iter().zip(&query.topics) {
            if !set.is_empty() {
                sql.push_str(&format!(" AND {column} IN ({})", ph.list(set.len())));
            }
        }
        sql.push_str(&format!(" ORDER BY block_number, log_index LIMIT {}", ph.next()));
        let mut q = sqlx::query(&sql).bind(i64_of(query.from_block)?).bind(i64_of(query.to_block)?);
        for a in &query.addresses {
            q = q.bind(a.as_slice());
        }
        for set in &query.topics {
            for topic in set {
                q = q.bind(topic.as_slice());
            }
        }
        let q = q.bind(i64_of(limit as u64)?);
        q.fetch_all(&self.pool).await?.iter().map(log_of).collect()
    }
}
