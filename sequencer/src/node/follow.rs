//! A follower (docs/deployment.md §3): a sequencer that applies the blocks the leader commits
//! to its own executor state, so that it serves every read as the leader does, and that takes
//! over from its last block when the leader's lease lapses, without opening the chain again.
//!
//! Each block is re-executed from the database's rows, with the senders the rows hold (the
//! leader recovered them at admission; the database is the operator's own), its state root and
//! chunk roots checked against the stored ones; its records (transactions and receipts, as the
//! database gives them) become a recent block, as the leader's do once committed.

use super::{Head, Node, RecentBlock, lock, startup};
use crate::{
    error::{SequencerError, StoreError},
    lead::Lead,
    store::{LeaseState, Member},
};
use rollup_executor::BlockEnvInput;
use rollup_types::{RecoveredTx, SignedTx, queue::QueueEntry};
use serde::Serialize;
use std::sync::{Arc, atomic::Ordering};
use tracing::info;

/// Blocks applied by one step at most.
const PAGE: u64 = 64;

/// Transaction rows the index learns by one step at most (a step learns them all unless the
/// leader wrote more than this since the last).
const INDEX_ROWS: u64 = 200_000;

/// What a sequencer knows of the others on its database, read every second.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    /// The lease: who leads, at which epoch, where it serves.
    pub leader: Option<LeaseState>,
    /// The newest block in the database.
    pub stored_head: u64,
    /// The sequencers that reported within the last seconds, with how far each is behind.
    pub members: Vec<FollowerLag>,
}

/// A sequencer as another sees it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowerLag {
    /// Its id.
    pub holder: String,
    /// Where it serves.
    pub url: String,
    /// `leader` or `follower`.
    pub role: String,
    /// The last block it applied.
    pub head: u64,
    /// Blocks it was behind the database's newest when it reported.
    pub lag: u64,
    /// Milliseconds since its report.
    pub age_ms: i64,
}

impl FollowerLag {
    fn of(member: Member, stored_head: u64) -> Self {
        Self {
            lag: stored_head.saturating_sub(member.head),
            holder: member.holder,
            url: member.url,
            role: member.role,
            head: member.head,
            age_ms: member.age_ms,
        }
    }
}

impl Node {
    /// Applies the blocks the leader committed after this node's head, a page at most; returns
    /// how many. A block that does not reproduce its stored roots is
    /// [`SequencerError::ReplayMismatch`]: this node's state is not the chain's.
    pub async fn follow_committed(self: &Arc<Self>) -> Result<usize, SequencerError> {
        // Lookups by hash of what the leader wrote (the blocks' rows and the pending ones).
        while self.own_store.follow_index(INDEX_ROWS).await? as u64 == INDEX_ROWS {}
        // What is not on L1 yet, as the leader measures it (its status, its throttling once
        // it leads).
        self.refresh_l1_backlog().await;
        let head = self.head();
        let blocks = self.own_store.blocks_from(head.header.number + 1, PAGE).await?;
        let Some(last) = blocks.last() else { return Ok(0) };
        let mut records = Vec::with_capacity(blocks.len());
        for block in &blocks {
            records.push(self.own_store.block_transaction_records(block.header.number).await?);
        }
        let queue = self.own_store.queue_range(head.header.queue_end, last.header.queue_end).await?;
        let mut at = head.header.queue_end;
        let mut ranges = Vec::with_capacity(blocks.len());
        let mut txs = Vec::with_capacity(blocks.len());
        for (block, records) in blocks.iter().zip(&records) {
            let end = block.header.queue_end;
            let pool = usize::try_from(block.queue_txs)
                .ok()
                .and_then(|first| records.get(first..records.len().checked_sub(block.closing_txs as usize)?));
            let (Some(pool), true) = (pool, end >= at) else {
                return Err(StoreError::Corrupt(format!(
                    "block {} lists {} transactions with {} of the queue and {} closing, and moves the queue from {at} to {end}",
                    block.header.number,
                    records.len(),
                    block.queue_txs,
                    block.closing_txs
                ))
                .into());
            };
            ranges.push((at - head.header.queue_end) as usize..(end - head.header.queue_end) as usize);
            at = end;
            let pool: Vec<RecoveredTx> = pool
                .iter()
                .map(|record| {
                    SignedTx::decode(&record.raw).map(|tx| RecoveredTx::with_sender(tx, record.sender)).map_err(|e| {
                        StoreError::Corrupt(format!(
                            "block {} holds an undecodable transaction {}: {e}",
                            block.header.number, record.hash
                        ))
                    })
                })
                .collect::<Result<_, _>>()?;
            txs.push(pool);
        }
        let envs: Vec<BlockEnvInput> = blocks.iter().map(|b| startup::env_of(&b.header)).collect();
        let node = self.clone();
        // The blocks one after the other on the pipeline: each one's state tree beside the
        // next one's execution, as the leader's.
        let (executed, states) = tokio::task::spawn_blocking(move || {
            let mut pipeline = lock!(node.executor.write());
            let mut executed = Vec::with_capacity(envs.len());
            let mut states = Vec::with_capacity(envs.len());
            for ((env, range), txs) in envs.iter().zip(ranges).zip(&txs) {
                let entries: &[QueueEntry] = &queue[range];
                executed.extend(pipeline.push_with_queue(*env, entries, txs));
                states.push(pipeline.state());
            }
            executed.extend(pipeline.flush());
            (executed, states)
        })
        .await
        .map_err(|e| SequencerError::Task(e.to_string()))?;
        let applied = blocks.len();
        for (((block, executed), state), records) in blocks.into_iter().zip(executed).zip(states).zip(records) {
            let number = block.header.number;
            if executed.state_root != block.header.state_root || executed.chunk_roots != block.chunk_roots {
                return Err(SequencerError::ReplayMismatch {
                    number,
                    computed: executed.state_root,
                    stored: block.header.state_root,
                });
            }
            let head = Head { header: block.header.clone(), hash: block.hash };
            lock!(self.l1_backlog.lock()).push(number, block.header.timestamp * 1_000, block.batch_bytes);
            // As the leader publishes a block it committed (`producer::persist`).
            self.recent.push(RecentBlock::from_records(block, records));
            lock!(self.committed.write()).advance(state.clone(), &head, executed.overwritten);
            *lock!(self.tip.write()) = (head.clone(), state);
            *lock!(self.head.write()) = head;
            self.events.head_sealed(number);
        }
        Ok(applied)
    }

