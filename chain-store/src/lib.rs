#![doc = include_str!("../README.md")]
//!
//! Queries use `$n` placeholders and portable types so that the same statements run on
//! SQLite and PostgreSQL.

mod hashes;
mod history;
mod l1;
mod lease;
mod logs;
mod queue;
mod receipts;
mod withdrawals;

pub use history::HistoryRange;
pub use l1::{L1TxRecord, L1TxStatus, PendingL1Tx};
/// The chain database failed (the shared database error).
pub use lease::{LeaseOf, LeaseState, Member, holder_id};
pub use logs::{IndexedLog, LogBlock, LogQuery, block_logs};
pub use queue::{ConsumedEntry, QueueOutcome, QueueReaderPosition, QueuedEntry, StoredQueueEntry};
pub use rollup_db::DbError as StoreError;
pub use withdrawals::{WithdrawalPayout, WithdrawalRecord};

use alloy_primitives::{Address, B256, Bloom, Bytes, Log};
use rollup_db::{Backend, Database, address, b256, i64_of, sqlx, u64_of, values_clause};
use rollup_types::{BlockHeader, TxStatus};
use serde::{Deserialize, Serialize};
use sqlx::{Row, any::AnyRow};
use std::sync::Arc;

/// Embedded migrations of the chain database.
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/chain");

/// Status of a transaction in the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoredStatus {
    /// Acknowledged, waiting for a block.
    Pending,
    /// In a sealed block.
    Included,
    /// Refused after acknowledgement (it could not execute, or its nonce was used).
    Rejected,
    /// A same-nonce replacement took its place.
    Replaced,
    /// Dropped to make room when the mempool was full.
    Evicted,
}

impl StoredStatus {
    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "pending" => Self::Pending,
            "included" => Self::Included,
            "rejected" => Self::Rejected,
            "replaced" => Self::Replaced,
            "evicted" => Self::Evicted,
            other => return Err(StoreError::Corrupt(format!("unknown transaction status {other:?}"))),
        })
    }

    /// The name stored and shown by the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Included => "included",
            Self::Rejected => "rejected",
            Self::Replaced => "replaced",
            Self::Evicted => "evicted",
        }
    }
}

/// A log as stored (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLog {
    /// Emitting contract.
    pub address: Address,
    /// Topics.
    pub topics: Vec<B256>,
    /// Data.
    pub data: Bytes,
}

impl From<&Log> for StoredLog {
    fn from(log: &Log) -> Self {
        Self { address: log.address, topics: log.topics().to_vec(), data: log.data.data.clone() }
    }
}

/// The receipt part of an included transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredReceipt {
    /// Block number.
    pub block_number: u64,
    /// Position in the block.
    pub index: u64,
    /// How it ended.
    pub outcome: TxStatus,
    /// Gas used.
    pub gas_used: u64,
    /// Return or revert data.
    pub output: Bytes,
    /// Logs.
    pub logs: Vec<StoredLog>,
    /// No fee was taken (effective gas price 0): a queue entry, paid for on L1, or a credit
    /// the block makes (docs/fees.md §8).
    pub fee_exempt: bool,
}

/// Where a receipt sits among its block's: the gas the block used up to and with it, and the
/// index of its first log among the block's logs (what an RPC receipt numbers from).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceiptPosition {
    /// Gas used by the block's transactions up to and with this one.
    pub cumulative_gas_used: u64,
    /// The block-wide index of its first log.
    pub first_log_index: u64,
}

impl ReceiptPosition {
    /// The positions of each of a block's transactions, `records` in block order: one pass.
    pub fn of_block(records: &[TxRecord]) -> Vec<Self> {
        let (mut gas, mut logs) = (0u64, 0u64);
        records
            .iter()
            .map(|record| {
                let (used, count) = record.receipt.as_ref().map_or((0, 0), |r| (r.gas_used, r.logs.len() as u64));
                let position = Self { cumulative_gas_used: gas + used, first_log_index: logs };
                gas += used;
                logs += count;
                position
            })
            .collect()
    }

    /// The position of `receipt` among `siblings`, its block's transactions (itself included).
    pub fn among(receipt: &StoredReceipt, siblings: &[TxRecord]) -> Self {
        let before = siblings.iter().filter_map(|t| t.receipt.as_ref()).filter(|r| r.index < receipt.index);
        let (gas, logs) = before.fold((0, 0), |(gas, logs), r| (gas + r.gas_used, logs + r.logs.len() as u64));
        Self { cumulative_gas_used: gas + receipt.gas_used, first_log_index: logs }
    }
}

/// A transaction row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxRecord {
    /// Transaction hash.
    pub hash: B256,
    /// EIP-2718 encoding.
    pub raw: Bytes,
    /// Sender.
    pub sender: Address,
    /// Nonce.
    pub nonce: u64,
    /// Status.
    pub status: StoredStatus,
    /// Receipt, when included.
    pub receipt: Option<StoredReceipt>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

/// Where a transaction of a block came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxOrigin {
    /// The pool: acknowledged, so its pending row exists; it gains a status (included, at its
    /// position).
    Pool,
    /// The block itself (a queue entry, the fee vault's credit): its row is written with the
    /// block, and it pays no fee.
    Block {
        /// Its sender: a deposit's L1 account, a forced transaction's signer, the vault.
        sender: Address,
        /// Its nonce (0 for a type-0x7e transaction).
        nonce: u64,
    },
}

/// A transaction included in a block being committed (a pool transaction's pending row
/// already holds the raw bytes, sender and nonce; the block lists the rows' ids in order).
#[derive(Clone, Debug)]
pub struct IncludedTx {
    /// Where it came from.
    pub origin: TxOrigin,
    /// Hash.
    pub hash: B256,
    /// EIP-2718 encoding.
    pub raw: Bytes,
    /// How it ended.
    pub outcome: TxStatus,
    /// Gas used.
    pub gas_used: u64,
    /// Return or revert data.
    pub output: Bytes,
    /// Logs.
    pub logs: Vec<StoredLog>,
}

impl IncludedTx {
    /// The record the store gives back for this transaction once its block is committed, at
    /// position `index` of block `block_number`, sent by `sender` with `nonce` (a pool
    /// transaction's come from its pending row, the block's own from its origin): what a node
    /// that keeps recent blocks in memory answers without reading them back.
    pub fn record(&self, sender: Address, nonce: u64, block_number: u64, index: u64) -> TxRecord {
        TxRecord {
            hash: self.hash,
            raw: self.raw.clone(),
            sender,
            nonce,
            status: StoredStatus::Included,
            receipt: Some(StoredReceipt {
                block_number,
                index,
                outcome: self.outcome,
                gas_used: self.gas_used,
                output: self.output.clone(),
                logs: self.logs.clone(),
                // As the block's receipts encode it (`receipts::encode_included`).
                fee_exempt: self.origin != TxOrigin::Pool,
            }),
            reason: None,
        }
    }
}

/// Everything a sealed block writes, in one database transaction ([`Store::commit_block`]).
#[derive(Clone, Copy, Debug)]
pub struct BlockWrite<'a> {
    /// The block.
    pub block: &'a StoredBlock,
    /// What it did with each queue entry it consumed, in order.
    pub queue: &'a [ConsumedEntry],
    /// Its transactions (their pending rows gain a status; the block lists their ids).
    pub included: &'a [IncludedTx],
    /// Status changes it caused (rejected, superseded).
    pub changes: &'a [StatusChange],
    /// The withdrawals it wrote.
    pub withdrawals: &'a [WithdrawalRecord],
    /// For the state's history (a node whose archive is on): each state-tree key the block
    /// changed, with its value before the block.
    pub history: Option<&'a [(B256, B256)]>,
}

impl<'a> BlockWrite<'a> {
    /// A block with only transactions (and the status changes they caused).
    pub const fn new(block: &'a StoredBlock, included: &'a [IncludedTx], changes: &'a [StatusChange]) -> Self {
        Self { block, queue: &[], included, changes, withdrawals: &[], history: None }
    }
}

/// A sealed block as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBlock {
    /// The header.
    pub header: BlockHeader,
    /// The block hash.
    pub hash: B256,
    /// State root after each chunk.
    pub chunk_roots: Vec<B256>,
    /// Number of transactions, those of the queue and the closing credits included.
    pub tx_count: u64,
    /// An upper bound of its encoding as a batch of its own (0: not recorded).
    pub batch_bytes: u64,
    /// How many of its transactions, first, are queue entries that ran (docs/fees.md §8).
    pub queue_txs: u64,
    /// How many of its transactions, last, are credits the block makes (the fee vault's).
    pub closing_txs: u64,
}

impl StoredBlock {
    /// How many pool transactions it has: those its batch carries.
    pub const fn pool_txs(&self) -> u64 {
        self.tx_count.saturating_sub(self.closing_txs).saturating_sub(self.queue_txs)
    }
}

/// A batch posted to L1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchRecord {
    /// Index in the inbox.
    pub index: u64,
    /// First L2 block.
    pub first_block: u64,
    /// Last L2 block.
    pub last_block: u64,
    /// State root after the batch.
    pub state_root: B256,
    /// keccak-256 of the batch data.
    pub data_hash: B256,
    /// Size of the batch data.
    pub data_len: u64,
    /// Number of chunks.
    pub chunk_count: u64,
    /// L1 transaction that posted it.
    pub l1_tx_hash: B256,
    /// L1 block it was posted in.
    pub l1_block: u64,
    /// Hash of that block (`None` for batches recorded before it was kept).
    #[serde(default)]
    pub l1_block_hash: Option<B256>,
    /// L1 timestamp of that block.
    pub posted_at: u64,
    /// Past the challenge window.
    pub finalized: bool,
}

/// The statement that records a batch (idempotent on the index).
fn insert_batch_query(
    b: &BatchRecord,
) -> Result<sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments<'static>>, StoreError> {
    Ok(sqlx::query(
        "INSERT INTO batches (batch_index, first_block, last_block, state_root, data_hash, data_len, chunk_count,
                              l1_tx_hash, l1_block, posted_at, finalized, l1_block_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (batch_index) DO NOTHING",
    )
    .bind(i64_of(b.index)?)
    .bind(i64_of(b.first_block)?)
    .bind(i64_of(b.last_block)?)
    .bind(b.state_root.to_vec())
    .bind(b.data_hash.to_vec())
    .bind(i64_of(b.data_len)?)
    .bind(i64_of(b.chunk_count)?)
    .bind(b.l1_tx_hash.to_vec())
    .bind(i64_of(b.l1_block)?)
    .bind(i64_of(b.posted_at)?)
    .bind(i64::from(b.finalized))
    .bind(b.l1_block_hash.map(|h| h.to_vec())))
}

fn parse_outcome(s: &str) -> Result<TxStatus, StoreError> {
    Ok(match s {
        "success" => TxStatus::Success,
        "revert" => TxStatus::Revert,
        "halt" => TxStatus::Halt,
        other => return Err(StoreError::Corrupt(format!("unknown outcome {other:?}"))),
    })
}

