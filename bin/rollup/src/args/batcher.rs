//! `rollup batcher`: posts the sequencer's blocks to the L1, and the posting flags it shares
//! with the devnet.

use super::{ChainArgs, L1Args, cancel_on_signal};
use alloy_primitives::B256;
use anyhow::{Context as _, Result};
use clap::Args;
use rollup_batcher::{Batcher, BatcherConfig, DaMode, QueueReaderConfig, TxManagerConfig, fault::Fault};
use std::{net::SocketAddr, time::Duration};

/// Runs the batcher, posting the sequencer's blocks to L1.
#[derive(Debug, Args)]
pub(crate) struct BatcherArgs {
    /// The sequencer's chain database URL (the batcher reads sealed blocks from it).
    #[arg(long = "db.url", alias = "db-url", env = "ROLLUP_DB_URL", default_value = "sqlite://sequencer.sqlite")]
    db_url: String,
    #[command(flatten)]
    l1: L1Args,
    /// Private key of the authorised batcher account.
    #[arg(long = "batcher.key", alias = "key", env = "ROLLUP_BATCHER_KEY", hide_env_values = true)]
    key: B256,
    /// Milliseconds the batchers' lease on the database lasts unless renewed: one batcher
    /// posts at a time; another `rollup batcher` on the same database stands by and takes over
    /// this long after the one posting stopped renewing it (docs/deployment.md §4).
    #[arg(long = "lease.ms", env = "ROLLUP_BATCHER_LEASE_MS", default_value_t = 2_000)]
    lease_ms: u64,
    #[command(flatten)]
    posting: PostingArgs,
    /// Seconds a post may wait unmined before it is signed again with higher fees.
    #[arg(
        long = "batcher.resubmit-after-secs",
        alias = "resubmit-after-secs",
        env = "ROLLUP_BATCHER_RESUBMIT_AFTER_SECS",
        default_value_t = 60
    )]
    resubmit_after_secs: u64,
    /// Fee increase of each re-signing, percent (at least 10).
    #[arg(
        long = "batcher.fee-bump-percent",
        alias = "fee-bump-percent",
        env = "ROLLUP_BATCHER_FEE_BUMP_PERCENT",
        default_value_t = 25
    )]
    fee_bump_percent: u64,
    /// Highest fee cap the batcher signs, in gwei.
    #[arg(
        long = "batcher.max-fee-gwei",
        alias = "max-fee-gwei",
        env = "ROLLUP_BATCHER_MAX_FEE_GWEI",
        default_value_t = 1_000
    )]
    max_fee_gwei: u64,
    /// L1 blocks on top of a post before it is no longer checked for reorgs.
    #[arg(
        long = "batcher.confirmations",
        alias = "confirmations",
        env = "ROLLUP_BATCHER_CONFIRMATIONS",
        default_value_t = 6
    )]
    confirmations: u64,
    /// Serve the batcher's status at `/status` and Prometheus metrics at `/metrics` here.
    #[arg(long = "batcher.metrics-addr", alias = "metrics-addr", env = "ROLLUP_BATCHER_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// The first L1 block that can hold an entry of the bridge's queue (its deployment block):
    /// where the queue reader starts.
    #[arg(long = "queue.from-block", env = "ROLLUP_QUEUE_FROM_BLOCK", default_value_t = 0)]
    queue_from_block: u64,
    /// L1 blocks a queue entry must be under before the L2 includes it; keep it well below
    /// the bridge's inclusion window.
    #[arg(long = "queue.confirmations", env = "ROLLUP_QUEUE_CONFIRMATIONS", default_value_t = 2)]
    queue_confirmations: u64,
    #[command(flatten)]
    chain: ChainArgs,
}

impl BatcherArgs {
    /// Rounds a second apart: a standalone batcher posts what a second of blocks sealed.
    const INTERVAL: Duration = Duration::from_secs(1);

