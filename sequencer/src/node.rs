//! The sequencer node: admission, the mempool, block production and the chain head.

use crate::{
    error::{SequencerError, StoreError, SubmitError},
    mempool::{Inserted, Mempool, MempoolLimits, PoolTx},
    metrics::{Gauges, Metrics},
    store::{IncludedTx, PendingRow, StatusChange, Store, StoredBlock, StoredLog, StoredSnapshot, StoredStatus},
};
use alloy_primitives::{Address, B256, Bloom, Bytes, map::HashSet};
use rayon::prelude::*;
use rollup_executor::{BlockEnvInput, ExecutedBlock, Executor, ParallelConfig, Pipeline, State, TxResult};
use rollup_types::{
    BlockHeader, ChainConfig, RecoveredTx,
    block::transactions_root,
    genesis::GenesisSpec,
    status::{BatcherStatus, ChallengerStatus},
};
use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

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
    /// Most transactions in one block.
    pub max_block_txs: usize,
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
}

impl Default for SequencerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8547)),
            db_url: "sqlite://sequencer.sqlite".into(),
            chain: ChainConfig::default(),
            genesis: GenesisSpec::devnet(),
            block_time: Duration::from_millis(500),
            max_block_txs: 10_000,
            mempool: MempoolLimits::default(),
            body_limit: 128 * 1024,
            // One core is left to ingest (sender recovery, HTTP) and the database writer,
            // which run during blocks: measured on two cores in BENCHMARKS.md.
            exec_threads: std::thread::available_parallelism().map_or(1, |n| usize::from(n).saturating_sub(1).max(1)),
            snapshot_interval: 100,
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

/// A block executed and applied to the tip's state whose state root is still being computed
/// (see [`Pipeline`]).
#[derive(Debug)]
struct Unsealed {
    env: BlockEnvInput,
    /// The transactions it executed, in order.
    ready: Vec<PoolTx>,
    /// Status changes of the transactions it rejected.
    changes: Vec<StatusChange>,
    /// The state after it.
    state: Arc<State>,
    execution: Duration,
}

/// A block executed on top of the tip, not yet in the database.
#[derive(Debug)]
struct Sealed {
    block: StoredBlock,
    included: Vec<IncludedTx>,
    changes: Vec<StatusChange>,
    state: Arc<State>,
    execution: Duration,
    state_root: Duration,
}

/// A group of acknowledged transactions on its way to the database, or status changes.
enum WriteJob {
    Pending(Vec<PendingRow>, oneshot::Sender<Result<(), String>>),
    Status(Vec<StatusChange>),
}

/// A snapshot is also taken once this many transactions were sealed since the last one, so
/// that a restart never re-executes more than about this many (a few seconds' work).
const SNAPSHOT_MAX_REPLAY_TXS: u64 = 50_000;

/// Most transactions written in one database transaction by the group commit.
const MAX_GROUP_ROWS: usize = 8_192;
/// Submissions (single or batch requests) queued for the writer before the node answers 429.
const WRITE_QUEUE: usize = 4_096;

