#![doc = include_str!("../README.md")]

pub mod batch;
pub mod beacon;
pub mod blob;
pub mod derive;
pub mod fault;
pub mod forge;
pub mod prove;
pub mod store;

use alloy::{
    consensus::Transaction as _,
    eips::BlockNumberOrTag,
    network::TransactionBuilder,
    providers::{DynProvider, Provider},
    rpc::types::{Filter, Log, TransactionRequest},
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolEvent};
use batch::BlobPost;
use derive::{Applied, PostedBatch, Verdict, Verifier, VerifyError};
use prove::FraudProof;
use rollup_executor::Executor;
use rollup_l1::{
    Action, L1Error,
    inbox::{ClaimState, PostCall, PostData, PostRoots},
};
use rollup_types::{
    ChainConfig,
    bindings::{BatchInbox, L1Bridge},
    blob::KzgHint,
    genesis::GenesisSpec,
    queue::{self, QueueEntry},
    status::{ChallengerStatus, Mismatch, ProofReport, ProofState, RewardState, UnreadablePost},
};
use std::{
    collections::VecDeque,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use store::{L1Position, Snapshot, VerdictStore};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// Errors of the challenger.
#[derive(Debug, thiserror::Error)]
pub enum ChallengerError {
    /// The L1 failed: retried next round (`L1Error::action` says how it failed).
    #[error(transparent)]
    L1(#[from] L1Error),
    /// The challenger's database failed.
    #[error(transparent)]
    Store(#[from] rollup_db::DbError),
    /// The inbox is not for this chain, or the configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// Genesis could not be laid out, or the verified state is corrupt.
    #[error(transparent)]
    Executor(#[from] rollup_executor::ExecutorError),
    /// A post it cannot read: the transaction that emitted the inbox's `BatchPosted` is not a
    /// post to the inbox whose data the inbox committed to. An alarm, not a verdict: it reads
    /// the post again every round and judges nothing after it meanwhile (docs/fraud-proofs.md
    /// §5).
    #[error("batch {} cannot be read from L1 transaction {}: {}", .0.batch_index, .0.l1_tx, .0.reason)]
    Unreadable(UnreadablePost),
}

impl ChallengerError {
    /// Whether the loop must stop.
    pub const fn is_fatal(&self) -> bool {
        !matches!(self, Self::L1(_) | Self::Unreadable(_))
    }

    fn l1(err: impl Into<L1Error>) -> Self {
        Self::L1(err.into())
    }

    /// The L1 node does not hold (yet) what it should.
    fn missing(what: impl Into<String>) -> Self {
        Self::L1(L1Error::missing(what))
    }

    /// The beacon API failed, or served something that is not a blob.
    fn beacon(err: impl std::fmt::Display) -> Self {
        Self::L1(L1Error::Transport(format!("beacon API: {err}")))
    }
}

impl From<VerifyError> for ChallengerError {
    fn from(err: VerifyError) -> Self {
        match err {
            // The view of L1 moved under a read: read again.
            VerifyError::OutOfSync { .. } | VerifyError::QueueEntries { .. } => {
                Self::L1(L1Error::Moved(err.to_string()))
            }
            VerifyError::Unreadable { index, tx, reason } => {
                Self::Unreadable(UnreadablePost { batch_index: index, l1_tx: tx, reason })
            }
            VerifyError::Forgotten => Self::Config(err.to_string()),
            VerifyError::Executor(e) => Self::Executor(e),
        }
    }
}

/// The blob of versioned hash `hash` posted in L1 block `block`, from a server at `base` that
/// names blocks by execution block number, as anvil does ([`beacon::BlockNaming`]), checked
/// against the hash ([`beacon::fetch_blob`]). A beacon node names them by slot, which takes the
/// block's timestamp: it is refused here with the reason, never asked for another block (the
/// challenger asks it by slot; [`beacon::SlotClock::slot_at`] gives one).
pub async fn fetch_blob(base: &url::Url, block: u64, hash: B256, hint: Option<KzgHint>) -> Result<Bytes, String> {
    let client = beacon::client();
    match beacon::probe(&client, base).await? {
        beacon::BlockNaming::ExecutionNumbers => {
            beacon::fetch_blob(&client, base, &block.to_string(), hash, hint).await
        }
        beacon::BlockNaming::Slots(_) => Err(format!(
            "{base} is a beacon node: it names blocks by slot, which L1 block {block}'s timestamp gives, not by number"
        )),
    }
}

/// Calls a view function of `to` on the latest block.
async fn view<C: SolCall>(provider: &DynProvider, to: Address, call: C) -> Result<C::Return, ChallengerError> {
    Ok(rollup_l1::view_at(provider, to, call, BlockNumberOrTag::Latest.into()).await?)
}

/// Configuration of the challenger.
#[derive(Clone, Debug)]
pub struct ChallengerConfig {
    /// L1 JSON-RPC URL.
    pub l1_rpc: url::Url,
    /// Batch inbox address.
    pub inbox: Address,
    /// L1 block to start reading from (the inbox's deployment block).
    pub from_block: u64,
    /// The challenger's own database URL.
    pub db_url: String,
    /// Chain parameters.
    pub chain: ChainConfig,
    /// Genesis.
    pub genesis: GenesisSpec,
    /// How often to poll L1.
    pub poll: Duration,
    /// L1 blocks to wait before reading a block.
    pub confirmations: u64,
    /// Beacon API base URL that serves the blobs of blob posts
    /// (`GET /eth/v1/beacon/blobs/{block_id}`: by slot from a beacon node, by execution block
    /// number from anvil, [`beacon`]); `None`: the L1 RPC URL (anvil serves both).
    pub l1_beacon: Option<url::Url>,
    /// Further beacon API base URLs asked, in order, for a blob the first does not serve (an
    /// archive that keeps blobs past the 18 days beacon nodes keep them); each is asked on
    /// its own terms, whatever the others are.
    pub l1_beacon_fallbacks: Vec<url::Url>,
    /// Key that commits and sends fraud proofs (and receives the rewards); `None`: the
    /// challenger only verifies and reports.
    pub prover_key: Option<B256>,
    /// How far back (in L1 blocks) a reorg is taken back in memory, by undoing the batches
    /// it removed; deeper reorgs restore a snapshot.
    pub undo_blocks: u64,
    /// A snapshot of the verified state once this many transactions were verified since the
    /// last one (and at a clean stop): a restart re-executes at most this many.
    pub snapshot_txs: u64,
}

impl ChallengerConfig {
    /// Defaults of the reorg and snapshot settings.
    pub const DEFAULT_UNDO_BLOCKS: u64 = 64;
    /// Default of [`Self::snapshot_txs`].
    pub const DEFAULT_SNAPSHOT_TXS: u64 = 50_000;
}

/// Most keys the undo logs of the events read may hold together (about 80 bytes each); past
/// it, the oldest L1 blocks can only be taken back through a snapshot.
const MAX_UNDO_KEYS: usize = 2_000_000;
/// L1 blocks read per request when catching up.
const RANGE: u64 = 2_000;
/// Cursor positions remembered, as candidates for the common ancestor of a reorg.
const RECENT_CURSORS: usize = 256;

/// A fraud proof on its way to L1.
#[derive(Debug)]
struct PendingProof {
    proof: FraudProof,
    calldata: Bytes,
    commitment: B256,
    /// Where the batch it proves was posted, and its data commitment: the proof goes out only
    /// while that post is on the canonical L1 and the inbox still holds it.
    at: L1Position,
    data_hash: B256,
    /// L1 block of the mined commitment.
    committed_at: Option<u64>,
    /// Its entry in the status's `proofs`.
    report: usize,
}

/// What an inbox event was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    /// Batch `index` was posted.
    Posted { index: u64, txs: u64 },
    /// Batches from `from` were rolled back.
    RolledBack { from: u64 },
}

/// An event handled, with what it did to the verifier.
#[derive(Debug)]
struct Entry {
    at: L1Position,
    event: Event,
    applied: Applied,
}

/// The last L1 block read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cursor {
    /// The next block to read.
    next: u64,
    /// The last block read and its hash (`None` before anything after the start was read).
    last: Option<(u64, B256)>,
}

/// Follows the inbox and judges every batch from L1 data alone.
#[derive(Debug)]
pub struct Challenger {
    config: ChallengerConfig,
    provider: DynProvider,
    store: VerdictStore,
    verifier: Verifier,
    cursor: Cursor,
    /// Events handled since `base`, oldest first: what a reorg takes back.
    journal: VecDeque<Entry>,
    /// Where the journal starts: the state is the one after every event up to it.
    base: Cursor,
    /// Positions the cursor had after recent polls (ancestor candidates).
    recent: VecDeque<(u64, B256)>,
    status: watch::Sender<ChallengerStatus>,
    /// Signing provider and address of the prover.
    prover: Option<(DynProvider, Address)>,
    pending: Option<PendingProof>,
    /// The proof reports as last written to the database.
    persisted: Vec<ProofReport>,
    /// Transactions verified since the last snapshot.
    since_snapshot: u64,
    /// When each pending claim of its proofs is due, as the inbox last said (L1 seconds).
    reward_due: std::collections::HashMap<u64, u64>,
    /// The beacon APIs blobs are asked of, and how each names blocks.
    beacon: beacon::BeaconApis,
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Challenger {
    /// Opens its database, lays out genesis, checks the inbox belongs to this chain, and
    /// resumes from its newest snapshot still on the canonical L1 (from genesis otherwise).
    pub async fn new(config: ChallengerConfig) -> Result<Self, ChallengerError> {
        let provider = rollup_l1::provider(&config.l1_rpc);
        let store = VerdictStore::open(&config.db_url).await?;
        // The sequential path on purpose: the challenger is an independent check of the
        // sequencer, whose blocks run through the parallel path.
        let executor = Executor::genesis(config.chain, &config.genesis)?;
        let genesis_root = view(&provider, config.inbox, BatchInbox::genesisStateRootCall {}).await?;
        if genesis_root != executor.state_root() {
            return Err(ChallengerError::Config(format!(
                "the inbox's genesis root is {genesis_root}, this genesis gives {}",
                executor.state_root()
            )));
        }
        let chunk = view(&provider, config.inbox, BatchInbox::chunkSizeCall {}).await?;
        if chunk != U256::from(config.chain.chunk_size) {
            return Err(ChallengerError::Config(format!(
                "the inbox uses chunks of {chunk}, this chain {}",
                config.chain.chunk_size
            )));
        }
        let l2_chain = view(&provider, config.inbox, BatchInbox::l2ChainIdCall {}).await?;
        if l2_chain != U256::from(config.chain.chain_id) {
            return Err(ChallengerError::Config(format!(
                "the inbox is for L2 chain {l2_chain}, this challenger for {}",
                config.chain.chain_id
            )));
        }
        let prover = match &config.prover_key {
            Some(key) => {
                let (provider, _, address) = rollup_l1::signing_provider(&config.l1_rpc, key)
                    .map_err(|e| ChallengerError::Config(format!("prover key: {e}")))?;
                Some((provider, address))
            }
            None => None,
        };
        // The proofs it made before a restart are history: shown as they were recorded.
        let proofs = store.proof_reports().await?;
        let start = Cursor { next: config.from_block, last: None };
        let mut challenger = Self {
            verifier: Verifier::new(executor),
            cursor: start,
            journal: VecDeque::new(),
            base: start,
            recent: VecDeque::new(),
            status: watch::Sender::new(ChallengerStatus { proofs: proofs.clone(), ..ChallengerStatus::default() }),
            persisted: proofs,
            config,
            provider,
            store,
            prover,
            pending: None,
            since_snapshot: 0,
            reward_due: std::collections::HashMap::new(),
            beacon: beacon::BeaconApis::default(),
        };
        challenger.restore(None).await?;
        Ok(challenger)
    }

    /// Verdicts as they are reached.
    pub fn subscribe(&self) -> watch::Receiver<ChallengerStatus> {
        self.status.subscribe()
    }

    /// The L1 block up to which every event has been handled.
    pub fn l1_block(&self) -> Option<u64> {
        self.cursor.last.map(|(n, _)| n)
    }

    /// Follows L1 until `cancel` fires, then leaves a snapshot so that the next start
    /// re-executes nothing.
    pub async fn run(mut self, cancel: CancellationToken) -> Result<(), ChallengerError> {
        let mut interval = tokio::time::interval(self.config.poll);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                // A stop asked for during a round wins over a tick that is already due.
                biased;
                _ = cancel.cancelled() => break,
                _ = interval.tick() => {}
            }
            match self.step().await {
                Ok(()) => {}
                Err(err) if err.is_fatal() => {
                    error!(target: "challenger", %err, "stopping");
                    return Err(err);
                }
                Err(ChallengerError::Unreadable(post)) => self.alarm(post),
                Err(err) => warn!(target: "challenger", %err, "will retry"),
            }
        }
        if self.since_snapshot > 0 {
            self.snapshot().await?;
        }
        Ok(())
    }

    /// Raises the alarm of a post it cannot read (logged as an error the first time, shown in
    /// the status and the metrics until the post reads); it reads it again next round.
    fn alarm(&self, post: UnreadablePost) {
        let known = self.status.borrow().unreadable.as_ref() == Some(&post);
        if known {
            warn!(target: "challenger", index = post.batch_index, tx = %post.l1_tx, "still cannot read the post; judging nothing after it");
            return;
        }
        error!(
            target: "challenger",
            index = post.batch_index,
            tx = %post.l1_tx,
            reason = %post.reason,
            "CANNOT READ a batch the inbox recorded: no batch after it can be judged until it reads; this inbox may not \
             be the one this challenger was built for"
        );
        self.status.send_modify(|s| {
            s.unreadable_posts += 1;
            s.unreadable = Some(post);
        });
    }

    /// Checks that what it read is still on the canonical L1 (taking back what a reorg
    /// removed), reads the L1 blocks not read yet, judges the batches they post, and moves the
    /// pending fraud proof on.
    pub async fn step(&mut self) -> Result<(), ChallengerError> {
        let head = self.provider.get_block_number().await.map_err(ChallengerError::l1)?;
        self.follow_reorgs().await?;
        if let Some(target) = head.checked_sub(self.config.confirmations) {
            while self.cursor.next <= target {
                let to = target.min(self.cursor.next + RANGE - 1);
                match self.read_range(to).await {
                    Ok(true) => {}
                    // The chain changed under the read: check it again.
                    Ok(false) => {
                        self.follow_reorgs().await?;
                        break;
                    }
                    Err(err) => {
                        // Nothing of a range read half way stays: it is read again, whole.
                        let at = self.cursor.last;
                        self.unwind_to(at).await?;
                        return Err(err);
                    }
                }
            }
        }
        self.prune(head);
        if self.since_snapshot >= self.config.snapshot_txs {
            self.snapshot().await?;
        }
        let advanced = self.advance_proof().await;
        let collected = self.collect_rewards().await;
        self.persist_proofs().await?;
        advanced?;
        collected
    }

    /// Reads the L1 up to its head, a `step` at a time, until nothing is left to read, and
    /// leaves a snapshot of where it got to, so that the next derivation from the same
    /// database resumes there: what a tool that derives the chain on demand needs (the escape
    /// hatch's proofs, docs/bridge.md §7).
    pub async fn sync(&mut self) -> Result<(), ChallengerError> {
        loop {
            let head = self.provider.get_block_number().await.map_err(ChallengerError::l1)?;
            self.step().await?;
            if self.cursor.next > head.saturating_sub(self.config.confirmations) {
                if self.since_snapshot > 0 {
                    self.snapshot().await?;
                }
                return Ok(());
            }
        }
    }

    /// The proof of `key` in the state after the last batch verified (see
    /// [`Self::state_proof`]), with the subtree it ends at: the key's leaf, another key's
    /// leaf or an empty subtree.
    pub fn state_value_proof(&self, key: &B256) -> (B256, rollup_types::smt::Proof) {
        let tree = self.verifier.executor().tree();
        (tree.root(), tree.prove(key))
    }

    /// The proof of `key` in the state after the last batch verified, derived from L1 alone:
    /// that state's root, the key's value (zero: absent) and the siblings from the root down
    /// (`SparseMerkle.rootFromPath`'s order; for an absent key, the proof ends at a leaf of
    /// another key or at an empty subtree).
    pub fn state_proof(&self, key: &B256) -> (B256, B256, Vec<B256>) {
        let tree = self.verifier.executor().tree();
        let proof = tree.prove(key);
        (tree.root(), tree.get(key), proof.siblings)
    }

    /// The accounts with a nonce in the state after the last batch verified: every account
    /// that ever sent a transaction (a money market position is opened by one).
    pub fn accounts(&self) -> Vec<Address> {
        self.verifier.executor().state().nonces().map(|(account, _)| account).collect()
    }

    /// The last batch verified (`None` before any), and the first judged invalid, if any.
    pub fn verified(&self) -> (Option<u64>, Option<u64>) {
        (self.verifier.last_verified(), self.verifier.invalid_from())
    }

    /// The hash of L1 block `number` on the canonical chain, if it has one.
    async fn block_hash(&self, number: u64) -> Result<Option<B256>, ChallengerError> {
        let block = self.provider.get_block_by_number(number.into()).await.map_err(ChallengerError::l1)?;
        Ok(block.map(|b| b.header.hash))
    }

    /// Reads blocks `cursor.next ..= to` and handles their inbox events. `Ok(false)` when the
    /// chain changed during the read (nothing was handled).
    async fn read_range(&mut self, to: u64) -> Result<bool, ChallengerError> {
        let from = self.cursor.next;
        let end_before = self.block_hash(to).await?;
        // The first block must extend what was read: its parent is the last block read.
        if let Some((_, last_hash)) = self.cursor.last {
            let first = self
                .provider
                .get_block_by_number(from.into())
                .await
                .map_err(ChallengerError::l1)?
                .ok_or_else(|| ChallengerError::missing(format!("L1 block {from}")))?;
            if first.header.parent_hash != last_hash {
                return Ok(false);
            }
        }
        let filter = Filter::new()
            .address(self.config.inbox)
            .event_signature(vec![
                BatchInbox::BatchPosted::SIGNATURE_HASH,
                BatchInbox::BatchesRolledBack::SIGNATURE_HASH,
            ])
            .from_block(from)
            .to_block(to);
        let logs = self.provider.get_logs(&filter).await.map_err(ChallengerError::l1)?;
        let end_after = self.block_hash(to).await?;
        let Some(end) = end_after.filter(|h| Some(*h) == end_before) else { return Ok(false) };
        for log in &logs {
            let at = L1Position {
                block: log.block_number.ok_or_else(|| ChallengerError::missing("a log's block number"))?,
                hash: log.block_hash.ok_or_else(|| ChallengerError::missing("a log's block hash"))?,
                log_index: log.log_index.ok_or_else(|| ChallengerError::missing("a log's index"))?,
            };
            if log.topic0() == Some(&BatchInbox::BatchesRolledBack::SIGNATURE_HASH) {
                let event =
                    BatchInbox::BatchesRolledBack::decode_log_data(&log.inner.data).map_err(ChallengerError::l1)?;
                self.rolled_back(at, event.fromIndex.saturating_to(), event.count.saturating_to()).await?;
            } else {
                let event = BatchInbox::BatchPosted::decode_log_data(&log.inner.data).map_err(ChallengerError::l1)?;
                let batch = self.fetch(log, event).await?;
                self.judge(&batch, at).await?;
            }
        }
        self.cursor = Cursor { next: to + 1, last: Some((to, end)) };
        self.recent.push_back((to, end));
        if self.recent.len() > RECENT_CURSORS {
            self.recent.pop_front();
        }
        self.status.send_modify(|s| {
            s.l1_block = to;
            s.unreadable = None;
        });
        Ok(true)
    }

    /// Checks that the last block read is still canonical. If a reorg replaced it, finds the
    /// newest block read that is still canonical (the common ancestor, as far as what was read
    /// tells), takes back every event after it, and reads on from there. A reorg deeper than
    /// the events it can take back restores a snapshot, or starts again from genesis.
    async fn follow_reorgs(&mut self) -> Result<(), ChallengerError> {
        let Some((number, hash)) = self.cursor.last else { return Ok(()) };
        if self.block_hash(number).await? == Some(hash) {
            return Ok(());
        }
        self.status.send_modify(|s| s.reorgs += 1);
        // Candidates, newest first: where the events are and where polls ended, then the base.
        let mut candidates: Vec<(u64, B256)> =
            self.journal.iter().map(|e| (e.at.block, e.at.hash)).chain(self.recent.iter().copied()).collect();
        candidates.sort_unstable_by_key(|c| std::cmp::Reverse(c.0));
        candidates.dedup();
        let base = self.base.last.map_or(0, |(n, _)| n);
        for (n, h) in candidates.into_iter().filter(|(n, _)| *n >= base) {
            if self.block_hash(n).await? == Some(h) {
                warn!(target: "challenger", from = number, to = n, "an L1 reorg replaced blocks read; taking them back");
                return self.unwind_to(Some((n, h))).await;
            }
        }
        let base_canonical = match self.base.last {
            None => true,
            Some((n, h)) => self.block_hash(n).await? == Some(h),
        };
        if base_canonical {
            warn!(target: "challenger", from = number, to = ?self.base.last, "an L1 reorg replaced every block read since the last snapshot; taking them back");
            return self.unwind_to(self.base.last).await;
        }
        warn!(target: "challenger", from = number, "an L1 reorg deeper than what can be taken back in memory; restoring a snapshot");
        self.restore(Some(number)).await
    }

    /// Takes back every event after L1 block `to` (`None`: every event since the base), and
    /// reads on from the block after it.
    async fn unwind_to(&mut self, to: Option<(u64, B256)>) -> Result<(), ChallengerError> {
        let limit = to.map(|(n, _)| n);
        let mut taken = 0;
        while self.journal.back().is_some_and(|e| limit.is_none_or(|n| e.at.block > n)) {
            let Some(entry) = self.journal.pop_back() else { break };
            if let Event::Posted { txs, .. } = entry.event {
                self.since_snapshot = self.since_snapshot.saturating_sub(txs);
            }
            off_runtime(|| self.verifier.unapply(entry.applied))?;
            taken += 1;
        }
        let first = limit.map_or(self.base.next, |n| n + 1);
        self.store.forget_after(first.saturating_sub(1)).await?;
        if limit.is_none() {
            self.cursor = self.base;
        } else {
            self.cursor = Cursor { next: first, last: to };
        }
        self.recent.retain(|(n, _)| *n < first);
        if taken > 0 {
            info!(target: "challenger", events = taken, next_batch = self.verifier.next_index(), "took back events of replaced L1 blocks");
        }
        self.drop_proof_beyond(first);
        self.refresh_status().await
    }

    /// A pending proof whose batch was posted at or after L1 block `first` (taken back) is
    /// abandoned: nothing more is sent for it.
    fn drop_proof_beyond(&mut self, first: u64) {
        if let Some(pending) = self.pending.take_if(|p| p.at.block >= first) {
            self.abandon(pending.report, "the batch's post left the canonical L1 (a reorg) before the proof was sent");
        }
    }

    /// Marks proof report `report` failed with `why`, unless it was proven.
    fn abandon(&self, report: usize, why: &str) {
        self.status.send_modify(|s| {
            if let Some(r) = s.proofs.get_mut(report)
                && r.state != ProofState::Proven
            {
                r.state = ProofState::Failed;
                r.error = Some(why.to_owned());
            }
        });
    }

    /// Restores the newest snapshot still on the canonical L1 (below `below`, when given:
    /// the snapshots at or above it were taken on a chain a reorg replaced), or genesis.
    async fn restore(&mut self, below: Option<u64>) -> Result<(), ChallengerError> {
        self.journal.clear();
        self.recent.clear();
        self.pending = None;
        for snap in self.store.snapshot_heads().await? {
            if below.is_some_and(|b| snap.l1_block >= b) || snap.l1_block < self.config.from_block {
                continue;
            }
            if self.block_hash(snap.l1_block).await? != Some(snap.l1_block_hash) {
                continue;
            }
            let Some(data) = self.store.snapshot_data(snap.l1_block).await? else { continue };
            let (chain, genesis) = (self.config.chain, self.config.genesis.clone());
            let restored = tokio::task::spawn_blocking(move || Executor::from_snapshot(chain, &genesis, &data))
                .await
                .map_err(|e| ChallengerError::Config(format!("snapshot task failed: {e}")))?;
            match restored {
                Ok(executor) if executor.state_root() == snap.state_root => {
                    self.verifier = Verifier::resume(executor, snap.position);
                    let at = Cursor { next: snap.l1_block + 1, last: Some((snap.l1_block, snap.l1_block_hash)) };
                    self.cursor = at;
                    self.base = at;
                    self.since_snapshot = 0;
                    self.store.forget_after(snap.l1_block).await?;
                    if below.is_none() {
                        self.status.send_modify(|s| s.resumed_from = Some(snap.l1_block));
                    }
                    info!(target: "challenger", l1_block = snap.l1_block, next_batch = snap.position.next_index, "resumed from a snapshot");
                    return self.refresh_status().await;
                }
                Ok(_) => {
                    warn!(target: "challenger", l1_block = snap.l1_block, "a snapshot rebuilds another root; ignoring it")
                }
                Err(e) => {
                    warn!(target: "challenger", l1_block = snap.l1_block, error = %e, "unreadable snapshot; ignoring it")
                }
            }
        }
        if below.is_some() || self.verifier.next_index() > 0 {
            warn!(target: "challenger", "no usable snapshot: deriving the chain from genesis again");
        }
        self.verifier = Verifier::new(Executor::genesis(self.config.chain, &self.config.genesis)?);
        let start = Cursor { next: self.config.from_block, last: None };
        self.cursor = start;
        self.base = start;
        self.since_snapshot = 0;
        self.store.forget_after(self.config.from_block.saturating_sub(1)).await?;
        self.refresh_status().await
    }

    /// Saves a snapshot of the verified state after the last block read, and keeps the
    /// newest two plus the newest one at least `undo_blocks` deep (the anchor a deep reorg
    /// restores).
    async fn snapshot(&mut self) -> Result<(), ChallengerError> {
        let Some((l1_block, l1_block_hash)) = self.cursor.last else { return Ok(()) };
        let started = std::time::Instant::now();
        let state = self.verifier.executor().state();
        let data = tokio::task::spawn_blocking(move || state.encode_snapshot())
            .await
            .map_err(|e| ChallengerError::Config(format!("snapshot task failed: {e}")))?;
        let bytes = data.len();
        let snapshot = Snapshot {
            l1_block,
            l1_block_hash,
            position: self.verifier.position(),
            state_root: self.verifier.state_root(),
            data,
        };
        self.store.save_snapshot(&snapshot, now_secs()).await?;
        self.since_snapshot = 0;
        let heads = self.store.snapshot_heads().await?;
        let anchor = heads.iter().position(|s| s.l1_block + self.config.undo_blocks <= l1_block);
        for (i, old) in heads.iter().enumerate().skip(2) {
            if Some(i) != anchor {
                self.store.delete_snapshot(old.l1_block).await?;
            }
        }
        // Blobs are judged again only from a kept snapshot on.
        let kept = heads.iter().enumerate().filter(|(i, _)| *i < 2 || Some(*i) == anchor).map(|(_, s)| s.l1_block);
        if let Some(oldest) = kept.min() {
            self.store.forget_blobs_before(oldest).await?;
        }
        info!(target: "challenger", l1_block, next_batch = snapshot.position.next_index, bytes, millis = started.elapsed().as_millis() as u64, "snapshot saved");
        Ok(())
    }

    /// Lets go of what is too old to be taken back in memory: the events of L1 blocks more than
    /// `undo_blocks` below the head, and the oldest ones while the undo logs hold more than
    /// [`MAX_UNDO_KEYS`]. Whole L1 blocks at a time: the base is always a block boundary.
    fn prune(&mut self, head: u64) {
        let mut keys: usize = self.journal.iter().map(|e| e.applied.undo_len()).sum();
        while let Some(front) = self.journal.front() {
            let block = front.at;
            if block.block + self.config.undo_blocks > head && keys <= MAX_UNDO_KEYS {
                break;
            }
            // Never past what was read completely.
            if self.cursor.last.is_none_or(|(n, _)| block.block >= n) {
                break;
            }
            while self.journal.front().is_some_and(|e| e.at.block == block.block) {
                if let Some(entry) = self.journal.pop_front() {
                    keys -= entry.applied.undo_len();
                }
            }
            self.base = Cursor { next: block.block + 1, last: Some((block.block, block.hash)) };
        }
    }

    /// Publishes where the verifier stands (after a reorg was taken back, or a restart).
    async fn refresh_status(&mut self) -> Result<(), ChallengerError> {
        let verdicts = self.store.current_verdicts().await?;
        let last = self.verifier.last_verified();
        let root = self.verifier.state_root();
        let l2_block = self.verifier.next_block().saturating_sub(1);
        let next = self.verifier.next_index();
        let l1_block = self.cursor.last.map_or(0, |(n, _)| n);
        self.status.send_modify(|s| {
            s.last_verified_batch = last;
            s.last_verified_state_root = last.map(|_| root);
            s.last_verified_l2_block = last.map(|_| l2_block);
            s.mismatches.retain(|m| m.batch_index < next);
            s.batches_checked = verdicts.len() as u64;
            s.l1_block = l1_block;
        });
        Ok(())
    }

    /// Writes the proofs whose report changed since the last call to the database.
    async fn persist_proofs(&mut self) -> Result<(), ChallengerError> {
        let proofs = self.status.borrow().proofs.clone();
        let now = now_secs();
        for (i, report) in proofs.iter().enumerate() {
            let Some(commitment) = report.commitment else { continue };
            if self.persisted.get(i) != Some(report) {
                self.store.record_proof(commitment, report, now).await?;
            }
        }
        self.persisted = proofs;
        Ok(())
    }

    /// The inbox removed batches from `from` (`count` of them): a fraud proof succeeded.
    async fn rolled_back(&mut self, at: L1Position, from: u64, count: u64) -> Result<(), ChallengerError> {
        let applied = match self.verifier.roll_back(from) {
            Ok(applied) => {
                info!(target: "challenger", from, count, "the inbox rolled batches back; following the re-posted chain");
                applied
            }
            Err(reason) => {
                // The inbox's verifier and this one disagree: everything after is suspect.
                error!(target: "challenger", from, count, %reason, "the inbox rolled back batches this challenger verified");
                return Err(ChallengerError::Config(reason));
            }
        };
        self.journal.push_back(Entry { at, event: Event::RolledBack { from }, applied });
        self.store.mark_rolled_back(from, at.block).await?;
        self.status.send_modify(|s| {
            s.rollbacks += 1;
            s.batches_checked = s.batches_checked.saturating_sub(count);
        });
        if let Some(pending) = self.pending.take_if(|p| p.proof.index() >= from) {
            self.abandon(
                pending.report,
                &format!(
                    "batch {} was rolled back (by an earlier proof, possibly this challenger's before a restart) \
                     before this proof was sent",
                    pending.proof.index()
                ),
            );
        }
        Ok(())
    }

    /// Whether batch `index`, posted at `at` with `data_hash`, is on the canonical L1 and still
    /// the inbox's batch `index`: only then is a proof against it sent.
    async fn still_posted(&self, index: u64, at: &L1Position, data_hash: B256) -> Result<bool, ChallengerError> {
        if self.block_hash(at.block).await? != Some(at.hash) {
            return Ok(false);
        }
        let count: u64 = view(&self.provider, self.config.inbox, BatchInbox::batchCountCall {}).await?.saturating_to();
        if index >= count {
            return Ok(false);
        }
        let record =
            view(&self.provider, self.config.inbox, BatchInbox::getBatchCall { index: U256::from(index) }).await?;
        Ok(record.dataHash == data_hash && record.l1Block == at.block)
    }

    /// Builds the proof that `batch`, the first invalid batch, is fraudulent, and queues it
    /// (only while the batch is on the canonical L1 and the inbox holds it).
    async fn start_proof(&mut self, batch: &PostedBatch, at: L1Position) -> Result<(), ChallengerError> {
        if !self.still_posted(batch.index, &at, batch.data_hash).await? {
            info!(target: "challenger", index = batch.index, "the batch is no longer the inbox's; no proof");
            return Ok(());
        }
        let proof = match off_runtime(|| self.verifier.prove(batch)) {
            Ok(proof) => proof,
            Err(e) => {
                error!(target: "challenger", index = batch.index, error = %e, "cannot build a fraud proof");
                self.status.send_modify(|s| {
                    s.proofs.push(ProofReport {
                        batch_index: batch.index,
                        target: String::new(),
                        commitment: None,
                        reason: String::new(),
                        state: ProofState::Failed,
                        commit_tx: None,
                        proof_tx: None,
                        gas_used: None,
                        calldata_bytes: 0,
                        error: Some(e.to_string()),
                        claim: None,
                        reward: None,
                        reward_tx: None,
                        reward_wei: None,
                    });
                });
                return Ok(());
            }
        };
        let Some((_, prover)) = &self.prover else {
            warn!(target: "challenger", index = batch.index, reason = proof.reason(), "fraud found; no prover key, so no proof is sent");
            return Ok(());
        };
        let calldata: Bytes = proof.calldata().into();
        let commitment = prove::commitment(*prover, &calldata);
        if self.status.borrow().proofs.iter().any(|p| p.commitment == Some(commitment) && p.state == ProofState::Proven)
        {
            info!(target: "challenger", index = batch.index, %commitment, "this proof was already proven");
            return Ok(());
        }
        let target = match &proof {
            FraudProof::Header { .. } => "header".to_string(),
            FraudProof::Blob { segment, .. } => format!("blob segment {segment}"),
            FraudProof::BlobRoots { .. } => "blob chunk roots".to_string(),
            FraudProof::Chunk { chunk_index, .. } => format!("chunk {chunk_index}"),
        };
        info!(target: "challenger", index = batch.index, %target, reason = proof.reason(), bytes = calldata.len(), "proving fraud");
        let mut report = 0;
        self.status.send_modify(|s| {
            let entry = ProofReport {
                batch_index: batch.index,
                target,
                commitment: Some(commitment),
                reason: proof.reason().to_string(),
                state: ProofState::Built,
                commit_tx: None,
                proof_tx: None,
                gas_used: None,
                calldata_bytes: calldata.len() as u64,
                error: None,
                claim: None,
                reward: None,
                reward_tx: None,
                reward_wei: None,
            };
            // The same proof again (its batch came back after a reorg): its report goes on.
            match s.proofs.iter().position(|p| p.commitment == Some(commitment)) {
                Some(i) => {
                    s.proofs[i] = entry;
                    report = i;
                }
                None => {
                    report = s.proofs.len();
                    s.proofs.push(entry);
                }
            }
        });
        self.pending = Some(PendingProof {
            proof,
            calldata,
            commitment,
            at,
            data_hash: batch.data_hash,
            committed_at: None,
            report,
        });
        Ok(())
    }

    /// Collects the rewards of its proven proofs that are due (`claimReward`): a claim is paid
    /// once the batch before the one it proved is final, and superseded if a proof of an
    /// earlier batch rolled that one back (docs/fraud-proofs.md §6.4). The inbox is asked only
    /// once the L1's head has passed the time it last gave (L1 seconds, which an L1 in a test
    /// may move ahead of the wall clock).
    async fn collect_rewards(&mut self) -> Result<(), ChallengerError> {
        let Some((provider, _)) = &self.prover else { return Ok(()) };
        let inbox = self.config.inbox;
        let pending: Vec<(usize, u64)> = self
            .status
            .borrow()
            .proofs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.state == ProofState::Proven && p.reward == Some(RewardState::Pending))
            .filter_map(|(i, p)| p.claim.map(|c| (i, c)))
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let head = provider.get_block_by_number(BlockNumberOrTag::Latest).await.map_err(ChallengerError::l1)?;
        let now = head.map_or_else(now_secs, |b| b.header.timestamp);
        for (report, claim) in pending {
            if self.reward_due.get(&claim).is_some_and(|due| now < *due) {
                continue;
            }
            let state =
                rollup_l1::view(provider, inbox, BatchInbox::claimStateCall { claim: U256::from(claim) }).await?;
            match ClaimState::of(state.state) {
                ClaimState::Pending => {
                    self.reward_due.insert(claim, state.dueAt.saturating_to());
                }
                ClaimState::Superseded => {
                    warn!(target: "challenger", claim, "a proof of an earlier batch superseded this proof's claim: its reward went there");
                    self.status.send_modify(|s| s.proofs[report].reward = Some(RewardState::Superseded));
                }
                ClaimState::Paid => {
                    self.status.send_modify(|s| s.proofs[report].reward = Some(RewardState::Paid));
                }
                ClaimState::Due => {
                    let input = BatchInbox::claimRewardCall { claim: U256::from(claim) }.abi_encode();
                    let request = TransactionRequest::default().with_to(inbox).with_input(input);
                    let receipt = rollup_l1::send_ok(provider, request, "the reward's claim").await?;
                    let paid = event_in::<BatchInbox::RewardPaid>(&receipt, inbox).map(|e| e.amount);
                    info!(target: "challenger", claim, tx = %receipt.transaction_hash, ?paid, "reward collected");
                    self.status.send_modify(|s| {
                        s.proofs[report].reward = Some(RewardState::Paid);
                        s.proofs[report].reward_tx = Some(receipt.transaction_hash);
                        s.proofs[report].reward_wei = paid;
                    });
                }
                // A claim the inbox does not know: a reorg took the proof out (it is proven
                // again, with a claim of its own).
                ClaimState::Unknown => {
                    warn!(target: "challenger", claim, "the inbox does not know this claim (an L1 reorg took its proof out)");
                    self.status.send_modify(|s| s.proofs[report].reward = None);
                }
            }
        }
        Ok(())
    }

    /// Moves the pending proof on: commit it, then (in a later L1 block) reveal it; before
    /// each, checks that its batch is still posted where it was read.
    async fn advance_proof(&mut self) -> Result<(), ChallengerError> {
        let Some(pending) = &self.pending else { return Ok(()) };
        if self.prover.is_none() {
            return Ok(());
        }
        let (index, at, data_hash) = (pending.proof.index(), pending.at, pending.data_hash);
        if !self.still_posted(index, &at, data_hash).await? {
            if let Some(pending) = self.pending.take() {
                warn!(target: "challenger", index, "the batch left the canonical L1 before its proof was sent; abandoning it");
                self.abandon(
                    pending.report,
                    "the batch is no longer the inbox's (a reorg or a rollback) before the proof was sent",
                );
            }
            return Ok(());
        }
        let (Some(pending), Some((provider, _))) = (&mut self.pending, &self.prover) else { return Ok(()) };
        let inbox = self.config.inbox;
        if pending.committed_at.is_none() {
            // Committed already (by this challenger before a restart, or before a reorg that
            // left the commitment in place): go on to the reveal instead of committing again.
            let at = rollup_l1::view(provider, inbox, BatchInbox::proofCommitmentsCall(pending.commitment)).await?;
            if !at.is_zero() {
                let at = at.saturating_to::<u64>();
                info!(target: "challenger", index, block = at, "the proof's commitment is on L1 already; revealing it");
                pending.committed_at = Some(at);
                let report = pending.report;
                self.status.send_modify(|s| s.proofs[report].state = ProofState::Committed);
                return Ok(());
            }
            let input = BatchInbox::commitProofCall { commitment: pending.commitment }.abi_encode();
            let request = TransactionRequest::default().with_to(inbox).with_input(input);
            let receipt = rollup_l1::send_ok(provider, request, "the proof's commitment").await?;
            pending.committed_at = receipt.block_number;
            let (report, tx) = (pending.report, receipt.transaction_hash);
            self.status.send_modify(|s| {
                s.proofs[report].state = ProofState::Committed;
                s.proofs[report].commit_tx = Some(tx);
            });
            // The reveal needs a later block; and the batch is checked again before it.
            return Ok(());
        }
        let request = TransactionRequest::default().with_to(inbox).with_input(pending.calldata.clone());
        // Estimated on the pending block: the commitment must be in an earlier one.
        let gas = match provider.estimate_gas(request.clone()).block(BlockNumberOrTag::Pending.into()).await {
            Ok(gas) => gas,
            Err(err) => {
                let err = L1Error::from(err);
                if let Some(BatchInbox::BatchInboxErrors::ProofNotCommitted(_)) = err.inbox_error() {
                    // The node has not moved past the commitment's block yet (or a reorg took
                    // the commitment out: it is made again).
                    if let Some(at) = pending.committed_at
                        && self.provider.get_block_number().await.map_err(ChallengerError::l1)? > at + 2
                    {
                        pending.committed_at = None;
                    }
                    return Ok(());
                }
                let reason = match (err.action(), err.contract_error()) {
                    (Action::Retry, _) => return Err(ChallengerError::L1(err)),
                    (_, Some(named)) => named.to_string(),
                    _ => err.to_string(),
                };
                error!(target: "challenger", index = pending.proof.index(), %reason, "the inbox refuses the fraud proof");
                let report = pending.report;
                self.status.send_modify(|s| {
                    s.proofs[report].state = ProofState::Failed;
                    s.proofs[report].error = Some(reason);
                });
                self.pending = None;
                return Ok(());
            }
        };
        // A fifth more than estimated, within what one L1 transaction may use (EIP-7825): the
        // proof bound (docs/fraud-proofs.md §7) keeps every proof well under it.
        let limit = (gas + gas / 5).min(rollup_types::chain::EIP7825_TX_GAS_CAP).max(gas);
        let receipt = rollup_l1::send(provider, request.with_gas_limit(limit)).await?;
        let report = pending.report;
        let index = pending.proof.index();
        if receipt.status() {
            let claim = event_in::<BatchInbox::FraudProven>(&receipt, inbox).map(|e| e.claim.saturating_to::<u64>());
            info!(target: "challenger", index, tx = %receipt.transaction_hash, gas = receipt.gas_used, ?claim, "fraud proven");
            self.status.send_modify(|s| {
                s.proofs[report].state = ProofState::Proven;
                s.proofs[report].proof_tx = Some(receipt.transaction_hash);
                s.proofs[report].gas_used = Some(receipt.gas_used);
                s.proofs[report].error = None;
                s.proofs[report].claim = claim;
                s.proofs[report].reward = claim.map(|_| RewardState::Pending);
            });
            self.pending = None;
        } else {
            // Estimated to succeed but reverted (a race with another prover or a rollback):
            // judged again next round from what L1 says.
            warn!(target: "challenger", index, tx = %receipt.transaction_hash, "fraud proof reverted; retrying");
            self.status.send_modify(|s| s.proofs[report].proof_tx = Some(receipt.transaction_hash));
        }
        Ok(())
    }

    async fn fetch(&self, log: &Log, event: BatchInbox::BatchPosted) -> Result<PostedBatch, ChallengerError> {
        let tx_hash = log.transaction_hash.ok_or_else(|| ChallengerError::missing("a log's transaction"))?;
        let tx = self
            .provider
            .get_transaction_by_hash(tx_hash)
            .await
            .map_err(ChallengerError::l1)?
            .ok_or_else(|| ChallengerError::missing(format!("L1 transaction {tx_hash}")))?;
        let l1_block = log.block_number.ok_or_else(|| ChallengerError::missing("a log's block number"))?;
        // The inbox takes a post only as the top-level call of a transaction from the batcher's
        // account without code, so the batch is in the transaction that emitted the event: its
        // input, or its blob. Anything else is an alarm, never a verdict.
        let post = read_post(self.config.inbox, tx.inner.signer(), tx.inner.inner(), &event).map_err(|reason| {
            ChallengerError::Unreadable(UnreadablePost {
                batch_index: event.index.saturating_to(),
                l1_tx: tx_hash,
                reason,
            })
        })?;
        let (data, blob, chunk_roots) = match post.data {
            PostData::Calldata(data) => match post.chunk_roots {
                PostRoots::Listed(roots) => (data, None, roots),
                PostRoots::InBlob { .. } => return Err(ChallengerError::missing("the roots of a calldata post")),
            },
            PostData::Blob { blob, length, segment_hashes, kzg_hint } => {
                // The inbox took the post only with one blob per batch, batch i's in blob i.
                let hashes = tx.inner.inner().blob_versioned_hashes().unwrap_or_default();
                let versioned_hash = *hashes
                    .get(blob)
                    .ok_or_else(|| ChallengerError::missing(format!("blob {blob} of blob post {tx_hash}")))?;
                let block_hash = log.block_hash.ok_or_else(|| ChallengerError::missing("a log's block hash"))?;
                let raw = self.blob(l1_block, block_hash, versioned_hash, kzg_hint).await?;
                let data = rollup_types::blob::payload(&raw, length as usize)
                    .map_err(|e| ChallengerError::beacon(format!("blob {versioned_hash}: {e}")))?;
                // The roots end the blob (docs/fraud-proofs.md §8.8): read as they are, judged
                // against the posted hash with the rest of the batch.
                let roots = rollup_types::blob::chunk_roots(&raw, post.chunk_roots.count() as usize)
                    .map_err(|e| ChallengerError::beacon(format!("blob {versioned_hash}: {e}")))?;
                let chunk_roots_hash = post.chunk_roots.hash();
                (data.into(), Some(BlobPost { versioned_hash, segment_hashes, chunk_roots_hash, raw }), roots)
            }
        };
        let (prev_state_root, queue_acc_after) = (post.prev_state_root, post.queue_accumulator);
        let (queue, queue_acc) = self.queue_entries(log, event.queueEnd, queue_acc_after).await?;
        Ok(PostedBatch {
            index: event.index.saturating_to(),
            l1_block,
            l1_tx_hash: tx_hash,
            data_hash: event.dataHash,
            data,
            blob,
            prev_state_root,
            chunk_roots,
            state_root: event.stateRoot,
            last_block: event.lastL2Block,
            queue_end: event.queueEnd,
            queue,
            queue_acc,
        })
    }

    /// The queue entries a batch posted in `log`'s block consumed, from the verifier's queue
    /// position to `queue_end`, read from the bridge's events and checked against its
    /// accumulators at that block (the one before them, and `acc_after`, which the post
    /// carried and the inbox checked); with the accumulator before them. None when the batch
    /// consumes nothing new, or builds on an invalid batch (the verifier replays neither).
    async fn queue_entries(
        &self,
        log: &Log,
        queue_end: u64,
        acc_after: B256,
    ) -> Result<(Vec<QueueEntry>, B256), ChallengerError> {
        let start = self.verifier.position().queue_end;
        if queue_end <= start || self.verifier.invalid_from().is_some() {
            return Ok((Vec::new(), B256::ZERO));
        }
        let block_hash = log.block_hash.ok_or_else(|| ChallengerError::missing("a log's block hash"))?;
        let block = log.block_number.ok_or_else(|| ChallengerError::missing("a log's block number"))?;
        let at = alloy::eips::BlockId::hash(block_hash);
        let bridge = rollup_l1::view_at(&self.provider, self.config.inbox, BatchInbox::bridgeCall {}, at).await?;
        let first =
            rollup_l1::view_at(&self.provider, bridge, L1Bridge::queueAtCall { count: U256::from(start) }, at).await?;
        // Entries `start …` were queued from the block of entry `start` on, and before the post.
        let filter = Filter::new()
            .address(bridge)
            .event_signature(queue::event_signatures())
            .from_block(first.nextL1Block)
            .to_block(block);
        let logs = self.provider.get_logs(&filter).await.map_err(ChallengerError::l1)?;
        let mut entries: Vec<QueueEntry> = logs
            .iter()
            .filter_map(|l| queue::entry_of_log(&l.inner.data))
            .filter(|e| (start..queue_end).contains(&e.index))
            .collect();
        entries.sort_by_key(|e| e.index);
        entries.dedup_by_key(|e| e.index);
        let computed = queue::accumulate_all(first.accumulator, &entries);
        if entries.len() as u64 != queue_end - start || computed != acc_after {
            // Logs read while the L1 moved: read again.
            return Err(ChallengerError::L1(L1Error::Moved(format!(
                "read {} queue entries from {start} to {queue_end} accumulating to {computed}; the post says {acc_after}",
                entries.len()
            ))));
        }
        Ok((entries, first.accumulator))
    }

    /// The blob of versioned hash `hash` posted in L1 block `block` (of hash `block_hash`): the
    /// one kept in the challenger's database, or read from the beacon API (`--l1.beacon`, then
    /// each fallback), checked against the hash (its KZG commitment's) and kept. Each server is
    /// asked for the block by the name it takes ([`beacon::BlockNaming`]): a beacon node by the
    /// slot of the block's timestamp, anvil by its number.
    async fn blob(
        &self,
        block: u64,
        block_hash: B256,
        hash: B256,
        hint: Option<KzgHint>,
    ) -> Result<Bytes, ChallengerError> {
        if let Some(kept) = self.store.blob(hash).await? {
            return Ok(kept.into());
        }
        let first = self.config.l1_beacon.as_ref().unwrap_or(&self.config.l1_rpc);
        let mut timestamp = None;
        let mut failures = Vec::new();
        for base in std::iter::once(first).chain(&self.config.l1_beacon_fallbacks) {
            let (block_id, asked) = match self.beacon.naming(base).await {
                Ok(beacon::BlockNaming::ExecutionNumbers) => (block.to_string(), String::new()),
                Ok(beacon::BlockNaming::Slots(clock)) => {
                    let time = match timestamp {
                        Some(time) => time,
                        None => *timestamp.insert(self.block_timestamp(block, block_hash).await?),
                    };
                    match clock.slot_at(time) {
                        Ok(slot) => {
                            (slot.to_string(), format!(" (by slot: L1 block {block} at {time} is slot {slot})"))
                        }
                        Err(e) => {
                            failures.push(format!("{base}: L1 block {block}: {e}"));
                            continue;
                        }
                    }
                }
                Err(e) => {
                    failures.push(e);
                    continue;
                }
            };
            match self.beacon.fetch(base, &block_id, hash, hint).await {
                Ok(blob) => {
                    self.store.save_blob(hash, block, &blob).await?;
                    return Ok(blob);
                }
                Err(e) => failures.push(format!("{e}{asked}")),
            }
        }
        Err(ChallengerError::beacon(format!("blob {hash} of L1 block {block}: {}", failures.join("; "))))
    }

    /// The timestamp of L1 block `number`, of hash `hash` (a reorg that replaced it is an L1
    /// error: read again).
    async fn block_timestamp(&self, number: u64, hash: B256) -> Result<u64, ChallengerError> {
        let block = self.provider.get_block_by_hash(hash).await.map_err(ChallengerError::l1)?;
        let block = block.ok_or_else(|| ChallengerError::missing(format!("L1 block {number} ({hash})")))?;
        Ok(block.header.timestamp)
    }

    async fn judge(&mut self, batch: &PostedBatch, at: L1Position) -> Result<(), ChallengerError> {
        let (verdict, applied) = off_runtime(|| self.verifier.verify(batch))?;
        let txs = applied.txs();
        self.journal.push_back(Entry { at, event: Event::Posted { index: batch.index, txs }, applied });
        self.since_snapshot += txs;
        self.store.record(batch, &at, &verdict, now_secs()).await?;
        match &verdict {
            Verdict::Verified { state_root } => {
                info!(target: "challenger", index = batch.index, l1_block = batch.l1_block, txs, %state_root, "batch verified");
                self.status.send_modify(|s| {
                    s.batches_checked += 1;
                    s.last_verified_batch = Some(batch.index);
                    s.last_verified_state_root = Some(*state_root);
                    s.last_verified_l2_block = Some(batch.last_block);
                });
            }
            Verdict::Mismatch { fault, computed_root } => {
                let reason = fault.to_string();
                error!(target: "challenger", index = batch.index, %reason, posted = %batch.state_root, ?computed_root, "batch MISMATCH");
                self.status.send_modify(|s| {
                    s.batches_checked += 1;
                    s.mismatch_verdicts += 1;
                    s.mismatches.push(Mismatch {
                        batch_index: batch.index,
                        reason,
                        posted_root: batch.state_root,
                        computed_root: *computed_root,
                    });
                });
                if self.verifier.invalid_from() == Some(batch.index) && self.pending.is_none() {
                    self.start_proof(batch, at).await?;
                }
            }
        }
        Ok(())
    }
}

