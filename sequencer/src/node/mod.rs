//! The sequencer node: admission, the mempool, block production and the chain head.
//!
//! [`Node`] is shared by the HTTP handlers, the block producer and in-process components. Its
//! parts: `startup` (opening the chain: snapshot, replay, mempool reload), `ingest` (admission
//! and the group-commit writer), `producer` (sealing blocks and persisting them).

mod backlog;
mod calls;
mod events;
mod history;
mod ingest;
mod producer;
mod proofs;
mod queries;
mod shares;
mod startup;

pub use backlog::{BacklogLimits, BacklogView};
pub use calls::{CallBudget, CallError, CallLimits};
pub use events::{ChainEvents, PENDING_RING};
pub use history::{BlockRef, DEFAULT_STATE_HISTORY, HistoryError, MAX_HISTORY_KEYS, StateView};
pub use proofs::{ProofError, StateProofError, WithdrawalProof};
pub use queries::QueryError;
pub use shares::WorkRateLimited;

use crate::{
    mempool::{Mempool, MempoolLimits},
    metrics::{Gauges, Metrics},
    store::Store,
};
use alloy_primitives::{Address, B256};
use rollup_executor::{Pipeline, State};
use rollup_types::{
    BlockHeader, ChainConfig,
    genesis::GenesisSpec,
    status::{BatcherStatus, ChallengerStatus},
};
use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, AtomicU64},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use ingest::WriteJob;
use producer::Unsealed;

/// The default bound on a block's encoded size: the batcher's default post (120,000 bytes,
/// under the 128 KiB an L1 mempool takes for one transaction).
pub const DEFAULT_MAX_BLOCK_BYTES: usize = 120_000;

/// The default nice value of the admission threads: at 10 the scheduler gives a busy thread
/// of normal priority about nine times their share of a core.
pub const DEFAULT_ADMISSION_NICE: i32 = 10;

/// Longest a read waits for a query slot before it is refused (`busy`).
pub const QUERY_WAIT: Duration = Duration::from_secs(10);

/// How often the producer reads the block bound the batcher recorded from the L1.
const POST_LIMITS_REFRESH: Duration = Duration::from_secs(1);

