//! Transactions by hash without a B-tree that takes every hash at a random place (migration
//! 0021; docs/sequencer.md, "Lookups by hash").
//!
//! Rows of `transactions` are keyed by an id the store gives them in the order it writes them,
//! so that admission appends. The hash → id entries of the newest rows are held in memory
//! ([`HashIndex`]); once there are [`FLUSH_ENTRIES`] of them they are written, sorted, as one
//! run of level 0: pages of [`PAGE_ENTRIES`] entries of 16 bytes (the hash's first 8 bytes
//! and the id, both big-endian), appended to `tx_hash_pages` under a new run number. When a
//! level holds [`MERGE_FANIN`] runs they are merged, streaming page by page, into one run of
//! the next level. An entry is thus written once per level it passes through, a few times
//! over the chain's life, where the old index wrote a 4 KiB page per admission; a lookup reads
//! one page per run (a few dozen at most), each found by the run's key index.
//!
//! The memory is rebuilt at start from the rows whose id is above every run's `last_id`, and
//! from the pending rows (which keep their id in memory until they are included or dropped):
//! a crash loses no entry.

use crate::StoreError;
use alloy_primitives::{B256, map::HashMap};
use rollup_db::{Backend, Pool, i64_of, sqlx, u64_of, values_clause};
use sqlx::{AnyConnection, Row};
use std::sync::{Mutex, MutexGuard};

/// Entries held in memory before they are written as a run of level 0 (about 5 MiB).
pub(crate) const FLUSH_ENTRIES: usize = 65_536;
/// Runs of one level merged into one run of the next.
pub(crate) const MERGE_FANIN: usize = 4;
/// Entries a page holds (more when one key would span its end): 1,920 bytes, so that two
/// pages share one 4 KiB page of SQLite and PostgreSQL keeps each in its row (below its
/// 2 kB TOAST threshold).
const PAGE_ENTRIES: usize = 120;
/// Bytes of an entry: the key, then the id.
const ENTRY_BYTES: usize = 16;
/// Pages read, or written, by one statement of a merge.
const PAGES_PER_STATEMENT: usize = 64;

/// The key of a hash: its first 8 bytes, big-endian.
pub(crate) fn key_of(hash: &B256) -> u64 {
    let mut key = [0; 8];
    key.copy_from_slice(&hash[..8]);
    u64::from_be_bytes(key)
}

/// A key as stored in a `BIGINT`: the top bit flipped, so that the signed order of the column
/// is the unsigned order of keys.
const fn sql_key(key: u64) -> i64 {
    (key ^ (1 << 63)) as i64
}

/// One entry: (key, id).
type Entry = (u64, u64);

/// The entries of one page, in order.
fn decode_page(data: &[u8]) -> Result<Vec<Entry>, StoreError> {
    if data.is_empty() || !data.len().is_multiple_of(ENTRY_BYTES) {
        return Err(StoreError::Corrupt(format!("a hash index page of {} bytes", data.len())));
    }
    Ok(data
        .chunks_exact(ENTRY_BYTES)
        .map(|e| {
            let mut key = [0; 8];
            let mut id = [0; 8];
            key.copy_from_slice(&e[..8]);
            id.copy_from_slice(&e[8..]);
            (u64::from_be_bytes(key), u64::from_be_bytes(id))
        })
        .collect())
}

/// What the index holds in memory.
#[derive(Debug, Default)]
struct Memory {
    /// The id the next row written gets.
    next_id: u64,
    /// The pending rows: each keeps its id here until its status changes.
    pending: HashMap<B256, u64>,
    /// Rows not yet in any run, by hash.
    unflushed: HashMap<B256, Vec<u64>>,
    /// How many ids `unflushed` holds.
    unflushed_entries: usize,
    /// Of a follower's index ([`HashIndex::follow`]): the last id the runs held when it last
    /// looked (its memory holds only the rows above it).
    followed_runs: u64,
}

/// The hash index of the transactions table: its memory, and the lock that orders the
/// store's writes of transaction rows (ids are given, and their rows committed, in order).
#[derive(Debug)]
pub(crate) struct HashIndex {
    /// Held by every write of transaction rows, from giving ids to indexing them.
    pub(crate) write: tokio::sync::Mutex<()>,
    memory: Mutex<Memory>,
    /// Entries in memory that trigger a run ([`FLUSH_ENTRIES`]; fewer in tests).
    flush_at: usize,
    /// Runs of a level that are merged ([`MERGE_FANIN`]).
    fanin: usize,
}

impl HashIndex {
    /// Rebuilds the memory from the database: the rows above every run, the pending rows.
    pub(crate) async fn load(pool: &Pool, flush_at: usize, fanin: usize) -> Result<Self, StoreError> {
        Ok(Self {
            write: tokio::sync::Mutex::new(()),
            memory: Mutex::new(Self::read_memory(pool).await?),
            flush_at: flush_at.max(1),
            fanin: fanin.max(2),
        })
    }