/// The post that `tx`, sent by `from`, made, if it is one the inbox at `inbox` recorded as
/// `event`: a transaction sent to the inbox by the poster, whose input is a `postBatch`,
/// `postBatchBlobs` or `postBatchesBlobs` call (what follows the call's arguments is the KZG
/// hints or nothing the inbox reads) posting the event's batch, naming the batch, blocks, queue position and chunk roots the inbox recorded,
/// with the data (or, for a blob post, the segment hashes) the inbox committed to. `Err` says
/// why not.
fn read_post(
    inbox: Address,
    from: Address,
    tx: &impl alloy::consensus::Transaction,
    event: &BatchInbox::BatchPosted,
) -> Result<PostCall, String> {
    if tx.to() != Some(inbox) {
        return Err(format!("the transaction was sent to {:?}, not to the inbox {inbox}", tx.to()));
    }
    if from != event.poster {
        return Err(format!("the transaction was sent by {from}, the inbox recorded poster {}", event.poster));
    }
    let post = PostCall::decode_batch(tx.input(), event.index.saturating_to())
        .map_err(|e| format!("its input is not a post: {e}"))?
        .ok_or_else(|| format!("its call does not post batch {}", event.index))?;
    let roots = &post.chunk_roots;
    if U256::from(post.index) != event.index
        || post.last_block != event.lastL2Block
        || post.queue_end != event.queueEnd
        || roots.hash() != event.chunkRootsHash
        || roots.count() != u64::from(event.chunkCount)
        || roots.state_root(post.prev_state_root) != event.stateRoot
    {
        return Err(format!(
            "its call names batch {} to L2 block {} and queue position {}, the inbox recorded batch {} to L2 block {} \
             and queue position {} (or other chunk roots)",
            post.index, post.last_block, post.queue_end, event.index, event.lastL2Block, event.queueEnd
        ));
    }
    let commitment = match &post.data {
        PostData::Calldata(data) => rollup_types::codec::data_commitment(data),
        PostData::Blob { length, segment_hashes, .. } => {
            rollup_types::codec::data_commitment_of(*length as usize, segment_hashes)
        }
    };
    if commitment != event.dataHash {
        return Err(format!("its data commits to {commitment}, the inbox recorded {}", event.dataHash));
    }
    Ok(post)
}

