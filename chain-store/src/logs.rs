//! The log index (`migrations/chain/0012_log_keys.sql`): for each block, the addresses that
//! emitted its logs and their event signatures (topic0), as keys. The logs themselves are read
//! from the receipts of the blocks the keys select and numbered across their block as
//! receipts number them, for `eth_getLogs` and log filters (docs/api.md §3.0a).

use crate::{Store, StoreError, StoredLog, decode_block_body, receipts::BlockReceipts, rows_per_statement};
use alloy_primitives::{Address, B256, Bytes};
use rollup_db::{Backend, i64_of, sqlx, u64_of, values_clause};
use sqlx::Row;

/// A log as a query answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedLog {
    /// The block that emitted it.
    pub block_number: u64,
    /// That block's hash.
    pub block_hash: B256,
    /// That block's timestamp.
    pub block_timestamp: u64,
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

impl LogQuery {
    /// Whether `log` matches the address and topic sets.
    pub fn matches(&self, log: &StoredLog) -> bool {
        self.matches_parts(&log.address, &log.topics)
    }

    /// Whether a log of `address` with `topics` matches the address and topic sets.
    pub fn matches_parts(&self, address: &Address, topics: &[B256]) -> bool {
        (self.addresses.is_empty() || self.addresses.contains(address))
            && self
                .topics
                .iter()
                .enumerate()
                .all(|(position, set)| set.is_empty() || topics.get(position).is_some_and(|topic| set.contains(topic)))
    }
}

/// Blocks whose bodies and receipts are read with one statement (a full block's are hundreds
/// of kilobytes).
const BLOCKS_PER_READ: usize = 8;

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

/// The distinct keys of a block's logs: each emitting address and each topic0.
fn block_keys<'l>(logs: impl Iterator<Item = &'l StoredLog>) -> Vec<Vec<u8>> {
    let mut keys = std::collections::BTreeSet::new();
    for log in logs {
        keys.insert(log.address.to_vec());
        if let Some(topic0) = log.topics.first() {
            keys.insert(topic0.to_vec());
        }
    }
    keys.into_iter().collect()
}

/// The block a run of logs belongs to, as [`IndexedLog`] names it.
#[derive(Clone, Copy, Debug)]
pub struct LogBlock {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
    /// Its timestamp.
    pub timestamp: u64,
}

/// Appends to `out` the logs of `block` that `query` matches, numbered across the block as
/// its receipts number them; `txs` are its transactions in order, each as its hash and its
/// logs (or the error reading them). Stops once `out` holds `limit` logs and says whether it
/// did. The one walk over a block's logs, for the database's blocks and the held recent ones.
pub fn block_logs<E, L>(
    block: &LogBlock,
    txs: impl IntoIterator<Item = (B256, Result<L, E>)>,
    query: &LogQuery,
    limit: usize,
    out: &mut Vec<IndexedLog>,
) -> Result<bool, E>
where
    L: IntoIterator,
    L::Item: std::borrow::Borrow<StoredLog>,
{
    use std::borrow::Borrow;
    let mut log_index = 0;
    for (tx_index, (tx_hash, logs)) in txs.into_iter().enumerate() {
        for log in logs? {
            let log = log.borrow();
            if query.matches(log) {
                if out.len() >= limit {
                    return Ok(true);
                }
                out.push(IndexedLog {
                    block_number: block.number,
                    block_hash: block.hash,
                    block_timestamp: block.timestamp,
                    log_index,
                    tx_index: tx_index as u64,
                    tx_hash,
                    address: log.address,
                    topics: log.topics.clone(),
                    data: log.data.clone(),
                });
            }
            log_index += 1;
        }
    }
    Ok(out.len() >= limit)
}