    /// Rebuilds the memory from the database again, as [`Self::load`] does: a follower's index
    /// becoming a leader's, which writes rows and runs (docs/deployment.md).
    pub(crate) async fn reload(&self, pool: &Pool) -> Result<(), StoreError> {
        let _write = self.write.lock().await;
        let memory = Self::read_memory(pool).await?;
        *self.memory() = memory;
        Ok(())
    }

    /// Learns the rows another process (the leader) committed since the last call, and lets
    /// go of those its new runs hold: the index of a follower, which reads the database the
    /// leader writes and writes nothing itself. Every row goes to the unflushed entries, the
    /// pending ones too (a lookup reads each candidate's row, status included). Returns how
    /// many rows it learnt; at most `limit` a call, oldest first.
    pub(crate) async fn follow(&self, pool: &Pool, limit: u64) -> Result<usize, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(last_id), 0) AS w FROM tx_hash_runs").fetch_one(pool).await?;
        let runs = u64_of(&row, "w")?;
        let from = {
            let mut memory = self.memory();
            if runs > memory.followed_runs {
                memory.followed_runs = runs;
                memory.unflushed.retain(|_, ids| {
                    ids.retain(|id| *id > runs);
                    !ids.is_empty()
                });
                memory.unflushed_entries = memory.unflushed.values().map(Vec::len).sum();
            }
            memory.next_id.max(runs + 1)
        };
        // Rows are committed in the order of their ids (the leader gives them under one
        // lock): what is above `from` now is all that was committed after the last call.
        let rows = sqlx::query("SELECT id, hash FROM transactions WHERE id >= $1 ORDER BY id LIMIT $2")
            .bind(i64_of(from)?)
            .bind(i64_of(limit)?)
            .fetch_all(pool)
            .await?;
        let mut memory = self.memory();
        for row in &rows {
            memory.index(rollup_db::b256(row, "hash")?, u64_of(row, "id")?);
        }
        Ok(rows.len())
    }

    async fn read_memory(pool: &Pool) -> Result<Memory, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(last_id), 0) AS w FROM tx_hash_runs").fetch_one(pool).await?;
        let watermark = u64_of(&row, "w")?;
        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS n FROM transactions").fetch_one(pool).await?;
        let mut memory = Memory { next_id: u64_of(&row, "n")?, ..Memory::default() };
        let rows = sqlx::query("SELECT id, hash FROM transactions WHERE id > $1")
            .bind(i64_of(watermark)?)
            .fetch_all(pool)
            .await?;
        for row in &rows {
            memory.index(rollup_db::b256(row, "hash")?, u64_of(row, "id")?);
        }
        let rows = sqlx::query("SELECT t.id, t.hash FROM tx_pending p JOIN transactions t ON t.id = p.id")
            .fetch_all(pool)
            .await?;
        for row in &rows {
            memory.pending.insert(rollup_db::b256(row, "hash")?, u64_of(row, "id")?);
        }
        memory.followed_runs = watermark;
        Ok(memory)
    }

    fn memory(&self) -> MutexGuard<'_, Memory> {
        // The memory is only changed by short, non-panicking sections: a poisoned lock still
        // holds a consistent value.
        self.memory.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The id the next row written gets (read under [`Self::write`]).
    pub(crate) fn next_id(&self) -> u64 {
        self.memory().next_id
    }

    /// The id of the pending row of `hash`.
    pub(crate) fn pending_id(&self, hash: &B256) -> Option<u64> {
        self.memory().pending.get(hash).copied()
    }

    /// Indexes rows just committed (under [`Self::write`]), pending ones among them.
    pub(crate) fn written(&self, rows: impl IntoIterator<Item = (B256, u64)>, pending: bool) {
        let mut memory = self.memory();
        for (hash, id) in rows {
            memory.index(hash, id);
            if pending {
                memory.pending.insert(hash, id);
            }
        }
    }

    /// Forgets the pending ids of rows no longer pending (included, rejected, replaced,
    /// evicted), committed just before.
    pub(crate) fn settled<'a>(&self, hashes: impl IntoIterator<Item = &'a B256>) {
        let mut memory = self.memory();
        for hash in hashes {
            memory.pending.remove(hash);
        }
    }

    /// The ids of rows of `hash` that memory knows of (its pending row, rows in no run yet).
    pub(crate) fn memory_candidates(&self, hash: &B256) -> Vec<u64> {
        let memory = self.memory();
        let mut ids: Vec<u64> = memory.unflushed.get(hash).cloned().unwrap_or_default();
        ids.extend(memory.pending.get(hash));
        ids
    }

    /// Entries of rows in no run yet.
    #[cfg(test)]
    pub(crate) fn unflushed(&self) -> usize {
        self.memory().unflushed_entries
    }

    /// Writes the entries in memory as a run once there are enough, then merges every level
    /// that is full; under [`Self::write`].
    pub(crate) async fn flush_if_full(&self, writer: &Pool, backend: Backend) -> Result<(), StoreError> {
        let (mut entries, last_id) = {
            let memory = self.memory();
            if memory.unflushed_entries < self.flush_at {
                return Ok(());
            }
            let mut entries: Vec<Entry> = Vec::with_capacity(memory.unflushed_entries);
            for (hash, ids) in &memory.unflushed {
                let key = key_of(hash);
                entries.extend(ids.iter().map(|id| (key, *id)));
            }
            (entries, memory.next_id - 1)
        };
        entries.sort_unstable();
        // Memory holds one run's worth, except after a start that found more rows than that
        // above every run (a database from before the runs): such a run goes to the level of
        // its size, not to be merged again with runs far smaller than itself.
        let mut level = 0;
        while (self.flush_at as u128) * (self.fanin as u128).pow(level + 1) <= entries.len() as u128 {
            level += 1;
        }
        let mut conn = writer.begin().await?;
        let run = next_run(&mut conn).await?;
        let mut out = RunWriter::new(run, backend);
        for entry in entries {
            out.push(&mut conn, entry).await?;
        }
        out.finish(&mut conn, u64::from(level), last_id).await?;
        conn.commit().await?;
        {
            let mut memory = self.memory();
            memory.unflushed.clear();
            memory.unflushed_entries = 0;
        }
        while self.merge_one(writer, backend).await? {}
        Ok(())
    }

    /// Merges the oldest runs of the lowest full level into one run of the next, in one
    /// database transaction; whether there was one.
    async fn merge_one(&self, writer: &Pool, backend: Backend) -> Result<bool, StoreError> {
        let mut conn = writer.begin().await?;
        let Some(row) =
            sqlx::query("SELECT level FROM tx_hash_runs GROUP BY level HAVING COUNT(*) >= $1 ORDER BY level LIMIT 1")
                .bind(i64_of(self.fanin as u64)?)
                .fetch_optional(&mut *conn)
                .await?
        else {
            return Ok(false);
        };
        let level = u64_of(&row, "level")?;
        let rows = sqlx::query("SELECT run, last_id FROM tx_hash_runs WHERE level = $1 ORDER BY run LIMIT $2")
            .bind(i64_of(level)?)
            .bind(i64_of(self.fanin as u64)?)
            .fetch_all(&mut *conn)
            .await?;
        let mut inputs = Vec::with_capacity(rows.len());
        let mut last_id = 0;
        for row in &rows {
            inputs.push(Cursor::new(row.try_get::<i64, _>("run")?));
            last_id = last_id.max(u64_of(row, "last_id")?);
        }
        let run = next_run(&mut conn).await?;
        let mut out = RunWriter::new(run, backend);
        loop {
            let mut smallest: Option<(Entry, usize)> = None;
            for (i, input) in inputs.iter_mut().enumerate() {
                if let Some(entry) = input.head(&mut conn).await?
                    && smallest.is_none_or(|(best, _)| entry < best)
                {
                    smallest = Some((entry, i));
                }
            }
            let Some((entry, i)) = smallest else { break };
            inputs[i].advance();
            out.push(&mut conn, entry).await?;
        }
        for input in &inputs {
            for table in ["tx_hash_pages", "tx_hash_runs"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE run = $1")).bind(input.run).execute(&mut *conn).await?;
            }
        }
        out.finish(&mut conn, level + 1, last_id).await?;
        conn.commit().await?;
        Ok(true)
    }
}