/// The group-commit writer: takes every submission waiting, writes them in one database
/// transaction, then acknowledges them all. Ends when the node is dropped.
async fn run_writer(store: Store, mut jobs: mpsc::Receiver<WriteJob>, metrics: Arc<Metrics>) {
    let mut batch: Vec<WriteJob> = Vec::new();
    while let Some(first) = jobs.recv().await {
        batch.push(first);
        let mut rows = 0;
        while rows < MAX_GROUP_ROWS {
            match jobs.try_recv() {
                Ok(job) => {
                    if let WriteJob::Pending(r, _) = &job {
                        rows += r.len();
                    }
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let mut pending = Vec::new();
        let mut waiting = Vec::new();
        let mut changes = Vec::new();
        for job in batch.drain(..) {
            match job {
                WriteJob::Pending(rows, done) => {
                    pending.extend(rows);
                    waiting.push(done);
                }
                WriteJob::Status(c) => changes.extend(c),
            }
        }
        let started = Instant::now();
        let written = store.insert_pending(&pending).await.map_err(|e| e.to_string());
        metrics.record_db_write(started.elapsed());
        for done in waiting {
            let _ = done.send(written.clone());
        }
        // Status changes follow the inserts they refer to (a replacement after the
        // transaction it replaces); they only ever move a pending transaction.
        if let Err(err) = store.set_status(&changes).await {
            error!(target: "sequencer::ingest", %err, "could not record status changes; a restart re-derives them");
        }
    }
}

/// The state shared by the HTTP handlers, the block producer and in-process components.
#[derive(Debug)]
pub struct Node {
    config: SequencerConfig,
    store: Store,
    executor: RwLock<Pipeline>,
    /// The committed state after the head, for readers (never blocked by a block in
    /// execution).
    committed: RwLock<Arc<State>>,
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
}

impl std::fmt::Debug for WriteJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pending(rows, _) => write!(f, "Pending({} rows)", rows.len()),
            Self::Status(changes) => write!(f, "Status({} changes)", changes.len()),
        }
    }
}

/// Recovers the lock's data even if a panicking thread poisoned it: every critical section
/// here leaves the data consistent or is followed by a fatal error.
macro_rules! lock {
    ($e:expr) => {
        $e.unwrap_or_else(|poisoned| poisoned.into_inner())
    };
}

/// Decodes and recovers the senders of `raws`, on every core when there are several.
async fn recover_all(raws: Vec<Bytes>, chain: ChainConfig) -> Vec<(Bytes, Result<RecoveredTx, SubmitError>)> {
    let recover = move |raw: Bytes| {
        let tx = RecoveredTx::from_raw(&raw, &chain).map_err(SubmitError::Tx);
        (raw, tx)
    };
    if raws.len() < 4 {
        return raws.into_iter().map(recover).collect();
    }
    // Kept (reference counts only) so that every item gets a result even if the task fails.
    let kept = raws.clone();
    let recovered = tokio::task::spawn_blocking(move || raws.into_par_iter().map(recover).collect::<Vec<_>>()).await;
    recovered.unwrap_or_else(|e| {
        error!(target: "sequencer::ingest", %e, "signature recovery task failed");
        kept.into_iter()
            .map(|raw| (raw, Err(SubmitError::Internal(format!("signature recovery failed: {e}")))))
            .collect()
    })
}

