//! The sequencer node: admission, the mempool, block production and the chain head.
//!
//! [`Node`] is shared by the HTTP handlers, the block producer and in-process components. Its
//! parts: `startup` (opening the chain: snapshot, replay, mempool reload), `ingest` (admission
//! and the group-commit writer), `producer` (sealing blocks and persisting them).

mod backlog;
mod calls;
mod events;
mod follow;
mod history;
mod ingest;
mod producer;
mod proofs;
mod queries;
mod recent;
mod shares;
mod startup;

pub use backlog::BacklogView;
pub use calls::{CallBudget, CallError};
pub use events::{ChainEvents, PENDING_RING};
pub use follow::{Cluster, FollowerLag};
pub use history::{BlockRef, HistoryError, MAX_HISTORY_KEYS, StateView};
pub use proofs::{BlockState, ProofError, StateProofError, WithdrawalProof};
pub use queries::QueryError;
pub use recent::{RecentBlock, RecentBlocks};
pub use shares::WorkRateLimited;
pub(crate) use startup::env_of;

use crate::{
    config::SequencerConfig,
    mempool::Mempool,
    metrics::{Gauges, Metrics},
    store::Store,
};
use alloy_primitives::{Address, B256};
use rollup_executor::{Pipeline, State};
use rollup_types::{
    BlockHeader, ChainConfig,
    status::{BatcherStatus, ChallengerStatus},
};
use std::{
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

/// Longest a read waits for a query slot before it is refused (`busy`).
pub const QUERY_WAIT: Duration = Duration::from_secs(10);

/// How often the producer reads the block bound the batcher recorded from the L1.
const POST_LIMITS_REFRESH: Duration = Duration::from_secs(1);

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
    /// The L1 bridge: deposits (`depositETH`, `depositERC20`), forced transactions and
    /// withdrawals (docs/bridge.md).
    pub bridge: Address,
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
    /// Its lead of the database (unset: opened without one, as tests do, or following).
    lead: std::sync::OnceLock<crate::lead::Lead>,
    /// It follows another sequencer's blocks (docs/deployment.md) instead of producing.
    following: AtomicBool,
    /// The sequencers on the database as last read (`follow::report`).
    cluster: RwLock<Cluster>,
    /// The same database through connections of its own, for the node's reads (never
    /// waiting behind clients' queries).
    own_store: Store,
    executor: RwLock<Pipeline>,
    /// The committed state after the head, for readers (never blocked by a block in
    /// execution), with what recent blocks overwrote (reads at those blocks).
    committed: RwLock<history::Committed>,
    /// The last blocks sealed, with their transactions and receipts (reads at the head).
    recent: RecentBlocks,
    /// The first block whose state the stored history answers (`--state.archive`).
    archive_from: Option<u64>,
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
    /// The L1 price of a byte the blocks aim at, from the L1 gas price the batcher's queue
    /// reader recorded (0: none recorded; the price then stays where it is). docs/fees.md §4.
    l1_price_target: AtomicU64,
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
    batch_state: tokio::sync::Mutex<Option<proofs::BlockState>>,
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

    /// Its lead of the database: the holder id and the epoch its writes are fenced by.
    pub fn lead(&self) -> Option<&crate::lead::Lead> {
        self.lead.get()
    }

    /// Whether it follows another sequencer's blocks rather than producing them.
    pub fn is_following(&self) -> bool {
        self.following.load(std::sync::atomic::Ordering::Acquire)
    }

    /// `leader` or `follower`.
    pub fn role(&self) -> &'static str {
        if self.is_following() { "follower" } else { "leader" }
    }

    /// The sequencers on the database as last read.
    pub fn cluster(&self) -> Cluster {
        lock!(self.cluster.read()).clone()
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
        let cluster = self.cluster();
        let epoch = self.lead().map_or_else(|| cluster.leader.as_ref().map_or(0, |l| l.epoch), |l| l.epoch);
        crate::lead::render_role(&mut out, !self.is_following(), epoch);
        follow::render_lag(&mut out, &cluster, self.head().header.number, self.is_following());
        if let Some(batcher) = &self.status.batcher {
            batcher.borrow().render_prometheus(&mut out);
        }
        if let Some(challenger) = &self.status.challenger {
            challenger.borrow().render_prometheus(&mut out);
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
        match self.own_store.l1_byte_cost().await {
            Ok(Some((_, byte_cost))) => {
                let target = rollup_types::fees::l1_price_target(byte_cost);
                self.l1_price_target.store(target, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(None) => {}
            // Not fatal: the last target read stays in force.
            Err(err) => tracing::warn!(target: "sequencer::block", %err, "could not read the L1's cost of a byte"),
        }
    }

    /// The L1 price of a byte block `number` commits after the fee state `fees`, under the
    /// chain's cap `cap` (its reading of the L1's fees, docs/fees.md §4): the target from the
    /// L1's base fee brought within the rule's bound, or the fee state's own price (within the
    /// cap) while no L1 base fee was read.
    fn propose_l1_price(&self, fees: &rollup_types::fees::FeeState, cap: u64, number: u64) -> u64 {
        match self.l1_price_target.load(std::sync::atomic::Ordering::Relaxed) {
            0 => fees.propose_l1_price(number, fees.l1_byte_price, cap),
            target => fees.propose_l1_price(number, target, cap),
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

    /// The first block whose state the stored history answers, when it is kept
    /// (`--state.archive`).
    pub const fn archive_from(&self) -> Option<u64> {
        self.archive_from
    }

    /// The last blocks sealed, held in memory with their transactions and receipts.
    pub const fn recent(&self) -> &RecentBlocks {
        &self.recent
    }

    /// The oldest block whose state is kept in memory (reads at it need no stored history).
    pub fn oldest_kept_state(&self) -> u64 {
        lock!(self.committed.read()).oldest()
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
