#![doc = include_str!("../README.md")]

pub mod blob_cpu;
mod error;
pub mod fault;
pub mod l1_price;
pub mod lease;
pub mod limits;
mod post;
pub mod queue;
mod txmgr;

pub use error::BatcherError;
pub use limits::{L1Limits, PostCapacity};
pub use queue::{QueueReader, QueueReaderConfig};
pub use rollup_l1::InboxParams;
pub use txmgr::TxManagerConfig;

use alloy::{
    consensus::TxEnvelope,
    eips::{eip2718::Decodable2718, eip4844::env_settings::EnvKzgSettings},
    network::TransactionBuilder,
    providers::{DynProvider, Provider},
    rpc::types::{Filter, TransactionReceipt, TransactionRequest},
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolEvent};
use post::{Built, PostedCall};
use rollup_chain_store::{BatchRecord, L1TxRecord, L1TxStatus, PostLimitsRecord, Store};
use rollup_l1::account::AccountCode;
use rollup_types::{
    ChainConfig,
    bindings::BatchInbox,
    blob::{self, KzgHint},
    codec::MAX_BATCH_BYTES,
    status::{BatcherState, BatcherStatus, InFlightPost, PostLimits},
};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};
use txmgr::{Chase, NewPost, Post, Progress, TxManager};

/// Configuration of the batcher.
#[derive(Clone, Debug)]
pub struct BatcherConfig {
    /// L1 JSON-RPC URL.
    pub l1_rpc: url::Url,
    /// Batch inbox address.
    pub inbox: Address,
    /// Private key of the authorised batcher account.
    pub key: B256,
    /// Chain parameters (must match the inbox's).
    pub chain: ChainConfig,
    /// How often to look for new blocks to post.
    pub interval: Duration,
    /// Most L2 blocks in one batch (at most the codec's 256, `codec::MAX_BATCH_BLOCKS`).
    pub max_blocks: u64,
    /// Largest batch data of a calldata post, in bytes (less where the L1's gas limit binds
    /// first: [`PostCapacity`]), at most the inbox's 120,000 (`codec::MAX_BATCH_BYTES`), which
    /// keeps a post under the 128 KiB that L1 mempools take for one transaction.
    pub max_bytes: usize,
    /// Fees, fee bumps, confirmations and posts in flight.
    pub txmgr: TxManagerConfig,
    /// Where the batch data goes.
    pub da: DaMode,
    /// Most cores the blob posts' KZG work may take on average with `--da auto`, which spends
    /// on it only what the machine leaves idle; posts beyond it go in calldata ([`blob_cpu`];
    /// by default [`blob_cpu::default_cores`]; infinite: no bound, idle or not).
    pub blob_cores: f64,
    /// Most blob batches one post carries, each in its own blob (`postBatchesBlobs`); at most
    /// the L1's blobs per transaction and per block ([`limits::MAX_BLOBS_PER_TX`], the node's
    /// blob schedule). One post of six blobs pays one transaction's fixed L1 gas and stake
    /// checks where six posts pay six.
    pub blobs_per_post: usize,
    /// Most blobs of this chain's posts in flight at once: the share of each L1 block's blob
    /// room the chain means to use (within the node's blob schedule, `eth_config`'s maximum).
    /// With `--da blobs` a round posts blob batches while the blobs in flight leave room, and
    /// waits for the L1 to mine them when they do not; with `--da auto` the batches beyond it
    /// go in calldata.
    pub blobs_per_block: usize,
    /// A fault to inject into the first batch that can carry it (testing only).
    pub fault: Option<fault::Fault>,
    /// How the bridge's queue is read (when the inbox has a bridge).
    pub queue: QueueReaderConfig,
}

/// Where batch data is posted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DaMode {
    /// In the calldata of the post.
    Calldata,
    /// In an EIP-4844 blob of the post, with the data's segment hashes in its calldata
    /// (docs/fraud-proofs.md §8).
    Blobs,
    /// A blob when it costs less than calldata at the current fees, the L1 block has blob
    /// room for it and the machine's idle CPU has room for its KZG work ([`blob_cpu`]),
    /// calldata otherwise.
    #[default]
    Auto,
}

impl std::str::FromStr for DaMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "calldata" => Ok(Self::Calldata),
            "blobs" => Ok(Self::Blobs),
            "auto" => Ok(Self::Auto),
            other => Err(format!("unknown data availability mode {other:?}: expected calldata, blobs or auto")),
        }
    }
}

/// Reads what one post can carry on the L1 at `l1_rpc` for posts of at most `max_bytes`: what
/// a devnet needs to bound its sequencer's blocks before the batcher starts.
pub async fn read_capacity(l1_rpc: &url::Url, max_bytes: usize) -> Result<PostCapacity, BatcherError> {
    let limits = L1Limits::read(&rollup_l1::provider(l1_rpc)).await?;
    PostCapacity::new(limits, max_bytes.min(MAX_BATCH_BYTES)).ok_or(BatcherError::L1TooSmall(limits.block_gas_limit))
}

/// Posts sealed L2 blocks to the L1 inbox.
#[derive(Debug)]
pub struct Batcher {
    config: BatcherConfig,
    store: Store,
    provider: DynProvider,
    /// The stake the inbox requires, and whether the batcher checked it holds it since the last
    /// rollback (a proven fraud slashes it).
    stake: U256,
    stake_checked: std::sync::atomic::AtomicBool,
    genesis_root: B256,
    txmgr: TxManager,
    status: watch::Sender<BatcherStatus>,
    /// What one post carries, as last read from the L1.
    capacity: Mutex<PostCapacity>,
    /// The fault still to inject, and whether posting is held (testing only).
    fault: fault::FaultSwitch,
    /// What each post in flight says of each batch it posts, by the hash of its attempt with
    /// signed bytes (read from those bytes once, not every round).
    calls: Mutex<HashMap<B256, Arc<Vec<PostedCall>>>>,
    /// The first attempts of the blob posts this process signed that may still be in flight,
    /// with their blobs: what `--batcher.da auto` counts against the L1 block's blob room.
    blob_posts: Mutex<HashMap<B256, usize>>,
    /// Whether the posts in flight at start were looked at for blob posts (signed before a
    /// restart: their stored bytes say).
    blob_posts_loaded: std::sync::atomic::AtomicBool,
    /// Whether the posts in flight at start were counted into the share of batches in calldata
    /// (by the first round that builds posts).
    in_flight_counted: std::sync::atomic::AtomicBool,
    /// Reads the bridge's queue into the chain database (`None`: the inbox has no bridge).
    queue: Option<QueueReader>,
    /// The CPU the blob posts' KZG work may take.
    blob_cpu: Arc<blob_cpu::BlobCpu>,
}

/// The mined posts a round collects before recording them.
#[derive(Debug, Default)]
struct Mined {
    /// Their records, in order, with the gas the post of each used (a post of several blob
    /// batches: that of the whole post, for each).
    records: Vec<(BatchRecord, u64)>,
    /// The last one recorded.
    last: Option<BatchRecord>,
    /// Timestamps of the L1 blocks holding them.
    timestamps: HashMap<u64, u64>,
}