impl Node {
    /// Opens the database, lays out genesis, restores the newest usable state snapshot,
    /// re-executes the blocks after it and reloads the mempool.
    pub async fn open(config: SequencerConfig, status: StatusSources) -> Result<Arc<Self>, SequencerError> {
        let started = Instant::now();
        let store = Store::open(&config.db_url).await?;
        let genesis_executor = Executor::genesis(config.chain, &config.genesis)?;
        let genesis = BlockHeader {
            number: 0,
            parent_hash: B256::ZERO,
            timestamp: 0,
            state_root: genesis_executor.state_root(),
            transactions_root: transactions_root(&[]),
            logs_bloom: Bloom::ZERO,
            gas_used: 0,
        };
        match store.block(0).await? {
            Some(stored) if stored.header != genesis => {
                return Err(SequencerError::WrongChain(format!(
                    "its genesis state root is {}, this genesis gives {}",
                    stored.header.state_root, genesis.state_root
                )));
            }
            Some(_) => {}
            None => {
                let block =
                    StoredBlock { hash: genesis.hash(), header: genesis.clone(), chunk_roots: vec![], tx_count: 0 };
                store.commit_block(&block, &[], &[]).await?;
            }
        }

        let mut startup = Startup::default();
        let (executor, from) = match restore(&store, &config).await? {
            Some((executor, block)) => {
                startup.snapshot_block = Some(block.header.number);
                (executor, Head { header: block.header, hash: block.hash })
            }
            None => {
                let block = store.block(0).await?.ok_or_else(|| StoreError::Corrupt("no genesis block".into()))?;
                (genesis_executor, Head { header: block.header, hash: block.hash })
            }
        };
        let mut executor = executor.with_parallelism(ParallelConfig::threads(config.exec_threads))?;
        let head = replay(&store, &mut executor, &config.chain, from, &mut startup).await?;

        let mut mempool = Mempool::new(config.mempool);
        let state = executor.state();
        let mut changes = Vec::new();
        let pending = store.pending().await?;
        let seqs: Vec<u64> = pending.iter().map(|(_, seq)| *seq).collect();
        let recovered = recover_all(pending.into_iter().map(|(raw, _)| raw).collect(), config.chain).await;
        for ((raw, tx), seq) in recovered.into_iter().zip(seqs) {
            let hash = tx.as_ref().map_or_else(|_| alloy_primitives::keccak256(&raw), |t| t.hash());
            let inserted = tx.and_then(|tx| {
                let nonce = state.nonce(&tx.sender);
                // Acknowledged before: held again whatever the limits (see `Mempool::restore`).
                mempool.restore(PoolTx { tx: Arc::new(tx), raw, seq }, nonce)
            });
            match inserted {
                Ok(outcome) => {
                    startup.reloaded_pending += 1;
                    changes.extend(displaced(outcome, hash));
                }
                Err(err) => {
                    changes.push(StatusChange { hash, status: StoredStatus::Rejected, reason: err.to_string() })
                }
            }
        }
        store.set_status(&changes).await?;
        startup.millis = started.elapsed().as_millis() as u64;
        info!(
            target: "sequencer",
            head = head.header.number,
            state_root = %head.header.state_root,
            pending = startup.reloaded_pending,
            snapshot = ?startup.snapshot_block,
            replayed_blocks = startup.replayed_blocks,
            millis = startup.millis,
            "chain loaded"
        );
        let (writer, jobs) = mpsc::channel(WRITE_QUEUE);
        let metrics = Arc::new(Metrics::default());
        tokio::spawn(run_writer(store.clone(), jobs, metrics.clone()));
        let since_snapshot = Mutex::new((startup.replayed_blocks, startup.replayed_txs));
        Ok(Arc::new(Self {
            next_seq: AtomicU64::new(store.next_seq().await?),
            config,
            store,
            committed: RwLock::new(executor.state()),
            tip: RwLock::new((head.clone(), executor.state())),
            executor: RwLock::new(Pipeline::new(executor)),
            unsealed: Mutex::new(Vec::new()),
            mempool: Mutex::new(mempool),
            head: RwLock::new(head),
            status,
            accepting: CancellationToken::new(),
            writer,
            startup,
            metrics,
            backlog: AtomicBool::new(false),
            since_snapshot,
        }))
    }

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
        let mut out = self.metrics.render(Gauges { mempool, mempool_future, head: self.head().header.number });
        if let Some(batcher) = &self.status.batcher {
            batcher.borrow().render_prometheus(&mut out);
        }
        out
    }

    /// Whether the node takes new transactions (false once shutting down).
    pub fn is_accepting(&self) -> bool {
        !self.accepting.is_cancelled()
    }

    /// The latest sealed block.
    pub fn head(&self) -> Head {
        lock!(self.head.read()).clone()
    }

    /// Runs `f` with access to the executor (calls against the state after the last executed
    /// block). Waits while a block executes; reads of the state use
    /// [`Self::committed_state`] instead.
    pub fn with_executor<R>(&self, f: impl FnOnce(&Pipeline) -> R) -> R {
        f(&lock!(self.executor.read()))
    }

    /// The committed state after the head.
    pub fn committed_state(&self) -> Arc<State> {
        lock!(self.committed.read()).clone()
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

    /// Admits one raw signed transaction; see [`Self::submit_many`].
    pub async fn submit_raw(&self, raw: Bytes) -> Result<B256, SubmitError> {
        self.submit_many(vec![raw]).await.pop().unwrap_or(Err(SubmitError::ShuttingDown))
    }

    /// Admits raw signed transactions: decodes them and recovers their senders (on every
    /// core), checks each against its sender's nonce and the mempool, writes the admissible
    /// ones to the database in one group commit, then holds them for a block. A result is
    /// `Ok(hash)` only once the transaction is on disk; results follow the input order.
    pub async fn submit_many(&self, raws: Vec<Bytes>) -> Vec<Result<B256, SubmitError>> {
        let started = Instant::now();
        let count = raws.len();
        if self.accepting.is_cancelled() {
            return (0..count).map(|_| Err(SubmitError::ShuttingDown)).collect();
        }
        let recovered = recover_all(raws, self.config.chain).await;
        let recovery = started.elapsed();
        let mut write_wait = None;
        let state = self.tip_state();
        let mut results: Vec<Option<Result<B256, SubmitError>>> = Vec::with_capacity(count);
        let mut admitted: Vec<(usize, PoolTx)> = Vec::new();
        let mut rows = Vec::new();
        let received_at = now_millis();
        {
            let mempool = lock!(self.mempool.lock());
            for (i, (raw, tx)) in recovered.into_iter().enumerate() {
                let checked = tx.and_then(|tx| mempool.check(&tx, state.nonce(&tx.sender)).map(|o| (tx, o)));
                match checked {
                    Ok((tx, Inserted::Known)) => results.push(Some(Ok(tx.hash()))),
                    Ok((tx, _)) => {
                        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
                        rows.push(PendingRow {
                            hash: tx.hash(),
                            raw: raw.clone(),
                            sender: tx.sender,
                            nonce: tx.nonce(),
                            seq,
                            received_at,
                        });
                        admitted.push((i, PoolTx { tx: Arc::new(tx), raw, seq }));
                        results.push(None);
                    }
                    Err(err) => results.push(Some(Err(err))),
                }
            }
        }
        if !rows.is_empty() {
            let queued = Instant::now();
            let (done, written) = oneshot::channel();
            let sent = self.writer.try_send(WriteJob::Pending(rows, done));
            let written = match sent {
                Ok(()) => written.await.unwrap_or_else(|_| Err("the database writer stopped".into())),
                Err(mpsc::error::TrySendError::Full(_)) => Err(String::new()),
                Err(mpsc::error::TrySendError::Closed(_)) => Err("the database writer stopped".into()),
            };
            write_wait = Some(queued.elapsed());
            if let Err(reason) = written {
                for (i, _) in &admitted {
                    results[*i] = Some(Err(if reason.is_empty() {
                        SubmitError::Overloaded
                    } else {
                        SubmitError::Persist(reason.clone())
                    }));
                }
                admitted.clear();
            }
        }
        // On disk: hold them. The state may have moved while the write was in flight, so the
        // rules apply again; what they refuse now is marked rejected.
        let mut changes = Vec::new();
        if !admitted.is_empty() {
            let state = self.tip_state();
            let mut mempool = lock!(self.mempool.lock());
            for (i, entry) in admitted {
                let hash = entry.tx.hash();
                let nonce = state.nonce(&entry.tx.sender);
                match mempool.insert(entry, nonce) {
                    Ok(outcome) => {
                        changes.extend(displaced(outcome, hash));
                        results[i] = Some(Ok(hash));
                    }
                    Err(err) => {
                        changes.push(StatusChange { hash, status: StoredStatus::Rejected, reason: err.to_string() });
                        results[i] = Some(Err(err));
                    }
                }
            }
        }
        if !changes.is_empty() {
            self.record_status(changes);
        }
        let results: Vec<Result<B256, SubmitError>> =
            results.into_iter().map(|r| r.unwrap_or(Err(SubmitError::ShuttingDown))).collect();
        self.metrics.record_submissions(&results, started.elapsed());
        self.metrics.record_ingest_phases(recovery, write_wait);
        results
    }

    /// Queues status changes for the writer (after the inserts queued before them).
    fn record_status(&self, changes: Vec<StatusChange>) {
        if let Err(err) = self.writer.try_send(WriteJob::Status(changes)) {
            // Not lost for correctness: a restart re-applies the mempool rules to every
            // pending row and marks the losers.
            warn!(target: "sequencer::ingest", %err, "status changes not queued");
        }
    }

    /// Executes a block from the ready transactions, if any, seals it and every block
    /// before it and writes them to the database. Returns the new head, if a block was sealed.
    pub async fn produce_block(self: &Arc<Self>) -> Result<Option<Head>, SequencerError> {
        let mut head = None;
        for sealed in self.seal(false).await? {
            head = Some(self.persist(sealed).await?);
        }
        Ok(head)
    }

    /// Executes the next block on top of the last executed one from the ready transactions,
    /// takes them out of the mempool, and seals every block whose state root is known.
    ///
    /// With `pipelined`, under a backlog (more transactions ready than a block takes), the new
    /// block's state tree is left to be updated while the next block executes
    /// ([`Pipeline`]): it is sealed by the next call. Otherwise it is completed at once.
    async fn seal(self: &Arc<Self>, pipelined: bool) -> Result<Vec<Sealed>, SequencerError> {
        let tip_state = lock!(self.tip.read()).1.clone();
        let ready = lock!(self.mempool.lock()).ready(|a| tip_state.nonce(a), self.config.max_block_txs);
        let backlog = ready.len() >= self.config.max_block_txs;
        self.backlog.store(backlog, Ordering::Relaxed);
        let mut unsealed = std::mem::take(&mut *lock!(self.unsealed.lock()));
        if ready.is_empty() && unsealed.is_empty() {
            return Ok(Vec::new());
        }
        let started = Instant::now();
        // Blocks left pending complete beside this step's block, if it has one.
        let overlapped = if ready.is_empty() { 0 } else { unsealed.len() };
        // On top of the last executed block: the newest unsealed one, or the tip's head.
        let last = unsealed.last().map_or_else(
            || {
                let head = &lock!(self.tip.read()).0.header;
                BlockEnvInput { number: head.number, timestamp: head.timestamp }
            },
            |u| u.env,
        );
        let env = BlockEnvInput { number: last.number + 1, timestamp: now_secs().max(last.timestamp) };
        let node = self.clone();
        let txs: Vec<RecoveredTx> = ready.iter().map(|p| (*p.tx).clone()).collect();
        let (completed, invalid, state) = tokio::task::spawn_blocking(move || {
            let mut pipeline = lock!(node.executor.write());
            let mut completed = Vec::new();
            let mut invalid = Vec::new();
            if !txs.is_empty() {
                completed = pipeline.push(env, &txs);
                let results = match (pipeline.pending(), completed.last()) {
                    (Some(pending), _) => &pending.results,
                    (None, Some(done)) => &done.results,
                    (None, None) => &[][..],
                };
                invalid = results
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| match r {
                        TxResult::Invalid(reason) => Some((i, reason.clone())),
                        TxResult::Executed(_) => None,
                    })
                    .collect::<Vec<_>>();
            }
            if !(pipelined && backlog) {
                // Nothing waits behind this block: no reason to hold its state root back.
                completed.extend(pipeline.flush());
            }
            (completed, invalid, pipeline.state())
        })
        .await
        .map_err(|e| SequencerError::Task(e.to_string()))?;
        let execution = started.elapsed();

        if !ready.is_empty() {
            let mut changes = Vec::with_capacity(invalid.len());
            for (i, reason) in invalid {
                let hash = ready[i].tx.hash();
                warn!(target: "sequencer::block", %hash, %reason, "dropping a transaction that cannot execute");
                changes.push(StatusChange { hash, status: StoredStatus::Rejected, reason });
            }
            self.take_from_mempool(&ready, &changes, &state);
            unsealed.push(Unsealed { env, ready, changes, state, execution });
        }

        // The completed blocks are the oldest unsealed ones, in order.
        if completed.len() > unsealed.len() {
            return Err(SequencerError::Task(format!(
                "the executor completed {} blocks with {} executed",
                completed.len(),
                unsealed.len()
            )));
        }
        self.metrics.record_pipelined(overlapped.min(completed.len()));
        let mut sealed = Vec::with_capacity(completed.len());
        let mut rest = unsealed.split_off(completed.len());
        for (block, executed) in unsealed.into_iter().zip(completed) {
            sealed.push(self.seal_one(block, executed));
        }
        std::mem::swap(&mut *lock!(self.unsealed.lock()), &mut rest);
        Ok(sealed)
    }

    /// Takes the transactions of a block just executed out of the mempool with the state
    /// after it: the rejected ones, the included ones and those their nonces superseded.
    fn take_from_mempool(&self, ready: &[PoolTx], rejected: &[StatusChange], state: &Arc<State>) {
        let senders: HashSet<Address> = ready.iter().map(|p| p.tx.sender).collect();
        let rejected_hashes: HashSet<B256> = rejected.iter().map(|c| c.hash).collect();
        let mut superseded = Vec::new();
        {
            // The tip's state and the mempool move together: an admission sees either both
            // before this block or both after it.
            let mut mempool = lock!(self.mempool.lock());
            lock!(self.tip.write()).1 = state.clone();
            for change in rejected {
                mempool.remove(&change.hash);
            }
            let included: HashSet<B256> =
                ready.iter().map(|p| p.tx.hash()).filter(|h| !rejected_hashes.contains(h)).collect();
            for sender in &senders {
                for dropped in mempool.prune(sender, state.nonce(sender)) {
                    if !included.contains(&dropped) {
                        superseded.push(dropped);
                    }
                }
            }
        }
        if !superseded.is_empty() {
            // Replacements that arrived while the transaction they replaced was executing.
            self.record_status(
                superseded
                    .into_iter()
                    .map(|hash| StatusChange {
                        hash,
                        status: StoredStatus::Rejected,
                        reason: "its nonce was used by another transaction of the sender in a block".into(),
                    })
                    .collect(),
            );
        }
    }

    /// Seals an executed block whose state root is now known, on top of the tip's head.
    fn seal_one(&self, unsealed: Unsealed, executed: ExecutedBlock) -> Sealed {
        let Unsealed { env, ready, changes, state, execution } = unsealed;
        let mut included = Vec::with_capacity(ready.len());
        let mut bloom = Bloom::ZERO;
        for (entry, result) in ready.iter().zip(&executed.results) {
            if let TxResult::Executed(out) = result {
                for log in &out.logs {
                    bloom.accrue_log(log);
                }
                included.push(IncludedTx {
                    hash: entry.tx.hash(),
                    outcome: out.status,
                    gas_used: out.gas_used,
                    output: out.output.clone(),
                    logs: out.logs.iter().map(StoredLog::from).collect(),
                });
            }
        }
        let hashes: Vec<B256> = included.iter().map(|t| t.hash).collect();
        let mut tip = lock!(self.tip.write());
        let header = BlockHeader {
            number: env.number,
            parent_hash: tip.0.hash,
            timestamp: env.timestamp,
            state_root: executed.state_root,
            transactions_root: transactions_root(&hashes),
            logs_bloom: bloom,
            gas_used: executed.gas_used,
        };
        let block = StoredBlock {
            hash: header.hash(),
            header,
            chunk_roots: executed.chunk_roots,
            tx_count: included.len() as u64,
        };
        tip.0 = Head { header: block.header.clone(), hash: block.hash };
        Sealed { block, included, changes, state, execution, state_root: executed.timings.state_root }
    }

    /// Writes a sealed block to the database, then publishes it as the head (and takes a
    /// snapshot when one is due).
    async fn persist(&self, sealed: Sealed) -> Result<Head, SequencerError> {
        let started = Instant::now();
        let Sealed { block, included, changes, state, execution, state_root } = sealed;
        // The executor has moved on: if the block cannot be stored the service must stop and
        // replay from the database on restart.
        self.store.commit_block(&block, &included, &changes).await?;
        let head = Head { header: block.header.clone(), hash: block.hash };
        *lock!(self.committed.write()) = state.clone();
        *lock!(self.head.write()) = head.clone();
        self.metrics.record_block(included.len(), execution, state_root, started.elapsed());
        info!(target: "sequencer::block", number = head.header.number, txs = included.len(), state_root = %head.header.state_root, "sealed block");
        let (blocks, txs) = {
            let mut since = lock!(self.since_snapshot.lock());
            *since = (since.0 + 1, since.1 + included.len() as u64);
            *since
        };
        let interval = self.config.snapshot_interval;
        if interval > 0 && (blocks >= interval || txs >= SNAPSHOT_MAX_REPLAY_TXS) {
            self.save_snapshot(head.header.number, head.header.state_root, state).await?;
        }
        Ok(head)
    }

    /// Writes a snapshot of `state`, the state after block `number`.
    async fn save_snapshot(&self, number: u64, state_root: B256, state: Arc<State>) -> Result<(), SequencerError> {
        let started = Instant::now();
        let data = tokio::task::spawn_blocking(move || state.encode_snapshot())
            .await
            .map_err(|e| SequencerError::Task(e.to_string()))?;
        let bytes = data.len();
        let snapshot = StoredSnapshot { block_number: number, state_root, data };
        self.store.save_snapshot(&snapshot, 2, now_millis()).await?;
        *lock!(self.since_snapshot.lock()) = (0, 0);
        info!(target: "sequencer::snapshot", number, bytes, millis = started.elapsed().as_millis() as u64, "state snapshot saved");
        Ok(())
    }

    /// Produces blocks every `block_time` until `cancel` fires.
    pub async fn run_producer(self: Arc<Self>, cancel: CancellationToken) -> Result<(), SequencerError> {
        // The first block one interval after start, not at once.
        let mut interval =
            tokio::time::interval_at(tokio::time::Instant::now() + self.config.block_time, self.config.block_time);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Block N is written to the database while block N + 1 executes; N + 1 is written
        // only after N.
        let mut persisting: Option<tokio::task::JoinHandle<Result<(), SequencerError>>> = None;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = interval.tick() => {}
            }
            let sealed = self.seal(true).await?;
            if let Some(previous) = persisting.take() {
                previous.await.map_err(|e| SequencerError::Task(e.to_string()))??;
            }
            if !sealed.is_empty() {
                let node = self.clone();
                persisting = Some(tokio::spawn(async move {
                    for block in sealed {
                        node.persist(block).await?;
                    }
                    Ok(())
                }));
            }
            if self.backlog.load(Ordering::Relaxed) {
                // A full block left ready transactions behind: seal the next one at once.
                interval.reset_immediately();
            }
        }
        if let Some(previous) = persisting.take() {
            previous.await.map_err(|e| SequencerError::Task(e.to_string()))??;
        }
        // Stop accepting, then seal what was acknowledged so far and leave a snapshot at the
        // head so that the next start replays nothing.
        self.accepting.cancel();
        while self.produce_block().await?.is_some() {}
        let head = self.head();
        if head.header.number > 0 {
            self.save_snapshot(head.header.number, head.header.state_root, self.committed_state()).await?;
        }
        Ok(())
    }
}