/// An acknowledged transaction to record as pending.
#[derive(Clone, Debug)]
pub struct PendingRow {
    /// Hash.
    pub hash: B256,
    /// EIP-2718 encoding.
    pub raw: Bytes,
    /// Sender.
    pub sender: Address,
    /// Nonce.
    pub nonce: u64,
    /// Arrival sequence number.
    pub seq: u64,
    /// Arrival time, Unix milliseconds.
    pub received_at: u64,
}

/// A change of status after acknowledgement (rejected, replaced, evicted), with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// The transaction.
    pub hash: B256,
    /// Its new status.
    pub status: StoredStatus,
    /// Why.
    pub reason: String,
}

/// A snapshot of the committed state after a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSnapshot {
    /// The block it follows.
    pub block_number: u64,
    /// The state root it must reproduce.
    pub state_root: B256,
    /// Its encoding (`rollup_executor`'s snapshot format).
    pub data: Vec<u8>,
}

/// What one post can carry on the L1, as the batcher last read it from the L1 node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostLimitsRecord {
    /// The most a block may encode to on its own (a one-block batch) to fit one post.
    pub max_block_bytes: u64,
    /// The most batch data one post carries.
    pub max_post_bytes: u64,
    /// The most gas one post may use.
    pub post_gas: u64,
    /// The L1's block gas limit.
    pub l1_block_gas_limit: u64,
    /// The L1's per-transaction gas cap (EIP-7825), when it has one.
    pub l1_tx_gas_cap: Option<u64>,
    /// Unix milliseconds of the reading.
    pub updated_at: u64,
}

/// The transactions of a block in one value, as blocks sealed before migration 0022 kept them
/// (`blocks.body`): for each, in order, its hash (32 bytes), the length of its EIP-2718
/// encoding (4 bytes, big-endian) and the encoding.
#[cfg(test)]
fn encode_block_body<'a>(txs: impl IntoIterator<Item = (B256, &'a [u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (hash, raw) in txs {
        body.extend_from_slice(hash.as_slice());
        body.extend_from_slice(&(raw.len() as u32).to_be_bytes());
        body.extend_from_slice(raw);
    }
    body
}

/// The (hash, EIP-2718 encoding) of each transaction of a block body of before migration 0022,
/// in order; the encodings share `body`'s memory.
fn decode_block_body(body: &Bytes) -> Result<Vec<(B256, Bytes)>, StoreError> {
    let corrupt = || StoreError::Corrupt("a block body is truncated".into());
    let mut txs = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let head = body.get(at..at + 36).ok_or_else(corrupt)?;
        let hash = B256::from_slice(&head[..32]);
        let len = u32::from_be_bytes([head[32], head[33], head[34], head[35]]) as usize;
        let start = at + 36;
        let end = start.checked_add(len).filter(|end| *end <= body.len()).ok_or_else(corrupt)?;
        txs.push((hash, body.slice(start..end)));
        at = end;
    }
    Ok(txs)
}

/// The ids of a block's transaction rows in order, in one value (`blocks.tx_ids`): LEB128
/// numbers, the first id and then each id's difference from the one before, zigzag (a pool
/// transaction admitted before the one ahead of it in the block steps back). Rows admitted
/// together sit together, so that a difference is mostly one byte.
pub fn encode_tx_ids(ids: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() + 8);
    let mut previous = 0u64;
    for &id in ids {
        let step = id.wrapping_sub(previous) as i64;
        let mut v = ((step << 1) ^ (step >> 63)) as u64;
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
        previous = id;
    }
    out
}

/// The ids [`encode_tx_ids`] encoded.
pub fn decode_tx_ids(value: &[u8]) -> Result<Vec<u64>, StoreError> {
    let mut ids = Vec::with_capacity(value.len());
    let (mut previous, mut at) = (0u64, 0);
    while at < value.len() {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let byte = *value.get(at).ok_or_else(|| StoreError::Corrupt("a block's ids are truncated".into()))?;
            at += 1;
            if shift > 63 {
                return Err(StoreError::Corrupt("a block's id is longer than 64 bits".into()));
            }
            v |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        let step = ((v >> 1) as i64) ^ -((v & 1) as i64);
        previous = previous.wrapping_add(step as u64);
        ids.push(previous);
    }
    Ok(ids)
}

/// A nullable 32-byte column.
pub(crate) fn optional_b256(row: &AnyRow, col: &str) -> Result<Option<B256>, StoreError> {
    row.try_get::<Option<Vec<u8>>, _>(col)?
        .map(|v| B256::try_from(v.as_slice()).map_err(|_| StoreError::Corrupt(format!("{col} is not 32 bytes"))))
        .transpose()
}

/// A nullable column of exactly `N` big-endian bytes (a number wider than a BIGINT).
fn be_bytes<const N: usize>(row: &AnyRow, col: &str) -> Result<Option<[u8; N]>, StoreError> {
    row.try_get::<Option<Vec<u8>>, _>(col)?
        .map(|v| <[u8; N]>::try_from(v.as_slice()).map_err(|_| StoreError::Corrupt(format!("{col} is not {N} bytes"))))
        .transpose()
}

/// A block's base fee: its 16-byte column, 0 when NULL (a block sealed before fees existed).
fn base_fee(row: &AnyRow) -> Result<u128, StoreError> {
    Ok(be_bytes(row, "base_fee")?.map_or(0, u128::from_be_bytes))
}

/// A block's L1 price of a byte: its 8-byte column, the floor when NULL (a block sealed before
/// the L1 data fee existed).
fn l1_byte_price(row: &AnyRow) -> Result<u64, StoreError> {
    Ok(be_bytes(row, "l1_byte_price")?.map_or(rollup_types::fees::MIN_L1_BYTE_PRICE, u64::from_be_bytes))
}

/// The columns of a block header row (`SELECT *` would read its body too).
const BLOCK_COLUMNS: &str = "number, hash, parent_hash, timestamp, state_root, transactions_root, logs_bloom, gas_used, tx_count, \
     chunk_roots, batch_bytes, queue_end, queue_accumulator, base_fee, l1_byte_price, queue_txs, closing_txs";

/// The columns [`Store::tx_of`] reads: a transaction's row and what became of it (NULL while it
/// is pending), from [`TX_ROWS`].
const TX_COLUMNS: &str = "t.id, t.hash, t.raw, t.sender, t.nonce, s.status, s.block_number, s.tx_index, s.reason";
/// Transaction rows joined with their statuses.
const TX_ROWS: &str = "transactions t LEFT JOIN tx_status s ON s.id = t.id";

/// The status of a row read with [`TX_COLUMNS`]: pending when it has none.
fn status_of(row: &AnyRow) -> Result<StoredStatus, StoreError> {
    row.try_get::<Option<String>, _>("status")?.map_or(Ok(StoredStatus::Pending), |s| StoredStatus::parse(&s))
}

/// The block of a transaction row that is included.
fn included_in(row: &AnyRow) -> Result<Option<i64>, StoreError> {
    Ok(match row.try_get::<Option<i64>, _>("block_number")? {
        Some(number) if status_of(row)? == StoredStatus::Included => Some(number),
        _ => None,
    })
}

/// The statement that reads the rows of `ids` ids (`WHERE t.id IN (…)`), or of the ids
/// from one to another (`dense`: when they fill most of their span, a range reads fewer index
/// pages than one probe each).
fn rows_of_ids_sql(backend: Backend, columns: &str, from: &str, ids: usize, dense: bool) -> String {
    if dense {
        format!("SELECT {columns} FROM {from} WHERE t.id >= $1 AND t.id <= $2")
    } else {
        format!("SELECT {columns} FROM {from} WHERE t.id IN ({})", placeholders(backend, ids))
    }
}

/// The chain database.
#[derive(Clone, Debug)]
pub struct Store {
    db: Database,
    pool: rollup_db::Pool,
    /// Transactions by hash (`hashes`), shared by the clones of one opening.
    index: Arc<hashes::HashIndex>,
    /// The transactions of the newest blocks this opening committed, shared by its clones.
    recent: Arc<RecentBodies>,
    /// The leadership epoch its writes are fenced by (0: none), shared by its clones.
    fence: Arc<std::sync::atomic::AtomicU64>,
    /// The lease row that epoch is of ([`LeaseOf::row`]; 0: the sequencers').
    fence_row: Arc<std::sync::atomic::AtomicI64>,
}

/// Transactions held of the newest blocks committed (about 20 MB): what the batcher reads
/// next, served without reading the rows back (2–3 µs a transaction on SQLite).
const RECENT_BODY_TXS: usize = 131_072;

/// The (hash, encoding) of every transaction of the newest blocks committed through one
/// opening of the store, by block number (a block, once committed, never changes).
#[derive(Debug, Default)]
struct RecentBodies {
    blocks: std::sync::Mutex<HeldBodies>,
}

/// The transactions of one block: (hash, EIP-2718 encoding) each, in order.
type BlockBody = Arc<[(B256, Bytes)]>;

/// Blocks held, oldest first, and how many transactions they hold.
type HeldBodies = (std::collections::VecDeque<(u64, BlockBody)>, usize);

impl RecentBodies {
    fn lock(&self) -> std::sync::MutexGuard<'_, HeldBodies> {
        // Only short, non-panicking sections hold it: a poisoned lock holds a consistent value.
        self.blocks.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Holds block `number`'s transactions, letting the oldest go past [`RECENT_BODY_TXS`].
    fn push(&self, number: u64, txs: BlockBody) {
        let mut held = self.lock();
        let (blocks, count) = &mut *held;
        *count += txs.len();
        blocks.push_back((number, txs));
        while *count > RECENT_BODY_TXS {
            let Some((_, old)) = blocks.pop_front() else { break };
            *count -= old.len();
        }
    }

    /// Block `number`'s transactions, when held.
    fn get(&self, number: u64) -> Option<BlockBody> {
        let held = self.lock();
        let (blocks, _) = &*held;
        // Numbers rise with each push, not always by one (a gap, should a commit's number
        // skip): looked up by number, not by offset.
        let at = blocks.binary_search_by_key(&number, |(n, _)| *n).ok()?;
        Some(blocks[at].1.clone())
    }
}

/// Rows per multi-row statement: few enough for either database's parameter limit.
fn rows_per_statement(backend: Backend, columns: usize) -> usize {
    (backend.max_params() / columns).min(1_000)
}

/// Columns [`bind_pending`] binds per row.
const PENDING_COLUMNS: usize = 7;

/// What became of a row that leaves the pool ([`Store::settle_in`]).
struct Settled<'a> {
    id: u64,
    status: StoredStatus,
    /// Its block and position, when included.
    position: Option<(u64, u64)>,
    reason: Option<&'a str>,
}

impl<'a> Settled<'a> {
    fn changed(id: u64, change: &'a StatusChange) -> Self {
        Self { id, status: change.status, position: None, reason: Some(change.reason.as_str()) }
    }

