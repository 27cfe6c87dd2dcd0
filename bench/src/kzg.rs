//! `rollup bench kzg`: what the KZG work of one blob post costs on this machine, one core:
//! the commitment and blob proof the batcher computes for an EIP-4844 sidecar, the proof check
//! with which the challenger recognises a blob from the post's hint, the commitment it computes
//! without one, and the 128 cell proofs an EIP-7594 sidecar would need (docs/fraud-proofs.md
//! §8.6). With the transactions a full post carries, the report gives the cost per
//! transaction.

use crate::load::process_cpu_secs;
use alloy::eips::eip4844::{AsCkzg, Blob, env_settings::EnvKzgSettings};
use anyhow::{Context, Result};
use serde::Serialize;
use std::time::Instant;

/// Arguments of `rollup bench kzg`.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    /// Times each operation is repeated.
    #[arg(long, default_value_t = 20)]
    iterations: u32,
    /// Bytes of batch data in the blob (120,000: a full post).
    #[arg(long, default_value_t = 120_000)]
    bytes: usize,
    /// Transactions a post of that size carries, to report the cost per transaction (1,300:
    /// transfers at about 90 bytes each, as `bench e2e` measures them).
    #[arg(long = "txs-per-post", default_value_t = 1_300)]
    txs_per_post: u32,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// One operation's cost, per blob.
#[derive(Clone, Debug, Serialize)]
pub struct Timing {
    /// What was timed.
    pub operation: &'static str,
    /// Who does it.
    pub who: &'static str,
    /// Wall-clock milliseconds per blob.
    pub wall_ms: f64,
    /// Process CPU milliseconds per blob.
    pub cpu_ms: f64,
    /// CPU microseconds per transaction of a post.
    pub cpu_us_per_tx: f64,
}

/// What `rollup bench kzg` measured.
#[derive(Clone, Debug, Serialize)]
pub struct KzgReport {
    /// One row per operation.
    pub timings: Vec<Timing>,
}

impl std::fmt::Display for KzgReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for t in &self.timings {
            writeln!(
                f,
                "{:<36} {:<11} wall {:>8.2} ms  cpu {:>8.2} ms  {:>6.1} us/tx",
                t.operation, t.who, t.wall_ms, t.cpu_ms, t.cpu_us_per_tx
            )?;
        }
        Ok(())
    }
}

impl Args {
    /// Runs the bench and prints its report.
    pub async fn run(self) -> Result<()> {
        let json = self.json;
        let report = tokio::task::spawn_blocking(move || self.measure()).await??;
        crate::report::print(&report, json)
    }

    fn measure(self) -> Result<KzgReport> {
        let settings = EnvKzgSettings::Default.get();
        let data: Vec<u8> = (0..self.bytes as u64).map(|i| (i.wrapping_mul(0x9e37_79b9) >> 7) as u8).collect();
        let raw = rollup_types::blob::to_blob(&data, &[]).context("the data does not fit a blob")?;
        let blob = Blob::try_from(raw.as_slice()).context("a blob")?;
        let blob = blob.as_ckzg();
        let commitment = settings.blob_to_kzg_commitment(blob)?.to_bytes();
        let proof = settings.compute_blob_kzg_proof(blob, &commitment)?.to_bytes();
        let n = self.iterations.max(1);
        let per_tx = f64::from(self.txs_per_post.max(1));
        let mut out = Vec::new();
        let mut time = |operation, who, f: &mut dyn FnMut() -> Result<()>| -> Result<()> {
            let (wall, cpu) = (Instant::now(), process_cpu_secs());
            for _ in 0..n {
                f()?;
            }
            let wall_ms = wall.elapsed().as_secs_f64() * 1e3 / f64::from(n);
            let cpu_ms = (process_cpu_secs() - cpu) * 1e3 / f64::from(n);
            out.push(Timing { operation, who, wall_ms, cpu_ms, cpu_us_per_tx: cpu_ms * 1e3 / per_tx });
            Ok(())
        };
        time("commitment (blob_to_kzg_commitment)", "batcher", &mut || {
            settings.blob_to_kzg_commitment(blob)?;
            Ok(())
        })?;
        time("blob proof (compute_blob_kzg_proof)", "batcher", &mut || {
            settings.compute_blob_kzg_proof(blob, &commitment)?;
            Ok(())
        })?;
        time("hint check (verify_blob_kzg_proof)", "challenger", &mut || {
            anyhow::ensure!(settings.verify_blob_kzg_proof(blob, &commitment, &proof)?, "the proof verifies");
            Ok(())
        })?;
        time("cell proofs (EIP-7594 sidecar)", "batcher", &mut || {
            settings.compute_cells_and_kzg_proofs(blob)?;
            Ok(())
        })?;
        Ok(KzgReport { timings: out })
    }
}