/// The status change of the transaction an admission displaced.
fn displaced(outcome: Inserted, by: B256) -> Option<StatusChange> {
    match outcome {
        Inserted::Replaced(old) => Some(StatusChange {
            hash: old,
            status: StoredStatus::Replaced,
            reason: format!("replaced by {by}, which raised the fees"),
        }),
        Inserted::Evicted(victim) => Some(StatusChange {
            hash: victim,
            status: StoredStatus::Evicted,
            reason: "evicted: the mempool was full and it waited behind a nonce gap".into(),
        }),
        Inserted::New | Inserted::Known => None,
    }
}

/// The executor over the newest snapshot that reproduces its block's state root, with that
/// block; `None` if there is none (start from genesis).
async fn restore(store: &Store, config: &SequencerConfig) -> Result<Option<(Executor, StoredBlock)>, SequencerError> {
    for (number, root) in store.snapshot_heads().await? {
        let Some(block) = store.block(number).await? else { continue };
        if block.header.state_root != root {
            warn!(target: "sequencer", number, "snapshot does not match its block; ignoring it");
            continue;
        }
        let Some(snapshot) = store.snapshot(number).await? else { continue };
        let (chain, genesis) = (config.chain, config.genesis.clone());
        let restored = tokio::task::spawn_blocking(move || Executor::from_snapshot(chain, &genesis, &snapshot.data))
            .await
            .map_err(|e| SequencerError::Task(e.to_string()))?;
        match restored {
            Ok(executor) if executor.state_root() == root => return Ok(Some((executor, block))),
            Ok(executor) => {
                warn!(target: "sequencer", number, rebuilt = %executor.state_root(), stored = %root, "snapshot rebuilds another root; ignoring it")
            }
            Err(err) => warn!(target: "sequencer", number, %err, "unreadable snapshot; ignoring it"),
        }
    }
    Ok(None)
}