    /// Makes this follower the leader of `lead`, just taken: its writes fenced by the new
    /// epoch, every block the old leader committed applied (it can commit no more), the hash
    /// index and the mempool read again from the database (the acknowledged transactions the
    /// old leader did not include), the next admission's sequence number after the old
    /// leader's. The producer is started by the caller.
    pub async fn take_over(self: &Arc<Self>, lead: Lead) -> Result<(), SequencerError> {
        let started = std::time::Instant::now();
        self.store.fence(lead.epoch);
        let mut applied = 0;
        loop {
            match self.follow_committed().await? {
                0 => break,
                n => applied += n,
            }
        }
        self.store.reload_index().await?;
        let head = self.head();
        let (mempool, reloaded) = startup::reload_pending(&self.store, &self.config, &self.tip_state()).await?;
        *lock!(self.mempool.lock()) = mempool;
        self.next_seq.store(self.store.next_seq().await?, Ordering::Relaxed);
        if self.config.archive {
            self.store.start_history(head.header.number).await?;
        }
        *lock!(self.last_sealed.lock()) = std::time::Instant::now();
        let epoch = lead.epoch;
        let _ = self.lead.set(lead);
        self.following.store(false, Ordering::Release);
        info!(
            target: "sequencer",
            epoch,
            head = head.header.number,
            applied,
            pending = reloaded,
            millis = started.elapsed().as_millis() as u64,
            "took over: leading from the last committed block"
        );
        Ok(())
    }

    /// Reads the lease, the database's newest block and the sequencers' reports, after
    /// reporting this one's (`holder`, serving at `url`) with its head.
    pub async fn report(&self, holder: &str, url: &str) -> Result<(), SequencerError> {
        let store = &self.own_store;
        store.report_member(holder, url, self.role(), self.head().header.number).await?;
        let leader = store.lease().await?;
        let stored_head = store.latest_block().await?.map_or(0, |b| b.header.number);
        let members = store
            .members(std::time::Duration::from_secs(10))
            .await?
            .into_iter()
            .map(|m| FollowerLag::of(m, stored_head))
            .collect();
        *lock!(self.cluster.write()) = Cluster { leader: Some(leader), stored_head, members };
        Ok(())
    }
}

/// The lag lines of the Prometheus page: this sequencer's blocks behind the database's newest
/// (`rollup_sequencer_lag_blocks`, 0 for the leader), and, on the leader, each follower's.
pub(crate) fn render_lag(out: &mut String, cluster: &Cluster, head: u64, following: bool) {
    use std::fmt::Write as _;
    let own = if following { cluster.stored_head.saturating_sub(head) } else { 0 };
    let _ = writeln!(
        out,
        "# HELP rollup_sequencer_lag_blocks Blocks this sequencer is behind the newest in its database.\n\
         # TYPE rollup_sequencer_lag_blocks gauge\nrollup_sequencer_lag_blocks {own}"
    );
    if following {
        return;
    }
    let _ = writeln!(
        out,
        "# HELP rollup_sequencer_follower_lag_blocks Blocks each follower was behind at its last report.\n\
         # TYPE rollup_sequencer_follower_lag_blocks gauge"
    );
    for member in cluster.members.iter().filter(|m| m.role == "follower") {
        let _ = writeln!(out, "rollup_sequencer_follower_lag_blocks{{holder=\"{}\"}} {}", member.holder, member.lag);
    }
}