    const fn included(id: u64, block: u64, index: u64) -> Self {
        Self { id, status: StoredStatus::Included, position: Some((block, index)), reason: None }
    }
}

/// Columns [`Store::settle_in`] binds per row.
const SETTLED_COLUMNS: usize = 5;

/// `n` parameters separated by commas, as [`values_clause`] numbers them.
fn placeholders(backend: Backend, n: usize) -> String {
    let list: Vec<String> = (1..=n)
        .map(|i| match backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${i}"),
        })
        .collect();
    list.join(", ")
}

/// A query of the chain store, its parameters bound.
type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// The statement that records `rows` rows as pending (see [`Store::insert_pending`]).
fn pending_sql(backend: Backend, rows: usize) -> String {
    format!(
        "INSERT INTO transactions (id, hash, raw, sender, nonce, received_seq, received_at) {}",
        values_clause(backend, rows, PENDING_COLUMNS, "")
    )
}

/// [`pending_sql`] with `rows` bound, the first getting id `first`, the next `first + 1`, ….
fn bind_pending<'q>(mut query: AnyQuery<'q>, first: u64, rows: &[&'q PendingRow]) -> Result<AnyQuery<'q>, StoreError> {
    for (i, r) in rows.iter().enumerate() {
        query = query
            .bind(i64_of(first + i as u64)?)
            .bind(r.hash.as_slice())
            .bind(r.raw.as_ref())
            .bind(r.sender.as_slice())
            .bind(i64_of(r.nonce)?)
            .bind(i64_of(r.seq)?)
            .bind(i64_of(r.received_at)?);
    }
    Ok(query)
}

impl Store {
    /// Opens (creating if needed) the database at `url` (`sqlite://path`, `sqlite::memory:`
    /// or `postgres://…`) and applies the migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, hashes::FLUSH_ENTRIES, hashes::MERGE_FANIN).await
    }

    /// [`Self::open`] for the sequencer leading the database: on PostgreSQL a transaction of
    /// its left idle for longer than `stall` (the process stalled in the middle of a write) is
    /// aborted by the server, so that it cannot hold the locks of the sequencer taking over
    /// (docs/deployment.md §2).
    pub async fn open_leading(url: &str, stall: std::time::Duration) -> Result<Self, StoreError> {
        Self::open_inner(url, hashes::FLUSH_ENTRIES, hashes::MERGE_FANIN, Some(stall)).await
    }

    /// [`Self::open`] with the hash index writing a run every `flush_at` rows and merging
    /// `fanin` runs of a level (tests make both small).
    async fn open_with(url: &str, flush_at: usize, fanin: usize) -> Result<Self, StoreError> {
        Self::open_inner(url, flush_at, fanin, None).await
    }

    async fn open_inner(
        url: &str,
        flush_at: usize,
        fanin: usize,
        stall: Option<std::time::Duration>,
    ) -> Result<Self, StoreError> {
        let db = Database::open_stalls_bounded(url, &MIGRATIONS, 8, stall).await?;
        let index = Arc::new(hashes::HashIndex::load(db.writer(), flush_at, fanin).await?);
        Ok(Self {
            pool: db.pool().clone(),
            db,
            index,
            recent: Arc::default(),
            fence: Arc::default(),
            fence_row: Arc::default(),
        })
    }

    /// The same database read through connections of its own (`Database::internal`): for the
    /// service's own reads (block production, the L1 backlog), which must not wait behind
    /// clients' queries holding every connection of the shared pool.
    pub fn internal(&self) -> Self {
        Self {
            pool: self.db.internal().clone(),
            db: self.db.clone(),
            index: self.index.clone(),
            recent: self.recent.clone(),
            fence: self.fence.clone(),
            fence_row: self.fence_row.clone(),
        }
    }

    /// Learns the transaction rows another process (the leader) committed since the last
    /// call, at most `limit` of them, so that lookups by hash find them: the index of a
    /// follower, which writes nothing (docs/deployment.md). Returns how many it learnt.
    pub async fn follow_index(&self, limit: u64) -> Result<usize, StoreError> {
        self.index.follow(&self.pool, limit).await
    }

    /// Rebuilds the index's memory from the database, as an opening does: a follower's store
    /// about to write as the leader.
    pub async fn reload_index(&self) -> Result<(), StoreError> {
        self.index.reload(self.db.writer()).await
    }

    /// Which database this is.
    pub const fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Closes the connections.
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// Records acknowledged transactions as pending, in one database transaction (group
    /// commit): their rows, and their ids in `tx_pending`. A transaction already pending is
    /// left alone; any other gets a new row (one rejected, replaced or evicted becomes pending
    /// again; a lookup by hash answers a row that is included before any other).
    pub async fn insert_pending(&self, rows: &[PendingRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let _write = self.index.write.lock().await;
        let mut seen: alloy_primitives::map::HashSet<B256> = Default::default();
        let rows: Vec<&PendingRow> =
            rows.iter().filter(|r| seen.insert(r.hash) && self.index.pending_id(&r.hash).is_none()).collect();
        if rows.is_empty() {
            return Ok(());
        }
        let first = self.index.next_id();
        let end = first + rows.len() as u64;
        let per_statement = self.backend().max_params() / PENDING_COLUMNS;
        let mut tx = self.db.writer().begin().await?;
        for (i, chunk) in rows.chunks(per_statement).enumerate() {
            let sql = pending_sql(self.backend(), chunk.len());
            let chunk_first = first + (i * per_statement) as u64;
            bind_pending(sqlx::query(&sql), chunk_first, chunk)?.execute(&mut *tx).await?;
        }
        // The group's ids are consecutive: its pending entries in one statement.
        sqlx::query("INSERT INTO tx_pending (id) SELECT id FROM transactions WHERE id >= $1 AND id < $2")
            .bind(i64_of(first)?)
            .bind(i64_of(end)?)
            .execute(&mut *tx)
            .await?;
        self.check_fence(&mut tx).await?;
        tx.commit().await?;
        self.index.written(rows.iter().enumerate().map(|(i, r)| (r.hash, first + i as u64)), true);
        self.flush_index().await;
        Ok(())
    }

    /// Writes the hash index's entries in memory as a run once there are enough (under the
    /// index's write lock). The rows are committed already: a failure here leaves the entries
    /// in memory for the next try, and costs nothing but memory.
    async fn flush_index(&self) {
        if let Err(err) = self.index.flush_if_full(self.db.writer(), self.backend()).await {
            tracing::warn!(target: "chain_store", %err, "could not write the hash index's run; kept in memory");
        }
    }

    /// The pending rows of `changes` (a transaction that is no longer pending keeps its
    /// status), by id.
    fn pending_changes<'c>(&self, changes: &'c [StatusChange]) -> Vec<(u64, &'c StatusChange)> {
        changes.iter().filter_map(|c| Some((self.index.pending_id(&c.hash)?, c))).collect()
    }

    /// Records status changes of pending transactions (rejections, replacements, evictions).
    /// A transaction that is no longer pending keeps its status.
    pub async fn set_status(&self, changes: &[StatusChange]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let _write = self.index.write.lock().await;
        let changes = self.pending_changes(changes);
        if changes.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.writer().begin().await?;
        let settled: Vec<Settled<'_>> = changes.iter().map(|(id, c)| Settled::changed(*id, c)).collect();
        Self::settle_in(&mut tx, self.backend(), &settled).await?;
        self.check_fence(&mut tx).await?;
        tx.commit().await?;
        self.index.settled(changes.iter().map(|(_, c)| &c.hash));
        Ok(())
    }

    /// Records what became of rows that leave the pool (under the index's write lock, which
    /// knows them pending): their statuses written, their pending entries removed. Fails when
    /// a pending entry is missing (nothing is then written: the caller's transaction is
    /// dropped).
    async fn settle_in(
        tx: &mut rollup_db::Transaction<'static, rollup_db::Any>,
        backend: Backend,
        rows: &[Settled<'_>],
    ) -> Result<(), StoreError> {
        Self::insert_statuses_in(tx, backend, rows).await?;
        for chunk in rows.chunks(rows_per_statement(backend, 1)) {
            let sql = format!("DELETE FROM tx_pending WHERE id IN ({})", placeholders(backend, chunk.len()));
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query.bind(i64_of(row.id)?);
            }
            let removed = query.execute(&mut **tx).await?.rows_affected();
            if removed != chunk.len() as u64 {
                return Err(StoreError::Corrupt(format!(
                    "{} of {} transactions leaving the pool were not pending",
                    chunk.len() as u64 - removed,
                    chunk.len()
                )));
            }
        }
        Ok(())
    }

    /// Writes the statuses of `rows`, each a row of `tx_status`.
    async fn insert_statuses_in(
        tx: &mut rollup_db::Transaction<'static, rollup_db::Any>,
        backend: Backend,
        rows: &[Settled<'_>],
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(rows_per_statement(backend, SETTLED_COLUMNS)) {
            let sql = format!(
                "INSERT INTO tx_status (id, status, block_number, tx_index, reason) {}",
                values_clause(backend, chunk.len(), SETTLED_COLUMNS, "")
            );
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query
                    .bind(i64_of(row.id)?)
                    .bind(row.status.as_str())
                    .bind(row.position.map(|(block, _)| i64_of(block)).transpose()?)
                    .bind(row.position.map(|(_, index)| i64_of(index)).transpose()?)
                    .bind(row.reason);
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Pending transactions in arrival order, as (raw, arrival sequence).
    pub async fn pending(&self) -> Result<Vec<(Bytes, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.raw, t.received_seq FROM tx_pending p JOIN transactions t ON t.id = p.id ORDER BY t.received_seq",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((Bytes::from(r.try_get::<Vec<u8>, _>("raw")?), u64_of(r, "received_seq")?))).collect()
    }

    /// [`Self::pending`] with each transaction's sender, as admission recovered it: what a
    /// sequencer reloads its mempool from without recovering every signature again.
    pub async fn pending_with_senders(&self) -> Result<Vec<(Bytes, u64, Address)>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.raw, t.received_seq, t.sender FROM tx_pending p JOIN transactions t ON t.id = p.id
             ORDER BY t.received_seq",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let sender: Vec<u8> = r.try_get("sender")?;
                let sender = Address::try_from(sender.as_slice())
                    .map_err(|_| StoreError::Corrupt(format!("a pending row's sender of {} bytes", sender.len())))?;
                Ok((Bytes::from(r.try_get::<Vec<u8>, _>("raw")?), u64_of(r, "received_seq")?, sender))
            })
            .collect()
    }

    /// The next free arrival sequence number.
    pub async fn next_seq(&self) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(received_seq) + 1, 0) AS next FROM transactions")
            .fetch_one(&self.pool)
            .await?;
        u64_of(&row, "next")
    }

    /// Commits a sealed block, what it did with the queue entries it consumed (`block.queue`,
    /// the entries before its `queue_end`), its included transactions (their pending rows gain
    /// a status; the block's own get rows; the block lists the rows' ids), the withdrawals it
    /// wrote and the status changes it caused, atomically.
    pub async fn commit_block(&self, block: &BlockWrite<'_>) -> Result<(), StoreError> {
        let BlockWrite { block, queue, included, changes, withdrawals, history } = *block;
        let h = &block.header;
        let chunk_roots: Vec<u8> = block.chunk_roots.iter().flat_map(|r| r.0).collect();
        let receipts = receipts::encode_included(included)?;
        let _write = self.index.write.lock().await;
        // Each transaction's row: a pool transaction's pending row, or one written now for each
        // of the block's own (its queue entries and credit). A forced transaction also sent to
        // the pool keeps its pool row, whose rejection in the same block a lookup by hash puts
        // after the block's.
        let next = self.index.next_id();
        let (mut ids, mut own, mut pool, mut statuses) =
            (Vec::with_capacity(included.len()), Vec::new(), Vec::new(), Vec::new());
        for (index, t) in included.iter().enumerate() {
            let id = match t.origin {
                TxOrigin::Pool => {
                    // Every included pool transaction was acknowledged, so its pending row
                    // exists: nothing is written otherwise (a block may only include what was
                    // acknowledged, and `Node` acknowledges only what is stored).
                    let id = self.index.pending_id(&t.hash).ok_or_else(|| {
                        StoreError::Corrupt(format!(
                            "block {} includes {} that was never stored as pending",
                            h.number, t.hash
                        ))
                    })?;
                    pool.push(Settled::included(id, h.number, index as u64));
                    id
                }
                TxOrigin::Block { sender, nonce } => {
                    let id = next + own.len() as u64;
                    own.push((id, t, sender, nonce));
                    statuses.push(Settled::included(id, h.number, index as u64));
                    id
                }
            };
            ids.push(id);
        }
        // A change of a transaction the block includes is moot (it is no longer pending).
        let included_ids: alloy_primitives::map::HashSet<u64> = pool.iter().map(|p| p.id).collect();
        let changes: Vec<(u64, &StatusChange)> =
            self.pending_changes(changes).into_iter().filter(|(id, _)| !included_ids.contains(id)).collect();
        pool.extend(changes.iter().map(|(id, c)| Settled::changed(*id, c)));
        let mut tx = self.db.writer().begin().await?;
        sqlx::query(
            "INSERT INTO blocks (number, hash, parent_hash, timestamp, state_root, transactions_root, logs_bloom,
                                 gas_used, tx_count, chunk_roots, batch_bytes, tx_ids, queue_end, queue_accumulator,
                                 receipts, base_fee, l1_byte_price, queue_txs, closing_txs)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        )
        .bind(i64_of(h.number)?)
        .bind(block.hash.as_slice())
        .bind(h.parent_hash.as_slice())
        .bind(i64_of(h.timestamp)?)
        .bind(h.state_root.as_slice())
        .bind(h.transactions_root.as_slice())
        .bind(h.logs_bloom.as_slice())
        .bind(i64_of(h.gas_used)?)
        .bind(i64_of(block.tx_count)?)
        .bind(chunk_roots)
        .bind(i64_of(block.batch_bytes)?)
        .bind(encode_tx_ids(&ids))
        .bind(i64_of(h.queue_end)?)
        .bind((h.queue_end != 0).then(|| h.queue_accumulator.to_vec()))
        .bind(receipts)
        .bind(h.base_fee.to_be_bytes().to_vec())
        .bind(h.l1_byte_price.to_be_bytes().to_vec())
        .bind(i64_of(block.queue_txs)?)
        .bind(i64_of(block.closing_txs)?)
        .execute(&mut *tx)
        .await?;
        let first = h.queue_end.checked_sub(queue.len() as u64).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "block {} consumes {} queue entries of its {}",
                h.number,
                queue.len(),
                h.queue_end
            ))
        })?;
        Self::consume_queue_in(&mut tx, h.number, first, queue).await?;
        Self::insert_withdrawals_in(&mut tx, withdrawals).await?;
        if let Some(overwritten) = history {
            Self::insert_history_in(&mut tx, self.backend(), h.number, overwritten).await?;
        }
        Self::insert_logs_in(&mut tx, self.backend(), h.number, included.iter().flat_map(|t| &t.logs)).await?;
        for (id, t, sender, nonce) in &own {
            sqlx::query(
                "INSERT INTO transactions (id, hash, raw, sender, nonce, received_seq, received_at)
                 VALUES ($1, $2, $3, $4, $5, 0, 0)",
            )
            .bind(i64_of(*id)?)
            .bind(t.hash.as_slice())
            .bind(t.raw.as_ref())
            .bind(sender.as_slice())
            .bind(i64_of(*nonce)?)
            .execute(&mut *tx)
            .await?;
        }
        Self::insert_statuses_in(&mut tx, self.backend(), &statuses).await?;
        Self::settle_in(&mut tx, self.backend(), &pool).await?;
        self.check_fence(&mut tx).await?;
        tx.commit().await?;
        self.index.settled(
            included
                .iter()
                .filter(|t| t.origin == TxOrigin::Pool)
                .map(|t| &t.hash)
                .chain(changes.iter().map(|(_, c)| &c.hash)),
        );
        self.index.written(own.iter().map(|(id, t, _, _)| (t.hash, *id)), false);
        self.recent.push(h.number, included.iter().map(|t| (t.hash, t.raw.clone())).collect());
        self.flush_index().await;
        Ok(())
    }

    /// Stores a snapshot of the state after `snapshot.block_number` and keeps only the
    /// newest `keep`.
    pub async fn save_snapshot(&self, snapshot: &StoredSnapshot, keep: u64, now: u64) -> Result<(), StoreError> {
        let mut tx = self.db.writer().begin().await?;
        sqlx::query(
            "INSERT INTO state_snapshots (block_number, state_root, data, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (block_number) DO NOTHING",
        )
        .bind(i64_of(snapshot.block_number)?)
        .bind(snapshot.state_root.as_slice())
        .bind(snapshot.data.as_slice())
        .bind(i64_of(now)?)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM state_snapshots WHERE block_number NOT IN
                (SELECT block_number FROM state_snapshots ORDER BY block_number DESC LIMIT $1)",
        )
        .bind(i64_of(keep.max(1))?)
        .execute(&mut *tx)
        .await?;
        self.check_fence(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Snapshots from the newest, as (block number, state root) without their data.
    pub async fn snapshot_heads(&self) -> Result<Vec<(u64, B256)>, StoreError> {
        let rows = sqlx::query("SELECT block_number, state_root FROM state_snapshots ORDER BY block_number DESC")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((u64_of(r, "block_number")?, b256(r, "state_root")?))).collect()
    }

    /// The snapshot after block `number`.
    pub async fn snapshot(&self, number: u64) -> Result<Option<StoredSnapshot>, StoreError> {
        let Some(number) = stored_number(number) else { return Ok(None) };
        let row = sqlx::query("SELECT block_number, state_root, data FROM state_snapshots WHERE block_number = $1")
            .bind(number)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(StoredSnapshot {
                block_number: u64_of(&r, "block_number")?,
                state_root: b256(&r, "state_root")?,
                data: r.try_get("data")?,
            })
        })
        .transpose()
    }

    fn block_of(row: &AnyRow) -> Result<StoredBlock, StoreError> {
        let chunk_bytes: Vec<u8> = row.try_get("chunk_roots")?;
        if !chunk_bytes.len().is_multiple_of(32) {
            return Err(StoreError::Corrupt("chunk_roots is not a multiple of 32 bytes".into()));
        }
        let bloom: Vec<u8> = row.try_get("logs_bloom")?;
        let header = BlockHeader {
            number: u64_of(row, "number")?,
            parent_hash: b256(row, "parent_hash")?,
            timestamp: u64_of(row, "timestamp")?,
            state_root: b256(row, "state_root")?,
            transactions_root: b256(row, "transactions_root")?,
            logs_bloom: Bloom::try_from(bloom.as_slice()).map_err(|_| StoreError::Corrupt("logs_bloom".into()))?,
            gas_used: u64_of(row, "gas_used")?,
            queue_end: u64_of(row, "queue_end")?,
            queue_accumulator: optional_b256(row, "queue_accumulator")?.unwrap_or_default(),
            base_fee: base_fee(row)?,
            l1_byte_price: l1_byte_price(row)?,
        };
        Ok(StoredBlock {
            header,
            hash: b256(row, "hash")?,
            chunk_roots: chunk_bytes.chunks_exact(32).map(B256::from_slice).collect(),
            tx_count: u64_of(row, "tx_count")?,
            batch_bytes: u64_of(row, "batch_bytes")?,
            queue_txs: u64_of(row, "queue_txs")?,
            closing_txs: u64_of(row, "closing_txs")?,
        })
    }

    /// The block with this number.
    pub async fn block(&self, number: u64) -> Result<Option<StoredBlock>, StoreError> {
        let Some(number) = stored_number(number) else { return Ok(None) };
        let row = sqlx::query(&format!("SELECT {BLOCK_COLUMNS} FROM blocks WHERE number = $1"))
            .bind(number)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::block_of).transpose()
    }

    /// The block with this hash.
    pub async fn block_by_hash(&self, hash: B256) -> Result<Option<StoredBlock>, StoreError> {
        let row = sqlx::query(&format!("SELECT {BLOCK_COLUMNS} FROM blocks WHERE hash = $1"))
            .bind(hash.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::block_of).transpose()
    }

    /// The highest block.
    pub async fn latest_block(&self) -> Result<Option<StoredBlock>, StoreError> {
        let row = sqlx::query(&format!("SELECT {BLOCK_COLUMNS} FROM blocks ORDER BY number DESC LIMIT 1"))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::block_of).transpose()
    }

    /// Up to `limit` blocks from `from` on, in order.
    pub async fn blocks_from(&self, from: u64, limit: u64) -> Result<Vec<StoredBlock>, StoreError> {
        let Some(from) = stored_number(from) else { return Ok(Vec::new()) };
        let rows =
            sqlx::query(&format!("SELECT {BLOCK_COLUMNS} FROM blocks WHERE number >= $1 ORDER BY number LIMIT $2"))
                .bind(from)
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(Self::block_of).collect()
    }

    /// The raw transactions of blocks `from..=to`, as (block number, raw) in canonical order.
    pub async fn block_transactions(&self, from: u64, to: u64) -> Result<Vec<(u64, Bytes)>, StoreError> {
        let mut txs = Vec::new();
        for (number, body) in self.block_bodies(from, to).await? {
            txs.extend(body.into_iter().map(|(_, raw)| (number, raw)));
        }
        Ok(txs)
    }

    /// The (hash, raw) of the pool transactions of each of blocks `from..=to` that exists (what
    /// their batches carry: not the queue entries they ran nor their credits), by block in
    /// order.
    pub async fn block_bodies(&self, from: u64, to: u64) -> Result<Vec<(u64, Vec<(B256, Bytes)>)>, StoreError> {
        self.bodies(from, to, true, true).await
    }

    /// The (hash, raw) of blocks `from..=to`'s transactions, all of them (`pool_only`: those of
    /// the pool only): their rows by the ids each block lists, or, for blocks sealed before
    /// the ids were kept, from the block's body or its rows by position. Without `raw`, the
    /// rows' encodings are not read (empty where the rows are read).
    async fn bodies(
        &self,
        from: u64,
        to: u64,
        pool_only: bool,
        raw: bool,
    ) -> Result<Vec<(u64, Vec<(B256, Bytes)>)>, StoreError> {
        let Some(from) = stored_number(from) else { return Ok(Vec::new()) };
        let rows = sqlx::query(
            "SELECT number, body, tx_ids, queue_txs, closing_txs FROM blocks WHERE number >= $1 AND number <= $2
             ORDER BY number",
        )
        .bind(from)
        .bind(i64::try_from(to).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        // Blocks this opening committed lately are held; the others' rows are read by id.
        let mut held = Vec::with_capacity(rows.len());
        let mut lists = Vec::with_capacity(rows.len());
        for row in &rows {
            let recent = self.recent.get(u64_of(row, "number")?);
            let list = match recent {
                Some(_) => None,
                None => row.try_get::<Option<Vec<u8>>, _>("tx_ids")?.map(|v| decode_tx_ids(&v)).transpose()?,
            };
            held.push(recent);
            lists.push(list);
        }
        let wanted: Vec<u64> = lists.iter().flatten().flatten().copied().collect();
        let columns = if raw { "t.id, t.hash, t.raw" } else { "t.id, t.hash" };
        let by_id = self.rows_of_ids(columns, "transactions t", &wanted).await?;
        let mut bodies = Vec::with_capacity(rows.len());
        for ((row, list), recent) in rows.iter().zip(lists).zip(held) {
            let number = u64_of(row, "number")?;
            let mut txs = match (list, row.try_get::<Option<Vec<u8>>, _>("body")?) {
                _ if recent.is_some() => recent.iter().flat_map(|txs| txs.iter().cloned()).collect(),
                (Some(ids), _) => ids
                    .iter()
                    .map(|id| {
                        let row = by_id.get(id).ok_or_else(|| {
                            StoreError::Corrupt(format!("block {number} lists row {id}, which is not stored"))
                        })?;
                        let encoding = if raw { Bytes::from(row.try_get::<Vec<u8>, _>("raw")?) } else { Bytes::new() };
                        Ok((b256(row, "hash")?, encoding))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?,
                (None, Some(body)) => decode_block_body(&Bytes::from(body))?,
                (None, None) => self.block_rows(number).await?,
            };
            if pool_only {
                let (head, tail) = (u64_of(row, "queue_txs")?, u64_of(row, "closing_txs")?);
                let end = (txs.len() as u64).checked_sub(tail).filter(|end| *end >= head).ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "block {number} has {} transactions, {head} + {tail} of its own",
                        txs.len()
                    ))
                })?;
                txs.truncate(end as usize);
                txs.drain(..head as usize);
            }
            bodies.push((number, txs));
        }
        Ok(bodies)
    }

    /// The rows of `ids` that exist, by id, read as `columns` from `from` (whose transactions
    /// table is named `t`).
    async fn rows_of_ids(
        &self,
        columns: &str,
        from: &str,
        ids: &[u64],
    ) -> Result<alloy_primitives::map::HashMap<u64, AnyRow>, StoreError> {
        let mut wanted = ids.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let mut rows = alloy_primitives::map::HashMap::default();
        let (Some(&first), Some(&last)) = (wanted.first(), wanted.last()) else { return Ok(rows) };
        rows.reserve(wanted.len());
        if last - first < 2 * wanted.len() as u64 {
            let sql = rows_of_ids_sql(self.backend(), columns, from, 0, true);
            let found = sqlx::query(&sql).bind(i64_of(first)?).bind(i64_of(last)?).fetch_all(&self.pool).await?;
            for row in found {
                let id = u64_of(&row, "id")?;
                if wanted.binary_search(&id).is_ok() {
                    rows.insert(id, row);
                }
            }
        } else {
            for chunk in wanted.chunks(rows_per_statement(self.backend(), 1)) {
                let sql = rows_of_ids_sql(self.backend(), columns, from, chunk.len(), false);
                let mut query = sqlx::query(&sql);
                for id in chunk {
                    query = query.bind(i64_of(*id)?);
                }
                for row in query.fetch_all(&self.pool).await? {
                    rows.insert(u64_of(&row, "id")?, row);
                }
            }
        }
        Ok(rows)
    }

    /// A block's (hash, raw) pairs from its rows by position (blocks sealed before their
    /// bodies were kept).
    async fn block_rows(&self, number: u64) -> Result<Vec<(B256, Bytes)>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.hash, t.raw FROM tx_legacy l JOIN transactions t ON t.id = l.id WHERE l.block_number = $1
             ORDER BY l.tx_index",
        )
        .bind(i64_of(number)?)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((b256(r, "hash")?, Bytes::from(r.try_get::<Vec<u8>, _>("raw")?)))).collect()
    }

    /// Every transaction of block `number` (queue entries and credits included), hash and
    /// bytes, in block order.
    pub async fn block_txs(&self, number: u64) -> Result<Vec<(B256, Bytes)>, StoreError> {
        Ok(self.bodies(number, number, false, true).await?.into_iter().flat_map(|(_, txs)| txs).collect())
    }

    /// Hashes of the transactions of block `number`, in order (its queue entries' and credits'
    /// included).
    pub async fn block_tx_hashes(&self, number: u64) -> Result<Vec<B256>, StoreError> {
        let blocks = self.bodies(number, number, false, false).await?;
        Ok(blocks.into_iter().flat_map(|(_, txs)| txs).map(|(hash, _)| hash).collect())
    }

    /// A transaction row with its receipt, read from `receipts`, its block's receipts when it
    /// is included.
    fn tx_of(row: &AnyRow, receipts: Option<&receipts::BlockReceipts<'_>>) -> Result<TxRecord, StoreError> {
        let status = status_of(row)?;
        let receipt = if status == StoredStatus::Included {
            let block_number = u64_of(row, "block_number")?;
            let index = u64_of(row, "tx_index")?;
            let receipts =
                receipts.ok_or_else(|| StoreError::Corrupt(format!("block {block_number} has no receipts stored")))?;
            let entry = receipts.get(usize::try_from(index).unwrap_or(usize::MAX))?;
            Some(StoredReceipt {
                block_number,
                index,
                outcome: entry.outcome,
                gas_used: entry.gas_used,
                output: entry.output,
                logs: entry.logs,
                fee_exempt: entry.fee_exempt,
            })
        } else {
            None
        };
        Ok(TxRecord {
            hash: b256(row, "hash")?,
            raw: Bytes::from(row.try_get::<Vec<u8>, _>("raw")?),
            sender: address(row, "sender")?,
            nonce: u64_of(row, "nonce")?,
            status,
            receipt,
            reason: row.try_get("reason")?,
        })
    }

    /// The row of the transaction with this hash: among the rows of that hash (a transaction
    /// sent again after it was dropped has one per sending), the included one, else the newest.
    async fn row_by_hash(&self, hash: B256) -> Result<Option<AnyRow>, StoreError> {
        // Memory first, then the runs: an entry leaves memory only once its run is committed.
        let mut ids = self.index.memory_candidates(&hash);
        ids.extend(hashes::run_candidates(&self.pool, &hash).await?);
        let mut best: Option<((bool, u64), AnyRow)> = None;
        for (id, row) in self.rows_of_ids(TX_COLUMNS, TX_ROWS, &ids).await? {
            // Ids of other hashes that share the first 8 bytes are read too, and passed over.
            if b256(&row, "hash")? != hash {
                continue;
            }
            let rank = (status_of(&row)? == StoredStatus::Included, id);
            if best.as_ref().is_none_or(|(r, _)| rank > *r) {
                best = Some((rank, row));
            }
        }
        Ok(best.map(|(_, row)| row))
    }

    /// The transaction with this hash.
    pub async fn transaction(&self, hash: B256) -> Result<Option<TxRecord>, StoreError> {
        let Some(row) = self.row_by_hash(hash).await? else { return Ok(None) };
        let value = match included_in(&row)? {
            Some(number) => self.block_receipts(number).await?,
            None => None,
        };
        let receipts = value.as_deref().map(receipts::BlockReceipts::new).transpose()?;
        Self::tx_of(&row, receipts.as_ref()).map(Some)
    }

    /// The transaction with this hash and, when it is included, the records of every
    /// transaction of its block in order (itself among them): what a receipt's cumulative gas
    /// and log positions are counted from, with the block's receipts read once.
    pub async fn transaction_with_block(&self, hash: B256) -> Result<Option<(TxRecord, Vec<TxRecord>)>, StoreError> {
        let Some(row) = self.row_by_hash(hash).await? else { return Ok(None) };
        let Some(number) = included_in(&row)? else { return Ok(Some((Self::tx_of(&row, None)?, Vec::new()))) };
        let records = self.block_records(number).await?;
        let index = u64_of(&row, "tx_index")?;
        let record = usize::try_from(index)
            .ok()
            .and_then(|i| records.get(i))
            .filter(|r| r.hash == hash)
            .cloned()
            .ok_or_else(|| StoreError::Corrupt(format!("block {number} has not {hash} at {index}")))?;
        Ok(Some((record, records)))
    }

    /// Where a backfill (`log_backfill`, `receipts_backfill`) stands: the blocks below this
    /// number are still to do (0: nothing left, or a database that never needed it).
    pub(crate) async fn backfill_below(&self, table: &'static str) -> Result<u64, StoreError> {
        let row = sqlx::query(&format!("SELECT below FROM {table}")).fetch_optional(&self.pool).await?;
        row.map_or(Ok(0), |row| u64_of(&row, "below"))
    }

    /// The `receipts` value of a stored block number.
    async fn block_receipts(&self, number: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT receipts FROM blocks WHERE number = $1")
            .bind(number)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => row.try_get::<Option<Vec<u8>>, _>("receipts")?,
            None => None,
        })
    }

    /// The included transactions of block `number`, in order.
    pub async fn block_transaction_records(&self, number: u64) -> Result<Vec<TxRecord>, StoreError> {
        let Some(number) = stored_number(number) else { return Ok(Vec::new()) };
        self.block_records(number).await
    }

    async fn block_records(&self, number: i64) -> Result<Vec<TxRecord>, StoreError> {
        let ids = self.block_ids(number).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self.rows_of_ids(TX_COLUMNS, TX_ROWS, &ids).await?;
        let value = self.block_receipts(number).await?;
        let receipts = value.as_deref().map(receipts::BlockReceipts::new).transpose()?;
        ids.iter()
            .enumerate()
            .map(|(index, id)| {
                let row = rows.get(id).filter(|row| {
                    included_in(row).ok().flatten() == Some(number)
                        && row.try_get::<Option<i64>, _>("tx_index").ok().flatten() == Some(index as i64)
                });
                let row = row.ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "block {number} lists row {id} at {index}, which is not included there"
                    ))
                })?;
                Self::tx_of(row, receipts.as_ref())
            })
            .collect()
    }

    /// The ids of block `number`'s transaction rows in order: those it lists, or, for a block
    /// sealed before it listed them, those of its rows by position (none without the block).
    async fn block_ids(&self, number: i64) -> Result<Vec<u64>, StoreError> {
        let row =
            sqlx::query("SELECT tx_ids FROM blocks WHERE number = $1").bind(number).fetch_optional(&self.pool).await?;
        let Some(row) = row else { return Ok(Vec::new()) };
        if let Some(value) = row.try_get::<Option<Vec<u8>>, _>("tx_ids")? {
            return decode_tx_ids(&value);
        }
        let rows = sqlx::query("SELECT id FROM tx_legacy WHERE block_number = $1 ORDER BY tx_index")
            .bind(number)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| u64_of(r, "id")).collect()
    }

    /// Records a batch posted to L1 (idempotent on the index).
    pub async fn insert_batch(&self, b: &BatchRecord) -> Result<(), StoreError> {
        let mut tx = self.db.writer().begin().await?;
        insert_batch_query(b)?.execute(&mut *tx).await?;
        self.commit_fenced(tx).await
    }

    /// Commits `tx` once [`Self::check_fence`] passes: the batcher's writes, each a statement
    /// or a few, checked by the lease they are fenced by (docs/deployment.md §4).
    pub(crate) async fn commit_fenced(
        &self,
        mut tx: rollup_db::Transaction<'static, rollup_db::Any>,
    ) -> Result<(), StoreError> {
        self.check_fence(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    fn batch_of(row: &AnyRow) -> Result<BatchRecord, StoreError> {
        Ok(BatchRecord {
            index: u64_of(row, "batch_index")?,
            first_block: u64_of(row, "first_block")?,
            last_block: u64_of(row, "last_block")?,
            state_root: b256(row, "state_root")?,
            data_hash: b256(row, "data_hash")?,
            data_len: u64_of(row, "data_len")?,
            chunk_count: u64_of(row, "chunk_count")?,
            l1_tx_hash: b256(row, "l1_tx_hash")?,
            l1_block: u64_of(row, "l1_block")?,
            l1_block_hash: row
                .try_get::<Option<Vec<u8>>, _>("l1_block_hash")?
                .map(|h| B256::try_from(h.as_slice()).map_err(|_| StoreError::Corrupt("l1_block_hash".into())))
                .transpose()?,
            posted_at: u64_of(row, "posted_at")?,
            finalized: u64_of(row, "finalized")? != 0,
        })
    }

    /// The last batch posted.
    pub async fn latest_batch(&self) -> Result<Option<BatchRecord>, StoreError> {
        let row =
            sqlx::query("SELECT * FROM batches ORDER BY batch_index DESC LIMIT 1").fetch_optional(&self.pool).await?;
        row.as_ref().map(Self::batch_of).transpose()
    }

    /// Up to `limit` batches ending at index `last`, newest first, in one query.
    pub async fn batches_to(&self, last: u64, limit: u64) -> Result<Vec<BatchRecord>, StoreError> {
        let Some(last) = stored_number(last) else { return Ok(Vec::new()) };
        let rows = sqlx::query("SELECT * FROM batches WHERE batch_index <= $1 ORDER BY batch_index DESC LIMIT $2")
            .bind(last)
            .bind(i64_of(limit)?)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Self::batch_of).collect()
    }

    /// Batch `index`, if recorded.
    pub async fn batch(&self, index: u64) -> Result<Option<BatchRecord>, StoreError> {
        let Some(index) = stored_number(index) else { return Ok(None) };
        let row =
            sqlx::query("SELECT * FROM batches WHERE batch_index = $1").bind(index).fetch_optional(&self.pool).await?;
        row.as_ref().map(Self::batch_of).transpose()
    }

    /// The batch that holds L2 block `number`.
    pub async fn batch_of_block(&self, number: u64) -> Result<Option<BatchRecord>, StoreError> {
        let Some(number) = stored_number(number) else { return Ok(None) };
        let row = sqlx::query(
            "SELECT * FROM batches WHERE first_block <= $1 AND last_block >= $1 ORDER BY batch_index LIMIT 1",
        )
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(Self::batch_of).transpose()
    }

    /// The oldest batch not yet past its challenge window.
    pub async fn oldest_unfinalized_batch(&self) -> Result<Option<BatchRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM batches WHERE finalized = 0 ORDER BY batch_index LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::batch_of).transpose()
    }

    /// Records what one post can carry (the batcher, whenever the L1's limits change).
    pub async fn record_post_limits(&self, limits: &PostLimitsRecord) -> Result<(), StoreError> {
        let mut tx = self.db.writer().begin().await?;
        sqlx::query(
            "INSERT INTO post_limits (id, max_block_bytes, max_post_bytes, post_gas, l1_block_gas_limit, l1_tx_gas_cap,
                                      updated_at)
             VALUES (1, $1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET max_block_bytes = excluded.max_block_bytes,
                 max_post_bytes = excluded.max_post_bytes, post_gas = excluded.post_gas,
                 l1_block_gas_limit = excluded.l1_block_gas_limit, l1_tx_gas_cap = excluded.l1_tx_gas_cap,
                 updated_at = excluded.updated_at",
        )
        .bind(i64_of(limits.max_block_bytes)?)
        .bind(i64_of(limits.max_post_bytes)?)
        .bind(i64_of(limits.post_gas)?)
        .bind(i64_of(limits.l1_block_gas_limit)?)
        .bind(limits.l1_tx_gas_cap.map(i64_of).transpose()?)
        .bind(i64_of(limits.updated_at)?)
        .execute(&mut *tx)
        .await?;
        self.commit_fenced(tx).await
    }

    /// What one post can carry, if a batcher has recorded it.
    pub async fn post_limits(&self) -> Result<Option<PostLimitsRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM post_limits WHERE id = 1").fetch_optional(&self.pool).await?;
        row.map(|r| {
            Ok(PostLimitsRecord {
                max_block_bytes: u64_of(&r, "max_block_bytes")?,
                max_post_bytes: u64_of(&r, "max_post_bytes")?,
                post_gas: u64_of(&r, "post_gas")?,
                l1_block_gas_limit: u64_of(&r, "l1_block_gas_limit")?,
                l1_tx_gas_cap: r
                    .try_get::<Option<i64>, _>("l1_tx_gas_cap")?
                    .map(|v| u64::try_from(v).map_err(|_| StoreError::Corrupt("l1_tx_gas_cap is negative".into())))
                    .transpose()?,
                updated_at: u64_of(&r, "updated_at")?,
            })
        })
        .transpose()
    }

    /// Marks batch `index` final.
    pub async fn mark_finalized(&self, index: u64) -> Result<(), StoreError> {
        let mut tx = self.db.writer().begin().await?;
        sqlx::query("UPDATE batches SET finalized = 1 WHERE batch_index = $1")
            .bind(i64_of(index)?)
            .execute(&mut *tx)
            .await?;
        self.commit_fenced(tx).await
    }
}

