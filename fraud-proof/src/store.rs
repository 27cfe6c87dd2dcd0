//! The challenger's own database (never the sequencer's): its verdict on every post it read,
//! the fraud proofs it built, and snapshots of its verified state.

use crate::derive::{Position, PostedBatch, Verdict};
use alloy_primitives::{B256, U256};
use rollup_db::{Database, DbError, b256, i64_of, u64_of};
use rollup_types::status::{ProofReport, ProofState, RewardState};
use sqlx::Row;

/// Embedded migrations of the challenger database.
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/challenger");

/// Where an inbox event is on L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L1Position {
    /// Its L1 block.
    pub block: u64,
    /// That block's hash.
    pub hash: B256,
    /// Its log index in the block.
    pub log_index: u64,
}

/// A snapshot of the verified state after every L1 block up to `l1_block`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The last L1 block it covers.
    pub l1_block: u64,
    /// That block's hash when the snapshot was taken.
    pub l1_block_hash: B256,
    /// The verifier's position.
    pub position: Position,
    /// The state root it must reproduce.
    pub state_root: B256,
    /// The executor's state snapshot (empty when only the head was read).
    pub data: Vec<u8>,
}

/// Verdicts, proofs and snapshots.
#[derive(Clone, Debug)]
pub struct VerdictStore {
    db: Database,
}

fn proof_state(state: ProofState) -> &'static str {
    match state {
        ProofState::Built => "built",
        ProofState::Committed => "committed",
        ProofState::Proven => "proven",
        ProofState::Failed => "failed",
    }
}

fn parse_proof_state(s: &str) -> Result<ProofState, DbError> {
    Ok(match s {
        "built" => ProofState::Built,
        "committed" => ProofState::Committed,
        "proven" => ProofState::Proven,
        "failed" => ProofState::Failed,
        other => return Err(DbError::Corrupt(format!("unknown proof state {other:?}"))),
    })
}

fn opt_b256(row: &sqlx::any::AnyRow, col: &str) -> Result<Option<B256>, DbError> {
    let bytes: Option<Vec<u8>> = row.try_get(col)?;
    bytes
        .map(|b| B256::try_from(b.as_slice()).map_err(|_| DbError::Corrupt(format!("{col} is not 32 bytes"))))
        .transpose()
}

impl VerdictStore {
    /// Opens (creating if needed) the database at `url` (SQLite or PostgreSQL) and applies
    /// the migrations.
    pub async fn open(url: &str) -> Result<Self, DbError> {
        Ok(Self { db: Database::open(url, &MIGRATIONS, 4).await? })
    }

