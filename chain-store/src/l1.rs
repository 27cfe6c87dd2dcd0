//! The batcher's L1 transactions: every signed attempt of a batch post, written before it is
//! broadcast (`migrations/chain/0004_l1_transactions.sql`).

use crate::{BatchRecord, Store, StoreError};
use alloy_primitives::B256;
use rollup_db::{b256, i64_of, sqlx, u64_of};
use serde::{Deserialize, Serialize};
use sqlx::{Row, any::AnyRow};

/// Where an L1 transaction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum L1TxStatus {
    /// Signed and stored, maybe broadcast, not seen mined.
    Pending,
    /// Mined successfully; its batch is recorded.
    Mined,
    /// Another attempt with the same nonce was mined instead.
    Replaced,
    /// Fell out of the L1 chain (reorg) or was superseded before being mined.
    Dropped,
    /// Mined and reverted.
    Reverted,
}

impl L1TxStatus {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Mined => "mined",
            Self::Replaced => "replaced",
            Self::Dropped => "dropped",
            Self::Reverted => "reverted",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "pending" => Self::Pending,
            "mined" => Self::Mined,
            "replaced" => Self::Replaced,
            "dropped" => Self::Dropped,
            "reverted" => Self::Reverted,
            other => return Err(StoreError::Corrupt(format!("unknown L1 transaction status {other:?}"))),
        })
    }
}

/// One signed attempt of a batch post.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1TxRecord {
    /// Its hash.
    pub tx_hash: B256,
    /// The batch it posts.
    pub batch_index: u64,
    /// The batcher account's nonce it uses.
    pub nonce: u64,
    /// The signed EIP-2718 bytes.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// Fee cap, wei per gas.
    pub max_fee_per_gas: u128,
    /// Priority fee, wei per gas.
    pub max_priority_fee_per_gas: u128,
    /// Unix milliseconds of signing.
    pub sent_at: u64,
    /// Where it stands.
    pub status: L1TxStatus,
}

impl std::fmt::Debug for L1TxRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The signed bytes hold whole blobs (128 KiB each): their length only.
        f.debug_struct("L1TxRecord")
            .field("tx_hash", &self.tx_hash)
            .field("batch_index", &self.batch_index)
            .field("nonce", &self.nonce)
            .field("raw_len", &self.raw.len())
            .field("max_fee_per_gas", &self.max_fee_per_gas)
            .field("max_priority_fee_per_gas", &self.max_priority_fee_per_gas)
            .field("sent_at", &self.sent_at)
            .field("status", &self.status)
            .finish()
    }
}

/// An attempt in flight as [`Store::pending_l1_txs`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingL1Tx {
    /// The attempt, without its signed bytes (`raw` is empty).
    pub record: L1TxRecord,
    /// Whether the database keeps its signed bytes (only the newest attempt of a nonce does).
    pub signed: bool,
}

fn fee_of(v: u128) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Corrupt(format!("fee {v} does not fit a BIGINT")))
}

impl Store {
    fn l1_tx_of(row: &AnyRow) -> Result<L1TxRecord, StoreError> {
        Self::l1_tx_with(row, row.try_get("raw")?)
    }

    /// An attempt's row, with `raw` for its signed bytes (read or not).
    fn l1_tx_with(row: &AnyRow, raw: Vec<u8>) -> Result<L1TxRecord, StoreError> {
        let status: String = row.try_get("status")?;
        Ok(L1TxRecord {
            tx_hash: b256(row, "tx_hash")?,
            batch_index: u64_of(row, "batch_index")?,
            nonce: u64_of(row, "nonce")?,
            raw,
            max_fee_per_gas: u128::from(u64_of(row, "max_fee_per_gas")?),
            max_priority_fee_per_gas: u128::from(u64_of(row, "max_priority_fee_per_gas")?),
            sent_at: u64_of(row, "sent_at")?,
            status: L1TxStatus::parse(&status)?,
        })
    }

    /// Stores a signed attempt (before it is broadcast). Signing is deterministic, so the same
    /// post signed again after a reorg has the same hash: its row becomes pending again.
    ///
    /// Only the newest attempt of a nonce keeps its signed bytes (the only one ever broadcast
    /// again; the others are followed by hash): a post bumped many times stores one copy of
    /// its data, not one per bump.
    pub async fn insert_l1_tx(&self, t: &L1TxRecord) -> Result<(), StoreError> {
        self.insert_l1_txs(std::slice::from_ref(t)).await
    }