impl Store {
    /// Indexes in `tx` the logs of block `number` (the logs of its transactions, in order).
    pub(crate) async fn insert_logs_in<'l>(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        backend: Backend,
        number: u64,
        logs: impl Iterator<Item = &'l StoredLog>,
    ) -> Result<(), StoreError> {
        let keys = block_keys(logs);
        let number = i64_of(number)?;
        for chunk in keys.chunks(rows_per_statement(backend, 2)) {
            let sql = format!(
                "INSERT INTO log_keys (key, block_number) {} ON CONFLICT DO NOTHING",
                values_clause(backend, chunk.len(), 2, "")
            );
            let mut query = sqlx::query(&sql);
            for key in chunk {
                query = query.bind(key.as_slice()).bind(number);
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Indexes the logs of the blocks sealed before the index had its present form (once: a
    /// database created with it has none to do), newest first, each block in one database
    /// transaction with the progress. Returns how many blocks it indexed.
    pub async fn backfill_logs(&self) -> Result<u64, StoreError> {
        let mut below = self.backfill_below("log_backfill").await?;
        let mut indexed = 0;
        while below > 0 {
            let number = below - 1;
            let records = self.block_transaction_records(number).await?;
            let mut tx = self.db.writer().begin().await?;
            let logs = records.iter().filter_map(|r| r.receipt.as_ref()).flat_map(|receipt| &receipt.logs);
            Self::insert_logs_in(&mut tx, self.backend(), number, logs).await?;
            sqlx::query("UPDATE log_backfill SET below = $1").bind(i64_of(number)?).execute(&mut *tx).await?;
            tx.commit().await?;
            below = number;
            indexed += 1;
        }
        Ok(indexed)
    }

    /// The blocks of `query`'s range that may hold a log it matches, in order: those whose
    /// keys meet its address set and its topic0 set, or, when it names neither, every block
    /// with a transaction.
    async fn log_blocks(&self, query: &LogQuery) -> Result<Vec<u64>, StoreError> {
        let from = i64_of(query.from_block)?;
        let to = i64_of(query.to_block)?;
        let sets: Vec<Vec<&[u8]>> = [
            query.addresses.iter().map(|a| a.as_slice()).collect::<Vec<_>>(),
            query.topics[0].iter().map(|t| t.as_slice()).collect(),
        ]
        .into_iter()
        .filter(|set| !set.is_empty())
        .collect();
        let mut ph = Placeholders { backend: self.backend(), next: 0 };
        let rows = if sets.is_empty() {
            let sql = format!(
                "SELECT number AS block_number FROM blocks WHERE number >= {} AND number <= {} AND tx_count > 0
                 ORDER BY number",
                ph.next(),
                ph.next()
            );
            sqlx::query(&sql).bind(from).bind(to).fetch_all(&self.pool).await?
        } else {
            let selects: Vec<String> = sets
                .iter()
                .map(|set| {
                    format!(
                        "SELECT block_number FROM log_keys WHERE key IN ({}) AND block_number >= {} AND block_number <= {}",
                        ph.list(set.len()),
                        ph.next(),
                        ph.next()
                    )
                })
                .collect();
            // INTERSECT (like UNION) returns distinct rows.
            let sql = format!("{} ORDER BY block_number", selects.join(" INTERSECT "));
            let sql = if sets.len() == 1 { sql.replacen("SELECT", "SELECT DISTINCT", 1) } else { sql };
            let mut q = sqlx::query(&sql);
            for set in &sets {
                for key in set {
                    q = q.bind(*key);
                }
                q = q.bind(from).bind(to);
            }
            q.fetch_all(&self.pool).await?
        };
        rows.iter().map(|row| u64_of(row, "block_number")).collect()
    }

    /// The logs `query` matches, in chain order, at most `limit` of them (ask for one more
    /// than a bound to learn whether it is passed).
    pub async fn logs(&self, query: &LogQuery, limit: usize) -> Result<Vec<IndexedLog>, StoreError> {
        let mut out = Vec::new();
        if query.from_block > query.to_block || limit == 0 {
            return Ok(out);
        }
        let blocks = self.log_blocks(query).await?;
        for group in blocks.chunks(BLOCKS_PER_READ) {
            let mut ph = Placeholders { backend: self.backend(), next: 0 };
            let sql = format!(
                "SELECT number, hash, timestamp, body, receipts FROM blocks WHERE number IN ({}) ORDER BY number",
                ph.list(group.len())
            );
            let mut q = sqlx::query(&sql);
            for number in group {
                q = q.bind(i64_of(*number)?);
            }
            for row in q.fetch_all(&self.pool).await? {
                let block_number = u64_of(&row, "number")?;
                let block_hash = B256::try_from(row.try_get::<Vec<u8>, _>("hash")?.as_slice())
                    .map_err(|_| StoreError::Corrupt(format!("block {block_number} has a hash not of 32 bytes")))?;
                let block_timestamp = u64_of(&row, "timestamp")?;
                let value: Option<Vec<u8>> = row.try_get("receipts")?;
                let value =
                    value.ok_or_else(|| StoreError::Corrupt(format!("block {block_number} has no receipts stored")))?;
                let receipts = BlockReceipts::new(&value)?;
                if receipts.len() == 0 {
                    continue;
                }
                let hashes: Vec<B256> = match row.try_get::<Option<Vec<u8>>, _>("body")? {
                    Some(body) => decode_block_body(&Bytes::from(body))?.into_iter().map(|(hash, _)| hash).collect(),
                    None => self.block_tx_hashes(block_number).await?,
                };
                if hashes.len() != receipts.len() {
                    return Err(StoreError::Corrupt(format!(
                        "block {block_number} has {} transactions and {} receipts",
                        hashes.len(),
                        receipts.len()
                    )));
                }
                let block = LogBlock { number: block_number, hash: block_hash, timestamp: block_timestamp };
                let txs = hashes
                    .into_iter()
                    .enumerate()
                    .map(|(index, hash)| (hash, receipts.get(index).map(|receipt| receipt.logs)));
                if block_logs(&block, txs, query, limit, &mut out)? {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BlockWrite, IncludedTx, PendingRow, StoredBlock};
    use rollup_types::{BlockHeader, TxStatus};

    fn log(address: u8, topics: &[u8]) -> StoredLog {
        StoredLog {
            address: Address::repeat_byte(address),
            topics: topics.iter().map(|t| B256::repeat_byte(*t)).collect(),
            data: Bytes::from(vec![address; 3]),
        }
    }

    /// Commits block `number` with one transaction per entry of `txs` (hash byte, its logs).
    async fn commit(store: &Store, number: u64, txs: &[(u8, Vec<StoredLog>)]) {
        let rows: Vec<PendingRow> = txs
            .iter()
            .map(|(i, _)| PendingRow {
                hash: B256::repeat_byte(*i),
                raw: Bytes::from(vec![*i; 8]),
                sender: Address::repeat_byte(*i),
                nonce: 0,
                seq: u64::from(*i),
                received_at: 0,
            })
            .collect();
        store.insert_pending(&rows).await.expect("pending");
        let included: Vec<IncludedTx> = txs
            .iter()
            .map(|(i, logs)| IncludedTx {
                origin: crate::TxOrigin::Pool,
                hash: B256::repeat_byte(*i),
                raw: Bytes::from(vec![*i; 8]),
                outcome: TxStatus::Success,
                gas_used: 21_000,
                output: Bytes::new(),
                logs: logs.clone(),
            })
            .collect();
        let header = BlockHeader { number, timestamp: number, ..BlockHeader::default() };
        let block = StoredBlock {
            hash: header.hash(),
            header,
            chunk_roots: vec![B256::ZERO],
            tx_count: txs.len() as u64,
            batch_bytes: 0,
            queue_txs: 0,
            closing_txs: 0,
        };
        store.commit_block(&BlockWrite::new(&block, &included, &[])).await.expect("committed");
    }

    /// The transaction records of blocks `0..n`, by block.
    async fn block_records(store: &Store, n: u64) -> Vec<Vec<crate::TxRecord>> {
        let mut out = Vec::new();
        for number in 0..n {
            out.push(store.block_transaction_records(number).await.expect("records"));
        }
        out
    }

    fn found(logs: &[IndexedLog]) -> Vec<(u64, u64, u64, u8)> {
        logs.iter().map(|l| (l.block_number, l.log_index, l.tx_index, l.address.0[0])).collect()
    }

    /// Blocks 0..=3: block 1 has three transactions (the first without logs), block 2 none,
    /// block 3 a log of another contract. Every way of selecting blocks (address, topic0, both,
    /// neither, topics 1-3 only) gives the logs numbered across their block.
    async fn queries_select_blocks_and_number_logs_across_them(url: &str) {
        let store = Store::open(url).await.expect("opens");
        commit(&store, 0, &[]).await;
        commit(
            &store,
            1,
            &[(1, vec![]), (2, vec![log(0xa, &[0x10, 0x20]), log(0xb, &[0x11])]), (3, vec![log(0xa, &[0x10, 0x21])])],
        )
        .await;
        commit(&store, 2, &[]).await;
        commit(&store, 3, &[(4, vec![log(0xc, &[0x10, 0x20]), log(0xa, &[])])]).await;
        let q = |addresses: &[u8], topics: [&[u8]; 4]| LogQuery {
            from_block: 0,
            to_block: 3,
            addresses: addresses.iter().map(|a| Address::repeat_byte(*a)).collect(),
            topics: topics.map(|set| set.iter().map(|t| B256::repeat_byte(*t)).collect()),
        };
        let all = store.logs(&q(&[], [&[], &[], &[], &[]]), 100).await.expect("read");
        assert_eq!(found(&all), vec![(1, 0, 1, 0xa), (1, 1, 1, 0xb), (1, 2, 2, 0xa), (3, 0, 0, 0xc), (3, 1, 0, 0xa)]);
        assert_eq!(all[0].tx_hash, B256::repeat_byte(2));
        assert_eq!(all[0].topics, vec![B256::repeat_byte(0x10), B256::repeat_byte(0x20)]);
        assert_eq!(all[0].data, Bytes::from(vec![0xa; 3]));
        let by_address = store.logs(&q(&[0xa], [&[], &[], &[], &[]]), 100).await.expect("read");
        assert_eq!(found(&by_address), vec![(1, 0, 1, 0xa), (1, 2, 2, 0xa), (3, 1, 0, 0xa)]);
        let by_topic0 = store.logs(&q(&[], [&[0x10], &[], &[], &[]]), 100).await.expect("read");
        assert_eq!(found(&by_topic0), vec![(1, 0, 1, 0xa), (1, 2, 2, 0xa), (3, 0, 0, 0xc)]);
        let both = store.logs(&q(&[0xa, 0xb], [&[0x10, 0x11], &[], &[], &[]]), 100).await.expect("read");
        assert_eq!(found(&both), vec![(1, 0, 1, 0xa), (1, 1, 1, 0xb), (1, 2, 2, 0xa)]);
        let topic1 = store.logs(&q(&[], [&[], &[0x20], &[], &[]]), 100).await.expect("read");
        assert_eq!(found(&topic1), vec![(1, 0, 1, 0xa), (3, 0, 0, 0xc)]);
        let none = store.logs(&q(&[0xd], [&[], &[], &[], &[]]), 100).await.expect("read");
        assert!(none.is_empty());
        // The limit cuts inside a block; the caller learns from the last log where.
        let cut = store.logs(&q(&[], [&[], &[], &[], &[]]), 2).await.expect("read");
        assert_eq!(found(&cut), vec![(1, 0, 1, 0xa), (1, 1, 1, 0xb)]);
        let later = LogQuery { from_block: 2, ..q(&[0xa], [&[], &[], &[], &[]]) };
        assert_eq!(found(&store.logs(&later, 100).await.expect("read")), vec![(3, 1, 0, 0xa)]);

        // A database indexed before the present form is indexed again at start.
        sqlx::query("DELETE FROM log_keys").execute(store.db.writer()).await.expect("cleared");
        sqlx::query("UPDATE log_backfill SET below = 4").execute(store.db.writer()).await.expect("reset");
        assert!(store.logs(&q(&[0xa], [&[], &[], &[], &[]]), 100).await.expect("read").is_empty());
        assert_eq!(store.backfill_logs().await.expect("backfilled"), 4);
        assert_eq!(store.backfill_logs().await.expect("done"), 0);
        assert_eq!(store.logs(&q(&[0xa], [&[], &[], &[], &[]]), 100).await.expect("read"), by_address);

        // A transaction read with its block: the block's records, itself among them.
        let (record, block) = store.transaction_with_block(B256::repeat_byte(2)).await.expect("read").expect("found");
        assert_eq!(block, store.block_transaction_records(1).await.expect("records"));
        assert_eq!(record, block[1]);
        assert_eq!(record.receipt.as_ref().map(|r| r.logs.len()), Some(2));
        assert!(store.transaction_with_block(B256::repeat_byte(9)).await.expect("read").is_none());

        // A database from before the receipts by block (each receipt in its transaction's row)
        // has them moved into the blocks' values at start, and reads the same.
        let records: Vec<_> = block_records(&store, 4).await;
        for block in &records {
            for r in block {
                let receipt = r.receipt.as_ref().expect("included");
                sqlx::query(
                    "INSERT INTO tx_legacy (block_number, tx_index, id, outcome, gas_used, output, logs)
                     SELECT block_number, tx_index, id, $1, $2, $3, $4 FROM tx_status
                     WHERE block_number = $5 AND tx_index = $6",
                )
                .bind("success")
                .bind(i64_of(receipt.gas_used).expect("fits"))
                .bind(receipt.output.to_vec())
                .bind(serde_json::to_string(&receipt.logs).expect("json"))
                .bind(i64_of(receipt.block_number).expect("fits"))
                .bind(i64_of(receipt.index).expect("fits"))
                .execute(store.db.writer())
                .await
                .expect("old row");
            }
        }
        sqlx::query("UPDATE blocks SET receipts = NULL").execute(store.db.writer()).await.expect("old blocks");
        sqlx::query("UPDATE receipts_backfill SET below = 4").execute(store.db.writer()).await.expect("reset");
        assert!(store.transaction(B256::repeat_byte(2)).await.is_err(), "no receipt where it is looked for");
        assert_eq!(store.backfill_receipts().await.expect("moved"), 4);
        assert_eq!(store.backfill_receipts().await.expect("done"), 0);
        assert_eq!(block_records(&store, 4).await, records);
        assert_eq!(store.logs(&q(&[], [&[], &[], &[], &[]]), 100).await.expect("read"), all);
        let left = sqlx::query("SELECT COUNT(*) AS n FROM tx_legacy WHERE logs IS NOT NULL OR outcome IS NOT NULL")
            .fetch_one(&store.pool)
            .await
            .expect("count");
        assert_eq!(u64_of(&left, "n").expect("n"), 0, "the old columns are cleared");
        store.close().await;
    }

    #[tokio::test]
    async fn queries_select_blocks_and_number_logs_across_them_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        queries_select_blocks_and_number_logs_across_them(&format!(
            "sqlite://{}",
            dir.path().join("c.sqlite").display()
        ))
        .await;
    }

    #[tokio::test]
    async fn queries_select_blocks_and_number_logs_across_them_on_postgres() {
        let Some(db) = rollup_db::testing::PostgresTestDb::create("log_keys").await else { return };
        queries_select_blocks_and_number_logs_across_them(db.url()).await;
        db.drop_database().await.expect("dropped");
    }
}