/// Re-executes every stored block after `from`, checking each state root.
async fn replay(
    store: &Store,
    executor: &mut Executor,
    chain: &ChainConfig,
    from: Head,
    startup: &mut Startup,
) -> Result<Head, SequencerError> {
    const PAGE: u64 = 256;
    let mut head = from;
    loop {
        let blocks = store.blocks_from(head.header.number + 1, PAGE).await?;
        let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else { break };
        let raws = store.block_transactions(first.header.number, last.header.number).await?;
        let chain = *chain;
        let recovered: Vec<(u64, RecoveredTx)> = tokio::task::spawn_blocking(move || {
            raws.into_par_iter()
                .map(|(n, raw)| {
                    RecoveredTx::from_raw(&raw, &chain)
                        .map(|tx| (n, tx))
                        .map_err(|e| StoreError::Corrupt(format!("block {n} holds an invalid transaction: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|e| SequencerError::Task(e.to_string()))??;
        let mut recovered = recovered.into_iter().peekable();
        let txs: Vec<Vec<RecoveredTx>> = blocks
            .iter()
            .map(|block| {
                let n = block.header.number;
                std::iter::from_fn(|| recovered.next_if(|(b, _)| *b == n)).map(|(_, tx)| tx).collect()
            })
            .collect();
        let input: Vec<(BlockEnvInput, &[RecoveredTx])> = blocks
            .iter()
            .zip(&txs)
            .map(|(b, txs)| (BlockEnvInput { number: b.header.number, timestamp: b.header.timestamp }, &txs[..]))
            .collect();
        // A page at a time, each block's state tree beside the next one's execution.
        let executed = executor.execute_blocks(&input);
        for ((block, executed), txs) in blocks.iter().zip(executed).zip(&txs) {
            let n = block.header.number;
            if executed.state_root != block.header.state_root || executed.chunk_roots != block.chunk_roots {
                return Err(SequencerError::ReplayMismatch {
                    number: n,
                    computed: executed.state_root,
                    stored: block.header.state_root,
                });
            }
            startup.replayed_blocks += 1;
            startup.replayed_txs += txs.len() as u64;
            head = Head { header: block.header.clone(), hash: block.hash };
        }
    }
    Ok(head)
}