/// A number as the `BIGINT` a row would store it in, or `None` past `i64::MAX`, where no row
/// can be: a lookup of such a number (a client may ask for any u64) finds nothing, instead of
/// failing as if the database were corrupt. Writes keep refusing such numbers (`i64_of`).
fn stored_number(n: u64) -> Option<i64> {
    i64::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_body_decodes_to_what_was_encoded() {
        let txs: Vec<(B256, Bytes)> =
            (0..5u8).map(|i| (B256::repeat_byte(i), Bytes::from(vec![i; usize::from(i) * 37]))).collect();
        let body = Bytes::from(encode_block_body(txs.iter().map(|(h, r)| (*h, r.as_ref()))));
        assert_eq!(decode_block_body(&body).expect("decodes"), txs);
        assert!(decode_block_body(&Bytes::new()).expect("empty").is_empty());
        for cut in [1, 35, 46, body.len() - 1] {
            assert!(decode_block_body(&body.slice(..cut)).is_err(), "truncated at {cut}");
        }
    }

    /// A block's ids decode to what was encoded: steps forward and back, the widest ids, one
    /// byte a step for rows admitted together; a value cut inside an id is refused.
    #[test]
    fn a_blocks_ids_decode_to_what_was_encoded() {
        let ids = [7, 8, 9, 3, 1_000_000, 2, u64::MAX, 0, u64::MAX - 1, 10];
        let value = encode_tx_ids(&ids);
        assert_eq!(decode_tx_ids(&value).expect("decodes"), ids);
        assert!(decode_tx_ids(&[]).expect("empty").is_empty());
        let together: Vec<u64> = (500_000..510_000).collect();
        assert_eq!(encode_tx_ids(&together).len(), 3 + 9_999, "the first id, then a byte a row");
        let wide = encode_tx_ids(&[1_000_000]);
        assert_eq!(wide.len(), 3);
        assert!(decode_tx_ids(&wide[..2]).is_err(), "cut inside an id");
        assert!(decode_tx_ids(&[0xff; 11]).is_err(), "longer than 64 bits");
    }

    /// The newest blocks' transactions are held up to the bound, the oldest let go first.
    #[test]
    fn recent_bodies_hold_the_newest_blocks() {
        let recent = RecentBodies::default();
        let block = |n: usize| -> Arc<[(B256, Bytes)]> { vec![(B256::ZERO, Bytes::new()); n].into() };
        recent.push(7, block(RECENT_BODY_TXS / 2));
        recent.push(8, block(RECENT_BODY_TXS / 2));
        assert_eq!(recent.get(7).map(|b| b.len()), Some(RECENT_BODY_TXS / 2));
        recent.push(9, block(1));
        assert!(recent.get(7).is_none(), "the oldest let go");
        assert_eq!(recent.get(9).map(|b| b.len()), Some(1));
        assert!(recent.get(8).is_some() && recent.get(10).is_none() && recent.get(0).is_none());
        recent.push(12, block(2));
        assert_eq!(recent.get(12).map(|b| b.len()), Some(2), "found past a gap");
        assert!(recent.get(11).is_none());
    }

    /// The positions of a block's receipts in one pass are the ones each finds among its
    /// siblings: gas summed through it, logs numbered from the ones before it.
    #[test]
    fn receipt_positions_in_one_pass_are_those_found_among_siblings() {
        let log = StoredLog { address: Address::repeat_byte(1), topics: Vec::new(), data: Bytes::new() };
        let records: Vec<TxRecord> = [(21_000, 0), (50_000, 3), (30_000, 1), (70_000, 0)]
            .into_iter()
            .enumerate()
            .map(|(i, (gas_used, logs))| {
                let tx = IncludedTx {
                    origin: TxOrigin::Pool,
                    hash: B256::repeat_byte(i as u8),
                    raw: Bytes::new(),
                    outcome: TxStatus::Success,
                    gas_used,
                    output: Bytes::new(),
                    logs: vec![log.clone(); logs],
                };
                tx.record(Address::ZERO, 0, 9, i as u64)
            })
            .collect();
        let positions = ReceiptPosition::of_block(&records);
        let among: Vec<ReceiptPosition> =
            records.iter().map(|r| ReceiptPosition::among(r.receipt.as_ref().expect("included"), &records)).collect();
        assert_eq!(positions, among);
        let expect = [(21_000, 0), (71_000, 0), (101_000, 3), (171_000, 4)]
            .map(|(cumulative_gas_used, first_log_index)| ReceiptPosition { cumulative_gas_used, first_log_index });
        assert_eq!(positions, expect);
    }

    /// Row `i` of the group-commit test.
    pub(crate) fn pending_row(i: u64, seq: u64) -> PendingRow {
        PendingRow {
            hash: alloy_primitives::keccak256(i.to_be_bytes()),
            raw: Bytes::from(i.to_be_bytes().to_vec()),
            sender: Address::repeat_byte(1),
            nonce: i,
            seq,
            received_at: 1,
        }
    }

    /// A group commit writes each row once, whether one statement holds the group (its own
    /// transaction) or it needs several (past the parameter limit, in one transaction); a row
    /// already pending keeps its arrival number, and a rejected one becomes pending again
    /// with its new one.
    async fn group_commits_write_every_row_once(url: &str) {
        let store = Store::open(url).await.expect("opens");
        let limit = store.backend().max_params() / PENDING_COLUMNS;
        let mut big: Vec<PendingRow> = (0..limit as u64 + 7).map(|i| pending_row(i, i)).collect();
        big.push(pending_row(3, 999_999));
        store.insert_pending(&big).await.expect("several statements");
        let small: Vec<PendingRow> = (0..5).map(|i| pending_row(1_000_000 + i, 1_000_000 + i)).collect();
        store.insert_pending(&small).await.expect("one statement");
        let again = [pending_row(4, 2_000_000), pending_row(5, 2_000_001)];
        let rejected = StatusChange { hash: again[1].hash, status: StoredStatus::Rejected, reason: "test".into() };
        store.set_status(&[rejected]).await.expect("rejected");
        store.insert_pending(&again).await.expect("again");
        let pending = store.pending().await.expect("read");
        assert_eq!(pending.len(), limit + 7 + 5);
        let seq_of = |i: u64| pending.iter().find(|(raw, _)| raw[..] == i.to_be_bytes()).map(|(_, seq)| *seq);
        assert_eq!(seq_of(3), Some(3), "a copy in the same group is written once, as its first");
        assert_eq!(seq_of(4), Some(4), "a row already pending keeps its arrival number");
        assert_eq!(seq_of(5), Some(2_000_001), "a rejected row is pending again, under its new number");
        assert_eq!(seq_of(1_000_004), Some(1_000_004));
        store.close().await;
    }

    #[tokio::test]
    async fn group_commits_write_every_row_once_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        group_commits_write_every_row_once(&format!("sqlite://{}", dir.path().join("chain.sqlite").display())).await;
    }

    #[tokio::test]
    async fn group_commits_write_every_row_once_on_postgres() {
        let Some(db) = rollup_db::testing::PostgresTestDb::create("group_commits").await else { return };
        group_commits_write_every_row_once(db.url()).await;
        db.drop_database().await.expect("dropped");
    }

    /// A block of `txs` at `number`.
    pub(crate) fn block_of(number: u64, txs: &[IncludedTx]) -> StoredBlock {
        let header = BlockHeader { number, timestamp: number, ..BlockHeader::default() };
        StoredBlock {
            hash: header.hash(),
            header,
            chunk_roots: vec![B256::repeat_byte(7)],
            tx_count: txs.len() as u64,
            batch_bytes: 0,
            queue_txs: 0,
            closing_txs: 0,
        }
    }

    /// `row` included, from the pool or as the block's own.
    fn included_tx(row: &PendingRow, origin: TxOrigin) -> IncludedTx {
        IncludedTx {
            origin,
            hash: row.hash,
            raw: row.raw.clone(),
            outcome: TxStatus::Success,
            gas_used: 21_000,
            output: Bytes::new(),
            logs: Vec::new(),
        }
    }

    /// Every transaction is found by its hash, whether its entry is in memory, in a run of
    /// level 0 or in a merged one, after a restart too (the memory rebuilt from the rows);
    /// among several rows of one hash the included one answers, else the newest; hashes that
    /// share their first 8 bytes are told apart.
    async fn transactions_are_found_by_hash_through_runs(url: &str) {
        let status = |store: Store, hash: B256| async move {
            store.transaction(hash).await.expect("read").map(|r| (r.status, r.raw, r.receipt.map(|r| r.index)))
        };
        let mut rows: Vec<PendingRow> = (0..2_000).map(|i| pending_row(i, i)).collect();
        // Two hashes with the same key.
        for (i, tail) in [(2_000u64, 0xaa), (2_001, 0xbb)] {
            let mut row = pending_row(i, i);
            row.hash = B256::from_slice(&[[0x11; 8].as_slice(), &[tail; 24]].concat());
            rows.push(row);
        }
        let store = Store::open_with(url, 100, 4).await.expect("opens");
        for group in rows.chunks(150) {
            store.insert_pending(group).await.expect("admitted");
        }
        let levels: Vec<i64> = sqlx::query("SELECT level FROM tx_hash_runs ORDER BY level")
            .fetch_all(&store.pool)
            .await
            .expect("runs")
            .iter()
            .map(|r| r.try_get("level").expect("level"))
            .collect();
        assert!(levels.contains(&1) && levels.iter().all(|l| *l <= 2), "runs merged by level: {levels:?}");
        assert!(levels.len() < 8, "at most 3 runs a level: {levels:?}");
        assert!(store.index.unflushed() < 150);
        for row in &rows {
            assert_eq!(status(store.clone(), row.hash).await, Some((StoredStatus::Pending, row.raw.clone(), None)));
        }
        assert_eq!(status(store.clone(), B256::repeat_byte(0x11)).await, None, "a key without its hash");

        // Block 1 includes rows 0..500 from the pool and, as its own transaction, row 700 (a
        // forced transaction also sent to the pool, whose pool row it rejects); row 800 is
        // rejected, then sent again.
        let mut txs: Vec<IncludedTx> = rows[..500].iter().map(|r| included_tx(r, TxOrigin::Pool)).collect();
        txs.push(included_tx(&rows[700], TxOrigin::Block { sender: Address::repeat_byte(9), nonce: 0 }));
        let reject =
            |row: &PendingRow| StatusChange { hash: row.hash, status: StoredStatus::Rejected, reason: "r".into() };
        let block = block_of(1, &txs);
        store
            .commit_block(&BlockWrite::new(&block, &txs, &[reject(&rows[700]), reject(&rows[800])]))
            .await
            .expect("block 1");
        store.insert_pending(&[pending_row(800, 5_000)]).await.expect("again");
        let check = |store: Store| {
            let rows = rows.clone();
            async move {
                for (i, row) in rows.iter().enumerate() {
                    let (status_of, raw, index) = status(store.clone(), row.hash).await.expect("found");
                    assert_eq!(raw, row.raw);
                    match i {
                        0..500 => assert_eq!((status_of, index), (StoredStatus::Included, Some(i as u64))),
                        700 => assert_eq!((status_of, index), (StoredStatus::Included, Some(500))),
                        _ => assert_eq!(status_of, StoredStatus::Pending, "row {i}"),
                    }
                }
            }
        };
        check(store.clone()).await;
        // The block's transactions in order, as held by this opening and as read back from
        // their rows by another.
        let body: Vec<(B256, Bytes)> = txs.iter().map(|t| (t.hash, t.raw.clone())).collect();
        assert_eq!(store.block_txs(1).await.expect("held"), body);
        let other = Store::open_with(url, 100, 4).await.expect("another opening");
        assert_eq!(other.block_txs(1).await.expect("read"), body);
        assert_eq!(other.block_tx_hashes(1).await.expect("read"), txs.iter().map(|t| t.hash).collect::<Vec<_>>());
        assert_eq!(other.block_bodies(1, 1).await.expect("read"), vec![(1, body.clone())]);
        other.close().await;
        store.close().await;

        // A restart rebuilds the memory: the pending rows keep their ids (block 2 includes
        // rows of before and after it), the entries above every run are found again.
        let store = Store::open_with(url, 100, 4).await.expect("opens again");
        check(store.clone()).await;
        let more: Vec<PendingRow> = (3_000..3_050).map(|i| pending_row(i, i)).collect();
        store.insert_pending(&more).await.expect("admitted");
        let txs: Vec<IncludedTx> = rows[900..950].iter().chain(&more).map(|r| included_tx(r, TxOrigin::Pool)).collect();
        let block = block_of(2, &txs);
        store.commit_block(&BlockWrite::new(&block, &txs, &[])).await.expect("block 2");
        for (i, row) in rows[900..950].iter().chain(&more).enumerate() {
            assert_eq!(status(store.clone(), row.hash).await.and_then(|s| s.2), Some(i as u64));
        }
        let unknown =
            txs.iter().map(|t| IncludedTx { hash: B256::repeat_byte(0x42), ..t.clone() }).take(1).collect::<Vec<_>>();
        let block = block_of(3, &unknown);
        assert!(store.commit_block(&BlockWrite::new(&block, &unknown, &[])).await.is_err(), "never acknowledged");
        store.close().await;
    }

    #[tokio::test]
    async fn transactions_are_found_by_hash_through_runs_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        transactions_are_found_by_hash_through_runs(&format!("sqlite://{}", dir.path().join("chain.sqlite").display()))
            .await;
    }

    #[tokio::test]
    async fn transactions_are_found_by_hash_through_runs_on_postgres() {
        let Some(db) = rollup_db::testing::PostgresTestDb::create("hash_runs").await else { return };
        transactions_are_found_by_hash_through_runs(db.url()).await;
        db.drop_database().await.expect("dropped");
    }

    /// A follower's index (another opening of the database, which writes nothing) finds what
    /// the leader writes once it has followed it, through the leader's runs and merges too,
    /// and lets go of the entries the runs took; reloaded, it is a leader's again.
    #[tokio::test]
    async fn a_follower_finds_by_hash_what_the_leader_wrote() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("chain.sqlite").display());
        let leader = Store::open_with(&url, 100, 4).await.expect("opens");
        let follower = Store::open_with(&url, 100, 4).await.expect("opens");
        let rows: Vec<PendingRow> = (0..1_000).map(|i| pending_row(i, i)).collect();
        for group in rows.chunks(70) {
            leader.insert_pending(group).await.expect("admitted");
            // Learnt in pages of at most 50 rows: every row of the group once it has caught up.
            while follower.follow_index(50).await.expect("follows") == 50 {}
            for row in group {
                let found = follower.transaction(row.hash).await.expect("read").expect("found by the follower");
                assert_eq!((found.status, found.raw), (StoredStatus::Pending, row.raw.clone()));
            }
            assert!(follower.index.unflushed() < 100 + 70, "the runs took the entries they hold");
        }
        let txs: Vec<IncludedTx> = rows[..300].iter().map(|r| included_tx(r, TxOrigin::Pool)).collect();
        leader.commit_block(&BlockWrite::new(&block_of(0, &[]), &[], &[])).await.expect("genesis");
        leader.commit_block(&BlockWrite::new(&block_of(1, &txs), &txs, &[])).await.expect("block 1");
        follower.follow_index(10_000).await.expect("follows");
        for (i, row) in rows[..300].iter().enumerate() {
            let found = follower.transaction(row.hash).await.expect("read").expect("found");
            assert_eq!(found.receipt.map(|r| r.index), Some(i as u64));
        }
        // A takeover: the follower's memory as an opening builds it, and it writes.
        follower.reload_index().await.expect("reloads");
        let more: Vec<PendingRow> = (5_000..5_010).map(|i| pending_row(i, i)).collect();
        follower.insert_pending(&more).await.expect("admits as the leader");
        for row in rows.iter().chain(&more) {
            assert!(follower.transaction(row.hash).await.expect("read").is_some());
        }
        leader.close().await;
        follower.close().await;
    }

    /// A database from before the runs (migration 0021) keeps its transactions: the rows get
    /// ids, every hash is found (from memory, then from the run the first write makes of
    /// them), the pending rows reload and can be included.
    async fn a_database_from_before_the_runs_keeps_its_transactions(url: &str) {
        let before = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(MIGRATIONS.iter().filter(|m| m.version < 21).cloned().collect()),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        let db = Database::open(url, &before, 2).await.expect("opens at 0020");
        let rows: Vec<PendingRow> = (0..450).map(|i| pending_row(i, i)).collect();
        for (i, row) in rows.iter().enumerate() {
            sqlx::query(
                "INSERT INTO transactions (hash, raw, sender, nonce, status, received_seq, received_at, reason)
                 VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
            )
            .bind(row.hash.as_slice())
            .bind(row.raw.to_vec())
            .bind(row.sender.as_slice())
            .bind(i64_of(row.nonce).expect("fits"))
            .bind(if i % 3 == 0 { "rejected" } else { "pending" })
            .bind(i64_of(row.seq).expect("fits"))
            .bind((i % 3 == 0).then_some("old"))
            .execute(db.writer())
            .await
            .expect("old row");
        }
        db.close().await;

        let store = Store::open_with(url, 100, 4).await.expect("migrates");
        assert_eq!(store.index.unflushed(), 450);
        assert_eq!(store.pending().await.expect("pending").len(), 300);
        // The first write makes a run of the 451 rows, at level 1 (at least four times what
        // memory holds before a run).
        store.insert_pending(&[pending_row(1_000, 1_000)]).await.expect("admitted");
        assert_eq!(store.index.unflushed(), 0);
        let level: i64 = sqlx::query("SELECT level FROM tx_hash_runs")
            .fetch_one(&store.pool)
            .await
            .expect("one run")
            .try_get("level")
            .expect("level");
        assert_eq!(level, 1);
        for (i, row) in rows.iter().enumerate() {
            let record = store.transaction(row.hash).await.expect("read").expect("found");
            let expect = if i % 3 == 0 { StoredStatus::Rejected } else { StoredStatus::Pending };
            assert_eq!((record.status, record.raw.clone()), (expect, row.raw.clone()));
        }
        let txs = vec![included_tx(&rows[1], TxOrigin::Pool)];
        let block = block_of(1, &txs);
        store.commit_block(&BlockWrite::new(&block, &txs, &[])).await.expect("includes an old row");
        let record = store.transaction(rows[1].hash).await.expect("read").expect("found");
        assert_eq!(record.status, StoredStatus::Included);
        store.close().await;
    }

    #[tokio::test]
    async fn a_database_from_before_the_runs_keeps_its_transactions_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        a_database_from_before_the_runs_keeps_its_transactions(&format!(
            "sqlite://{}",
            dir.path().join("chain.sqlite").display()
        ))
        .await;
    }

    #[tokio::test]
    async fn a_database_from_before_the_runs_keeps_its_transactions_on_postgres() {
        let Some(db) = rollup_db::testing::PostgresTestDb::create("before_runs").await else { return };
        a_database_from_before_the_runs_keeps_its_transactions(db.url()).await;
        db.drop_database().await.expect("dropped");
    }

    /// A database from before the rows were written once (migration 0022) reads the same:
    /// its blocks by their bodies, or by their rows' positions when they have none; its
    /// transactions by hash with their statuses, reasons and receipts; its pending rows reload
    /// and a new block includes them.
    async fn a_database_from_before_the_ids_reads_its_blocks(url: &str) {
        let before = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(MIGRATIONS.iter().filter(|m| m.version < 22).cloned().collect()),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        let db = Database::open(url, &before, 2).await.expect("opens at 0021");
        let rows: Vec<PendingRow> = (0..6).map(|i| pending_row(i, i)).collect();
        // Rows 0..3 in block 1 (a body), row 5 in block 2 (none: sealed before bodies were
        // kept), row 3 pending, row 4 rejected.
        let place: [Option<(i64, i64)>; 6] = [Some((1, 0)), Some((1, 1)), Some((1, 2)), None, None, Some((2, 0))];
        for (i, (row, at)) in rows.iter().zip(place).enumerate() {
            let status = match (i, at) {
                (_, Some(_)) => "included",
                (4, None) => "rejected",
                _ => "pending",
            };
            sqlx::query(
                "INSERT INTO transactions (id, hash, raw, sender, nonce, status, received_seq, received_at,
                                           block_number, tx_index, reason)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10)",
            )
            .bind(i64_of(i as u64 + 1).expect("fits"))
            .bind(row.hash.as_slice())
            .bind(row.raw.to_vec())
            .bind(row.sender.as_slice())
            .bind(i64_of(row.nonce).expect("fits"))
            .bind(status)
            .bind(i64_of(row.seq).expect("fits"))
            .bind(at.map(|(block, _)| block))
            .bind(at.map(|(_, index)| index))
            .bind((status == "rejected").then_some("old"))
            .execute(db.writer())
            .await
            .expect("old row");
        }
        for (number, txs) in [(1i64, &rows[..3]), (2, &rows[5..])] {
            let included: Vec<IncludedTx> = txs.iter().map(|r| included_tx(r, TxOrigin::Pool)).collect();
            let block = block_of(number as u64, &included);
            let body = (number == 1).then(|| encode_block_body(txs.iter().map(|r| (r.hash, r.raw.as_ref()))));
            sqlx::query(
                "INSERT INTO blocks (number, hash, parent_hash, timestamp, state_root, transactions_root, logs_bloom,
                                     gas_used, tx_count, chunk_roots, body, receipts)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $11)",
            )
            .bind(number)
            .bind(block.hash.as_slice())
            .bind(B256::ZERO.as_slice())
            .bind(number)
            .bind(B256::ZERO.as_slice())
            .bind(B256::ZERO.as_slice())
            .bind(Bloom::ZERO.as_slice())
            .bind(txs.len() as i64)
            .bind(B256::repeat_byte(7).to_vec())
            .bind(body)
            .bind(receipts::encode_included(&included).expect("receipts"))
            .execute(db.writer())
            .await
            .expect("old block");
        }
        db.close().await;

        let store = Store::open_with(url, 100, 4).await.expect("migrates");
        let pairs = |rows: &[PendingRow]| rows.iter().map(|r| (r.hash, r.raw.clone())).collect::<Vec<_>>();
        assert_eq!(store.block_txs(1).await.expect("body"), pairs(&rows[..3]));
        assert_eq!(store.block_txs(2).await.expect("rows"), pairs(&rows[5..]));
        assert_eq!(store.block_transactions(1, 2).await.expect("raw").len(), 4);
        for (number, txs) in [(1, &rows[..3]), (2, &rows[5..])] {
            let records = store.block_transaction_records(number).await.expect("records");
            let found: Vec<_> =
                records.iter().map(|r| (r.hash, r.receipt.as_ref().map(|r| (r.block_number, r.index)))).collect();
            let expect: Vec<_> = txs.iter().enumerate().map(|(i, r)| (r.hash, Some((number, i as u64)))).collect();
            assert_eq!(found, expect);
        }
        let rejected = store.transaction(rows[4].hash).await.expect("read").expect("found");
        assert_eq!((rejected.status, rejected.reason.as_deref()), (StoredStatus::Rejected, Some("old")));
        let included = store.transaction(rows[1].hash).await.expect("read").expect("found");
        assert_eq!(included.receipt.map(|r| (r.block_number, r.index, r.gas_used)), Some((1, 1, 21_000)));
        let pending = store.pending().await.expect("pending");
        assert_eq!(pending, vec![(rows[3].raw.clone(), 3)]);

        // A new block includes the old pending row, and lists its id.
        let txs = vec![included_tx(&rows[3], TxOrigin::Pool)];
        let block = block_of(3, &txs);
        store.commit_block(&BlockWrite::new(&block, &txs, &[])).await.expect("block 3");
        assert!(store.pending().await.expect("pending").is_empty());
        assert_eq!(store.block_txs(3).await.expect("ids"), pairs(&rows[3..4]));
        let record = store.transaction(rows[3].hash).await.expect("read").expect("found");
        assert_eq!(record.receipt.map(|r| (r.block_number, r.index)), Some((3, 0)));
        store.close().await;
    }

    #[tokio::test]
    async fn a_database_from_before_the_ids_reads_its_blocks_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        a_database_from_before_the_ids_reads_its_blocks(&format!(
            "sqlite://{}",
            dir.path().join("chain.sqlite").display()
        ))
        .await;
    }

    #[tokio::test]
    async fn a_database_from_before_the_ids_reads_its_blocks_on_postgres() {
        let Some(db) = rollup_db::testing::PostgresTestDb::create("before_ids").await else { return };
        a_database_from_before_the_ids_reads_its_blocks(db.url()).await;
        db.drop_database().await.expect("dropped");
    }

    #[tokio::test]
    async fn the_services_own_reads_do_not_wait_for_the_shared_pool() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("chain.sqlite").display());
        let store = Store::open(&url).await.expect("opens");
        // Clients' queries hold every connection of the shared pool.
        let mut held = Vec::new();
        while let Ok(Ok(conn)) = tokio::time::timeout(std::time::Duration::from_millis(200), store.pool.acquire()).await
        {
            held.push(conn);
        }
        assert!(!held.is_empty());
        let wait = std::time::Duration::from_millis(500);
        assert!(tokio::time::timeout(wait, store.latest_batch()).await.is_err(), "the shared pool is exhausted");
        let own = tokio::time::timeout(wait, store.internal().latest_batch()).await;
        assert!(own.expect("answered at once").expect("read").is_none());
        drop(held);
        store.close().await;
    }
}
