//! Block production: execute the ready transactions on top of the tip (pipelined under a
//! backlog), seal blocks whose state roots are known, write them to the database, and take
//! state snapshots.

use super::{Head, Node, RecentBlock, lock, now_millis, now_secs};
use crate::{
    error::SequencerError,
    mempool::PoolTx,
    store::{IncludedTx, StatusChange, StoredBlock, StoredLog, StoredSnapshot, StoredStatus, TxOrigin},
};
use alloy_primitives::{Address, B256, Bloom, BloomInput, map::HashSet};
use rollup_chain_store::{BlockWrite, ConsumedEntry, QueuedEntry, WithdrawalRecord};
use rollup_executor::{BlockEnvInput, ExecutedBlock, Overwritten, QueueResult, State, TxResult};
use rollup_types::{BlockHeader, RecoveredTx, block::transactions_root, codec::BlockSizeBound, deposit::DepositTx};
use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// A block executed and applied to the tip's state whose state root is still being computed
/// (see [`Pipeline`]).
#[derive(Debug)]
pub(super) struct Unsealed {
    env: BlockEnvInput,
    /// The queue entries it consumed, in order (before its transactions).
    queue: Vec<QueuedEntry>,
    /// The queue position after it: entries consumed and the accumulator.
    queue_end: (u64, B256),
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
    queue: Vec<ConsumedEntry>,
    included: Vec<IncludedTx>,
    /// The sender and nonce of each of `included`, in order.
    senders: Vec<(Address, u64)>,
    withdrawals: Vec<WithdrawalRecord>,
    changes: Vec<StatusChange>,
    state: Arc<State>,
    /// What the block overwrote (the state before it, for reads at recent blocks).
    overwritten: Option<Arc<Overwritten>>,
    execution: Duration,
    state_root: Duration,
}

/// A block's logs bloom, built with one hash per distinct address and topic: the logs of a
/// block of transfers repeat the same contracts and event signatures thousands of times, and
/// a bloom hashes every item it takes (a keccak each).
#[derive(Default)]
struct BlockBloom {
    bloom: Bloom,
    addresses: HashSet<Address>,
    // Apart from the addresses: an indexed address is a topic equal to the address padded to
    // 32 bytes, a different bloom input.
    topics: HashSet<B256>,
}

impl BlockBloom {
    fn accrue(&mut self, log: &alloy_primitives::Log) {
        if self.addresses.insert(log.address) {
            self.bloom.accrue(BloomInput::Raw(log.address.as_slice()));
        }
        for topic in log.topics() {
            if self.topics.insert(*topic) {
                self.bloom.accrue(BloomInput::Raw(topic.as_slice()));
            }
        }
    }
}

/// How long an idle chain lets readings of the L1's fees wait before it makes a block for them
/// alone (docs/fees.md §4.1): the sequencer's empty blocks (every 2 s by default) carry them
/// sooner; without those, this keeps them well within the inclusion window.
const READINGS_ALONE_AFTER: Duration = Duration::from_secs(10);

/// Most queue entries a block consumes ([`rollup_types::chain::MAX_BLOCK_QUEUE_ENTRIES`], a
/// chunk each), and at most half the chunks a batch may hold (docs/batch-codec.md §3.5), so
/// that a block with its entries and transactions always fits one batch.
fn max_block_queue_entries() -> u64 {
    rollup_types::chain::MAX_BLOCK_QUEUE_ENTRIES.min(rollup_types::codec::MAX_BATCH_CHUNKS / 2)
}

/// A snapshot is also taken once this many transactions were sealed since the last one, so
/// that a restart never re-executes more than about this many (a few seconds' work).
const SNAPSHOT_MAX_REPLAY_TXS: u64 = 50_000;

/// How often held future transactions are checked for expiry (and free memory is given back
/// to the operating system).
const FUTURE_SWEEP: std::time::Duration = std::time::Duration::from_secs(5);