    /// [`Self::insert_l1_tx`] for several attempts, in one database transaction: the posts of
    /// one round are stored with one commit (the writer is shared with the sequencer).
    pub async fn insert_l1_txs(&self, attempts: &[L1TxRecord]) -> Result<(), StoreError> {
        if attempts.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.writer().begin().await?;
        for t in attempts {
            sqlx::query(
                "UPDATE l1_transactions SET raw = $1 WHERE nonce = $2 AND tx_hash <> $3 AND status = 'pending'",
            )
            .bind(Vec::<u8>::new())
            .bind(i64_of(t.nonce)?)
            .bind(t.tx_hash.as_slice())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO l1_transactions (tx_hash, batch_index, nonce, raw, max_fee_per_gas,
                                              max_priority_fee_per_gas, sent_at, status)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (tx_hash) DO UPDATE SET status = excluded.status, sent_at = excluded.sent_at",
            )
            .bind(t.tx_hash.as_slice())
            .bind(i64_of(t.batch_index)?)
            .bind(i64_of(t.nonce)?)
            .bind(t.raw.as_slice())
            .bind(fee_of(t.max_fee_per_gas)?)
            .bind(fee_of(t.max_priority_fee_per_gas)?)
            .bind(i64_of(t.sent_at)?)
            .bind(t.status.as_str())
            .execute(&mut *tx)
            .await?;
        }
        self.commit_fenced(tx).await
    }

    /// Attempts not yet settled, oldest first, without their signed bytes (up to 128 kB each,
    /// and the batcher lists them several times a round): [`PendingL1Tx::signed`] says which
    /// keep them, [`Self::l1_tx`] reads them.
    pub async fn pending_l1_txs(&self) -> Result<Vec<PendingL1Tx>, StoreError> {
        let rows = sqlx::query(
            "SELECT tx_hash, batch_index, nonce, max_fee_per_gas, max_priority_fee_per_gas, sent_at, status,
                    CAST(length(raw) AS BIGINT) AS raw_len
             FROM l1_transactions WHERE status = 'pending' ORDER BY nonce, sent_at",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PendingL1Tx { record: Self::l1_tx_with(row, Vec::new())?, signed: u64_of(row, "raw_len")? > 0 })
            })
            .collect()
    }

    /// The attempt with this hash.
    pub async fn l1_tx(&self, hash: B256) -> Result<Option<L1TxRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM l1_transactions WHERE tx_hash = $1")
            .bind(hash.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::l1_tx_of).transpose()
    }

    /// Every attempt of batch `index`, oldest first.
    pub async fn l1_txs_of_batch(&self, index: u64) -> Result<Vec<L1TxRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM l1_transactions WHERE batch_index = $1 ORDER BY sent_at")
            .bind(i64_of(index)?)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Self::l1_tx_of).collect()
    }

    /// Marks the still-pending attempts of batch `index` with `status`.
    pub async fn settle_pending_l1_txs(&self, index: u64, status: L1TxStatus) -> Result<(), StoreError> {
        let mut tx = self.db.writer().begin().await?;
        sqlx::query("UPDATE l1_transactions SET status = $1 WHERE batch_index = $2 AND status = 'pending'")
            .bind(status.as_str())
            .bind(i64_of(index)?)
            .execute(&mut *tx)
            .await?;
        self.commit_fenced(tx).await
    }

    /// Marks the still-pending attempts of batches `from` and later with `status` (posts in
    /// flight that can no longer succeed: the batch they build on left L1); returns how many.
    pub async fn settle_pending_l1_txs_from(&self, from: u64, status: L1TxStatus) -> Result<u64, StoreError> {
        let mut tx = self.db.writer().begin().await?;
        let done = sqlx::query("UPDATE l1_transactions SET status = $1 WHERE batch_index >= $2 AND status = 'pending'")
            .bind(status.as_str())
            .bind(i64_of(from)?)
            .execute(&mut *tx)
            .await?;
        self.commit_fenced(tx).await?;
        Ok(done.rows_affected())
    }

    /// Records a mined post in one database transaction: the batch, its attempt as mined, the
    /// other attempts as replaced.
    pub async fn record_mined_post(&self, batch: &BatchRecord) -> Result<(), StoreError> {
        self.record_mined_posts(std::slice::from_ref(batch)).await
    }

    /// [`Self::record_mined_post`] for several batches, in order, with one commit (the writer
    /// is shared with the sequencer: a commit per post would wait behind its writes each time).
    pub async fn record_mined_posts(&self, batches: &[BatchRecord]) -> Result<(), StoreError> {
        if batches.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.writer().begin().await?;
        for batch in batches {
            super::insert_batch_query(batch)?.execute(&mut *tx).await?;
            sqlx::query(
                "UPDATE l1_transactions SET status = CASE WHEN tx_hash = $1 THEN 'mined' ELSE 'replaced' END
                 WHERE batch_index = $2 AND status = 'pending'",
            )
            .bind(batch.l1_tx_hash.as_slice())
            .bind(i64_of(batch.index)?)
            .execute(&mut *tx)
            .await?;
        }
        self.commit_fenced(tx).await
    }

    /// Forgets batches `from` and later (they fell out of L1 in a reorg), marking their
    /// attempts dropped; returns how many batches were removed.
    pub async fn drop_batches_from(&self, from: u64) -> Result<u64, StoreError> {
        let mut tx = self.db.writer().begin().await?;
        let removed =
            sqlx::query("DELETE FROM batches WHERE batch_index >= $1").bind(i64_of(from)?).execute(&mut *tx).await?;
        sqlx::query("UPDATE l1_transactions SET status = 'dropped' WHERE batch_index >= $1 AND status = 'mined'")
            .bind(i64_of(from)?)
            .execute(&mut *tx)
            .await?;
        self.commit_fenced(tx).await?;
        Ok(removed.rows_affected())
    }

    /// Records that a reorg moved the post of batch `index` to L1 block `l1_block`.
    pub async fn move_batch(
        &self,
        index: u64,
        l1_block: u64,
        l1_block_hash: B256,
        posted_at: u64,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.writer().begin().await?;
        sqlx::query("UPDATE batches SET l1_block = $1, posted_at = $2, l1_block_hash = $3 WHERE batch_index = $4")
            .bind(i64_of(l1_block)?)
            .bind(i64_of(posted_at)?)
            .bind(l1_block_hash.as_slice())
            .bind(i64_of(index)?)
            .execute(&mut *tx)
            .await?;
        self.commit_fenced(tx).await
    }

    /// Sets the status of one attempt.
    pub async fn set_l1_tx_status(&self, hash: B256, status: L1TxStatus) -> Result<(), StoreError> {
        let mut tx = self.db.writer().begin().await?;
        sqlx::query("UPDATE l1_transactions SET status = $1 WHERE tx_hash = $2")
            .bind(status.as_str())
            .bind(hash.as_slice())
            .execute(&mut *tx)
            .await?;
        self.commit_fenced(tx).await
    }
}
