//! The sequencer node: admission, the mempool, block production and the chain head.

use crate::{
    error::{SequencerError, StoreError, SubmitError},
    mempool::{Inserted, Mempool, MempoolLimits, PoolTx},
    store::{IncludedTx, Store, StoredBlock, StoredLog},
};
use alloy_primitives::{Address, B256, Bloom, Bytes, map::HashSet};
use rollup_executor::{BlockEnvInput, Executor, ParallelConfig, TxResult};
use rollup_types::{
    BlockHeader, ChainConfig, RecoveredTx, block::transactions_root, genesis::GenesisSpec, status::ChallengerStatus,
};
use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

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
    /// Interval between blocks (a block is sealed only when transactions are ready).
    pub block_time: Duration,
    /// Most transactions in one block.
    pub max_block_txs: usize,
    /// Mempool limits.
    pub mempool: MempoolLimits,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Threads that execute a block (the parallel executor; 1 still partitions, on one
    /// thread).
    pub exec_threads: usize,
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
            exec_threads: std::thread::available_parallelism().map_or(1, usize::from),
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

/// The state shared by the HTTP handlers, the block producer and in-process components.
#[derive(Debug)]
pub struct Node {
    config: SequencerConfig,
    store: Store,
    executor: RwLock<Executor>,
    mempool: Mutex<Mempool>,
    head: RwLock<Head>,
    next_seq: AtomicU64,
    status: StatusSources,
    accepting: tokio_util::sync::CancellationToken,
}

/// Recovers the lock's data even if a panicking thread poisoned it: every critical section
/// here leaves the data consistent or is followed by a fatal error.
macro_rules! lock {
    ($e:expr) => {
        $e.unwrap_or_else(|poisoned| poisoned.into_inner())
    };
}

impl Node {
    /// Opens the database, lays out genesis, replays the stored chain and reloads the mempool.
    pub async fn open(config: SequencerConfig, status: StatusSources) -> Result<Arc<Self>, SequencerError> {
        let store = Store::open(&config.db_url).await?;
        let mut executor = Executor::genesis(config.chain, &config.genesis)?
            .with_parallelism(ParallelConfig::threads(config.exec_threads))?;
        let genesis = BlockHeader {
            number: 0,
            parent_hash: B256::ZERO,
            timestamp: 0,
            state_root: executor.state_root(),
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
                store.commit_block(&block, &[], &[], 0).await?;
            }
        }

        let head = replay(&store, &mut executor, &config.chain).await?;
        let mut mempool = Mempool::new(config.mempool);
        let mut reloaded = 0usize;
        for (raw, seq) in store.pending().await? {
            let outcome = match RecoveredTx::from_raw(&raw, &config.chain) {
                Ok(tx) => {
                    let nonce = executor.state().nonce(&tx.sender);
                    let hash = tx.hash();
                    mempool.insert(PoolTx { tx: Arc::new(tx), raw, seq }, nonce).map(|_| hash).map_err(|e| (hash, e))
                }
                Err(e) => Err((alloy_primitives::keccak256(&raw), SubmitError::Tx(e))),
            };
            match outcome {
                Ok(_) => reloaded += 1,
                Err((hash, err)) => store.reject(hash, &err.to_string()).await?,
            }
        }
        info!(target: "sequencer", head = head.header.number, state_root = %head.header.state_root, pending = reloaded, "chain loaded");
        Ok(Arc::new(Self {
            next_seq: AtomicU64::new(store.next_seq().await?),
            config,
            store,
            executor: RwLock::new(executor),
            mempool: Mutex::new(mempool),
            head: RwLock::new(head),
            status,
            accepting: CancellationToken::new(),
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

    /// The latest sealed block.
    pub fn head(&self) -> Head {
        lock!(self.head.read()).clone()
    }

    /// Runs `f` with read access to the executor (committed state, state tree).
    pub fn with_executor<R>(&self, f: impl FnOnce(&Executor) -> R) -> R {
        f(&lock!(self.executor.read()))
    }

    /// The committed nonce of `account`.
    pub fn state_nonce(&self, account: &Address) -> u64 {
        self.with_executor(|e| e.state().nonce(account))
    }

    /// The next nonce of `account` counting its pending transactions.
    pub fn pending_nonce(&self, account: &Address) -> u64 {
        let state = self.state_nonce(account);
        lock!(self.mempool.lock()).next_nonce(account, state)
    }

    /// Number of transactions waiting in the mempool.
    pub fn mempool_len(&self) -> usize {
        lock!(self.mempool.lock()).len()
    }

    /// Whether the mempool holds `hash`.
    pub fn is_pending(&self, hash: &B256) -> bool {
        lock!(self.mempool.lock()).contains(hash)
    }

    /// Admits a raw signed transaction: decodes it, recovers its sender, checks it against
    /// the sender's nonce and the mempool, makes it durable, then holds it for a block.
    /// Returns its hash once it is on disk.
    pub async fn submit_raw(&self, raw: Bytes) -> Result<B256, SubmitError> {
        if self.accepting.is_cancelled() {
            return Err(SubmitError::ShuttingDown);
        }
        let tx = RecoveredTx::from_raw(&raw, &self.config.chain)?;
        let hash = tx.hash();
        let state_nonce = self.state_nonce(&tx.sender);
        if lock!(self.mempool.lock()).check(&tx, state_nonce)? == Inserted::Known {
            return Ok(hash);
        }
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        self.store.insert_pending(hash, &raw, tx.sender, tx.nonce(), seq, now_millis()).await?;
        // The state may have moved while the write was in flight: check again under the lock.
        let state_nonce = self.state_nonce(&tx.sender);
        let inserted = lock!(self.mempool.lock()).insert(PoolTx { tx: Arc::new(tx), raw, seq }, state_nonce);
        match inserted {
            Ok(_) => {
                debug!(target: "sequencer::ingest", %hash, "accepted");
                Ok(hash)
            }
            Err(err) => {
                self.store.reject(hash, &err.to_string()).await?;
                Err(err)
            }
        }
    }

    /// Seals one block from the ready transactions, if any. Returns the new head.
    pub async fn produce_block(self: &Arc<Self>) -> Result<Option<Head>, SequencerError> {
        let ready = {
            let executor = lock!(self.executor.read());
            let state = executor.state();
            lock!(self.mempool.lock()).ready(|a| state.nonce(a), self.config.max_block_txs)
        };
        if ready.is_empty() {
            return Ok(None);
        }
        let parent = self.head();
        let env =
            BlockEnvInput { number: parent.header.number + 1, timestamp: now_secs().max(parent.header.timestamp) };
        let node = self.clone();
        let txs: Vec<RecoveredTx> = ready.iter().map(|p| (*p.tx).clone()).collect();
        let (executed, senders) = tokio::task::spawn_blocking(move || {
            let mut executor = lock!(node.executor.write());
            let executed = executor.execute_block(env, &txs);
            let senders: HashSet<Address> = txs.iter().map(|t| t.sender).collect();
            (executed, senders)
        })
        .await
        .map_err(|e| SequencerError::Task(e.to_string()))?;

        let mut included = Vec::with_capacity(ready.len());
        let mut rejected = Vec::new();
        let mut bloom = Bloom::ZERO;
        for (entry, result) in ready.iter().zip(&executed.results) {
            match result {
                TxResult::Executed(out) => {
                    for log in &out.logs {
                        bloom.accrue_log(log);
                    }
                    included.push(IncludedTx {
                        hash: entry.tx.hash(),
                        raw: entry.raw.clone(),
                        sender: entry.tx.sender,
                        nonce: entry.tx.nonce(),
                        outcome: out.status,
                        gas_used: out.gas_used,
                        output: out.output.clone(),
                        logs: out.logs.iter().map(StoredLog::from).collect(),
                    });
                }
                TxResult::Invalid(reason) => {
                    warn!(target: "sequencer::block", hash = %entry.tx.hash(), %reason, "dropping a transaction that cannot execute");
                    rejected.push((entry.tx.hash(), reason.clone()));
                }
            }
        }
        let hashes: Vec<B256> = included.iter().map(|t| t.hash).collect();
        let header = BlockHeader {
            number: env.number,
            parent_hash: parent.hash,
            timestamp: env.timestamp,
            state_root: executed.state_root,
            transactions_root: transactions_root(&hashes),
            logs_bloom: bloom,
            gas_used: executed.gas_used,
        };
        let block = StoredBlock {
            hash: header.hash(),
            header,
            chunk_roots: executed.chunk_roots.clone(),
            tx_count: included.len() as u64,
        };
        // The executor has moved on: if the block cannot be stored the service must stop and
        // replay from the database on restart.
        self.store.commit_block(&block, &included, &rejected, now_millis()).await?;
        let head = Head { header: block.header.clone(), hash: block.hash };
        *lock!(self.head.write()) = head.clone();
        {
            let executor = lock!(self.executor.read());
            let state = executor.state();
            let mut mempool = lock!(self.mempool.lock());
            for (hash, _) in &rejected {
                mempool.remove(hash);
            }
            for sender in &senders {
                mempool.prune(sender, state.nonce(sender));
            }
        }
        info!(target: "sequencer::block", number = head.header.number, txs = included.len(), state_root = %head.header.state_root, "sealed block");
        Ok(Some(head))
    }

    /// Produces blocks every `block_time` until `cancel` fires.
    pub async fn run_producer(self: Arc<Self>, cancel: CancellationToken) -> Result<(), SequencerError> {
        let mut interval = tokio::time::interval(self.config.block_time);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = interval.tick() => {}
            }
            self.produce_block().await?;
        }
        // Stop accepting, then seal what was acknowledged so far.
        self.accepting.cancel();
        while self.produce_block().await?.is_some() {}
        Ok(())
    }
}

/// Re-executes every stored block on top of genesis, checking each state root.
async fn replay(store: &Store, executor: &mut Executor, chain: &ChainConfig) -> Result<Head, SequencerError> {
    const PAGE: u64 = 256;
    let genesis = store.block(0).await?.ok_or_else(|| StoreError::Corrupt("no genesis block".into()))?;
    let mut head = Head { header: genesis.header, hash: genesis.hash };
    loop {
        let blocks = store.blocks_from(head.header.number + 1, PAGE).await?;
        let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else { break };
        let raws = store.block_transactions(first.header.number, last.header.number).await?;
        for block in &blocks {
            let n = block.header.number;
            let txs: Vec<RecoveredTx> = raws
                .iter()
                .filter(|(b, _)| *b == n)
                .map(|(_, raw)| RecoveredTx::from_raw(raw, chain))
                .collect::<Result<_, _>>()
                .map_err(|e| StoreError::Corrupt(format!("block {n} holds an invalid transaction: {e}")))?;
            let executed = executor.execute_block(BlockEnvInput { number: n, timestamp: block.header.timestamp }, &txs);
            if executed.state_root != block.header.state_root || executed.chunk_roots != block.chunk_roots {
                return Err(SequencerError::ReplayMismatch {
                    number: n,
                    computed: executed.state_root,
                    stored: block.header.state_root,
                });
            }
            head = Head { header: block.header.clone(), hash: block.hash };
        }
    }
    Ok(head)
}