impl Node {
    /// Executes a block from the ready transactions, if any, seals it and every block
    /// before it and writes them to the database. Returns the new head, if a block was sealed.
    pub async fn produce_block(self: &Arc<Self>) -> Result<Option<Head>, SequencerError> {
        self.refresh_post_limits().await;
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
        let mut unsealed = std::mem::take(&mut *lock!(self.unsealed.lock()));
        // On top of the last executed block: the newest unsealed one, or the tip's head.
        let (last, queue_start) = unsealed.last().map_or_else(
            || {
                let head = &lock!(self.tip.read()).0.header;
                (super::startup::env_of(head), (head.queue_end, head.queue_accumulator))
            },
            |u| (u.env, u.queue_end),
        );
        // The bridge's entries waiting, first in the block (docs/bridge.md §3.1).
        let max_queue = max_block_queue_entries();
        let queue = match self.own_store.queue_entries(queue_start.0, max_queue).await {
            Ok(queue) => queue,
            Err(err) => {
                *lock!(self.unsealed.lock()) = unsealed;
                return Err(err.into());
            }
        };
        let tip_state = lock!(self.tip.read()).1.clone();
        // Every block fits one L1 post on its own: its encoding is bounded (the first
        // transaction always goes in, so a bound below one transaction cannot stop the chain).
        let max_bytes = self.max_block_bytes();
        let mut size = BlockSizeBound::new(&self.config.chain).with_queue(queue.len() as u64);
        let mut first = true;
        // Its scheduled gas stays within the block gas limit (docs/fees.md §3), which the L1
        // verifier enforces.
        let mut gas = 0u64;
        let fits = |p: &PoolTx| {
            let with = gas.saturating_add(p.tx.tx.scheduled_gas());
            if with > rollup_types::fees::BLOCK_GAS_LIMIT {
                return false;
            }
            let fits = size.try_push(&p.tx.tx, max_bytes) || first;
            first = false;
            if fits {
                gas = with;
            }
            fits
        };
        let (ready, more) =
            lock!(self.mempool.lock()).ready_while(|a| tip_state.nonce(a), self.config.max_block_txs, fits);
        let backlog = more || queue.len() as u64 == max_queue;
        self.backlog.store(backlog, Ordering::Relaxed);
        // An idle chain still moves: an empty block once the interval has passed.
        let idle = self.config.empty_block_interval;
        let empty_due = !idle.is_zero()
            && unsealed.is_empty()
            && self.is_accepting()
            && lock!(self.last_sealed.lock()).elapsed() >= idle;
        // Readings of the L1's fees alone make no block (the inbox queues one at a post, so a
        // block made for it would be posted and queue the next one on an idle chain): they
        // ride on the next block made for anything else, or wait at most
        // [`READINGS_ALONE_AFTER`] of idleness (well within any inclusion window).
        let readings_alone = !queue.is_empty()
            && queue.iter().all(|q| matches!(q.entry.item, rollup_types::queue::QueueItem::L1Fees { .. }));
        let readings_due = readings_alone && lock!(self.last_sealed.lock()).elapsed() >= READINGS_ALONE_AFTER;
        let new_block = !ready.is_empty() || (!queue.is_empty() && !readings_alone) || readings_due || empty_due;
        if new_block {
            *lock!(self.last_sealed.lock()) = Instant::now();
        }
        if !new_block && unsealed.is_empty() {
            return Ok(Vec::new());
        }
        let started = Instant::now();
        // Blocks left pending complete beside this step's block, if it has one.
        let overlapped = if new_block { unsealed.len() } else { 0 };
        let number = last.number + 1;
        let timestamp = now_secs().max(last.timestamp);
        let node = self.clone();
        let txs: Vec<RecoveredTx> = ready.iter().map(|p| (*p.tx).clone()).collect();
        let entries: Vec<rollup_types::queue::QueueEntry> = queue.iter().map(|q| q.entry.clone()).collect();
        // Its CPU time is charged to block production (`rollup bench e2e`'s report by stage).
        let (completed, invalid, state, env) = tokio::task::spawn_blocking(move || {
            rollup_types::cpu::charged(rollup_types::cpu::Stage::Production, move || {
                let mut pipeline = lock!(node.executor.write());
                // The L1 price is proposed from the fee state after the last block executed.
                let state = pipeline.state();
                let l1_byte_price = node.propose_l1_price(&state.fee_state(), state.l1_price_cap(), number);
                let env = BlockEnvInput { number, timestamp, l1_byte_price };
                let mut completed = Vec::new();
                let mut invalid = Vec::new();
                if new_block {
                    completed = pipeline.push_with_queue(env, &entries, &txs);
                    let results = match (pipeline.pending(), completed.last()) {
                        (Some(pending), _) => &pending.results,
                        (None, Some(done)) => &done.results,
                        (None, None) => &[][..],
                    };
                    invalid = results
                        .iter()
                        .enumerate()
                        .filter_map(|(i, r)| match r {
                            TxResult::Invalid(reason) => Some((i, reason.to_string())),
                            TxResult::Executed(_) => None,
                        })
                        .collect::<Vec<_>>();
                }
                if !(pipelined && backlog) {
                    // Nothing waits behind this block: no reason to hold its state root back.
                    completed.extend(pipeline.flush());
                }
                (completed, invalid, pipeline.state(), env)
            })
        })
        .await
        .map_err(|e| SequencerError::Task(e.to_string()))?;
        let execution = started.elapsed();

        if new_block {
            let mut changes = Vec::with_capacity(invalid.len());
            for (i, reason) in invalid {
                let hash = ready[i].tx.hash();
                warn!(target: "sequencer::block", %hash, %reason, "dropping a transaction that cannot execute");
                changes.push(StatusChange { hash, status: StoredStatus::Rejected, reason });
            }
            // Forced transactions move their senders' nonces too (and one also sent to the pool
            // is included, not superseded).
            let forced: Vec<(Address, B256)> = queue
                .iter()
                .filter_map(|q| match &q.entry.item {
                    rollup_types::queue::QueueItem::Forced { raw } => {
                        rollup_executor::admit_forced(raw, &self.config.chain).ok().map(|t| (t.sender, t.hash()))
                    }
                    rollup_types::queue::QueueItem::Deposit { .. } | rollup_types::queue::QueueItem::L1Fees { .. } => {
                        None
                    }
                })
                .collect();
            self.take_from_mempool(&ready, &forced, &changes, &state);
            let queue_end = queue.last().map_or(queue_start, |q| (q.entry.index + 1, q.accumulator));
            unsealed.push(Unsealed { env, queue, queue_end, ready, changes, state, execution });
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
            sealed
                .push(rollup_types::cpu::charged(rollup_types::cpu::Stage::Sealing, || self.seal_one(block, executed)));
        }
        std::mem::swap(&mut *lock!(self.unsealed.lock()), &mut rest);
        Ok(sealed)
    }