/// Recovers a lock's data even if a panicking thread poisoned it (each critical section here
/// only copies a value in or out).
fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl From<&PostCapacity> for PostLimits {
    fn from(c: &PostCapacity) -> Self {
        Self {
            l1_block_gas_limit: c.l1.block_gas_limit,
            l1_tx_gas_cap: c.l1.tx_gas_cap,
            post_gas: c.post_gas,
            max_post_bytes: c.max_post_bytes as u64,
            max_block_bytes: c.max_block_bytes as u64,
        }
    }
}

impl Batcher {
    /// Connects to the L1, checks the inbox matches this chain, and reads what one post can
    /// carry on it (recorded in the chain database for the sequencer).
    pub async fn new(config: BatcherConfig, store: Store) -> Result<Self, BatcherError> {
        let (provider, wallet, address) = rollup_l1::signing_provider(&config.l1_rpc, &config.key)?;
        let params = rollup_l1::inbox::params(&provider, config.inbox).await?;
        if params.batcher != address {
            return Err(BatcherError::Config(format!(
                "the inbox accepts batches from {}, this key is {address}",
                params.batcher
            )));
        }
        if params.l2_chain_id != config.chain.chain_id || params.chunk_size != config.chain.chunk_size {
            return Err(BatcherError::Config(format!(
                "the inbox is for chain {} with chunks of {}, this chain is {} with chunks of {}",
                params.l2_chain_id, params.chunk_size, config.chain.chain_id, config.chain.chunk_size
            )));
        }
        let genesis = store.block(0).await?.map(|b| b.header.state_root);
        if genesis != Some(params.genesis_state_root) {
            return Err(BatcherError::Config(format!(
                "the inbox's genesis root is {}, the chain's is {genesis:?}",
                params.genesis_state_root
            )));
        }
        if config.da == DaMode::Calldata && config.fault == Some(fault::Fault::BlobMismatch) {
            return Err(BatcherError::Config(
                "--batcher.fault blob-mismatch needs blob posts (--batcher.da blobs)".into(),
            ));
        }
        // Loading the KZG trusted setup takes seconds: at start, not in the first post. What one
        // blob's work costs this machine is measured then too, for auto's CPU budget.
        let per_blob = if config.da == DaMode::Calldata {
            Duration::ZERO
        } else {
            let auto = config.da == DaMode::Auto;
            tokio::task::spawn_blocking(move || {
                EnvKzgSettings::Default.get();
                if auto { post::measure_blob_work() } else { Ok(Duration::ZERO) }
            })
            .await
            .map_err(|e| BatcherError::Config(format!("loading the KZG trusted setup failed: {e}")))??
        };
        let blob_cpu =
            Arc::new(blob_cpu::BlobCpu::of_this_machine(config.blob_cores, per_blob, std::time::Instant::now()));
        let limits = L1Limits::read(&provider).await?;
        let capacity = PostCapacity::new(limits, config.max_bytes.min(MAX_BATCH_BYTES))
            .ok_or(BatcherError::L1TooSmall(limits.block_gas_limit))?;
        let txmgr = TxManager::new(provider.clone(), wallet, address, store.clone(), config.txmgr).await?;
        let bridge = rollup_l1::inbox::bridge(&provider, config.inbox).await?;
        let queue = (!bridge.is_zero()).then(|| {
            QueueReader::new(
                provider.clone(),
                bridge,
                store.clone(),
                queue::QueueReaderConfig { da: config.da, ..config.queue },
            )
        });
        let last = store.latest_batch().await?;
        let status = watch::Sender::new(BatcherStatus {
            last_posted_batch: last.as_ref().map(|b| b.index),
            last_posted_l2_block: last.as_ref().map(|b| b.last_block),
            limits: Some(PostLimits::from(&capacity)),
            ..BatcherStatus::default()
        });
        let batcher = Self {
            fault: fault::FaultSwitch::new(config.fault),
            config,
            store,
            provider,
            stake: params.stake,
            stake_checked: std::sync::atomic::AtomicBool::new(false),
            genesis_root: params.genesis_state_root,
            txmgr,
            status,
            capacity: Mutex::new(capacity),
            calls: Mutex::new(HashMap::new()),
            blob_posts: Mutex::new(HashMap::new()),
            blob_posts_loaded: std::sync::atomic::AtomicBool::new(false),
            in_flight_counted: std::sync::atomic::AtomicBool::new(false),
            queue,
            blob_cpu,
        };
        batcher.record_limits(&capacity).await?;
        info!(
            target: "batcher",
            l1_block_gas_limit = limits.block_gas_limit,
            l1_tx_gas_cap = ?limits.tx_gas_cap,
            max_post_bytes = capacity.max_post_bytes,
            max_block_bytes = capacity.max_block_bytes,
            max_in_flight = batcher.config.txmgr.max_in_flight,
            da = ?batcher.config.da,
            blob_cores = batcher.config.blob_cores,
            blob_work_ms = per_blob.as_secs_f64() * 1e3,
            "batcher ready"
        );
        Ok(batcher)
    }

    /// Publishes the status through `sender` (created before the batcher, for a component
    /// started earlier) instead of its own channel.
    pub fn publish_to(mut self, sender: watch::Sender<BatcherStatus>) -> Self {
        sender.send_replace(self.status.borrow().clone());
        self.status = sender;
        self
    }

    /// What the batcher publishes about its posting.
    pub fn subscribe(&self) -> watch::Receiver<BatcherStatus> {
        self.status.subscribe()
    }

    /// What one post carries on the L1, as last read.
    pub fn capacity(&self) -> PostCapacity {
        *locked(&self.capacity)
    }