/// Configuration of a sequencer.
#[derive(Clone, Debug)]
pub struct SequencerConfig {
    /// Address of the HTTP server (REST and JSON-RPC).
    pub listen: SocketAddr,
    /// Database URL (`sqlite://path`).
    pub db_url: String,
    /// Chain parameters.
    pub chain: ChainConfig,
    /// Genesis.
    pub genesis: GenesisSpec,
    /// Interval between blocks (a block is sealed only when transactions are ready; after a
    /// full block the next one is sealed at once).
    pub block_time: Duration,
    /// On an idle chain, an empty block once this long has passed since the last block, so
    /// that the head (and clients' confirmations) move on; zero: never.
    pub empty_block_interval: Duration,
    /// Most transactions in one block.
    pub max_block_txs: usize,
    /// Most bytes a block may encode to as a batch of its own, so that every block fits one
    /// L1 post (docs/batcher.md §2). The batcher records what the L1 carries in the chain
    /// database; the lower of the two applies.
    pub max_block_bytes: usize,
    /// Bounds on what may be sealed but not yet on L1 before submissions are refused
    /// (`l1_backlog`); they apply once a batcher shares the database.
    pub l1_backlog: BacklogLimits,
    /// Mempool limits.
    pub mempool: MempoolLimits,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Threads that execute a block (the parallel executor; 1 still partitions, on one
    /// thread). Default: every core but one.
    pub exec_threads: usize,
    /// A state snapshot every this many blocks, or sooner once 50000 transactions were
    /// sealed since the last one, and at a clean stop; 0 disables them.
    pub snapshot_interval: u64,
    /// The nice value of the threads that recover the senders of submissions (Linux; 0 keeps
    /// them at the process's priority): above 0, admission yields the cores to block
    /// production and settlement when they are all busy.
    pub admission_nice: i32,
    /// Bounds on read-only calls (`eth_call`, `eth_estimateGas`).
    pub calls: CallLimits,
    /// Blocks before the head whose states are kept for reads at a block (docs/api.md
    /// §3.0f); 0 keeps the head's only.
    pub state_history: u64,
    /// Most logs one `eth_getLogs` answer holds; past it the query is refused with a range
    /// that fits (docs/api.md §3.3).
    pub max_logs: usize,
    /// Connection and per-client bounds of the HTTP server.
    pub http: crate::api::HttpLimits,
}

/// The default bound on the logs of one `eth_getLogs` answer.
pub const DEFAULT_MAX_LOGS: usize = 10_000;

/// The default interval between empty blocks on an idle chain.
pub const DEFAULT_EMPTY_BLOCK_INTERVAL: Duration = Duration::from_secs(2);

impl Default for SequencerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8547)),
            db_url: "sqlite://sequencer.sqlite".into(),
            chain: ChainConfig::default(),
            genesis: GenesisSpec::devnet(),
            block_time: Duration::from_millis(500),
            empty_block_interval: DEFAULT_EMPTY_BLOCK_INTERVAL,
            max_block_txs: 10_000,
            max_block_bytes: DEFAULT_MAX_BLOCK_BYTES,
            l1_backlog: BacklogLimits::default(),
            mempool: MempoolLimits::default(),
            body_limit: 128 * 1024,
            // One core is left to ingest (sender recovery, HTTP) and the database writer,
            // which run during blocks: measured on two cores in BENCHMARKS.md.
            exec_threads: std::thread::available_parallelism().map_or(1, |n| usize::from(n).saturating_sub(1).max(1)),
            snapshot_interval: 100,
            admission_nice: DEFAULT_ADMISSION_NICE,
            calls: CallLimits::default(),
            state_history: DEFAULT_STATE_HISTORY,
            max_logs: DEFAULT_MAX_LOGS,
            http: crate::api::HttpLimits::default(),
        }
    }
}

impl SequencerConfig {
    /// A configuration for tests: ephemeral port, in-memory database, fast blocks.
    pub fn test() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            db_url: "sqlite::memory:".into(),
            block_time: Duration::from_millis(100),
            empty_block_interval: Duration::ZERO,
            ..Self::default()
        }
    }
}

/// What other components publish for `/v1/status`.
#[derive(Clone, Debug, Default)]
pub struct StatusSources {
    /// The L1 the chain settles on.
    pub l1: Option<L1Info>,
    /// The challenger's verdicts (devnet mode).
    pub challenger: Option<watch::Receiver<ChallengerStatus>>,
    /// The batcher's posting (devnet mode).
    pub batcher: Option<watch::Receiver<BatcherStatus>>,
}

/// Where the chain settles.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Info {
    /// L1 chain id.
    pub chain_id: u64,
    /// L1 JSON-RPC URL.
    pub rpc_url: String,
    /// Batch inbox address.
    pub batch_inbox: Address,
}

/// Summary of the latest sealed block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// The header.
    pub header: BlockHeader,
    /// Its hash.
    pub hash: B256,
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn now_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// How the node came up: where its state came from and what it re-executed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Startup {
    /// The block of the snapshot the state was restored from (none: from genesis).
    pub snapshot_block: Option<u64>,
    /// Blocks re-executed after it.
    pub replayed_blocks: u64,
    /// Transactions re-executed after it.
    pub replayed_txs: u64,
    /// Pending transactions reloaded into the mempool.
    pub reloaded_pending: u64,
    /// Time from opening the database to serving, in milliseconds.
    pub millis: u64,
}

