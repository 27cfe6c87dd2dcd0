//! `rollup challenger`: verifies every batch posted to the L1 and proves what is wrong.

use super::{BeaconArgs, ChainArgs, L1Args, cancel_on_signal};
use alloy_primitives::B256;
use anyhow::Result;
use clap::Args;
use rollup_fraud_proof::{Challenger, ChallengerConfig};
use std::{net::SocketAddr, time::Duration};

/// Runs the challenger, verifying every batch posted to L1.
#[derive(Debug, Args)]
pub(crate) struct ChallengerArgs {
    /// The challenger's own database URL.
    #[arg(
        long = "db.url",
        alias = "db-url",
        env = "ROLLUP_CHALLENGER_DB_URL",
        default_value = "sqlite://challenger.sqlite"
    )]
    db_url: String,
    #[command(flatten)]
    l1: L1Args,
    /// L1 block to start from (the inbox's deployment block).
    #[arg(long = "l1.from-block", alias = "from-block", env = "ROLLUP_FROM_BLOCK", default_value_t = 0)]
    from_block: u64,
    #[command(flatten)]
    beacon: BeaconArgs,
    /// Milliseconds between L1 polls.
    #[arg(long = "challenger.poll-ms", alias = "poll-ms", env = "ROLLUP_CHALLENGER_POLL_MS", default_value_t = 1_000)]
    poll_ms: u64,
    /// L1 blocks to wait before reading a block.
    #[arg(
        long = "challenger.confirmations",
        alias = "confirmations",
        env = "ROLLUP_CHALLENGER_CONFIRMATIONS",
        default_value_t = 0
    )]
    confirmations: u64,
    /// Key that commits and sends fraud proofs and receives the rewards; without it the
    /// challenger only verifies and reports.
    #[arg(long = "challenger.prover-key", alias = "prover-key", env = "ROLLUP_PROVER_KEY", hide_env_values = true)]
    prover_key: Option<B256>,
    /// L1 blocks back that a reorg is taken back in memory (deeper ones restore a snapshot).
    #[arg(
        long = "challenger.undo-blocks",
        alias = "undo-blocks",
        env = "ROLLUP_CHALLENGER_UNDO_BLOCKS",
        default_value_t = ChallengerConfig::DEFAULT_UNDO_BLOCKS
    )]
    undo_blocks: u64,
    /// A snapshot of the verified state every this many verified transactions (and at a clean
    /// stop): a restart re-executes at most this many.
    #[arg(
        long = "challenger.snapshot-txs",
        alias = "snapshot-txs",
        env = "ROLLUP_CHALLENGER_SNAPSHOT_TXS",
        default_value_t = ChallengerConfig::DEFAULT_SNAPSHOT_TXS
    )]
    snapshot_txs: u64,
    /// Serve the challenger's status at `/status` and Prometheus metrics at `/metrics` here.
    #[arg(long = "challenger.metrics-addr", env = "ROLLUP_CHALLENGER_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    #[command(flatten)]
    chain: ChainArgs,
}

impl ChallengerArgs {
    pub(crate) fn into_config(self) -> Result<ChallengerConfig> {
        Ok(ChallengerConfig {
            l1_rpc: self.l1.rpc,
            inbox: self.l1.inbox,
            from_block: self.from_block,
            db_url: self.db_url,
            chain: self.chain.config()?,
            genesis: self.chain.genesis()?,
            poll: Duration::from_millis(self.poll_ms.max(1)),
            confirmations: self.confirmations,
            l1_beacon: self.beacon.beacon,
            l1_beacon_fallbacks: self.beacon.fallbacks,
            prover_key: self.prover_key,
            undo_blocks: self.undo_blocks,
            snapshot_txs: self.snapshot_txs.max(1),
        })
    }

    pub(crate) async fn run(self) -> Result<()> {
        let cancel = cancel_on_signal();
        let metrics_addr = self.metrics_addr;
        let challenger = Challenger::new(self.into_config()?).await?;
        if let Some(addr) = metrics_addr {
            crate::status_http::serve(addr, challenger.subscribe(), cancel.clone(), "--challenger.metrics-addr")
                .await?;
        }
        challenger.run(cancel).await?;
        Ok(())
    }
}