    /// Posts until `cancel` fires. Temporary failures are logged and retried; a fatal one
    /// stops the loop.
    pub async fn run(self, cancel: CancellationToken) -> Result<(), BatcherError> {
        let mut interval = tokio::time::interval(self.config.interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = interval.tick() => {}
            }
            match self.step().await {
                Ok(_) => {}
                Err(err) if err.is_fatal() => {
                    error!(target: "batcher", %err, "stopping");
                    return Err(err);
                }
                Err(err) if err.stalls() => {
                    error!(target: "batcher", %err, "posting is stalled until this is fixed; retrying");
                }
                Err(err) => warn!(target: "batcher", %err, "will retry"),
            }
        }
    }

    /// One round: read the L1's limits, follow the posts in flight (recording the mined ones),
    /// reconcile with the inbox (reorgs, rollbacks), track finality, and post the blocks
    /// waiting, as many posts as the room in flight allows. Returns the last batch whose post
    /// was recorded as mined in this round, if any.
    pub async fn step(&self) -> Result<Option<BatchRecord>, BatcherError> {
        let result = self.round().await;
        self.status.send_modify(|s| match &result {
            Err(err) if err.stalls() => {
                s.state = BatcherState::Stalled;
                s.last_error = Some(err.to_string());
            }
            Err(err) => s.last_error = Some(err.to_string()),
            Ok(_) => {}
        });
        result
    }

    async fn round(&self) -> Result<Option<BatchRecord>, BatcherError> {
        if let Some(queue) = &self.queue {
            queue.step().await?;
        }
        self.refresh_limits().await?;
        let mut mined = self.follow().await?;
        self.reconcile().await?;
        self.track_finality().await?;
        let sent = self.post_more().await;
        // On an L1 that mines at once (anvil's default), the posts are settled in this round.
        if matches!(sent, Ok(n) if n > 0)
            && let Some(record) = self.follow().await?
        {
            mined = Some(record);
        }
        self.publish_progress().await?;
        sent?;
        Ok(mined)
    }

    /// Reads the L1's block gas limit again; when what one post carries changes, records it
    /// for the sequencer and publishes it.
    async fn refresh_limits(&self) -> Result<(), BatcherError> {
        let current = self.capacity();
        let block = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(BatcherError::l1)?
            .ok_or_else(|| BatcherError::missing("a latest block"))?;
        if block.header.gas_limit == current.l1.block_gas_limit {
            return Ok(());
        }
        let limits = L1Limits { block_gas_limit: block.header.gas_limit, ..current.l1 };
        let capacity = PostCapacity::new(limits, self.config.max_bytes.min(MAX_BATCH_BYTES))
            .ok_or(BatcherError::L1TooSmall(limits.block_gas_limit))?;
        warn!(
            target: "batcher",
            from = current.l1.block_gas_limit,
            to = limits.block_gas_limit,
            max_post_bytes = capacity.max_post_bytes,
            max_block_bytes = capacity.max_block_bytes,
            "the L1's block gas limit changed"
        );
        *locked(&self.capacity) = capacity;
        self.record_limits(&capacity).await?;
        self.status.send_modify(|s| s.limits = Some(PostLimits::from(&capacity)));
        Ok(())
    }

    async fn record_limits(&self, capacity: &PostCapacity) -> Result<(), BatcherError> {
        self.store
            .record_post_limits(&PostLimitsRecord {
                max_block_bytes: capacity.max_block_bytes as u64,
                max_post_bytes: capacity.max_post_bytes as u64,
                post_gas: capacity.post_gas,
                l1_block_gas_limit: capacity.l1.block_gas_limit,
                l1_tx_gas_cap: capacity.l1.tx_gas_cap,
                updated_at: txmgr::now_ms(),
            })
            .await?;
        Ok(())
    }

    /// Follows every post in flight, in nonce order: records the mined ones (each after its
    /// predecessor, all of a round with one commit), re-broadcasts or bumps the waiting ones.
    /// Returns the last batch recorded.
    async fn follow(&self) -> Result<Option<BatchRecord>, BatcherError> {
        let mut posts = self.txmgr.in_flight().await?;
        self.keep_calls_of(&posts);
        if posts.is_empty() {
            return Ok(None);
        }
        let nonces = self.txmgr.nonces().await?;
        if self.txmgr.gap_lasted(nonces, posts[0].nonce) {
            self.fill_nonce_gap(nonces.mined, posts[0].nonce).await?;
        }
        // The node is asked about every post at once: one at a time, a round under load waits
        // for each answer in turn.
        let receipts = self.txmgr.receipts(&posts).await?;
        let mut mined = Mined::default();
        // Posts are mined in nonce order; one seen mined before an earlier one is recorded next
        // round (a node can serve receipts of one block a moment apart).
        let mut in_order = true;
        for (post, receipt) in posts.iter_mut().zip(receipts) {
            let (progress, chase) = match self.txmgr.progress(post, nonces, receipt).await {
                Ok(found) => found,
                Err(err) => {
                    self.record_mined(&mut mined).await?;
                    return Err(err);
                }
            };
            match chase {
                Chase::None => {}
                Chase::Bumped => self.status.send_modify(|s| s.fee_bumps += 1),
                Chase::Rebroadcast => self.status.send_modify(|s| s.rebroadcasts += 1),
            }
            match progress {
                Progress::Waiting => in_order = false,
                Progress::Mined(attempt, receipt) => {
                    if !in_order {
                        continue;
                    }
                    if !self.mined_records(post, &attempt, &receipt, &mut mined).await? {
                        in_order = false;
                    }
                }
                Progress::Reverted(attempt, receipt) => {
                    // What was mined before it stands.
                    let recorded = self.record_mined(&mut mined).await?;
                    warn!(target: "batcher", index = post.index, tx = %attempt.tx_hash, gas_used = receipt.gas_used, "a post reverted");
                    self.store.settle_pending_l1_txs(post.index, L1TxStatus::Reverted).await?;
                    // The posts after it build on it: none of them can succeed any more.
                    let doomed = self.store.settle_pending_l1_txs_from(post.index + 1, L1TxStatus::Dropped).await?;
                    self.status.send_modify(|s| s.reverted_posts += 1);
                    // A reorg may have taken the stake out from under it: checked again first.
                    self.stake_checked.store(false, std::sync::atomic::Ordering::Relaxed);
                    let on_l1 = self.batch_count().await?;
                    if on_l1 < post.index {
                        // The inbox lost the batch this post built on (a reorg or a fraud
                        // proof): expected, and repaired by the reconciliation.
                        warn!(target: "batcher", index = post.index, on_l1, doomed, tx = %attempt.tx_hash, "a post reverted because L1 no longer holds its predecessor; posting again from L1's state");
                        return Ok(recorded);
                    }
                    return Err(BatcherError::Reverted { index: post.index, tx: receipt.transaction_hash });
                }
                Progress::NonceTaken => {
                    warn!(target: "batcher", index = post.index, nonce = post.nonce, "the post's nonce was used by another transaction; L1 decides what was posted");
                    self.store.settle_pending_l1_txs(post.index, L1TxStatus::Dropped).await?;
                }
            }
        }
        self.record_mined(&mut mined).await
    }

    /// Records the mined posts collected (one commit) and publishes them; returns the last.
    async fn record_mined(&self, mined: &mut Mined) -> Result<Option<BatchRecord>, BatcherError> {
        if mined.records.is_empty() {
            return Ok(None);
        }
        let records: Vec<BatchRecord> = mined.records.iter().map(|(r, _)| r.clone()).collect();
        self.store.record_mined_posts(&records).await?;
        for (record, gas) in mined.records.drain(..) {
            self.status.send_modify(|s| {
                s.last_posted_batch = Some(record.index);
                s.last_posted_l2_block = Some(record.last_block);
                s.batches_posted += 1;
                s.state = BatcherState::Running;
                s.last_error = None;
            });
            info!(
                target: "batcher",
                index = record.index,
                blocks = %format!("{}..={}", record.first_block, record.last_block),
                bytes = record.data_len,
                chunks = record.chunk_count,
                l1_tx = %record.l1_tx_hash,
                l1_block = record.l1_block,
                gas,
                state_root = %record.state_root,
                "batch posted"
            );
            mined.last = Some(record);
        }
        Ok(mined.last.clone())
    }

    /// Adds the records of the batches of a mined post, from its signed call, to `mined`;
    /// `false` (nothing added) while its predecessor is not recorded yet (in the database or
    /// among the posts of this round in `mined`).
    async fn mined_records(
        &self,
        post: &Post,
        attempt: &L1TxRecord,
        receipt: &TransactionReceipt,
        mined: &mut Mined,
    ) -> Result<bool, BatcherError> {
        let calls = self.posted_calls(post).await?;
        let mut previous = match post.index {
            0 => 0,
            index => {
                let before = match mined.records.last() {
                    Some((record, _)) => Some(record.clone()),
                    None => self.store.latest_batch().await?,
                };
                match before {
                    Some(b) if b.index + 1 == index => b.last_block,
                    _ => return Ok(false),
                }
            }
        };
        let l1_block = receipt.block_number.ok_or_else(|| {
            BatcherError::missing(format!("the block number of the receipt of {}", receipt.transaction_hash))
        })?;
        // Several posts of a round share an L1 block: its timestamp is read once.
        let posted_at = match mined.timestamps.get(&l1_block) {
            Some(t) => *t,
            None => {
                let t = self.block_timestamp(l1_block).await?;
                mined.timestamps.insert(l1_block, t);
                t
            }
        };
        for (index, call) in (post.index..).zip(calls.iter()) {
            let record = BatchRecord {
                index,
                first_block: previous + 1,
                last_block: call.last_block,
                state_root: call.state_root,
                data_hash: call.data_hash,
                data_len: call.data_len,
                chunk_count: call.chunk_count,
                l1_tx_hash: attempt.tx_hash,
                l1_block,
                l1_block_hash: receipt.block_hash,
                posted_at,
                finalized: false,
            };
            previous = call.last_block;
            mined.records.push((record, receipt.gas_used));
        }
        Ok(true)
    }

    /// What a post in flight says of each batch it posts (in order, the first being
    /// `post.index`): remembered from its signing, or decoded from its stored signed bytes.
    async fn posted_calls(&self, post: &Post) -> Result<Arc<Vec<PostedCall>>, BatcherError> {
        if let Some(call) = post.signed.and_then(|hash| locked(&self.calls).get(&hash).cloned()) {
            return Ok(call);
        }
        let signed = self.txmgr.signed(post).await?;
        let tx = TxEnvelope::decode_2718(&mut signed.raw.as_slice()).map_err(|e| {
            BatcherError::Inconsistent(format!("stored L1 transaction {} is corrupt: {e}", signed.tx_hash))
        })?;
        let call = PostedCall::decode(alloy::consensus::Transaction::input(&tx))
            .map_err(|e| BatcherError::Inconsistent(format!("stored post {} does not decode: {e}", signed.tx_hash)))?;
        if call.is_empty() {
            return Err(BatcherError::Inconsistent(format!("stored post {} posts no batch", signed.tx_hash)));
        }
        let call = Arc::new(call);
        locked(&self.calls).insert(signed.tx_hash, call.clone());
        Ok(call)
    }

    /// Forgets the calls and blob marks of posts no longer in flight.
    fn keep_calls_of(&self, posts: &[Post]) {
        locked(&self.calls).retain(|hash, _| posts.iter().any(|p| p.signed == Some(*hash)));
        locked(&self.blob_posts).retain(|hash, _| posts.iter().any(|p| p.attempts[0].tx_hash == *hash));
    }

    /// The blobs each of `posts` (in flight) carries: none for a calldata post. At the first
    /// call, the posts signed before a restart are marked from their stored bytes (an EIP-4844
    /// transaction, with a blob per batch).
    async fn blob_posts_in(&self, posts: &[Post]) -> Result<Vec<usize>, BatcherError> {
        if !self.blob_posts_loaded.swap(true, std::sync::atomic::Ordering::Relaxed) {
            for post in posts {
                let signed = self.txmgr.signed(post).await?;
                if signed.raw.first() == Some(&alloy::eips::eip2718::EIP4844_TX_TYPE_ID) {
                    let blobs = self.posted_calls(post).await?.len();
                    locked(&self.blob_posts).insert(post.attempts[0].tx_hash, blobs);
                }
            }
        }
        let marked = locked(&self.blob_posts);
        Ok(posts.iter().map(|p| marked.get(&p.attempts[0].tx_hash).copied().unwrap_or(0)).collect())
    }

    async fn batch_count(&self) -> Result<u64, BatcherError> {
        Ok(rollup_l1::view_at(
            &self.provider,
            self.config.inbox,
            BatchInbox::batchCountCall {},
            alloy::eips::BlockNumberOrTag::Latest.into(),
        )
        .await?
        .saturating_to())
    }

    /// Brings the local record in line with the inbox. Batches on L1 but not recorded (a crash
    /// between a post being mined and its record) are recorded. Recorded batches no longer on
    /// L1 are forgotten: after a reorg their posts go out again as they were signed (same
    /// nonces, same bytes); after a fraud proof the posts in flight behind them can no longer
    /// succeed and posting resumes from the inbox's state.
    async fn reconcile(&self) -> Result<(), BatcherError> {
        let on_l1 = self.batch_count().await?;
        let recorded = self.store.latest_batch().await?.map_or(0, |b| b.index + 1);
        if on_l1 < recorded {
            let mut reorged = Vec::new();
            let mut rolled_back = false;
            for index in on_l1..recorded {
                if let Some(batch) = self.store.batch(index).await? {
                    // Still mined and successful: the inbox removed it (a fraud proof). Gone, or
                    // re-mined where it reverted: a reorg took it out.
                    // (The batches of one post share its transaction: sent again once.)
                    if reorged.last() == Some(&batch.l1_tx_hash) {
                        continue;
                    }
                    if self.txmgr.mined_ok(batch.l1_tx_hash).await? {
                        rolled_back = true;
                    } else {
                        reorged.push(batch.l1_tx_hash);
                    }
                }
            }
            let dropped = self.store.drop_batches_from(on_l1).await?;
            if rolled_back {
                let doomed = self.store.settle_pending_l1_txs_from(on_l1, L1TxStatus::Dropped).await?;
                warn!(target: "batcher", from = on_l1, dropped, doomed, "the inbox rolled batches back; posting again from its state");
                // A proven fraud slashed the stake: top it up before the next post.
                self.stake_checked.store(false, std::sync::atomic::Ordering::Relaxed);
            } else {
                for hash in reorged {
                    self.send_again(hash).await?;
                }
                warn!(target: "batcher", from = on_l1, dropped, "batches fell out of L1 in a reorg; their posts go out again");
            }
            let last = self.store.latest_batch().await?;
            self.status.send_modify(|s| {
                s.reorged_batches += dropped;
                s.last_posted_batch = last.as_ref().map(|b| b.index);
                s.last_posted_l2_block = last.as_ref().map(|b| b.last_block);
            });
            return Ok(());
        }
        // Batches whose posts are in flight are recorded by `follow` from their receipts (next
        // round, if they were mined after this round followed them); only others are read back.
        let in_flight: Vec<u64> = self.txmgr.in_flight().await?.iter().map(|p| p.index).collect();
        for index in recorded..on_l1 {
            if in_flight.contains(&index) {
                break;
            }
            let record = self.read_posted(index).await?;
            warn!(target: "batcher", index, l1_tx = %record.l1_tx_hash, "recorded a batch found on L1");
            self.store.record_mined_post(&record).await?;
            self.status.send_modify(|s| {
                s.last_posted_batch = Some(record.index);
                s.last_posted_l2_block = Some(record.last_block);
            });
        }
        self.check_recent_posts().await
    }

    /// Checks that the posts of the batches not yet `confirmations` deep are still in the
    /// blocks they were recorded in, newest block first: a block that is still canonical
    /// vouches for everything before it. A post that moved is followed to its new block; one
    /// that vanished means a reorg, handled by forgetting that batch and the later ones.
    async fn check_recent_posts(&self) -> Result<(), BatcherError> {
        let head = self.provider.get_block_number().await.map_err(BatcherError::l1)?;
        let depth = self.txmgr.config.confirmations;
        let Some(last) = self.store.latest_batch().await? else { return Ok(()) };
        let mut index = last.index;
        let mut checked_block: Option<(u64, bool)> = None;
        loop {
            let Some(batch) = self.store.batch(index).await? else { break };
            if batch.l1_block + depth <= head {
                break;
            }
            let canonical = match checked_block {
                Some((number, canonical)) if number == batch.l1_block => canonical,
                _ => {
                    let canonical = match batch.l1_block_hash {
                        Some(hash) => self.block_hash(batch.l1_block).await? == Some(hash),
                        None => false,
                    };
                    checked_block = Some((batch.l1_block, canonical));
                    canonical
                }
            };
            if canonical {
                break;
            }
            let receipt = self.provider.get_transaction_receipt(batch.l1_tx_hash).await.map_err(BatcherError::l1)?;
            match receipt.as_ref().and_then(|r| Some((r.block_number?, r.block_hash?))) {
                Some((block, hash)) if block == batch.l1_block && Some(hash) == batch.l1_block_hash => {}
                // Re-mined in another block by the reorg: still posted, now there.
                Some((block, hash)) => {
                    let posted_at = self.block_timestamp(block).await?;
                    self.store.move_batch(index, block, hash, posted_at).await?;
                    if block != batch.l1_block {
                        warn!(target: "batcher", index, from = batch.l1_block, to = block, "a reorg moved a post to another L1 block");
                    }
                }
                None => {
                    let dropped = self.store.drop_batches_from(index).await?;
                    self.send_again(batch.l1_tx_hash).await?;
                    warn!(target: "batcher", from = index, dropped, "a recent post left L1 in a reorg; it goes out again");
                    let last = self.store.latest_batch().await?;
                    self.status.send_modify(|s| {
                        s.reorged_batches += dropped;
                        s.last_posted_batch = last.as_ref().map(|b| b.index);
                        s.last_posted_l2_block = last.as_ref().map(|b| b.last_block);
                    });
                }
            }
            if index == 0 {
                break;
            }
            index -= 1;
        }
        Ok(())
    }

    /// A post a reorg took out of L1 is in flight again, and goes out again at once as it was
    /// signed (the node may still hold it: then nothing changes).
    async fn send_again(&self, hash: B256) -> Result<(), BatcherError> {
        self.store.set_l1_tx_status(hash, L1TxStatus::Pending).await?;
        if let Some(attempt) = self.store.l1_tx(hash).await?.filter(|a| !a.raw.is_empty()) {
            match self.txmgr.broadcast(&attempt).await {
                Ok(()) => self.status.send_modify(|s| s.rebroadcasts += 1),
                // Followed like any post in flight: re-broadcast later if the node still lacks it.
                Err(err) => warn!(target: "batcher", tx = %hash, %err, "could not send a post again yet"),
            }
        }
        Ok(())
    }

    async fn block_hash(&self, number: u64) -> Result<Option<B256>, BatcherError> {
        let block = self.provider.get_block_by_number(number.into()).await.map_err(BatcherError::l1)?;
        Ok(block.map(|b| b.header.hash))
    }

    async fn read_posted(&self, index: u64) -> Result<BatchRecord, BatcherError> {
        let filter = Filter::new()
            .address(self.config.inbox)
            .event_signature(BatchInbox::BatchPosted::SIGNATURE_HASH)
            .topic1(B256::from(U256::from(index)))
            .from_block(0);
        let logs = self.provider.get_logs(&filter).await.map_err(BatcherError::l1)?;
        let log =
            // The count and the logs can be a moment apart on a node: retried next round.
            logs.last().ok_or_else(|| BatcherError::missing(format!("a BatchPosted event for batch {index} yet")))?;
        let event = BatchInbox::BatchPosted::decode_log_data(&log.inner.data).map_err(BatcherError::l1)?;
        let tx_hash = log
            .transaction_hash
            .ok_or_else(|| BatcherError::missing(format!("the transaction of the BatchPosted log of batch {index}")))?;
        let tx = self
            .provider
            .get_transaction_by_hash(tx_hash)
            .await
            .map_err(BatcherError::l1)?
            .ok_or_else(|| BatcherError::missing(format!("L1 transaction {tx_hash}")))?;
        let call =
            rollup_l1::inbox::PostCall::decode_batch(alloy::consensus::Transaction::input(tx.inner.inner()), index)
                .map_err(BatcherError::l1)?
                .map(PostedCall::of)
                .ok_or_else(|| {
                    BatcherError::Inconsistent(format!("L1 transaction {tx_hash} does not post batch {index}"))
                })?;
        let previous = if index == 0 { 0 } else { self.store.latest_batch().await?.map_or(0, |b| b.last_block) };
        let l1_block = log
            .block_number
            .ok_or_else(|| BatcherError::missing(format!("the block of the BatchPosted log of batch {index}")))?;
        Ok(BatchRecord {
            index,
            first_block: previous + 1,
            last_block: event.lastL2Block,
            state_root: event.stateRoot,
            data_hash: event.dataHash,
            data_len: call.data_len,
            chunk_count: u64::from(event.chunkCount),
            l1_tx_hash: tx_hash,
            l1_block,
            l1_block_hash: log.block_hash,
            posted_at: self.block_timestamp(l1_block).await?,
            finalized: false,
        })
    }

    async fn block_timestamp(&self, number: u64) -> Result<u64, BatcherError> {
        let block = self
            .provider
            .get_block_by_number(number.into())
            .await
            .map_err(BatcherError::l1)?
            .ok_or_else(|| BatcherError::missing(format!("L1 block {number}")))?;
        Ok(block.header.timestamp)
    }

    async fn track_finality(&self) -> Result<(), BatcherError> {
        while let Some(batch) = self.store.oldest_unfinalized_batch().await? {
            let call = BatchInbox::isFinalizedCall { index: U256::from(batch.index) };
            if !rollup_l1::view(&self.provider, self.config.inbox, call).await? {
                break;
            }
            info!(target: "batcher", index = batch.index, "batch finalized");
            self.store.mark_finalized(batch.index).await?;
        }
        Ok(())
    }

    /// Checks that the batcher's stake covers what the inbox requires (at the start, and after a
    /// rollback: a proven fraud slashes one stake), and stakes what it lacks from the batcher's
    /// account. The top-up waits until no post is in flight, so that its transaction takes no
    /// nonce a post was signed with: `Ok(false)` until then.
    async fn ensure_stake(&self, in_flight: &[txmgr::Post]) -> Result<bool, BatcherError> {
        let staked = rollup_l1::view(&self.provider, self.config.inbox, BatchInbox::stakedCall {}).await?;
        if staked < self.stake {
            if !in_flight.is_empty() {
                return Ok(false);
            }
            let top_up = self.stake - staked;
            info!(target: "batcher", %staked, required = %self.stake, %top_up, "staking for the batcher");
            rollup_l1::deploy::stake(&self.provider, self.config.inbox, top_up).await?;
        }
        self.stake_checked.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(true)
    }

    /// Whether the batcher's account carries no code, so that the inbox takes its posts
    /// (`NotDirectPost`, docs/fraud-proofs.md §1.1). An EIP-7702 delegation (set by anyone
    /// holding the key) is cleared by a transaction authorizing the zero address, once no post
    /// is in flight (they would revert); until then nothing is posted. Contract code at the
    /// account cannot be cleared: posting stops.
    async fn account_without_code(&self, in_flight: &[txmgr::Post]) -> Result<bool, BatcherError> {
        let address = self.txmgr.address();
        match rollup_l1::account::account_code(&self.provider, address).await? {
            AccountCode::None => Ok(true),
            AccountCode::Contract(size) => Err(BatcherError::Config(format!(
                "the batcher account {address} carries {size} bytes of contract code: the inbox takes posts only \
                 from an account without code"
            ))),
            AccountCode::Delegated(_) if !in_flight.is_empty() => Ok(false),
            AccountCode::Delegated(delegate) => {
                error!(target: "batcher", %address, %delegate, "the batcher account carries an EIP-7702 delegation, and the inbox takes posts only from an account without code; clearing it");
                let receipt = rollup_l1::account::send_delegated(
                    &self.provider,
                    &self.config.key,
                    Address::ZERO,
                    address,
                    Bytes::new(),
                    None,
                )
                .await?;
                self.status.send_modify(|s| s.delegations_cleared += 1);
                info!(target: "batcher", tx = %receipt.transaction_hash, "the batcher account's delegation is cleared");
                Ok(false)
            }
        }
    }

    /// Fills the nonces `from..to` below the first post in flight, which the L1 has not mined
    /// and no post holds: a reorg took out the transaction that used them, the stake (docs/
    /// batcher.md §2, "Nonce gap"). The first is filled with the stake the inbox lacks, if it
    /// lacks any; the others, and the first when nothing is lacking, with an empty transfer to
    /// the batcher itself. Then the posts behind them can be mined.
    async fn fill_nonce_gap(&self, from: u64, to: u64) -> Result<(), BatcherError> {
        let staked = rollup_l1::view(&self.provider, self.config.inbox, BatchInbox::stakedCall {}).await?;
        let mut lacking = self.stake.saturating_sub(staked);
        for nonce in from..to {
            if lacking.is_zero() {
                let request = TransactionRequest::default().with_to(self.txmgr.address()).with_value(U256::ZERO);
                self.txmgr.fill(nonce, request, "an empty transfer").await?;
            } else {
                let request = TransactionRequest::default()
                    .with_to(self.config.inbox)
                    .with_input(BatchInbox::stakeCall {}.abi_encode())
                    .with_value(lacking);
                self.txmgr.fill(nonce, request, "the stake").await?;
                lacking = U256::ZERO;
            }
        }
        Ok(())
    }

    /// Posts the blocks waiting after the newest post (in flight or recorded), one post after
    /// the other on consecutive nonces, until the room in flight is used or nothing waits.
    /// Returns how many posts went out.
    async fn post_more(&self) -> Result<usize, BatcherError> {
        let in_flight = self.txmgr.in_flight().await?;
        let room = self.config.txmgr.max_in_flight.saturating_sub(in_flight.len());
        if room == 0 || self.fault.held() {
            return Ok(0);
        }
        if !self.account_without_code(&in_flight).await? {
            return Ok(0);
        }
        if !self.stake_checked.load(std::sync::atomic::Ordering::Relaxed) && !self.ensure_stake(&in_flight).await? {
            return Ok(0);
        }
        // A post whose nonce the account already used without it (it is being lost to another
        // transaction, section 2 "Nonce taken"): nothing is stacked on a batch that cannot land.
        let mined_nonce = self.txmgr.mined_nonce().await?;
        if in_flight.iter().any(|p| p.nonce < mined_nonce) {
            return Ok(0);
        }
        // What the next post builds on: the newest post in flight, or the last recorded batch.
        let last_recorded = self.store.latest_batch().await?;
        let (mut index, mut after, mut prev_root) = match (in_flight.last(), &last_recorded) {
            (Some(post), _) => {
                let calls = self.posted_calls(post).await?;
                let last = calls.last().ok_or_else(|| {
                    BatcherError::Inconsistent(format!("the post of batch {} posts no batch", post.index))
                })?;
                (post.index + calls.len() as u64, last.last_block, last.state_root)
            }
            (None, Some(b)) => (b.index + 1, b.last_block, b.state_root),
            (None, None) => (0, 0, self.genesis_root),
        };
        let Some(mut nonce) = self.txmgr.next_nonce(&in_flight, last_recorded.map(|b| b.l1_tx_hash)).await? else {
            return Ok(0);
        };
        let capacity = self.capacity();
        // Blobs of the posts in flight, signed this round or before (they may share the next L1
        // block with this one).
        // A batcher's first round also counts the posts in flight into the share of posts in
        // calldata (signed before a restart: `blob_posts_in` reads their kinds back now).
        let first_round = !self.in_flight_counted.swap(true, std::sync::atomic::Ordering::Relaxed);
        let blob_posts = self.blob_posts_in(&in_flight).await?;
        let mut blobs_in_flight: usize = blob_posts.iter().sum();
        // The L1 gas the calldata posts in flight take (the round's added as they are built).
        let mut calldata_gas = 0;
        if self.config.da == DaMode::Auto {
            for (post, _) in in_flight.iter().zip(&blob_posts).filter(|(_, blobs)| **blobs == 0) {
                for call in self.posted_calls(post).await?.iter() {
                    calldata_gas += limits::post_gas_bound(call.data_len as usize, call.chunk_count as usize);
                }
            }
        }
        let blobs_per_post = self.blobs_per_post(&capacity);
        // Read once a round: what the posts of the round may spend, and their fees.
        let mut balance = None;
        let mut fees: [Option<txmgr::Fees>; 2] = [None, None];
        let mut signed = Vec::new();
        let mut waiting = post::Waiting::after(&self.store, after);
        // Batches are built first, each blob batch's KZG commitment and proof started on a
        // blocking thread as soon as it is built (they run side by side, on every core, while the
        // next batches are built), consecutive blob batches gathered into one post of up to
        // `blobs_per_post` blobs; then the posts are signed in order (nothing leaves the process),
        // stored with one commit and sent in order. An error stops the round, not what was
        // signed before it.
        let mut posts: Vec<Vec<Prepared>> = Vec::new();
        let built: Result<(), BatcherError> = async {
            loop {
                // Room for another batch: in a new post, or as the next blob of the round's last
                // post. (With `--da auto` a batch may turn out a calldata post, which needs
                // room of its own: only posts with room are filled.)
                let open = posts.last().is_some_and(|p| p[0].kzg.is_some() && p.len() < blobs_per_post);
                if posts.len() >= room && !(open && self.config.da == DaMode::Blobs) {
                    break;
                }
                // The blob room of the L1 blocks to come is taken: the rest waits for them.
                if self.config.da == DaMode::Blobs && blobs_in_flight >= self.blob_room(&capacity) {
                    break;
                }
                let packing = post::Packing {
                    chain: self.config.chain,
                    capacity,
                    max_blocks: self.config.max_blocks,
                    blobs: self.config.da == DaMode::Blobs,
                };
                let Some(mut built) = waiting.build(packing, post::Next { index, after, prev_root }).await? else {
                    break;
                };
                let last_block = built.last_block();
                self.inject_fault(&mut built, index).await;
                let state_root = built.state_root(prev_root);
                // A blob the fault injection wrote is a blob whatever the budget holds.
                let blob_work = if built.blob_data.is_some() || built.blob_roots.is_some() {
                    Some(self.blob_cpu.force(std::time::Instant::now()))
                } else {
                    self.use_blobs(&built, blobs_in_flight, calldata_gas, &capacity).await?
                };
                if blob_work.is_none() {
                    if posts.len() >= room {
                        // No room for a post of its own: it waits for the next round.
                        break;
                    }
                    calldata_gas += limits::post_gas_bound(built.data.len(), built.chunk_roots.len());
                }
                let kzg = blob_work.map(|taken| {
                    blobs_in_flight += 1;
                    let data = built.blob_data.take().unwrap_or_else(|| built.data.clone());
                    let roots = built.blob_roots.take().unwrap_or_else(|| built.chunk_roots.clone());
                    let budget = self.blob_cpu.clone();
                    tokio::task::spawn_blocking(move || {
                        let (sidecar, cpu) = blob_cpu::measured(|| post::sidecar_for(&data, &roots));
                        rollup_types::cpu::charge(rollup_types::cpu::Stage::Blobs, cpu);
                        budget.spent(taken, cpu);
                        sidecar
                    })
                });
                let prepared = Prepared { built, index, prev_root, state_root, kzg };
                match posts.last_mut() {
                    Some(post) if open && prepared.kzg.is_some() => post.push(prepared),
                    _ => posts.push(vec![prepared]),
                }
                (index, after, prev_root) = (index + 1, last_block, state_root);
            }
            Ok(())
        }
        .await;
        if let Some(queue) = &self.queue {
            // The batches built count into the share of batches in calldata the L1 price follows
            // (docs/fees.md §4); a failed write costs the price one update, not the round.
            let mut kinds = Vec::new();
            if first_round {
                for blobs in &blob_posts {
                    kinds.extend(std::iter::repeat_n(*blobs == 0, (*blobs).max(1)));
                }
            }
            kinds.extend(posts.iter().flatten().map(|p| p.kzg.is_none()));
            if let Err(err) = queue.count_posts(&kinds).await {
                warn!(target: "batcher", %err, "could not record the L1 cost of a byte");
            }
        }
        let signing: Result<(), BatcherError> = async {
            for mut post in posts {
                let (first, last) = (&post[0], &post[post.len() - 1]);
                let (first_index, first_block, last_block) =
                    (first.index, first.built.first_block(), last.built.last_block());
                let (bytes, chunks) =
                    post.iter().fold((0, 0), |(b, c), p| (b + p.built.data.len(), c + p.built.chunk_roots.len()));
                let state_root = last.state_root;
                let use_blobs = first.kzg.is_some();
                let (input, gas_limit, sidecar) = if use_blobs {
                    let mut sidecars = Vec::with_capacity(post.len());
                    let mut hints = Vec::with_capacity(post.len());
                    for prepared in &mut post {
                        let kzg = prepared.kzg.take().ok_or_else(|| {
                            BatcherError::Inconsistent(format!("blob batch {} has no blob", prepared.index))
                        })?;
                        let (sidecar, hint) = kzg
                            .await
                            .map_err(|e| BatcherError::Inconsistent(format!("blob commitment task failed: {e}")))??;
                        sidecars.push(sidecar);
                        hints.push(hint);
                    }
                    let parts: Vec<post::BlobPart<'_>> = post
                        .iter()
                        .zip(&hints)
                        .map(|(p, hint)| post::BlobPart {
                            index: p.index,
                            prev_root: p.prev_root,
                            last_block: p.built.last_block(),
                            queue: p.built.queue(),
                            data: &p.built.data,
                            roots: &p.built.chunk_roots,
                            hint: Some(hint),
                        })
                        .collect();
                    let (input, gas) = post::blob_call(&parts);
                    (input, gas, Some(post::joined(sidecars)))
                } else {
                    let p = &post[0];
                    let input = post::calldata(
                        p.index,
                        p.prev_root,
                        last_block,
                        p.built.queue(),
                        &p.built.data,
                        &p.built.chunk_roots,
                    );
                    let gas = limits::post_gas(&input, p.built.data.len(), p.built.chunk_roots.len());
                    (input, gas, None)
                };
                let fees = match fees[usize::from(use_blobs)] {
                    Some(f) => f,
                    None => *fees[usize::from(use_blobs)].insert(self.txmgr.fees(use_blobs).await?),
                };
                let balance = match &mut balance {
                    Some(b) => b,
                    None => balance.insert(self.txmgr.balance().await?),
                };
                self.txmgr.can_pay(balance, gas_limit, fees, U256::ZERO)?;
                let new = NewPost {
                    index: first_index,
                    nonce,
                    to: self.config.inbox,
                    input: input.into(),
                    value: U256::ZERO,
                    gas_limit,
                    blobs: sidecar,
                };
                let attempt = self.txmgr.sign_post(new, fees).await?;
                if use_blobs {
                    locked(&self.blob_posts).insert(attempt.tx_hash, post.len());
                }
                info!(
                    target: "batcher",
                    index = %format!("{first_index}..={}", first_index + post.len() as u64 - 1),
                    nonce,
                    blocks = %format!("{first_block}..={last_block}"),
                    bytes,
                    chunks,
                    gas_limit,
                    l1_tx = %attempt.tx_hash,
                    %state_root,
                    blobs = if use_blobs { post.len() } else { 0 },
                    "batch signed"
                );
                if !use_blobs {
                    let p = &post[0];
                    let call = PostedCall::of_calldata(
                        p.prev_root,
                        last_block,
                        p.built.queue(),
                        &p.built.data,
                        p.built.chunk_roots.clone(),
                    );
                    locked(&self.calls).insert(attempt.tx_hash, Arc::new(vec![call]));
                }
                signed.push(attempt);
                nonce += 1;
            }
            Ok(())
        }
        .await;
        let sent = signed.len();
        self.txmgr.store_and_broadcast(&signed).await?;
        signing?;
        built.map(|()| sent)
    }

    /// The most blob batches one post carries: the configured number, within the blobs the
    /// L1 takes in a transaction (6 under Osaka, EIP-7594) and in a block.
    fn blobs_per_post(&self, capacity: &PostCapacity) -> usize {
        self.config.blobs_per_post.min(limits::MAX_BLOBS_PER_TX).min(self.blob_room(capacity)).max(1)
    }

    /// The most blobs of this chain in flight at once: the configured share of an L1 block's
    /// blob room, within the node's maximum a block.
    fn blob_room(&self, capacity: &PostCapacity) -> usize {
        let block = capacity.l1.max_blobs_per_block.map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(usize::MAX));
        self.config.blobs_per_block.min(block).max(1)
    }

    /// Publishes the posts in flight and how many sealed blocks are not on L1 yet.
    async fn publish_progress(&self) -> Result<(), BatcherError> {
        let posts = self.txmgr.in_flight().await?;
        let blobs = self.blob_posts_in(&posts).await?;
        let mut in_flight = Vec::with_capacity(posts.len());
        for (p, blobs) in posts.iter().zip(blobs) {
            in_flight.push(InFlightPost {
                batch_index: p.index,
                batches: self.posted_calls(p).await?.len() as u64,
                blobs: blobs as u64,
                nonce: p.nonce,
                tx_hash: p.newest().tx_hash,
                attempts: p.attempts.len() as u64,
            });
        }
        let posted = self.store.latest_batch().await?.map_or(0, |b| b.last_block);
        let head = self.store.latest_block().await?.map_or(0, |b| b.header.number);
        let blob_room = if self.config.da == DaMode::Calldata { 0 } else { self.blob_room(&self.capacity()) as u64 };
        self.status.send_modify(|s| {
            s.in_flight = in_flight;
            s.unposted_blocks = head.saturating_sub(posted);
            s.blob_room = blob_room;
        });
        Ok(())
    }

    /// Replaces the batch with the faulty one, if a fault is still to be injected and this
    /// batch can carry it.
    async fn inject_fault(&self, built: &mut Built, index: u64) {
        if !self.fault.due_at(index) {
            return;
        }
        if self.config.da == DaMode::Calldata
            && matches!(self.fault.pending(), Some(fault::Fault::BlobMismatch | fault::Fault::BlobRoots))
        {
            return;
        }
        if let Some(fault @ fault::Fault::Forged(forgery)) = self.fault.pending() {
            let Some(forge) = self.fault.forge() else {
                warn!(target: "batcher", %fault, "no forge was given: the fault cannot be injected");
                return;
            };
            let Some((chunk, root)) = forge.forge(forgery, &built.batch, &built.data).await else { return };
            if chunk < built.chunk_roots.len() && self.fault.carried(fault) {
                warn!(target: "batcher", index, %fault, chunk, "INJECTING A FAULT: this batch is fraudulent on purpose");
                built.chunk_roots[chunk] = root;
            }
            return;
        }
        if let Some((fault, bad_data, bad_roots)) =
            self.fault.apply(&built.batch, &built.data, &built.chunk_roots, &self.config.chain)
        {
            warn!(target: "batcher", index, %fault, "INJECTING A FAULT: this batch is fraudulent on purpose");
            if fault == fault::Fault::BlobMismatch {
                // The post commits to the data; the blob holds it with its middle byte inverted.
                let mut other = bad_data.clone();
                let middle = other.len() / 2;
                other[middle] ^= 0xff;
                built.blob_data = Some(other);
            }
            if fault == fault::Fault::BlobRoots {
                // The post commits to the honest roots; the blob ends with the first one changed.
                let mut other = bad_roots.clone();
                if let Some(first) = other.first_mut() {
                    first.0[31] ^= 0xff;
                }
                built.blob_roots = Some(other);
            }
            built.data = bad_data;
            built.chunk_roots = bad_roots;
        }
    }

    /// The handle on the fault still to inject: holds the posting and sets a fault while the
    /// batcher runs (testing only).
    pub fn fault_switch(&self) -> fault::FaultSwitch {
        self.fault.clone()
    }

    /// Whether this batch's data goes in blobs (the blob work taken from the CPU budget when
    /// it does): always with `--da blobs` (when it fits), with `--da auto` when blobs cost less
    /// than calldata at the current fees, the L1 block has blob room left beside the blob posts
    /// in flight, and either the CPU budget has room for its KZG work or the calldata posts in
    /// flight (`calldata_gas`) leave no room for this one in the L1 block's gas (calldata posts
    /// take the rest).
    async fn use_blobs(
        &self,
        built: &Built,
        blobs_in_flight: usize,
        calldata_gas: u64,
        capacity: &PostCapacity,
    ) -> Result<Option<blob_cpu::Taken>, BatcherError> {
        let data = &built.data;
        let needed = 1;
        let roots = built.chunk_roots.len();
        let fits = blob::fits(data.len(), roots);
        Ok(match self.config.da {
            DaMode::Calldata => None,
            DaMode::Blobs => fits.then(|| self.blob_cpu.force(std::time::Instant::now())),
            DaMode::Auto if !fits => None,
            DaMode::Auto => {
                if blobs_in_flight + needed > self.blob_room(capacity) {
                    return Ok(None);
                }
                // Blob gas and the segment hashes' calldata against the data's and the chunk
                // roots' calldata, all at the EIP-7623 floor (10 per zero byte, 40 otherwise; a
                // hash is all non-zero).
                let blob_fee = self.provider.get_blob_base_fee().await.map_err(BatcherError::l1)?;
                let gas_price = self.provider.get_gas_price().await.map_err(BatcherError::l1)?;
                let zeros = data.iter().filter(|&&b| b == 0).count() as u128;
                let calldata = (10 * zeros + 40 * (data.len() as u128 - zeros) + 40 * 32 * roots as u128) * gas_price;
                let hashes = 40 * 32 * data.len().div_ceil(rollup_types::codec::SEGMENT_BYTES) as u128 * gas_price;
                let blobs = needed as u128 * blob::BYTES_PER_BLOB as u128 * blob_fee.max(1) + hashes;
                if blobs >= calldata {
                    return Ok(None);
                }
                // Where calldata would wait for a later L1 block, a blob is the room the L1 has
                // left: its work is spent whatever the budget holds.
                let gas = limits::post_gas_bound(data.len(), built.chunk_roots.len());
                if calldata_gas.saturating_add(gas) > capacity.l1.block_gas_limit {
                    return Ok(Some(self.blob_cpu.force(std::time::Instant::now())));
                }
                self.blob_cpu.take(std::time::Instant::now())
            }
        })
    }
}

/// A batch of a round, built and waiting to be signed in its post: its blob's KZG commitment
/// and proof, for a blob batch, computing on a blocking thread.
struct Prepared {
    built: Built,
    index: u64,
    prev_root: B256,
    state_root: B256,
    kzg: Option<tokio::task::JoinHandle<Result<(alloy::eips::eip4844::BlobTransactionSidecar, KzgHint), BatcherError>>>,
}
