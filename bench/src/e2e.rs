//! `rollup bench e2e`: the whole path, measured where a transaction is settled. A fresh devnet
//! (anvil mining every `--l1.block-time` seconds, sequencer, batcher, challenger, all with the
//! devnet's settings) takes the load generator's transfers; the report gives the included,
//! posted and whole-path throughput (from the first submission until the challenger has
//! verified, from L1 data alone, the batch holding the last transaction), the lag of each
//! transaction from its submission to its batch mined on L1 and to that batch verified, the L1
//! gas and bytes per transaction, and the largest backlog of sealed blocks not yet on L1.

use crate::load::{LoadBench, LoadReport, Mix, percentile, process_cpu_secs};
use anyhow::{Context, Result, ensure};
use rollup_devnet::{Devnet, DevnetConfig};
use serde::Serialize;
use std::{
    fmt,
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;

/// The load generator's threads: it runs on a runtime of its own, so that its CPU time (a
/// client's) is told apart from the system's.
const LOAD_THREADS: &str = "load";

/// Parameters of a whole-path run.
#[derive(Clone, Debug)]
pub struct E2eBench {
    /// Transactions fired.
    pub txs: usize,
    /// Load accounts.
    pub accounts: usize,
    /// Concurrent load workers.
    pub concurrency: usize,
    /// Transactions per batch request.
    pub batch: Option<usize>,
    /// Cap on the submission rate, tx/s.
    pub rate: Option<f64>,
    /// What the transactions do.
    pub mix: Mix,
    /// Seconds between L1 blocks.
    pub l1_block_time: u64,
    /// Block gas limit of the L1 (`None`: anvil's default, 30,000,000).
    pub l1_gas_limit: Option<u64>,
    /// How long to wait for the last transaction to be verified after the load.
    pub settle_timeout: Duration,
    /// Where the batcher posts batch data.
    pub da: rollup_batcher::DaMode,
    /// Cores the batcher's blob work may take with auto (`None`: the devnet's default).
    pub blob_cores: Option<f64>,
    /// Most blob batches in one post (`None`: the devnet's default, six).
    pub blobs_per_post: Option<usize>,
    /// Most blobs in flight (`None`: the devnet's default, 14 within the node's schedule).
    pub blobs_per_block: Option<usize>,
    /// Most bytes an L2 block encodes to (`None`: the devnet's default, what one post carries).
    pub max_block_bytes: Option<usize>,
    /// Whether the sequencer keeps the state's history (`--state.archive`, off by default
    /// here as for `rollup sequencer`: its cost is measured apart).
    pub archive: bool,
}

/// Seconds, as percentiles of a sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Lag {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Lag {
    fn of(mut samples: Vec<f64>) -> Self {
        samples.sort_by(f64::total_cmp);
        Self { p50: percentile(&samples, 50.0), p99: percentile(&samples, 99.0), max: percentile(&samples, 100.0) }
    }
}