    /// Records (or updates) the verdict on `batch`, posted at `at`.
    pub async fn record(
        &self,
        batch: &PostedBatch,
        at: &L1Position,
        verdict: &Verdict,
        checked_at: u64,
    ) -> Result<(), DbError> {
        let (label, computed, reason) = match verdict {
            Verdict::Verified { state_root } => ("verified", Some(state_root.to_vec()), None),
            Verdict::Mismatch { fault, computed_root } => {
                ("mismatch", computed_root.map(|r| r.to_vec()), Some(fault.to_string()))
            }
        };
        sqlx::query(
            "INSERT INTO l1_batches (batch_index, l1_tx_hash, l1_block, l1_block_hash, log_index, data_hash, state_root,
                                     last_block, chunk_count, verdict, computed_root, reason, checked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (batch_index, l1_tx_hash) DO UPDATE SET l1_block = $3, l1_block_hash = $4, log_index = $5,
                 data_hash = $6, state_root = $7, last_block = $8, chunk_count = $9, verdict = $10,
                 computed_root = $11, reason = $12, checked_at = $13, rolled_back_at = NULL",
        )
        .bind(i64_of(batch.index)?)
        .bind(batch.l1_tx_hash.as_slice())
        .bind(i64_of(at.block)?)
        .bind(at.hash.as_slice())
        .bind(i64_of(at.log_index)?)
        .bind(batch.data_hash.as_slice())
        .bind(batch.state_root.as_slice())
        .bind(i64_of(batch.last_block)?)
        .bind(i64_of(batch.chunk_roots.len() as u64)?)
        .bind(label)
        .bind(computed)
        .bind(reason)
        .bind(i64_of(checked_at)?)
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// Marks the batches `from` and later still current as removed by the rollback of L1 block
    /// `at`.
    pub async fn mark_rolled_back(&self, from: u64, at: u64) -> Result<(), DbError> {
        sqlx::query("UPDATE l1_batches SET rolled_back_at = $1 WHERE batch_index >= $2 AND rolled_back_at IS NULL")
            .bind(i64_of(at)?)
            .bind(i64_of(from)?)
            .execute(self.db.writer())
            .await?;
        Ok(())
    }

    /// Forgets what L1 blocks after `l1_block` said (a reorg replaced them): their posts'
    /// verdicts, and their rollbacks' marks.
    pub async fn forget_after(&self, l1_block: u64) -> Result<(), DbError> {
        let mut tx = self.db.writer().begin().await?;
        sqlx::query("DELETE FROM l1_batches WHERE l1_block > $1").bind(i64_of(l1_block)?).execute(&mut *tx).await?;
        sqlx::query("UPDATE l1_batches SET rolled_back_at = NULL WHERE rolled_back_at > $1")
            .bind(i64_of(l1_block)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The current verdict on each batch (not rolled back), as (index, verdict, reason),
    /// ascending.
    pub async fn current_verdicts(&self) -> Result<Vec<(u64, String, Option<String>)>, DbError> {
        let rows = sqlx::query(
            "SELECT batch_index, verdict, reason FROM l1_batches WHERE rolled_back_at IS NULL ORDER BY batch_index",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(|r| Ok((u64_of(r, "batch_index")?, r.try_get("verdict")?, r.try_get("reason")?))).collect()
    }

    /// Records (or updates) a fraud proof, keyed by its `commitment`. A proof recorded as
    /// `proven` stays so: nothing a later run concludes rewrites what happened on L1, but what
    /// its reward did since.
    pub async fn record_proof(&self, commitment: B256, proof: &ProofReport, now: u64) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO l1_proofs (commitment, batch_index, target, reason, state, commit_tx, proof_tx, gas_used,
                                    calldata_bytes, error, updated_at, created_at, claim, reward, reward_tx, reward_wei)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15)
             ON CONFLICT (commitment) DO UPDATE SET state = $5, commit_tx = $6, proof_tx = $7, gas_used = $8,
                 error = $10, updated_at = $11, claim = $12, reward = $13, reward_tx = $14, reward_wei = $15
             WHERE l1_proofs.state <> 'proven' OR $5 = 'proven'",
        )
        .bind(commitment.as_slice())
        .bind(i64_of(proof.batch_index)?)
        .bind(proof.target.as_str())
        .bind(proof.reason.as_str())
        .bind(proof_state(proof.state))
        .bind(proof.commit_tx.map(|h| h.to_vec()))
        .bind(proof.proof_tx.map(|h| h.to_vec()))
        .bind(proof.gas_used.map(i64_of).transpose()?)
        .bind(i64_of(proof.calldata_bytes)?)
        .bind(proof.error.clone())
        .bind(i64_of(now)?)
        .bind(proof.claim.map(i64_of).transpose()?)
        .bind(proof.reward.map(|r| r.as_str()))
        .bind(proof.reward_tx.map(|h| h.to_vec()))
        .bind(proof.reward_wei.map(|w| w.to_string()))
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// Every proof recorded, in the order they were first built.
    pub async fn proof_reports(&self) -> Result<Vec<ProofReport>, DbError> {
        let rows =
            sqlx::query("SELECT * FROM l1_proofs ORDER BY COALESCE(created_at, updated_at), batch_index, commitment")
                .fetch_all(self.db.pool())
                .await?;
        rows.iter()
            .map(|r| {
                Ok(ProofReport {
                    batch_index: u64_of(r, "batch_index")?,
                    target: r.try_get("target")?,
                    commitment: Some(b256(r, "commitment")?),
                    reason: r.try_get("reason")?,
                    state: parse_proof_state(&r.try_get::<String, _>("state")?)?,
                    commit_tx: opt_b256(r, "commit_tx")?,
                    proof_tx: opt_b256(r, "proof_tx")?,
                    gas_used: r
                        .try_get::<Option<i64>, _>("gas_used")?
                        .map(|g| u64::try_from(g).map_err(|_| DbError::Corrupt("gas_used is negative".into())))
                        .transpose()?,
                    calldata_bytes: u64_of(r, "calldata_bytes")?,
                    error: r.try_get("error")?,
                    claim: r
                        .try_get::<Option<i64>, _>("claim")?
                        .map(|c| u64::try_from(c).map_err(|_| DbError::Corrupt("claim is negative".into())))
                        .transpose()?,
                    reward: r
                        .try_get::<Option<String>, _>("reward")?
                        .map(|s| {
                            RewardState::parse(&s)
                                .ok_or_else(|| DbError::Corrupt(format!("unknown reward state {s:?}")))
                        })
                        .transpose()?,
                    reward_tx: opt_b256(r, "reward_tx")?,
                    reward_wei: r
                        .try_get::<Option<String>, _>("reward_wei")?
                        .map(|s| s.parse::<U256>().map_err(|_| DbError::Corrupt(format!("reward_wei {s:?}"))))
                        .transpose()?,
                })
            })
            .collect()
    }

    /// The proofs recorded, oldest first, as (batch index, state, proof transaction).
    pub async fn proofs(&self) -> Result<Vec<(u64, String, Option<B256>)>, DbError> {
        Ok(self
            .proof_reports()
            .await?
            .into_iter()
            .map(|p| (p.batch_index, proof_state(p.state).to_owned(), p.proof_tx))
            .collect())
    }

    /// Number of current batches with each verdict, as (verified, mismatch).
    pub async fn counts(&self) -> Result<(u64, u64), DbError> {
        let verdicts = self.current_verdicts().await?;
        let verified = verdicts.iter().filter(|(_, v, _)| v == "verified").count() as u64;
        Ok((verified, verdicts.len() as u64 - verified))
    }

    /// Stores a snapshot.
    pub async fn save_snapshot(&self, snapshot: &Snapshot, now: u64) -> Result<(), DbError> {
        let p = snapshot.position;
        sqlx::query(
            "INSERT INTO snapshots (l1_block, l1_block_hash, next_index, next_block, invalid_from, state_root, data,
                                    created_at, queue_end)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (l1_block) DO UPDATE SET l1_block_hash = $2, next_index = $3, next_block = $4,
                 invalid_from = $5, state_root = $6, data = $7, created_at = $8, queue_end = $9",
        )
        .bind(i64_of(snapshot.l1_block)?)
        .bind(snapshot.l1_block_hash.as_slice())
        .bind(i64_of(p.next_index)?)
        .bind(i64_of(p.next_block)?)
        .bind(p.invalid_from.map(i64_of).transpose()?)
        .bind(snapshot.state_root.as_slice())
        .bind(snapshot.data.as_slice())
        .bind(i64_of(now)?)
        .bind(i64_of(p.queue_end)?)
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// The snapshots, newest first, without their data.
    pub async fn snapshot_heads(&self) -> Result<Vec<Snapshot>, DbError> {
        let rows = sqlx::query(
            "SELECT l1_block, l1_block_hash, next_index, next_block, invalid_from, state_root, queue_end FROM snapshots
             ORDER BY l1_block DESC",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Snapshot {
                    l1_block: u64_of(r, "l1_block")?,
                    l1_block_hash: b256(r, "l1_block_hash")?,
                    position: Position {
                        next_index: u64_of(r, "next_index")?,
                        next_block: u64_of(r, "next_block")?,
                        queue_end: u64_of(r, "queue_end")?,
                        invalid_from: r
                            .try_get::<Option<i64>, _>("invalid_from")?
                            .map(|v| u64::try_from(v).map_err(|_| DbError::Corrupt("invalid_from is negative".into())))
                            .transpose()?,
                    },
                    state_root: b256(r, "state_root")?,
                    data: Vec::new(),
                })
            })
            .collect()
    }

    /// The data of the snapshot of L1 block `l1_block`.
    pub async fn snapshot_data(&self, l1_block: u64) -> Result<Option<Vec<u8>>, DbError> {
        let row = sqlx::query("SELECT data FROM snapshots WHERE l1_block = $1")
            .bind(i64_of(l1_block)?)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| r.try_get("data").map_err(DbError::from)).transpose()
    }

    /// Keeps the blob of versioned hash `hash`, posted in L1 block `l1_block`.
    pub async fn save_blob(&self, hash: B256, l1_block: u64, data: &[u8]) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO blobs (versioned_hash, l1_block, data) VALUES ($1, $2, $3)
             ON CONFLICT (versioned_hash) DO UPDATE SET l1_block = $2",
        )
        .bind(hash.as_slice())
        .bind(i64_of(l1_block)?)
        .bind(data)
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// The kept blob of versioned hash `hash`.
    pub async fn blob(&self, hash: B256) -> Result<Option<Vec<u8>>, DbError> {
        let row = sqlx::query("SELECT data FROM blobs WHERE versioned_hash = $1")
            .bind(hash.as_slice())
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| r.try_get("data").map_err(DbError::from)).transpose()
    }

    /// Forgets the blobs of L1 blocks before `l1_block`; returns how many.
    pub async fn forget_blobs_before(&self, l1_block: u64) -> Result<u64, DbError> {
        let done = sqlx::query("DELETE FROM blobs WHERE l1_block < $1")
            .bind(i64_of(l1_block)?)
            .execute(self.db.writer())
            .await?;
        Ok(done.rows_affected())
    }

    /// Deletes the snapshot of L1 block `l1_block`.
    pub async fn delete_snapshot(&self, l1_block: u64) -> Result<(), DbError> {
        sqlx::query("DELETE FROM snapshots WHERE l1_block = $1")
            .bind(i64_of(l1_block)?)
            .execute(self.db.writer())
            .await?;
        Ok(())
    }
}
