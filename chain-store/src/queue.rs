//! The bridge's L1 → L2 queue in the chain database (`migrations/chain/0008_queue.sql`): the
//! entries the queue reader took from the L1 bridge, in queue order with the accumulator after
//! each, and where the L2 consumed them.

use crate::{Store, StoreError, StoredLog};
use alloy_primitives::{B256, Bytes, U256};
use rollup_db::{address, b256, i64_of, sqlx, u64_of};
use rollup_types::queue::{QueueEntry, QueueItem};
use serde::{Deserialize, Serialize};
use sqlx::{Row, any::AnyRow};

/// A queue entry with the bridge's accumulator after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedEntry {
    /// The entry.
    pub entry: QueueEntry,
    /// The accumulator after it.
    pub accumulator: B256,
}

/// What the L2 did with a queue entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueOutcome {
    /// The L2 block that consumed it.
    pub block_number: u64,
    /// `credited` (a deposit), `success`, `revert`, `halt` (a forced transaction that ran) or
    /// `skipped` (one that could not run).
    pub outcome: String,
    /// A forced transaction's hash, when it decodes.
    pub tx_hash: Option<B256>,
    /// Why it was skipped.
    pub reason: Option<String>,
    /// The logs it emitted.
    pub logs: Vec<StoredLog>,
}

/// A queue entry as stored: the entry, its accumulator, and its outcome once consumed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredQueueEntry {
    /// The entry and its accumulator.
    pub queued: QueuedEntry,
    /// What the L2 did with it (`None` while it waits).
    pub consumed: Option<QueueOutcome>,
}

/// Where the queue reader stands on the L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueReaderPosition {
    /// The last L1 block read.
    pub l1_block: u64,
    /// Its hash.
    pub l1_hash: B256,
}

const COLUMNS: &str = "queue_index, kind, l1_from, l1_block, recipient, l1_token, amount, meta, raw, accumulator, \
                       block_number, outcome, tx_hash, reason, logs";

fn word(row: &AnyRow, col: &str) -> Result<U256, StoreError> {
    let bytes: Vec<u8> = row.try_get(col)?;
    if bytes.len() != 32 {
        return Err(StoreError::Corrupt(format!("{col} is {} bytes, not 32", bytes.len())));
    }
    Ok(U256::from_be_slice(&bytes))
}

fn entry_of(row: &AnyRow) -> Result<StoredQueueEntry, StoreError> {
    let kind: String = row.try_get("kind")?;
    let item = match kind.as_str() {
        "deposit" => QueueItem::Deposit {
            to: address(row, "recipient")?,
            l1_token: address(row, "l1_token")?,
            amount: word(row, "amount")?,
            meta: word(row, "meta")?,
        },
        "forced" => QueueItem::Forced { raw: Bytes::from(row.try_get::<Vec<u8>, _>("raw")?) },
        // A reading of the L1's fees keeps its base fee in `amount` and its blob base fee in
        // `meta`.
        "l1Fees" => QueueItem::L1Fees { base_fee: word(row, "amount")?, blob_base_fee: word(row, "meta")? },
        other => return Err(StoreError::Corrupt(format!("unknown queue entry kind {other:?}"))),
    };
    let entry = QueueEntry {
        index: u64_of(row, "queue_index")?,
        from: address(row, "l1_from")?,
        l1_block: u64_of(row, "l1_block")?,
        item,
    };
    let consumed = match row.try_get::<Option<i64>, _>("block_number")? {
        None => None,
        Some(block) => {
            let logs: Option<String> = row.try_get("logs")?;
            Some(QueueOutcome {
                block_number: u64::try_from(block).map_err(|_| StoreError::Corrupt("block_number".into()))?,
                outcome: row.try_get::<Option<String>, _>("outcome")?.unwrap_or_default(),
                tx_hash: crate::optional_b256(row, "tx_hash")?,
                reason: row.try_get("reason")?,
                logs: match logs {
                    Some(l) => serde_json::from_str(&l).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    None => Vec::new(),
                },
            })
        }
    };
    Ok(StoredQueueEntry { queued: QueuedEntry { entry, accumulator: b256(row, "accumulator")? }, consumed })
}