    pub(crate) fn into_config(self) -> Result<BatcherConfig> {
        Ok(BatcherConfig {
            l1_rpc: self.l1.rpc,
            inbox: self.l1.inbox,
            key: self.key,
            chain: self.chain.config()?,
            interval: self.posting.interval(Self::INTERVAL),
            max_blocks: 1_000,
            max_bytes: self.posting.max_post_bytes,
            txmgr: TxManagerConfig {
                resubmit_after: Duration::from_secs(self.resubmit_after_secs),
                fee_bump_percent: self.fee_bump_percent,
                max_fee_per_gas: u128::from(self.max_fee_gwei) * 1_000_000_000,
                confirmations: self.confirmations,
                max_in_flight: self.posting.max_in_flight(),
            },
            da: self.posting.da,
            blob_cores: self.posting.blob_cores(),
            blobs_per_post: self.posting.blobs_per_post,
            blobs_per_block: self.posting.blobs_per_block,
            fault: self.posting.fault,
            queue: QueueReaderConfig {
                from_block: self.queue_from_block,
                confirmations: self.queue_confirmations,
                da: self.posting.da,
            },
        })
    }

    pub(crate) async fn run(self) -> Result<()> {
        if let Some(fault @ Fault::Forged(_)) = self.posting.fault {
            anyhow::bail!(
                "--batcher.fault {fault} forges the root of a state, from the chain's state before each batch: \
                 a standalone batcher holds none; inject it with `rollup devnet --batcher.fault {fault}`"
            );
        }
        let cancel = cancel_on_signal();
        let store = rollup_chain_store::Store::open(&self.db_url).await?;
        let metrics_addr = self.metrics_addr;
        let lease = std::time::Duration::from_millis(self.lease_ms.max(100));
        let holder = rollup_chain_store::holder_id();
        // One batcher posts at a time: stand by while another holds the lease.
        let Some(held) = rollup_batcher::lease::take(&store, &holder, lease, &cancel).await? else { return Ok(()) };
        // Renewed from now on: starting the batcher (the KZG setup, the L1's parameters) can
        // take longer than a lease.
        let stop = cancel.child_token();
        let keeper = tokio::spawn(rollup_batcher::lease::keep(store.clone(), held.clone(), stop.clone()));
        let ran = async {
            let batcher = Batcher::new(self.into_config()?, store.clone()).await?;
            if let Some(addr) = metrics_addr {
                crate::status_http::serve(addr, batcher.subscribe(), cancel.clone(), "--batcher.metrics-addr").await?;
            }
            Ok::<_, anyhow::Error>(batcher.run(stop.clone()).await)
        };
        let ran = async {
            let ran = ran.await;
            stop.cancel();
            let kept = keeper.await.context("lease keeper")?;
            // Lost the lease: that is why the batcher stopped (its write was fenced), and the
            // reason to give.
            kept?;
            ran?.map_err(anyhow::Error::from)
        };
        let ran: Result<()> = ran.await;
        // Given back once nothing more is written (nothing, if another holds it already).
        rollup_batcher::lease::release(&store, &held).await;
        ran
    }
}