/// What a whole-path run measured.
#[derive(Clone, Debug, Serialize)]
pub struct E2eReport {
    /// The load generator's own report (accepted and included throughput, inclusion latency).
    pub load: LoadReport,
    /// Seconds between L1 blocks.
    pub l1_block_time: u64,
    /// The L1's block gas limit.
    pub l1_gas_limit: u64,
    /// The most batch data one post carried on that L1.
    pub max_post_bytes: u64,
    /// Included transactions per second, from the first submission to the block holding the
    /// last.
    pub included_tx_per_sec: f64,
    /// Transactions per second from the first submission until the batch holding the last one
    /// was mined on L1.
    pub posted_tx_per_sec: f64,
    /// Transactions per second from the first submission until the challenger verified, from
    /// L1 alone, the batch holding the last one: the whole path.
    pub whole_path_tx_per_sec: f64,
    /// Seconds from a transaction's submission to its batch mined on L1 (as the batcher
    /// recorded it).
    pub submit_to_posted: Lag,
    /// Seconds from a transaction's submission to its batch verified by the challenger.
    pub submit_to_verified: Lag,
    /// Batches that carried the load.
    pub batches: u64,
    /// L1 gas of their posts per transaction (from the receipts).
    pub l1_gas_per_tx: f64,
    /// Batch data bytes per transaction.
    pub l1_bytes_per_tx: f64,
    /// L1 blob gas of their posts per transaction (blob posts).
    pub l1_blob_gas_per_tx: f64,
    /// The blobs a block the batcher may have in flight: its `--batcher.blobs-per-block`
    /// within the L1 node's blob schedule.
    pub blob_room: u64,
    /// L1 blocks between the first and the last that carried the load's blob posts (both
    /// excluded: the backlog builds in the first and drains in the last), over which the two
    /// fills below are measured.
    pub blob_blocks: u64,
    /// Blobs of the load's posts a block in those, over `blob_room`.
    pub blob_room_filled: f64,
    /// Batch data and chunk roots those blobs carried over what `blob_room` blobs a block hold
    /// (126,976 bytes each).
    pub blob_bytes_filled: f64,
    /// Where the batcher posted batch data.
    pub da: String,
    /// What the posts cost the batcher on L1, in ether (gas at its effective price, blob gas at
    /// the blob gas price).
    pub l1_cost_eth: f64,
    /// The fees the batches' transactions paid on L2, in ether (docs/fees.md §2).
    pub fees_eth: f64,
    /// Fees collected over what the posts cost on L1 (at least 1: the operator is not out of
    /// pocket).
    pub fees_over_l1_cost: f64,
    /// The same over the later half of the batches, once the blocks' L1 price has climbed
    /// from the genesis price (docs/fees.md §4).
    pub fees_over_l1_cost_later_half: f64,
    /// Largest backlog of sealed blocks not yet on L1 seen, in bytes and blocks.
    pub largest_backlog_bytes: u64,
    /// Its number of blocks.
    pub largest_backlog_blocks: u64,
    /// Seconds of CPU the process (sequencer, executor, batcher, challenger, load generator;
    /// anvil is another process) used from the first submission to the end.
    pub process_cpu_secs: f64,
    /// That CPU time by stage, against two sender recoveries.
    pub cpu: crate::stages::CpuReport,
}

impl fmt::Display for E2eReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.load)?;
        writeln!(
            f,
            "L1: a block every {} s of {} gas; posts ({}) of at most {} bytes; {} batches, {:.0} gas, {:.0} blob gas \
             and {:.1} bytes per tx",
            self.l1_block_time,
            self.l1_gas_limit,
            self.da,
            self.max_post_bytes,
            self.batches,
            self.l1_gas_per_tx,
            self.l1_blob_gas_per_tx,
            self.l1_bytes_per_tx
        )?;
        if self.blob_blocks > 0 {
            writeln!(
                f,
                "blob room    {} blobs a block: {:.1} % filled in blobs, {:.1} % in bytes, over {} L1 blocks",
                self.blob_room,
                self.blob_room_filled * 100.0,
                self.blob_bytes_filled * 100.0,
                self.blob_blocks
            )?;
        }
        writeln!(
            f,
            "throughput   included {:.0} tx/s, posted {:.0} tx/s, whole path (verified from L1) {:.0} tx/s",
            self.included_tx_per_sec, self.posted_tx_per_sec, self.whole_path_tx_per_sec
        )?;
        writeln!(
            f,
            "lag s        submitted -> posted p50 {:.2} p99 {:.2} max {:.2}; -> verified p50 {:.2} p99 {:.2} max {:.2}",
            self.submit_to_posted.p50,
            self.submit_to_posted.p99,
            self.submit_to_posted.max,
            self.submit_to_verified.p50,
            self.submit_to_verified.p99,
            self.submit_to_verified.max
        )?;
        writeln!(
            f,
            "fees         collected {:.9} ETH, L1 posts cost {:.9} ETH: fees / L1 cost {:.2} (later half of the batches {:.2})",
            self.fees_eth, self.l1_cost_eth, self.fees_over_l1_cost, self.fees_over_l1_cost_later_half
        )?;
        write!(
            f,
            "backlog      largest {} bytes in {} blocks not yet on L1; process CPU {:.1} s\n{}",
            self.largest_backlog_bytes, self.largest_backlog_blocks, self.process_cpu_secs, self.cpu
        )
    }
}

/// When each L2 block was first seen posted and verified: the frontiers, as (last block, when).
#[derive(Debug, Default)]
struct Frontiers {
    posted: Vec<(u64, Instant)>,
    verified: Vec<(u64, Instant)>,
    largest_backlog: (u64, u64),
}

impl Frontiers {
    /// When block `n` was first covered by a frontier.
    fn at(frontier: &[(u64, Instant)], n: u64) -> Option<Instant> {
        let i = frontier.partition_point(|(last, _)| *last < n);
        frontier.get(i).map(|(_, at)| *at)
    }
}