impl Store {
    /// Appends queue entries (consecutive, after the last stored) and the withdrawals the L1
    /// paid in the blocks read, and moves the reader to `position`, atomically.
    pub async fn append_queue(
        &self,
        entries: &[QueuedEntry],
        payouts: &[crate::WithdrawalPayout],
        position: QueueReaderPosition,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.writer().begin().await?;
        Self::insert_payouts_in(&mut tx, payouts).await?;
        for q in entries {
            let e = &q.entry;
            let (kind, to, token, amount, meta, raw) = match &e.item {
                QueueItem::Deposit { to, l1_token, amount, meta } => (
                    "deposit",
                    Some(to.to_vec()),
                    Some(l1_token.to_vec()),
                    Some(amount.to_be_bytes::<32>().to_vec()),
                    Some(meta.to_be_bytes::<32>().to_vec()),
                    None,
                ),
                QueueItem::Forced { raw } => ("forced", None, None, None, None, Some(raw.to_vec())),
                QueueItem::L1Fees { base_fee, blob_base_fee } => (
                    "l1Fees",
                    None,
                    None,
                    Some(base_fee.to_be_bytes::<32>().to_vec()),
                    Some(blob_base_fee.to_be_bytes::<32>().to_vec()),
                    None,
                ),
            };
            sqlx::query(
                "INSERT INTO queue_entries (queue_index, kind, l1_from, l1_block, recipient, l1_token, amount, meta,
                                            raw, accumulator)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(i64_of(e.index)?)
            .bind(kind)
            .bind(e.from.as_slice())
            .bind(i64_of(e.l1_block)?)
            .bind(to)
            .bind(token)
            .bind(amount)
            .bind(meta)
            .bind(raw)
            .bind(q.accumulator.as_slice())
            .execute(&mut *tx)
            .await?;
        }
        Self::set_reader_in(&mut tx, position).await?;
        self.commit_fenced(tx).await
    }

    async fn set_reader_in(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        position: QueueReaderPosition,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO queue_reader (id, l1_block, l1_hash) VALUES (1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET l1_block = $1, l1_hash = $2",
        )
        .bind(i64_of(position.l1_block)?)
        .bind(position.l1_hash.as_slice())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Removes the entries from `from` on that no block consumed (an L1 reorg replaced them)
    /// and the payouts read after `position`, and moves the reader back to `position`. `Err` if a block consumed one of them: the L2
    /// built on an entry the L1 no longer holds.
    pub async fn drop_queue_from(&self, from: u64, position: QueueReaderPosition) -> Result<u64, StoreError> {
        let mut tx = self.db.writer().begin().await?;
        let consumed: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(queue_index) FROM queue_entries WHERE queue_index >= $1 AND block_number IS NOT NULL",
        )
        .bind(i64_of(from)?)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(index) = consumed {
            return Err(StoreError::Corrupt(format!(
                "queue entry {index}, which an L2 block consumed, is no longer on the L1 (a reorg deeper than the \
                 queue reader's confirmations)"
            )));
        }
        let removed = sqlx::query("DELETE FROM queue_entries WHERE queue_index >= $1")
            .bind(i64_of(from)?)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        Self::drop_payouts_after_in(&mut tx, position.l1_block).await?;
        Self::set_reader_in(&mut tx, position).await?;
        self.commit_fenced(tx).await?;
        Ok(removed)
    }

    /// Records what a byte of batch data costs on L1 as of block `l1_block`, the newest read, in
    /// wei: in calldata or in a blob, as the batcher posts (docs/fees.md §4; the table is
    /// `l1_byte_cost`).
    pub async fn set_l1_byte_cost(&self, l1_block: u64, wei: u128) -> Result<(), StoreError> {
        let mut tx = self.db.writer().begin().await?;
        sqlx::query(
            "INSERT INTO l1_byte_cost (id, l1_block, wei) VALUES (1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET l1_block = $1, wei = $2",
        )
        .bind(i64_of(l1_block)?)
        .bind(wei.to_be_bytes().to_vec())
        .execute(&mut *tx)
        .await?;
        self.commit_fenced(tx).await
    }