/// The state shared by the HTTP handlers, the block producer and in-process components.
#[derive(Debug)]
pub struct Node {
    config: SequencerConfig,
    store: Store,
    /// The same database through connections of its own, for the node's reads (never
    /// waiting behind clients' queries).
    own_store: Store,
    executor: RwLock<Pipeline>,
    /// The committed state after the head, for readers (never blocked by a block in
    /// execution), with what recent blocks overwrote (reads at those blocks).
    committed: RwLock<history::Committed>,
    /// The last sealed block (the head, or a block after it being written), and the state
    /// after the last executed block (which may wait for its state root in `unsealed`).
    /// Admission and block building work on the state.
    tip: RwLock<(Head, Arc<State>)>,
    /// Executed blocks waiting for their state roots, oldest first (at most one).
    unsealed: Mutex<Vec<Unsealed>>,
    mempool: Mutex<Mempool>,
    head: RwLock<Head>,
    next_seq: AtomicU64,
    status: StatusSources,
    accepting: CancellationToken,
    writer: mpsc::Sender<WriteJob>,
    startup: Startup,
    metrics: Arc<Metrics>,
    /// The last block was full (more transactions were ready than a block takes).
    backlog: AtomicBool,
    /// Blocks and transactions sealed since the last snapshot.
    since_snapshot: Mutex<(u64, u64)>,
    /// The block bound the batcher recorded from the L1 (0: none yet), and when it was read.
    l1_block_bytes: AtomicU64,
    post_limits_read: Mutex<Option<std::time::Instant>>,
    /// Sealed blocks not yet on L1, and whether admission is throttled because of them.
    l1_backlog: Mutex<backlog::Backlog>,
    throttled: AtomicBool,
    /// The backlog is past twice its bound: every submission is refused.
    throttled_hard: AtomicBool,
    /// What each client may take of the node's shared work.
    shares: shares::Shares,
    /// The threads and fair slots of reads of the chain.
    queries: queries::QueryPool,
    /// The threads that recover the senders of submissions (`ingest::admission_pool`).
    admission: Arc<rayon::ThreadPool>,
    /// The threads and slots of read-only calls.
    calls: calls::CallPool,
    /// The state after the newest batch on L1, for withdrawal proofs (built on demand).
    batch_state: tokio::sync::Mutex<Option<proofs::BatchState>>,
    /// The state tree of state proofs, at a kept block (built on demand).
    proof_tree: tokio::sync::Mutex<Option<proofs::ProofTree>>,
    /// New heads and newly held transactions, for filters and subscriptions.
    events: ChainEvents,
    /// When the last block was sealed, for empty blocks on an idle chain.
    last_sealed: Mutex<std::time::Instant>,
}

/// Recovers the lock's data even if a panicking thread poisoned it: every critical section
/// here leaves the data consistent or is followed by a fatal error.
macro_rules! lock {
    ($e:expr) => {
        $e.unwrap_or_else(|poisoned| poisoned.into_inner())
    };
}
pub(crate) use lock;

impl Node {
    /// The configuration.
    pub const fn config(&self) -> &SequencerConfig {
        &self.config
    }

    /// Chain parameters.
    pub const fn chain(&self) -> &ChainConfig {
        &self.config.chain
    }

    /// The chain database.
    pub const fn store(&self) -> &Store {
        &self.store
    }

    /// New heads and newly held transactions.
    pub const fn events(&self) -> &ChainEvents {
        &self.events
    }

    /// Status published by other components.
    pub const fn status_sources(&self) -> &StatusSources {
        &self.status
    }

    /// How this node came up.
    pub const fn startup(&self) -> &Startup {
        &self.startup
    }

    /// The Prometheus exposition page.
    pub fn render_metrics(&self) -> String {
        let (mempool, mempool_future) = self.mempool_len();
        let mut out = self.metrics.render(Gauges {
            mempool,
            mempool_future,
            head: self.head().header.number,
            l1_backlog: self.l1_backlog(),
            max_block_bytes: self.max_block_bytes() as u64,
        });
        if let Some(batcher) = &self.status.batcher {
            batcher.borrow().render_prometheus(&mut out);
        }
        out
    }

    /// The bound on a block's encoded size now: the configured one, or what the L1 carries
    /// if the batcher recorded less.
    pub fn max_block_bytes(&self) -> usize {
        match self.l1_block_bytes.load(std::sync::atomic::Ordering::Relaxed) {
            0 => self.config.max_block_bytes,
            l1 => self.config.max_block_bytes.min(usize::try_from(l1).unwrap_or(usize::MAX)),
        }
    }