impl Memory {
    fn index(&mut self, hash: B256, id: u64) {
        self.unflushed.entry(hash).or_default().push(id);
        self.unflushed_entries += 1;
        self.next_id = self.next_id.max(id + 1);
    }
}

/// The ids that the runs hold for `hash`: in each run, the page where its key would be.
pub(crate) async fn run_candidates(pool: &Pool, hash: &B256) -> Result<Vec<u64>, StoreError> {
    let key = key_of(hash);
    let pages = sqlx::query(
        "SELECT p.data AS data FROM tx_hash_runs r JOIN tx_hash_pages p ON p.run = r.run
         WHERE p.first_key = (SELECT q.first_key FROM tx_hash_pages q WHERE q.run = r.run AND q.first_key <= $1
                              ORDER BY q.first_key DESC LIMIT 1)",
    )
    .bind(sql_key(key))
    .fetch_all(pool)
    .await?;
    let mut ids = Vec::new();
    for page in &pages {
        let entries = decode_page(&page.try_get::<Vec<u8>, _>("data")?)?;
        let from = entries.partition_point(|(k, _)| *k < key);
        ids.extend(entries[from..].iter().take_while(|(k, _)| *k == key).map(|(_, id)| *id));
    }
    Ok(ids)
}

/// The number the next run gets.
async fn next_run(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COALESCE(MAX(run), 0) + 1 AS run FROM tx_hash_runs").fetch_one(&mut *conn).await?;
    Ok(row.try_get("run")?)
}