    /// The newest L1 cost of a byte recorded, with its block (`None` before the first).
    pub async fn l1_byte_cost(&self) -> Result<Option<(u64, u128)>, StoreError> {
        let row = sqlx::query("SELECT l1_block, wei FROM l1_byte_cost WHERE id = 1").fetch_optional(&self.pool).await?;
        row.map(|r| {
            let bytes: Vec<u8> = r.try_get("wei")?;
            let wei = <[u8; 16]>::try_from(bytes.as_slice())
                .map(u128::from_be_bytes)
                .map_err(|_| StoreError::Corrupt("l1_byte_cost is not 16 bytes".into()))?;
            Ok((u64_of(&r, "l1_block")?, wei))
        })
        .transpose()
    }

    /// Where the queue reader stands (`None` before its first read).
    pub async fn queue_reader(&self) -> Result<Option<QueueReaderPosition>, StoreError> {
        let row =
            sqlx::query("SELECT l1_block, l1_hash FROM queue_reader WHERE id = 1").fetch_optional(&self.pool).await?;
        row.map(|r| Ok(QueueReaderPosition { l1_block: u64_of(&r, "l1_block")?, l1_hash: b256(&r, "l1_hash")? }))
            .transpose()
    }

    /// The number of entries stored (the index of the next one).
    pub async fn queue_length(&self) -> Result<u64, StoreError> {
        let max: Option<i64> =
            sqlx::query_scalar("SELECT MAX(queue_index) FROM queue_entries").fetch_one(&self.pool).await?;
        Ok(max.map_or(0, |m| m as u64 + 1))
    }

    /// Up to `limit` entries from index `from` on, in order.
    pub async fn queue_entries(&self, from: u64, limit: u64) -> Result<Vec<QueuedEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM queue_entries WHERE queue_index >= $1 ORDER BY queue_index LIMIT $2"
        ))
        .bind(i64_of(from)?)
        .bind(i64_of(limit)?)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| entry_of(r).map(|e| e.queued)).collect()
    }

    /// Entries `from .. to`, which must all be stored.
    pub async fn queue_range(&self, from: u64, to: u64) -> Result<Vec<QueueEntry>, StoreError> {
        if to <= from {
            return Ok(Vec::new());
        }
        let entries = self.queue_entries(from, to - from).await?;
        if entries.len() as u64 != to - from || entries.first().is_some_and(|e| e.entry.index != from) {
            return Err(StoreError::Corrupt(format!("queue entries {from}..{to} are not all stored")));
        }
        Ok(entries.into_iter().map(|q| q.entry).collect())
    }

    /// One entry and what became of it.
    pub async fn queue_entry(&self, index: u64) -> Result<Option<StoredQueueEntry>, StoreError> {
        let Ok(index) = i64::try_from(index) else { return Ok(None) };
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM queue_entries WHERE queue_index = $1"))
            .bind(index)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(entry_of).transpose()
    }

    /// Records in `tx` what block `block` did with entries `first …` (their outcomes in order).
    pub(crate) async fn consume_queue_in(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        block: u64,
        first: u64,
        outcomes: &[ConsumedEntry],
    ) -> Result<(), StoreError> {
        for (i, o) in outcomes.iter().enumerate() {
            let logs = serde_json::to_string(&o.logs).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let updated = sqlx::query(
                "UPDATE queue_entries SET block_number = $1, outcome = $2, tx_hash = $3, reason = $4, logs = $5
                 WHERE queue_index = $6",
            )
            .bind(i64_of(block)?)
            .bind(o.outcome.as_str())
            .bind(o.tx_hash.map(|h| h.to_vec()))
            .bind(o.reason.as_deref())
            .bind(logs)
            .bind(i64_of(first + i as u64)?)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(StoreError::Corrupt(format!(
                    "block {block} consumes queue entry {}, which is not stored",
                    first + i as u64
                )));
            }
        }
        Ok(())
    }
}

/// What a block being committed did with one queue entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumedEntry {
    /// `credited`, `success`, `revert`, `halt` or `skipped`.
    pub outcome: String,
    /// A forced transaction's hash.
    pub tx_hash: Option<B256>,
    /// Why it was skipped.
    pub reason: Option<String>,
    /// Its logs.
    pub logs: Vec<StoredLog>,
}