/// The first event `E` that `emitter` logged in `receipt`.
fn event_in<E: SolEvent>(receipt: &alloy::rpc::types::TransactionReceipt, emitter: Address) -> Option<E> {
    receipt
        .inner
        .logs()
        .iter()
        .filter(|l| l.address() == emitter && l.topic0() == Some(&E::SIGNATURE_HASH))
        .find_map(|l| E::decode_log_data(&l.inner.data).ok())
}

/// Runs CPU work (judging a batch: sender recovery and execution, tens of milliseconds) without
/// holding an async worker: on a multi-threaded runtime the worker's other tasks move to
/// another thread meanwhile, so that a challenger sharing a runtime (the devnet) does not stall
/// the HTTP server or the batcher.
fn off_runtime<R>(f: impl FnOnce() -> R) -> R {
    let f = || rollup_types::cpu::charged(rollup_types::cpu::Stage::Judging, f);
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::consensus::TxEip1559;
    use alloy_primitives::TxKind;

    const INBOX: Address = Address::repeat_byte(0x1b);
    const POSTER: Address = Address::repeat_byte(0xba);

    fn call(data: &'static [u8]) -> BatchInbox::postBatchCall {
        BatchInbox::postBatchCall {
            index: U256::from(3u8),
            prevStateRoot: B256::repeat_byte(1),
            lastBlock: 9,
            queueEnd: 2,
            queueAccumulator: B256::repeat_byte(2),
            data: Bytes::from_static(data),
            chunkRoots: vec![B256::repeat_byte(4), B256::repeat_byte(5)],
        }
    }

    fn event_of(call: &BatchInbox::postBatchCall) -> BatchInbox::BatchPosted {
        BatchInbox::BatchPosted {
            index: call.index,
            poster: POSTER,
            dataHash: rollup_types::codec::data_commitment(&call.data),
            chunkRootsHash: rollup_types::codec::chunk_roots_hash(&call.chunkRoots),
            stateRoot: B256::repeat_byte(5),
            lastL2Block: call.lastBlock,
            chunkCount: 2,
            queueEnd: call.queueEnd,
        }
    }

    fn tx(to: Address, input: Vec<u8>) -> TxEip1559 {
        TxEip1559 { to: TxKind::Call(to), input: input.into(), ..TxEip1559::default() }
    }

    /// A post is read only from a transaction sent to the inbox by the poster whose call is the
    /// batch the inbox recorded (issue 53); anything else says why it cannot be read.
    #[test]
    fn a_post_is_read_only_from_the_transaction_the_inbox_recorded() {
        let honest = call(b"batch data");
        let event = event_of(&honest);
        let input = honest.abi_encode();
        let post = read_post(INBOX, POSTER, &tx(INBOX, input.clone()), &event).expect("read");
        assert_eq!(post.data, PostData::Calldata(honest.data.clone()));
        // Bytes after the arguments (a blob post's KZG hint) do not change what is read.
        let trailing = [input.as_slice(), &[7u8; 40]].concat();
        assert!(read_post(INBOX, POSTER, &tx(INBOX, trailing), &event).is_ok());

        let refused = |to: Address, from: Address, input: Vec<u8>| {
            read_post(INBOX, from, &tx(to, input), &event).expect_err("not the post")
        };
        // Sent to another address (a delegated batcher's own account, EIP-7702).
        let decoy = call(b"decoy").abi_encode();
        let forwarded = [decoy.as_slice(), &input].concat();
        assert!(refused(POSTER, POSTER, forwarded).contains("not to the inbox"));
        assert!(refused(INBOX, Address::repeat_byte(9), input.clone()).contains("sent by"));
        assert!(refused(INBOX, POSTER, BatchInbox::stakeCall {}.abi_encode()).contains("not a post"));
        // A call to the inbox whose data or batch is not what the inbox recorded.
        assert!(refused(INBOX, POSTER, decoy).contains("commits to"));
        let mut other = honest.clone();
        other.lastBlock = 10;
        assert!(refused(INBOX, POSTER, other.abi_encode()).contains("L2 block 10"));
        let mut other = honest.clone();
        other.chunkRoots.reverse();
        assert!(refused(INBOX, POSTER, other.abi_encode()).contains("other chunk roots"));
        let mut other = honest.clone();
        other.index = U256::from(4u8);
        assert!(refused(INBOX, POSTER, other.abi_encode()).contains("does not post batch 3"));
    }

    /// A batch posted second in a multi-blob post is read from that post's call, with the blob
    /// it names: the post's second.
    #[test]
    fn a_batch_of_a_multi_blob_post_is_read_with_its_own_blob() {
        let batch = |index: u8, length: u64| BatchInbox::BlobBatch {
            index: U256::from(index),
            prevStateRoot: B256::repeat_byte(index),
            lastBlock: 10 * u64::from(index),
            queueEnd: 2,
            queueAccumulator: B256::repeat_byte(2),
            length: U256::from(length),
            segmentHashes: vec![B256::repeat_byte(0x50 + index)],
            chunkCount: U256::from(1u8),
            chunkRootsHash: alloy_primitives::keccak256(B256::repeat_byte(index + 1)),
            stateRoot: B256::repeat_byte(index + 1),
        };
        let post = BatchInbox::postBatchesBlobsCall { batches: vec![batch(3, 700), batch(4, 900)] };
        let second = &post.batches[1];
        let event = BatchInbox::BatchPosted {
            index: second.index,
            poster: POSTER,
            dataHash: rollup_types::codec::data_commitment_of(900, &second.segmentHashes),
            chunkRootsHash: second.chunkRootsHash,
            stateRoot: second.stateRoot,
            lastL2Block: second.lastBlock,
            chunkCount: 1,
            queueEnd: 2,
        };
        let read = read_post(INBOX, POSTER, &tx(INBOX, post.abi_encode()), &event).expect("read");
        assert_eq!(read.index, 4);
        assert_eq!(
            read.data,
            PostData::Blob { blob: 1, length: 900, segment_hashes: second.segmentHashes.clone(), kzg_hint: None }
        );
        // The first batch's call does not hold the second's data.
        let mut swapped = post.clone();
        swapped.batches[1].length = U256::from(700u16);
        let err = read_post(INBOX, POSTER, &tx(INBOX, swapped.abi_encode()), &event).expect_err("other data");
        assert!(err.contains("commits to"), "{err}");
        // Roots the event did not record: another count, hash or state root.
        for change in 0..3 {
            let mut other = post.clone();
            let b = &mut other.batches[1];
            match change {
                0 => b.chunkCount = U256::from(2u8),
                1 => b.chunkRootsHash = B256::repeat_byte(0xee),
                _ => b.stateRoot = B256::repeat_byte(0xee),
            }
            let err = read_post(INBOX, POSTER, &tx(INBOX, other.abi_encode()), &event).expect_err("other roots");
            assert!(err.contains("other chunk roots"), "{change}: {err}");
        }
    }

    #[test]
    fn an_unreadable_post_is_an_alarm_in_the_status_and_the_metrics() {
        let post = UnreadablePost { batch_index: 4, l1_tx: B256::repeat_byte(6), reason: "sent elsewhere".into() };
        let err = ChallengerError::Unreadable(post.clone());
        assert!(!err.is_fatal(), "read again every round");
        assert!(err.to_string().contains("batch 4 cannot be read"), "{err}");
        let status = ChallengerStatus { unreadable: Some(post), unreadable_posts: 1, ..ChallengerStatus::default() };
        let mut metrics = String::new();
        status.render_prometheus(&mut metrics);
        assert!(metrics.contains("\nrollup_challenger_unreadable 1\n"), "{metrics}");
        assert!(metrics.contains("\nrollup_challenger_unreadable_posts_total 1\n"), "{metrics}");
        let json = serde_json::to_value(&status).expect("json");
        assert_eq!(json["unreadable"]["batchIndex"], 4);
    }
}