impl E2eBench {
    /// Runs a fresh devnet in a temporary directory, fires the load and measures.
    pub async fn run(&self) -> Result<E2eReport> {
        let dir = tempfile::tempdir()?;
        let mut config = DevnetConfig::new(dir.path().to_path_buf());
        // Free ports: anvil's, chosen again if taken before anvil binds it, and the sequencer's.
        config.l1_port = 0;
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.l1_block_time = Some(self.l1_block_time.max(1));
        config.l1_gas_limit = self.l1_gas_limit;
        // A chain deployed at the L1's price: fees against the L1 cost from the first block.
        config.genesis_l1_price_from_l1 = true;
        config.da = self.da;
        config.archive = self.archive;
        if let Some(cores) = self.blob_cores {
            config.blob_cores = cores;
        }
        if let Some(blobs) = self.blobs_per_post {
            config.blobs_per_post = blobs.max(1);
        }
        if let Some(blobs) = self.blobs_per_block {
            config.blobs_per_block = blobs.max(1);
        }
        if let Some(bytes) = self.max_block_bytes {
            config.max_block_bytes = Some(bytes.max(1));
        }
        let devnet = Devnet::start(config).await?;
        let result = self.measure(&devnet).await;
        devnet.stop().await?;
        result
    }

    async fn measure(&self, devnet: &Devnet) -> Result<E2eReport> {
        let node = devnet.sequencer.node.clone();
        let batcher = node.status_sources().batcher.clone().context("the devnet publishes its batcher's status")?;
        let challenger = devnet.challenger.clone();
        let frontiers = Arc::new(Mutex::new(Frontiers::default()));
        let stop = CancellationToken::new();
        let _stop_monitor = stop.clone().drop_guard();
        // On a terminal, where the chain is, twice a second (nothing in a log or a pipe).
        let progress = rollup_devnet::progress::Progress::stderr("bench e2e");
        let monitor = {
            let (frontiers, stop, node) = (frontiers.clone(), stop.clone(), node.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(20));
                let mut shown = Instant::now();
                while !stop.is_cancelled() {
                    tick.tick().await;
                    let now = Instant::now();
                    let posted = batcher.borrow().last_posted_l2_block;
                    let verified = challenger.borrow().last_verified_l2_block;
                    let backlog = node.l1_backlog();
                    if now.duration_since(shown) >= Duration::from_millis(500) {
                        shown = now;
                        let block = |b: Option<u64>| b.map_or_else(|| "-".to_owned(), |b| b.to_string());
                        progress.update(format_args!(
                            "L2 block {}, posted to {}, verified to {}, {} blocks waiting for L1",
                            node.head().header.number,
                            block(posted),
                            block(verified),
                            backlog.blocks
                        ));
                    }
                    let mut f = frontiers.lock().unwrap_or_else(PoisonError::into_inner);
                    if let Some(p) = posted.filter(|p| f.posted.last().is_none_or(|(last, _)| p > last)) {
                        f.posted.push((p, now));
                    }
                    if let Some(v) = verified.filter(|v| f.verified.last().is_none_or(|(last, _)| v > last)) {
                        f.verified.push((v, now));
                    }
                    if backlog.bytes > f.largest_backlog.0 {
                        f.largest_backlog = (backlog.bytes, backlog.blocks);
                    }
                }
                progress.finish("every transaction verified on L1");
            })
        };

        let load = LoadBench {
            rpc: devnet.url().parse()?,
            failover: Vec::new(),
            accounts: self.accounts,
            txs: self.txs,
            concurrency: self.concurrency,
            mix: self.mix,
            batch: self.batch,
            rate: self.rate,
            seed: 1,
            inclusion_timeout: Duration::from_secs(120),
        };
        // What one sender recovery costs here, before the load (on a thread of its own).
        let recovery = tokio::task::spawn_blocking(|| crate::stages::recovery_cost(2_000)).await?;
        // The load generator on a runtime of its own (threads named `load`): its CPU time is
        // the client's, told apart from the system's in the report by stage.
        let ((report, traces, fired), client_cpu) = tokio::task::spawn_blocking(move || -> Result<_> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name(LOAD_THREADS)
                .enable_all()
                .build()
                .context("starting the load generator's runtime")?;
            let run = runtime.block_on(load.run_traced())?;
            let client = crate::stages::CpuSnapshot::now().family_since(&run.2.cpu, LOAD_THREADS);
            Ok((run, client))
        })
        .await??;
        let fire_start = fired.at;
        ensure!(report.missing == 0, "{} accepted transactions were never included", report.missing);
        let last_block = traces.iter().filter_map(|t| t.block).max().context("nothing was included")?;
        let first_block = traces.iter().filter_map(|t| t.block).min().unwrap_or(last_block);
        // Until the challenger has verified the batch holding the last transaction, and the
        // batcher has recorded it mined (the challenger may read a post from L1 before the
        // batcher's next round records it).
        let deadline = Instant::now() + self.settle_timeout;
        loop {
            let (posted, verified) = {
                let f = frontiers.lock().unwrap_or_else(PoisonError::into_inner);
                (f.posted.last().map(|(b, _)| *b), f.verified.last().map(|(b, _)| *b))
            };
            if posted >= Some(last_block) && verified >= Some(last_block) {
                break;
            }
            ensure!(Instant::now() < deadline, "block {last_block} was not verified within {:?}", self.settle_timeout);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.cancel();
        monitor.await.context("the monitor task panicked")?;
        let cpu = process_cpu_secs() - fired.cpu_secs;
        let end = crate::stages::CpuSnapshot::now();
        // One recovery timed again with the devnet idle, the faster of the two kept: on a VM
        // whose two vCPUs share a core, a recovery timed while other threads run is slower
        // (56.6 against 74.5 µs between two runs on one machine), which moved the ratio.
        let after = tokio::task::spawn_blocking(|| crate::stages::recovery_cost(2_000)).await?;
        let by_stage =
            crate::stages::CpuReport::between(&fired.cpu, &end, report.included, recovery.min(after), client_cpu);
        let f = std::mem::take(&mut *frontiers.lock().unwrap_or_else(PoisonError::into_inner));
        let posted_last = Frontiers::at(&f.posted, last_block).context("the last block's batch was posted")?;
        let verified_last = Frontiers::at(&f.verified, last_block).context("the last block's batch was verified")?;
        let (mut to_posted, mut to_verified) = (Vec::new(), Vec::new());
        for t in &traces {
            let Some(block) = t.block else { continue };
            if let Some(at) = Frontiers::at(&f.posted, block) {
                to_posted.push(at.saturating_duration_since(t.sent_at).as_secs_f64());
            }
            if let Some(at) = Frontiers::at(&f.verified, block) {
                to_verified.push(at.saturating_duration_since(t.sent_at).as_secs_f64());
            }
        }
        let secs = |at: Instant| at.saturating_duration_since(fire_start).as_secs_f64().max(1e-9);
        let included = report.included as f64;

        // What posting cost, from the batches holding the load's blocks.
        let cost = crate::post::posting_cost(devnet, first_block, last_block).await?;
        let store = node.store();
        let limits = store.post_limits().await?.context("the batcher recorded the L1's limits")?;
        // The blob room, and how full the blocks between the first and the last blob post were.
        let node_limits = rollup_batcher::L1Limits::read(&rollup_l1::provider(&devnet.l1_rpc)).await?;
        let configured = self.blobs_per_block.unwrap_or(rollup_batcher::limits::DEFAULT_BLOBS_PER_BLOCK) as u64;
        let blob_room = node_limits.max_blobs_per_block.map_or(configured, |m| m.min(configured));
        let (mut blob_blocks, mut blobs, mut blob_bytes) = (0, 0, 0);
        if let (Some((&first_l1, _)), Some((&last_l1, _))) =
            (cost.blobs_by_block.first_key_value(), cost.blobs_by_block.last_key_value())
            && last_l1 > first_l1 + 1
        {
            blob_blocks = last_l1 - first_l1 - 1;
            for (_, (n, bytes)) in cost.blobs_by_block.range(first_l1 + 1..last_l1) {
                blobs += n;
                blob_bytes += bytes;
            }
        }
        let room_blobs = (blob_blocks * blob_room).max(1) as f64;
        Ok(E2eReport {
            included_tx_per_sec: report.included_tx_per_sec,
            load: report,
            l1_block_time: self.l1_block_time,
            l1_gas_limit: limits.l1_block_gas_limit,
            max_post_bytes: limits.max_post_bytes,
            posted_tx_per_sec: included / secs(posted_last),
            whole_path_tx_per_sec: included / secs(verified_last),
            submit_to_posted: Lag::of(to_posted),
            submit_to_verified: Lag::of(to_verified),
            batches: cost.batches,
            l1_gas_per_tx: cost.gas as f64 / cost.txs.max(1) as f64,
            l1_bytes_per_tx: cost.bytes as f64 / cost.txs.max(1) as f64,
            l1_blob_gas_per_tx: cost.blob_gas as f64 / cost.txs.max(1) as f64,
            blob_room,
            blob_blocks,
            blob_room_filled: blobs as f64 / room_blobs,
            blob_bytes_filled: blob_bytes as f64 / (room_blobs * rollup_types::blob::PAYLOAD_PER_BLOB as f64),
            da: format!("{:?}", self.da).to_lowercase(),
            l1_cost_eth: eth(cost.wei),
            fees_eth: eth(cost.fees),
            fees_over_l1_cost: eth(cost.fees) / eth(cost.wei).max(f64::MIN_POSITIVE),
            fees_over_l1_cost_later_half: eth(cost.later_half.1) / eth(cost.later_half.0).max(f64::MIN_POSITIVE),
            largest_backlog_bytes: f.largest_backlog.0,
            largest_backlog_blocks: f.largest_backlog.1,
            process_cpu_secs: cpu,
            cpu: by_stage,
        })
    }
}