/// Reads a run's entries in order, a few pages at a time.
struct Cursor {
    run: i64,
    /// The last page read.
    after: Option<i64>,
    entries: std::collections::VecDeque<Entry>,
    exhausted: bool,
}

impl Cursor {
    fn new(run: i64) -> Self {
        Self { run, after: None, entries: Default::default(), exhausted: false }
    }

    /// The next entry, reading pages when none is left in hand.
    async fn head(&mut self, conn: &mut AnyConnection) -> Result<Option<Entry>, StoreError> {
        while self.entries.is_empty() && !self.exhausted {
            // The first read takes the run's first page whatever its key; later ones the pages
            // after the last one read.
            let sql = if self.after.is_some() {
                "SELECT first_key, data FROM tx_hash_pages WHERE run = $1 AND first_key > $2
                 ORDER BY first_key LIMIT $3"
            } else {
                "SELECT first_key, data FROM tx_hash_pages WHERE run = $1 AND first_key >= $2
                 ORDER BY first_key LIMIT $3"
            };
            let rows = sqlx::query(sql)
                .bind(self.run)
                .bind(self.after.unwrap_or(i64::MIN))
                .bind(PAGES_PER_STATEMENT as i64)
                .fetch_all(&mut *conn)
                .await?;
            self.exhausted = rows.len() < PAGES_PER_STATEMENT;
            for row in &rows {
                self.after = Some(row.try_get("first_key")?);
                self.entries.extend(decode_page(&row.try_get::<Vec<u8>, _>("data")?)?);
            }
        }
        Ok(self.entries.front().copied())
    }

    fn advance(&mut self) {
        self.entries.pop_front();
    }
}

/// Writes a run's pages in key order.
struct RunWriter {
    run: i64,
    backend: Backend,
    /// The page being filled.
    page: Vec<Entry>,
    /// Pages filled, not yet written.
    done: Vec<(i64, Vec<u8>)>,
    last: Option<Entry>,
    entries: u64,
}

impl RunWriter {
    fn new(run: i64, backend: Backend) -> Self {
        Self { run, backend, page: Vec::with_capacity(PAGE_ENTRIES), done: Vec::new(), last: None, entries: 0 }
    }

    /// Adds the next entry (entries come in order; an exact repeat is dropped).
    async fn push(&mut self, conn: &mut AnyConnection, entry: Entry) -> Result<(), StoreError> {
        if self.last == Some(entry) {
            return Ok(());
        }
        // A page ends only between two keys, so that a lookup finds every id of a key in the
        // one page where the key would be.
        if self.page.len() >= PAGE_ENTRIES && self.last.is_some_and(|(key, _)| key != entry.0) {
            self.close_page();
            if self.done.len() >= PAGES_PER_STATEMENT {
                self.write(conn).await?;
            }
        }
        self.page.push(entry);
        self.last = Some(entry);
        self.entries += 1;
        Ok(())
    }

    fn close_page(&mut self) {
        let Some(first) = self.page.first() else { return };
        let first_key = sql_key(first.0);
        let mut data = Vec::with_capacity(self.page.len() * ENTRY_BYTES);
        for (key, id) in self.page.drain(..) {
            data.extend_from_slice(&key.to_be_bytes());
            data.extend_from_slice(&id.to_be_bytes());
        }
        self.done.push((first_key, data));
    }

    async fn write(&mut self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        if self.done.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO tx_hash_pages (run, first_key, data) {}",
            values_clause(self.backend, self.done.len(), 3, "")
        );
        let mut query = sqlx::query(&sql);
        for (first_key, data) in self.done.drain(..) {
            query = query.bind(self.run).bind(first_key).bind(data);
        }
        query.execute(&mut *conn).await?;
        Ok(())
    }

    /// Writes what is left and records the run (unless it is empty).
    async fn finish(mut self, conn: &mut AnyConnection, level: u64, last_id: u64) -> Result<(), StoreError> {
        self.close_page();
        self.write(conn).await?;
        if self.entries > 0 {
            sqlx::query("INSERT INTO tx_hash_runs (run, level, entries, last_id) VALUES ($1, $2, $3, $4)")
                .bind(self.run)
                .bind(i64_of(level)?)
                .bind(i64_of(self.entries)?)
                .bind(i64_of(last_id)?)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}
