//! Opening the chain: genesis, the newest usable snapshot, re-execution of the blocks after
//! it, and the mempool reloaded from the pending rows.

use super::{
    Head, Node, RecentBlocks, Startup, StatusSources,
    ingest::{WRITE_QUEUE, admission_pool, displaced, run_writer},
};
use crate::config::SequencerConfig;
use crate::{
    error::{SequencerError, StoreError},
    mempool::{Mempool, PoolTx},
    metrics::Metrics,
    store::{StatusChange, Store, StoredBlock, StoredStatus},
};
use alloy_primitives::{B256, Bloom};
use rayon::prelude::*;
use rollup_executor::{BlockEnvInput, Executor, ParallelConfig, Pipeline};
use rollup_types::{BlockHeader, ChainConfig, RecoveredTx, block::transactions_root, queue::QueueEntry};
use std::{
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, AtomicU64},
    },
    time::Instant,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

impl Node {
    /// Opens the database, lays out genesis, restores the newest usable state snapshot,
    /// re-executes the blocks after it and reloads the mempool.
    pub async fn open(config: SequencerConfig, status: StatusSources) -> Result<Arc<Self>, SequencerError> {
        Self::open_as(config, status, None).await
    }

    /// [`Self::open`] as the leader of the database, `lead` taken: every write is fenced by its
    /// epoch (docs/deployment.md).
    pub async fn open_as(
        config: SequencerConfig,
        status: StatusSources,
        lead: Option<crate::lead::Lead>,
    ) -> Result<Arc<Self>, SequencerError> {
        let store = match &lead {
            Some(lead) if lead.epoch > 0 => {
                let store = Store::open_leading(&config.db_url, crate::lead::stall_bound(lead.lease)).await?;
                store.fence(lead.epoch);
                store
            }
            _ => Store::open(&config.db_url).await?,
        };
        Self::open_on(config, status, store, lead, false).await
    }

    /// Opens the chain another sequencer leads on the database, as a follower: the state from
    /// the newest snapshot and the blocks after it, writing nothing; it then applies each block
    /// the leader commits ([`Self::follow_committed`]) and may take over ([`Self::take_over`]).
    /// The database must hold the genesis block already.
    pub async fn open_follower(
        config: SequencerConfig,
        status: StatusSources,
        lease: std::time::Duration,
    ) -> Result<Arc<Self>, SequencerError> {
        // Opened as a leader's would be (its transactions bounded by the lease): it becomes
        // one's at a takeover.
        let store = Store::open_leading(&config.db_url, crate::lead::stall_bound(lease)).await?;
        Self::open_on(config, status, store, None, true).await
    }