    /// Takes the transactions of a block just executed out of the mempool with the state
    /// after it: the rejected ones, the included ones and those their nonces superseded.
    fn take_from_mempool(
        &self,
        ready: &[PoolTx],
        forced: &[(Address, B256)],
        rejected: &[StatusChange],
        state: &Arc<State>,
    ) {
        let senders: HashSet<Address> = ready.iter().map(|p| p.tx.sender).chain(forced.iter().map(|f| f.0)).collect();
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
            let included: HashSet<B256> = ready
                .iter()
                .map(|p| p.tx.hash())
                .filter(|h| !rejected_hashes.contains(h))
                .chain(forced.iter().map(|f| f.1))
                .collect();
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
        let Unsealed { env, queue, queue_end, ready, changes, state, execution } = unsealed;
        let mut included = Vec::with_capacity(queue.len() + ready.len() + 1);
        let mut bloom = BlockBloom::default();
        let mut size = BlockSizeBound::new(&self.config.chain).with_queue(queue.len() as u64);
        let mut withdrawals = Vec::new();
        // The queue entries that ran open the block as transactions (docs/fees.md §8): a
        // deposit as a type-0x7e transaction, a forced transaction as itself.
        let consumed: Vec<ConsumedEntry> = queue
            .iter()
            .zip(&executed.queue)
            .map(|(q, r)| {
                for log in r.outcome().map_or(&[][..], |o| &o.logs[..]) {
                    bloom.accrue(log);
                }
                if let QueueResult::Forced { hash, outcome, .. } = r {
                    withdrawals.extend(withdrawals_of(&outcome.logs, env.number, *hash));
                }
                if let Some(tx) = queue_transaction(q, r) {
                    included.push(tx);
                }
                consumed_entry(&q.entry, r)
            })
            .collect();
        let queue_txs = included.len() as u64;
        let mut fees = alloy_primitives::U256::ZERO;
        let mut pool_senders = Vec::with_capacity(ready.len());
        for (entry, result) in ready.iter().zip(&executed.results) {
            if let TxResult::Executed(out) = result {
                size.try_push(&entry.tx.tx, usize::MAX);
                for log in &out.logs {
                    bloom.accrue(log);
                }
                fees = fees.saturating_add(out.fee);
                withdrawals.extend(withdrawals_of(&out.logs, env.number, entry.tx.hash()));
                pool_senders.push((entry.tx.sender, entry.tx.nonce()));
                included.push(IncludedTx {
                    origin: TxOrigin::Pool,
                    hash: entry.tx.hash(),
                    raw: entry.raw.clone(),
                    outcome: out.status,
                    gas_used: out.gas_used,
                    output: out.output.clone(),
                    logs: out.logs.iter().map(StoredLog::from).collect(),
                });
            }
        }
        // The fees the block's chunks added to the vault close it, as a credit of its own.
        let closing_txs = if fees.is_zero() {
            0
        } else {
            let logs = rollup_executor::fee_credit_logs(fees);
            for log in &logs {
                bloom.accrue(log);
            }
            let credit = DepositTx::fee_credit(env.number);
            included.push(IncludedTx {
                origin: TxOrigin::Block { sender: credit.from, nonce: 0 },
                hash: credit.hash(),
                raw: credit.encoded(),
                outcome: rollup_types::TxStatus::Success,
                gas_used: 0,
                output: Default::default(),
                logs: logs.iter().map(StoredLog::from).collect(),
            });
            1
        };
        let hashes: Vec<B256> = included.iter().map(|t| t.hash).collect();
        let mut pool_senders = pool_senders.into_iter();
        let senders = included
            .iter()
            .map(|t| match t.origin {
                TxOrigin::Block { sender, nonce } => (sender, nonce),
                TxOrigin::Pool => pool_senders.next().unwrap_or_default(),
            })
            .collect();
        let mut tip = lock!(self.tip.write());
        let header = BlockHeader {
            number: env.number,
            parent_hash: tip.0.hash,
            timestamp: env.timestamp,
            state_root: executed.state_root,
            transactions_root: transactions_root(&hashes),
            logs_bloom: bloom.bloom,
            gas_used: executed.gas_used,
            base_fee: executed.base_fee,
            l1_byte_price: env.l1_byte_price,
            queue_end: queue_end.0,
            queue_accumulator: queue_end.1,
        };
        let block = StoredBlock {
            hash: header.hash(),
            header,
            chunk_roots: executed.chunk_roots,
            tx_count: included.len() as u64,
            batch_bytes: size.bytes() as u64,
            queue_txs,
            closing_txs,
        };
        tip.0 = Head { header: block.header.clone(), hash: block.hash };
        Sealed {
            block,
            queue: consumed,
            included,
            senders,
            withdrawals,
            changes,
            state,
            overwritten: executed.overwritten,
            execution,
            state_root: executed.timings.state_root,
        }
    }