/// What goes into each post and where.
#[derive(Debug, Args)]
pub(crate) struct PostingArgs {
    /// Milliseconds between batcher rounds (default: 1,000 for `rollup batcher`, 250 for the
    /// devnet).
    #[arg(
        long = "batcher.interval-ms",
        aliases = ["batch-interval-ms", "interval-ms"],
        env = "ROLLUP_BATCH_INTERVAL_MS"
    )]
    interval_ms: Option<u64>,
    /// Most batch data in one post, in bytes (less where the L1's gas limit binds first);
    /// 120,000 keeps a post under the 128 KiB L1 mempools take for one transaction.
    #[arg(
        long = "batcher.max-post-bytes",
        alias = "max-post-bytes",
        env = "ROLLUP_MAX_POST_BYTES",
        default_value_t = 120_000
    )]
    pub(crate) max_post_bytes: usize,
    /// Most posts in flight at once (consecutive nonces of the batcher account).
    #[arg(long = "batcher.max-in-flight", alias = "max-in-flight", env = "ROLLUP_MAX_IN_FLIGHT", default_value_t = 16)]
    max_in_flight: usize,
    /// Where batch data goes: `auto` (a blob when it costs less than calldata at the L1's
    /// current fees, the L1 block has blob room and the machine has idle CPU for its KZG work,
    /// calldata otherwise), `blobs` (always an
    /// EIP-4844 blob) or `calldata`. Both are fraud-provable (docs/fraud-proofs.md §8).
    #[arg(long = "batcher.da", alias = "da", env = "ROLLUP_DA", default_value = "auto")]
    pub(crate) da: DaMode,
    /// Most cores the KZG work of blob posts (a commitment and a proof a blob, 67 to 128 ms of
    /// one core on the machines measured) may take on average with `--batcher.da auto`, which
    /// spends on it only what the machine leaves idle; posts beyond it go in calldata (default:
    /// half this machine's cores; `inf`: no bound, idle or not; docs/batcher.md §6).
    #[arg(long = "batcher.blob-cores", env = "ROLLUP_BLOB_CORES", value_parser = parse_cores)]
    blob_cores: Option<f64>,
    /// Most blob batches in one post, each in its own blob (at most the L1's six blobs a
    /// transaction under Osaka and its blobs a block; 1: a post per blob batch).
    /// Consecutive blob batches of a round share one L1 transaction: its fixed gas, the stake
    /// check and the reading of the L1's fees are paid once (docs/batcher.md §6).
    #[arg(
        long = "batcher.blobs-per-post",
        env = "ROLLUP_BLOBS_PER_POST",
        default_value_t = rollup_batcher::limits::MAX_BLOBS_PER_TX,
        value_parser = parse_blobs_per_post
    )]
    pub(crate) blobs_per_post: usize,
    /// Most blobs of this chain's posts in flight at once: how much of each L1 block's blob
    /// room the chain means to use (default 14, Ethereum's blob target since BPO2; never more
    /// than the node's blob schedule allows a block). Batches beyond it wait for the next L1
    /// block with `--batcher.da blobs`, and go in calldata with `auto`.
    #[arg(
        long = "batcher.blobs-per-block",
        env = "ROLLUP_BLOBS_PER_BLOCK",
        default_value_t = rollup_batcher::limits::DEFAULT_BLOBS_PER_BLOCK,
        value_parser = parse_blobs_per_post
    )]
    pub(crate) blobs_per_block: usize,
    /// TESTING ONLY: post one fraudulent batch on purpose (the first that can carry it), to
    /// see the challenger prove it: root-first-chunk, root-middle-chunk, root-last-chunk,
    /// op-transfer, op-swap, op-create-pool, op-add-liquidity, op-remove-liquidity,
    /// op-create-token (and op- any other operation of the table), wrong-accrual,
    /// healthy-liquidation, borrow-beyond-collateral, wrong-twap (the root of a state the money
    /// market forbids; `rollup devnet` only), forged-signature, replayed-nonce, malformed-chunk, malformed-header,
    /// root-queue-chunk (a chunk holding bridge queue entries), skipped-queue (blocks that
    /// censor the queue), wrong-fee, wrong-base-fee, wrong-ether-transfer, cannot-pay,
    /// wrong-l1-price, blob-mismatch (a blob that does not hold the data its post commits to;
    /// needs blob posts), state-root:0x<32 bytes> (this root as the batch's state root).
    #[arg(long = "batcher.fault", alias = "fault", env = "ROLLUP_FAULT")]
    pub(crate) fault: Option<Fault>,
}

impl PostingArgs {
    pub(crate) fn interval(&self, default: Duration) -> Duration {
        self.interval_ms.map_or(default, |ms| Duration::from_millis(ms.max(1)))
    }

    pub(crate) fn max_in_flight(&self) -> usize {
        self.max_in_flight.max(1)
    }

    pub(crate) fn blob_cores(&self) -> f64 {
        self.blob_cores.unwrap_or_else(rollup_batcher::blob_cpu::default_cores)
    }
}

/// A number of cores: zero or more, `inf` for no bound.
/// A number of blobs, at least one.
fn parse_blobs_per_post(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(blobs) if blobs >= 1 => Ok(blobs),
        _ => Err(format!("{s:?} is not a number of blobs (1 or more)")),
    }
}

fn parse_cores(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(cores) if cores >= 0.0 => Ok(cores),
        _ => Err(format!("{s:?} is not a number of cores (0 or more, or inf)")),
    }
}
