//! The challenger's own database of verdicts (never the sequencer's).

use crate::derive::{PostedBatch, Verdict};
use alloy_primitives::B256;
use rollup_db::{Database, DbError};
use rollup_types::status::{ProofReport, ProofState};

/// Embedded migrations of the challenger database.
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/challenger");

/// Verdicts per batch.
#[derive(Clone, Debug)]
pub struct VerdictStore {
    db: Database,
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl VerdictStore {
    /// Opens (creating if needed) the database at `url` (SQLite or PostgreSQL) and applies
    /// the migrations.
    pub async fn open(url: &str) -> Result<Self, DbError> {
        Ok(Self { db: Database::open(url, &MIGRATIONS, 4).await? })
    }

    /// Records (or updates) the verdict on `batch`.
    pub async fn record(&self, batch: &PostedBatch, verdict: &Verdict, checked_at: u64) -> Result<(), DbError> {
        let (label, computed, reason) = match verdict {
            Verdict::Verified { state_root } => ("verified", Some(state_root.to_vec()), None),
            Verdict::Mismatch { reason, computed_root } => {
                ("mismatch", computed_root.map(|r| r.to_vec()), Some(reason.clone()))
            }
        };
        sqlx::query(
            "INSERT INTO l1_batches (batch_index, l1_block, l1_tx_hash, data_hash, state_root, last_block, chunk_count,
                                     verdict, computed_root, reason, checked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (batch_index) DO UPDATE SET l1_block = $2, l1_tx_hash = $3, data_hash = $4, state_root = $5,
                 last_block = $6, chunk_count = $7, verdict = $8, computed_root = $9, reason = $10, checked_at = $11",
        )
        .bind(i64_of(batch.index))
        .bind(i64_of(batch.l1_block))
        .bind(batch.l1_tx_hash.as_slice())
        .bind(batch.data_hash.as_slice())
        .bind(batch.state_root.as_slice())
        .bind(i64_of(batch.last_block))
        .bind(i64_of(batch.chunk_roots.len() as u64))
        .bind(label)
        .bind(computed)
        .bind(reason)
        .bind(i64_of(checked_at))
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// Records (or updates) a fraud proof, keyed by its `commitment`.
    pub async fn record_proof(&self, commitment: B256, proof: &ProofReport, now: u64) -> Result<(), DbError> {
        let state = match proof.state {
            ProofState::Built => "built",
            ProofState::Committed => "committed",
            ProofState::Proven => "proven",
            ProofState::Failed => "failed",
        };
        sqlx::query(
            "INSERT INTO l1_proofs (commitment, batch_index, target, reason, state, commit_tx, proof_tx, gas_used,
                                    calldata_bytes, error, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (commitment) DO UPDATE SET state = $5, commit_tx = $6, proof_tx = $7, gas_used = $8,
                 error = $10, updated_at = $11",
        )
        .bind(commitment.as_slice())
        .bind(i64_of(proof.batch_index))
        .bind(proof.target.as_str())
        .bind(proof.reason.as_str())
        .bind(state)
        .bind(proof.commit_tx.map(|h| h.to_vec()))
        .bind(proof.proof_tx.map(|h| h.to_vec()))
        .bind(proof.gas_used.map(i64_of))
        .bind(i64_of(proof.calldata_bytes))
        .bind(proof.error.clone())
        .bind(i64_of(now))
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// The proofs recorded, oldest change first, as (batch index, state, proof transaction).
    pub async fn proofs(&self) -> Result<Vec<(u64, String, Option<B256>)>, DbError> {
        let rows: Vec<(i64, String, Option<Vec<u8>>)> =
            sqlx::query_as("SELECT batch_index, state, proof_tx FROM l1_proofs ORDER BY updated_at, batch_index")
                .fetch_all(self.db.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(i, state, tx)| (i.max(0) as u64, state, tx.filter(|t| t.len() == 32).map(|t| B256::from_slice(&t))))
            .collect())
    }

    /// Number of batches with each verdict, as (verified, mismatch).
    pub async fn counts(&self) -> Result<(u64, u64), DbError> {
        let row: (i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN verdict = 'verified' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN verdict = 'mismatch' THEN 1 ELSE 0 END), 0) AS BIGINT) FROM l1_batches",
        )
        .fetch_one(self.db.pool())
        .await?;
        Ok((row.0.max(0) as u64, row.1.max(0) as u64))
    }
}