    /// Writes a sealed block to the database, then publishes it as the head (and takes a
    /// snapshot when one is due).
    async fn persist(&self, sealed: Sealed) -> Result<Head, SequencerError> {
        let started = Instant::now();
        let Sealed { block, queue, included, senders, withdrawals, changes, state, overwritten, execution, state_root } =
            sealed;
        // The executor has moved on: if the block cannot be stored the service must stop and
        // replay from the database on restart.
        let history: Option<Vec<(B256, B256)>> =
            self.archive_from.and(overwritten.as_ref()).map(|o| o.leaves().collect());
        let write = BlockWrite {
            block: &block,
            queue: &queue,
            included: &included,
            changes: &changes,
            withdrawals: &withdrawals,
            history: history.as_deref(),
        };
        self.store.commit_block(&write).await?;
        if !queue.is_empty() {
            info!(target: "sequencer::block", number = block.header.number, entries = queue.len(), queue_end = block.header.queue_end, "consumed bridge queue entries");
        }
        lock!(self.l1_backlog.lock()).push(block.header.number, now_millis(), block.batch_bytes);
        let head = Head { header: block.header.clone(), hash: block.hash };
        // Held in memory before it is the head: a client that sees the head finds its block.
        self.recent.push(RecentBlock::new(block.clone(), &included, &senders));
        lock!(self.committed.write()).advance(state.clone(), &head, overwritten);
        *lock!(self.head.write()) = head.clone();
        self.events.head_sealed(head.header.number);
        // Its pool transactions: the queue's and the vault's credit are counted apart.
        let pool_txs = block.pool_txs() as usize;
        self.metrics.record_block(pool_txs, execution, state_root, started.elapsed());
        info!(target: "sequencer::block", number = head.header.number, txs = pool_txs, state_root = %head.header.state_root, "sealed block");
        let (blocks, txs) = {
            let mut since = lock!(self.since_snapshot.lock());
            *since = (since.0 + 1, since.1 + pool_txs as u64);
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

    /// Drops the future transactions held past their time (`MempoolLimits::future_ttl`) and
    /// records them `evicted`.
    fn expire_future(&self) {
        let expired = lock!(self.mempool.lock()).expire(std::time::Instant::now());
        if !expired.is_empty() {
            let ttl = self.config.mempool.future_ttl.as_secs();
            let reason = format!("expired: waited behind a nonce gap for {ttl} s");
            self.record_status(
                expired
                    .into_iter()
                    .map(|hash| StatusChange { hash, status: StoredStatus::Evicted, reason: reason.clone() })
                    .collect(),
            );
        }
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
        let mut swept = std::time::Instant::now();
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = interval.tick() => {}
            }
            self.refresh_post_limits().await;
            self.refresh_l1_backlog().await;
            if swept.elapsed() >= FUTURE_SWEEP {
                swept = std::time::Instant::now();
                self.expire_future();
                // Off the producer's thread: trimming a large heap takes milliseconds.
                tokio::task::spawn_blocking(crate::metrics::release_free_memory);
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

/// A queue entry that ran, as a transaction of its block (docs/fees.md §8): a deposit as a
/// type-0x7e transaction whose receipt holds the credit's logs (no gas: paid on L1), a forced
/// transaction as itself with its receipt (no fee: paid on L1). A skipped entry is none.
fn queue_transaction(queued: &QueuedEntry, result: &QueueResult) -> Option<IncludedTx> {
    let logs = |o: &rollup_executor::TxOutcome| o.logs.iter().map(StoredLog::from).collect();
    match result {
        QueueResult::Deposit(outcome) => {
            let deposit = DepositTx::for_deposit(&queued.entry, queued.accumulator)?;
            Some(IncludedTx {
                origin: TxOrigin::Block { sender: deposit.from, nonce: 0 },
                hash: deposit.hash(),
                raw: deposit.encoded(),
                outcome: outcome.status,
                gas_used: 0,
                output: Default::default(),
                logs: logs(outcome),
            })
        }
        QueueResult::L1Fees(outcome) => {
            let report = DepositTx::for_l1_fees(&queued.entry, queued.accumulator)?;
            Some(IncludedTx {
                origin: TxOrigin::Block { sender: report.from, nonce: 0 },
                hash: report.hash(),
                raw: report.encoded(),
                outcome: outcome.status,
                gas_used: 0,
                output: Default::default(),
                logs: logs(outcome),
            })
        }
        QueueResult::Forced { sender, hash, outcome } => {
            let rollup_types::queue::QueueItem::Forced { raw } = &queued.entry.item else { return None };
            let nonce = rollup_types::SignedTx::decode(raw).ok()?.nonce();
            Some(IncludedTx {
                origin: TxOrigin::Block { sender: *sender, nonce },
                hash: *hash,
                raw: raw.clone(),
                outcome: outcome.status,
                gas_used: outcome.gas_used,
                output: outcome.output.clone(),
                logs: logs(outcome),
            })
        }
        QueueResult::Skipped(_) => None,
    }
}

/// What the chain database records of a queue entry's result.
fn consumed_entry(entry: &rollup_types::queue::QueueEntry, result: &QueueResult) -> ConsumedEntry {
    let logs = |o: &rollup_executor::TxOutcome| o.logs.iter().map(StoredLog::from).collect();
    match result {
        QueueResult::Deposit(o) => ConsumedEntry {
            outcome: if o.status == rollup_executor::TxStatus::Success { "credited" } else { "failed" }.into(),
            tx_hash: None,
            reason: None,
            logs: logs(o),
        },
        QueueResult::L1Fees(o) => ConsumedEntry {
            outcome: if o.status == rollup_executor::TxStatus::Success { "taken" } else { "failed" }.into(),
            tx_hash: None,
            reason: None,
            logs: logs(o),
        },
        QueueResult::Forced { hash, outcome, .. } => ConsumedEntry {
            outcome: match outcome.status {
                rollup_executor::TxStatus::Success => "success",
                rollup_executor::TxStatus::Revert => "revert",
                rollup_executor::TxStatus::Halt => "halt",
            }
            .into(),
            tx_hash: Some(*hash),
            reason: None,
            logs: logs(outcome),
        },
        QueueResult::Skipped(reason) => ConsumedEntry {
            outcome: "skipped".into(),
            tx_hash: entry.forced_tx_hash(),
            reason: Some(reason.clone()),
            logs: Vec::new(),
        },
    }
}

/// The withdrawals a transaction wrote: its `WithdrawalInitiated` events (docs/bridge.md §5.1).
fn withdrawals_of(logs: &[alloy_primitives::Log], block: u64, tx_hash: B256) -> Vec<WithdrawalRecord> {
    use alloy_sol_types::SolEvent;
    use rollup_types::bindings::L2System::WithdrawalInitiated;
    logs.iter()
        .filter(|l| {
            l.address == rollup_types::SYSTEM_CONTRACT
                && l.topics().first() == Some(&WithdrawalInitiated::SIGNATURE_HASH)
        })
        .filter_map(|l| WithdrawalInitiated::decode_log_data(&l.data).ok())
        .map(|e| WithdrawalRecord {
            l2_sender: e.sender,
            index: e.index.saturating_to(),
            l1_token: e.l1Token,
            l2_token: e.l2Token,
            recipient: e.recipient,
            amount: e.amount,
            leaf: e.leaf,
            block_number: block,
            tx_hash,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Bytes, Log};

    /// The bloom built from distinct items is the bloom of every log, also when an emitting
    /// address comes back as an indexed topic (padded to 32 bytes: another bloom input).
    #[test]
    fn a_block_bloom_hashes_each_item_once_and_equals_the_bloom_of_every_log() {
        let token = Address::repeat_byte(0xaa);
        let padded = |a: Address| B256::left_padding_from(a.as_slice());
        let log = |address: Address, topics: Vec<B256>| Log::new_unchecked(address, topics, Bytes::from_static(&[1]));
        let logs = [
            log(token, vec![B256::repeat_byte(1), padded(Address::repeat_byte(2))]),
            log(token, vec![B256::repeat_byte(1), padded(Address::repeat_byte(3))]),
            log(Address::repeat_byte(2), vec![B256::repeat_byte(1), padded(token)]),
            log(Address::repeat_byte(4), vec![]),
        ];
        let mut expected = Bloom::ZERO;
        let mut built = BlockBloom::default();
        for l in &logs {
            expected.accrue_log(l);
            built.accrue(l);
        }
        assert_eq!(built.bloom, expected);
        assert_eq!((built.addresses.len(), built.topics.len()), (3, 4));
        assert!(built.bloom.contains_input(BloomInput::Raw(padded(token).as_slice())));
    }
}