    /// The bound the batcher recorded from the L1, if any.
    pub fn l1_max_block_bytes(&self) -> Option<u64> {
        match self.l1_block_bytes.load(std::sync::atomic::Ordering::Relaxed) {
            0 => None,
            l1 => Some(l1),
        }
    }

    /// Reads the block bound the batcher recorded (at most once per [`POST_LIMITS_REFRESH`]).
    async fn refresh_post_limits(&self) {
        {
            let mut read = lock!(self.post_limits_read.lock());
            if read.is_some_and(|at| at.elapsed() < POST_LIMITS_REFRESH) {
                return;
            }
            *read = Some(std::time::Instant::now());
        }
        match self.own_store.post_limits().await {
            Ok(Some(limits)) => {
                let before = self.l1_block_bytes.swap(limits.max_block_bytes, std::sync::atomic::Ordering::Relaxed);
                if before != limits.max_block_bytes {
                    tracing::info!(
                        target: "sequencer::block",
                        l1_max_block_bytes = limits.max_block_bytes,
                        max_block_bytes = self.max_block_bytes(),
                        "block size bound from the L1's limits"
                    );
                }
            }
            Ok(None) => {}
            // Not fatal: the last bound read stays in force.
            Err(err) => tracing::warn!(target: "sequencer::block", %err, "could not read the L1's post limits"),
        }
    }

    /// Runs `work`, a read of the chain for `client`, on the query threads once the fair
    /// share of the query slots gives it one (waiting at most [`QUERY_WAIT`]).
    pub async fn query<F>(&self, client: crate::fair::Client, work: F) -> Result<F::Output, QueryError>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.queries.run(client, std::time::Instant::now() + QUERY_WAIT, work).await
    }

    /// Whether the node takes new transactions (false once shutting down).
    pub fn is_accepting(&self) -> bool {
        !self.accepting.is_cancelled()
    }

    /// The latest sealed block.
    pub fn head(&self) -> Head {
        lock!(self.head.read()).clone()
    }

    /// The committed state after the head.
    pub fn committed_state(&self) -> Arc<State> {
        lock!(self.committed.read()).state().clone()
    }

    /// The state after the head, with the head.
    pub fn latest_state(&self) -> StateView {
        lock!(self.committed.read()).latest()
    }

    /// The state after block `number`: the head or one of the last
    /// [`SequencerConfig::state_history`] blocks before it.
    pub fn state_at(&self, number: u64) -> Result<StateView, HistoryError> {
        lock!(self.committed.read()).at(number)
    }

    /// The state after the block with hash `hash`, if it is one whose state is kept.
    pub fn state_at_hash(&self, hash: &B256) -> Result<StateView, HistoryError> {
        let committed = lock!(self.committed.read());
        let number = committed.number_of(hash).ok_or(HistoryError::NotFound)?;
        committed.at(number)
    }

    /// The state after the last executed block (possibly still being written): what admission
    /// checks nonces against.
    fn tip_state(&self) -> Arc<State> {
        lock!(self.tip.read()).1.clone()
    }

    /// The committed nonce of `account`.
    pub fn state_nonce(&self, account: &Address) -> u64 {
        self.committed_state().nonce(account)
    }

    /// The next nonce of `account` counting its pending transactions.
    pub fn pending_nonce(&self, account: &Address) -> u64 {
        let state = self.tip_state().nonce(account);
        lock!(self.mempool.lock()).next_nonce(account, state)
    }

    /// Number of transactions waiting in the mempool, and how many of them are future.
    pub fn mempool_len(&self) -> (usize, usize) {
        let mempool = lock!(self.mempool.lock());
        (mempool.len(), mempool.future_len())
    }

    /// Whether the mempool holds `hash`.
    pub fn is_pending(&self, hash: &B256) -> bool {
        lock!(self.mempool.lock()).contains(hash)
    }
}