    /// Opens the chain on `store`: as the leader with `lead`, as the only process without
    /// one, or, `following`, as a follower, which writes nothing.
    async fn open_on(
        config: SequencerConfig,
        status: StatusSources,
        store: Store,
        lead: Option<crate::lead::Lead>,
        following: bool,
    ) -> Result<Arc<Self>, SequencerError> {
        let started = Instant::now();
        let genesis_executor = Executor::genesis(config.chain, &config.genesis)?;
        let genesis = BlockHeader {
            number: 0,
            parent_hash: B256::ZERO,
            timestamp: 0,
            state_root: genesis_executor.state_root(),
            transactions_root: transactions_root(&[]),
            logs_bloom: Bloom::ZERO,
            gas_used: 0,
            base_fee: config.genesis.fee_state().base_fee,
            l1_byte_price: config.genesis.fee_state().l1_byte_price,
            queue_end: 0,
            queue_accumulator: B256::ZERO,
        };
        match store.block(0).await? {
            Some(stored) if stored.header != genesis => {
                return Err(SequencerError::WrongChain(format!(
                    "its genesis state root is {}, this genesis gives {}",
                    stored.header.state_root, genesis.state_root
                )));
            }
            Some(_) => {}
            None if following => {
                return Err(
                    StoreError::Corrupt("no genesis block: the leader has not laid out the chain yet".into()).into()
                );
            }
            None => {
                let block = StoredBlock {
                    hash: genesis.hash(),
                    header: genesis.clone(),
                    chunk_roots: vec![],
                    tx_count: 0,
                    batch_bytes: 0,
                    queue_txs: 0,
                    closing_txs: 0,
                };
                store.commit_block(&rollup_chain_store::BlockWrite::new(&block, &[], &[])).await?;
            }
        }

        if !following {
            backfill(&store).await?;
        }

        let mut startup = Startup::default();
        let (executor, from) = match restore(&store, &config, u64::MAX).await? {
            Some((executor, block)) => {
                startup.snapshot_block = Some(block.header.number);
                (executor, Head { header: block.header, hash: block.hash })
            }
            None => {
                let block = store.block(0).await?.ok_or_else(|| StoreError::Corrupt("no genesis block".into()))?;
                (genesis_executor, Head { header: block.header, hash: block.hash })
            }
        };
        let executor = executor.with_parallelism(ParallelConfig::threads(config.exec_threads))?;
        let (executor, head) = replay(&store, executor, &config.chain, from, u64::MAX, Some(&mut startup)).await?;
        // From here on each block says what it overwrote: the states of recent blocks.
        let executor = executor.recording_overwritten();

        let admission = Arc::new(admission_pool(config.admission_nice).map_err(SequencerError::Task)?);
        let mempool = if following {
            Mempool::new(config.mempool)
        } else {
            let (mempool, reloaded) = reload_pending(&store, &config, &executor.state()).await?;
            startup.reloaded_pending = reloaded;
            mempool
        };
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
        // The blocks sealed before the restart that no batch on L1 holds yet.
        let mut l1_backlog = super::backlog::Backlog::default();
        let posted = store.latest_batch().await?.map_or(0, |b| b.last_block);
        let mut from = posted + 1;
        loop {
            let page = store.blocks_from(from, 1_000).await?;
            let Some(last) = page.last() else { break };
            from = last.header.number + 1;
            for block in &page {
                l1_backlog.push(block.header.number, block.header.timestamp * 1_000, block.batch_bytes);
            }
        }
        let head_number = head.header.number;
        let calls = super::calls::CallPool::new(config.calls, config.admission_nice).map_err(SequencerError::Task)?;
        let queries = super::queries::QueryPool::new(config.http.query_slots, config.admission_nice)
            .map_err(SequencerError::Task)?;
        let shares = super::shares::Shares::new(&config.http);
        let committed = super::history::Committed::new(executor.state(), &head, config.state_history);
        let archive_from = match (config.archive, following) {
            (false, _) => None,
            (true, false) => Some(store.start_history(head_number).await?.first),
            // Where the leader's history starts (it keeps it up to its head).
            (true, true) => store.history_range().await?.map(|range| range.first),
        };
        Ok(Arc::new(Self {
            calls,
            queries,
            shares,
            throttled_hard: AtomicBool::new(false),
            next_seq: AtomicU64::new(store.next_seq().await?),
            config,
            own_store: store.internal(),
            store,
            lead: lead.map(std::sync::OnceLock::from).unwrap_or_default(),
            following: AtomicBool::new(following),
            cluster: RwLock::default(),
            committed: RwLock::new(committed),
            recent: RecentBlocks::default(),
            archive_from,
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
            l1_block_bytes: AtomicU64::new(0),
            post_limits_read: Mutex::new(None),
            l1_price_target: AtomicU64::new(0),
            l1_backlog: Mutex::new(l1_backlog),
            throttled: AtomicBool::new(false),
            admission,
            batch_state: tokio::sync::Mutex::new(None),
            proof_tree: tokio::sync::Mutex::new(None),
            events: super::ChainEvents::new(head_number),
            last_sealed: Mutex::new(std::time::Instant::now()),
        }))
    }
}

/// Moves what a database from before a migration kept elsewhere (once): the receipts of the
/// blocks it holds out of their transactions' rows, and the index of their logs.
async fn backfill(store: &Store) -> Result<(), SequencerError> {
    let moved = store.backfill_receipts().await?;
    if moved > 0 {
        info!(target: "sequencer", blocks = moved, "moved the receipts of blocks sealed before the receipts by block");
    }
    let backfilled = store.backfill_logs().await?;
    if backfilled > 0 {
        info!(target: "sequencer", blocks = backfilled, "indexed the logs of blocks sealed before the log index");
    }
    Ok(())
}