/// Wei in ether, as a float (for reports).
fn eth(wei: alloy_primitives::U256) -> f64 {
    f64::from(wei) / 1e18
}

/// The arguments of `rollup bench e2e`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Transactions fired.
    #[arg(long, default_value_t = 200_000)]
    txs: usize,
    /// Load accounts (funded from the development accounts first, not measured).
    #[arg(long, default_value_t = 4_000)]
    accounts: usize,
    /// Concurrent load workers.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Transactions per request to `POST /v1/transactions/batch`.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Cap on the submission rate, tx/s (default: as fast as it goes).
    #[arg(long)]
    rate: Option<f64>,
    /// Transactions: transfers, swaps, mixed, routes (swapPath through two pools) or lending.
    #[arg(long, default_value = "transfers")]
    mix: crate::load::Mix,
    /// Seconds between L1 blocks.
    #[arg(long = "l1.block-time", alias = "l1-block-time", default_value_t = 1)]
    l1_block_time: u64,
    /// Block gas limit of the L1 (default: anvil's, 30,000,000).
    #[arg(long = "l1.gas-limit", alias = "l1-gas-limit")]
    l1_gas_limit: Option<u64>,
    /// Seconds to wait, after the load, for its last transaction to be verified.
    #[arg(long = "settle-timeout", default_value_t = 300)]
    settle_timeout: u64,
    /// Where the batcher posts batch data: auto (the devnet's), blobs or calldata.
    #[arg(long = "batcher.da", alias = "da", default_value = "auto")]
    da: rollup_batcher::DaMode,
    /// Most cores the batcher's blob work may take with auto, idle ones only (default: the
    /// devnet's, half the machine's; `inf`: no bound).
    #[arg(long = "batcher.blob-cores")]
    blob_cores: Option<f64>,
    /// Most blob batches in one post (default: the devnet's, six).
    #[arg(long = "batcher.blobs-per-post")]
    blobs_per_post: Option<usize>,
    /// Most blobs in flight, the chain's share of an L1 block's blob room (default: the
    /// devnet's, 14 within the node's schedule).
    #[arg(long = "batcher.blobs-per-block")]
    blobs_per_block: Option<usize>,
    /// Most bytes an L2 block encodes to (default: the devnet's, what one post carries).
    #[arg(long = "block.max-bytes")]
    max_block_bytes: Option<usize>,
    /// Keep the state's history for reads at any past block, as the devnet does by default
    /// (off here, as for `rollup sequencer`).
    #[arg(long = "state.archive")]
    archive: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the bench and prints its report.
    pub async fn run(self) -> anyhow::Result<()> {
        let args = self;
        let bench = E2eBench {
            txs: args.txs,
            accounts: args.accounts,
            concurrency: args.concurrency,
            batch: Some(args.batch.max(1)),
            rate: args.rate,
            mix: args.mix,
            l1_block_time: args.l1_block_time,
            l1_gas_limit: args.l1_gas_limit,
            settle_timeout: Duration::from_secs(args.settle_timeout),
            da: args.da,
            blob_cores: args.blob_cores,
            blobs_per_post: args.blobs_per_post,
            blobs_per_block: args.blobs_per_block,
            max_block_bytes: args.max_block_bytes,
            archive: args.archive,
        };
        let report = bench.run().await?;
        crate::report::print(&report, args.json)
    }
}