/// The mempool of the pending rows, checked against `state` (the head's): each acknowledged
/// transaction held again, whatever the limits; those no longer admissible recorded rejected.
/// Returns it with how many it holds.
pub(super) async fn reload_pending(
    store: &Store,
    config: &SequencerConfig,
    state: &rollup_executor::State,
) -> Result<(Mempool, u64), SequencerError> {
    let mut mempool = Mempool::new(config.mempool);
    let mut reloaded = 0;
    let mut changes = Vec::new();
    // With the senders admission recovered (the database is this operator's own): a takeover
    // with thousands of pending transactions does not recover each signature again.
    for (raw, seq, sender) in store.pending_with_senders().await? {
        let tx = rollup_types::SignedTx::decode(&raw).and_then(|tx| {
            tx.check_admission(&config.chain)?;
            Ok(RecoveredTx::with_sender(tx, sender))
        });
        let hash = tx.as_ref().map_or_else(|_| alloy_primitives::keccak256(&raw), RecoveredTx::hash);
        let inserted = tx.map_err(crate::error::SubmitError::from).and_then(|tx| {
            let nonce = state.nonce(&tx.sender);
            // Acknowledged before: held again whatever the limits (see `Mempool::restore`).
            mempool.restore(PoolTx::new(tx, raw, seq), nonce)
        });
        match inserted {
            Ok(outcome) => {
                reloaded += 1;
                changes.extend(displaced(outcome, hash));
            }
            Err(err) => changes.push(StatusChange { hash, status: StoredStatus::Rejected, reason: err.to_string() }),
        }
    }
    store.set_status(&changes).await?;
    Ok((mempool, reloaded))
}

/// The executor over the newest snapshot at or before block `at_most` that reproduces its
/// block's state root, with that block; `None` if there is none (start from genesis).
pub(super) async fn restore(
    store: &Store,
    config: &SequencerConfig,
    at_most: u64,
) -> Result<Option<(Executor, StoredBlock)>, SequencerError> {
    for (number, root) in store.snapshot_heads().await? {
        if number > at_most {
            continue;
        }
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

/// Re-executes the stored blocks after `from` up to block `until`, checking each state root;
/// returns the executor after them and the last block replayed. The execution runs on a
/// blocking thread, a page of blocks at a time.
pub(super) async fn replay(
    store: &Store,
    mut executor: Executor,
    chain: &ChainConfig,
    from: Head,
    until: u64,
    mut startup: Option<&mut Startup>,
) -> Result<(Executor, Head), SequencerError> {
    const PAGE: u64 = 256;
    let mut head = from;
    while head.header.number < until {
        let limit = PAGE.min(until - head.header.number);
        let blocks = store.blocks_from(head.header.number + 1, limit).await?;
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
        // The queue entries the page consumed, after the head's: each block's as a range.
        let queue = store.queue_range(head.header.queue_end, last.header.queue_end).await?;
        let mut at = head.header.queue_end;
        let mut ranges = Vec::with_capacity(blocks.len());
        for b in &blocks {
            let end = b.header.queue_end;
            if end < at {
                return Err(StoreError::Corrupt(format!(
                    "block {} moves the queue back from {at} to {end}",
                    b.header.number
                ))
                .into());
            }
            ranges.push((at - head.header.queue_end) as usize..(end - head.header.queue_end) as usize);
            at = end;
        }
        let envs: Vec<BlockEnvInput> = blocks.iter().map(|b| env_of(&b.header)).collect();
        let counts: Vec<usize> = txs.iter().map(Vec::len).collect();
        // A page at a time, each block's state tree beside the next one's execution.
        let (moved, executed) = tokio::task::spawn_blocking(move || {
            let input: Vec<(BlockEnvInput, &[QueueEntry], &[RecoveredTx])> = envs
                .iter()
                .zip(&ranges)
                .zip(&txs)
                .map(|((env, range), txs)| (*env, &queue[range.clone()], &txs[..]))
                .collect();
            let executed = executor.execute_blocks(&input);
            (executor, executed)
        })
        .await
        .map_err(|e| SequencerError::Task(e.to_string()))?;
        executor = moved;
        for ((block, executed), count) in blocks.iter().zip(executed).zip(counts) {
            let n = block.header.number;
            if executed.state_root != block.header.state_root || executed.chunk_roots != block.chunk_roots {
                return Err(SequencerError::ReplayMismatch {
                    number: n,
                    computed: executed.state_root,
                    stored: block.header.state_root,
                });
            }
            if let Some(startup) = startup.as_deref_mut() {
                startup.replayed_blocks += 1;
                startup.replayed_txs += count as u64;
            }
            head = Head { header: block.header.clone(), hash: block.hash };
        }
    }
    Ok((executor, head))
}

/// The environment a sealed block ran in, from its header.
pub(crate) fn env_of(header: &BlockHeader) -> BlockEnvInput {
    BlockEnvInput { number: header.number, timestamp: header.timestamp, l1_byte_price: header.l1_byte_price }
}
