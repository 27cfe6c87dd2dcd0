//! Admission: decode and recover on every core, check against the tip's nonces and the
//! mempool, write to the database in one group commit, then hold for a block.

use super::{Node, lock, now_millis};
use crate::{
    error::SubmitError,
    fair::Client,
    mempool::{Inserted, PoolTx},
    metrics::Metrics,
    store::{PendingRow, StatusChange, Store, StoredStatus},
};
use alloy_primitives::{Address, B256, Bytes, U256};
use rayon::prelude::*;
use rollup_types::{ChainConfig, RecoveredTx, SYSTEM_CONTRACT};
use std::{
    sync::{Arc, atomic::Ordering},
    time::Instant,
};
use tokio::sync::{mpsc, oneshot};
use tracing::{error, warn};

/// A group of acknowledged transactions on its way to the database, or status changes.
pub(super) enum WriteJob {
    Pending(Vec<PendingRow>, oneshot::Sender<Result<(), String>>),
    Status(Vec<StatusChange>),
}

impl std::fmt::Debug for WriteJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pending(rows, _) => write!(f, "Pending({} rows)", rows.len()),
            Self::Status(changes) => write!(f, "Status({} changes)", changes.len()),
        }
    }
}

/// Most transactions written in one database transaction by the group commit.
const MAX_GROUP_ROWS: usize = 8_192;
/// Submissions (single or batch requests) queued for the writer before the node answers 429.
pub(super) const WRITE_QUEUE: usize = 4_096;

/// The group-commit writer: takes every submission waiting, writes them in one database
/// transaction, then acknowledges them all. Ends when the node is dropped.
pub(super) async fn run_writer(store: Store, mut jobs: mpsc::Receiver<WriteJob>, metrics: Arc<Metrics>) {
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

/// The threads that recover the senders of submissions, one per core, below the rest of the
/// process in the scheduler's eyes (`nice` = `admission_nice`, on Linux): when more is
/// offered than the machine settles, block production, posting and an in-process challenger
/// take the cores first and admission the rest, so that what was accepted keeps moving to L1
/// instead of piling up behind new submissions (docs/sequencer.md, "Admission").
pub(super) fn admission_pool(nice: i32) -> Result<rayon::ThreadPool, String> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(std::thread::available_parallelism().map_or(1, usize::from))
        .thread_name(|i| format!("admission-{i}"))
        .start_handler(move |_| lower_priority(nice))
        .build()
        .map_err(|e| format!("cannot start the admission threads: {e}"))
}

/// Raises the calling thread's nice value to `nice` (a lower priority; any thread may do that
/// to itself). Linux only: elsewhere, and for `nice <= 0`, nothing changes.
pub(super) fn lower_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    if nice > 0 {
        // SAFETY: gettid and setpriority take no pointers; on Linux, PRIO_PROCESS with a
        // thread id sets that thread's nice value (setpriority(2), "BUGS").
        let done = unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, nice) };
        if done != 0 {
            warn!(target: "sequencer::ingest", nice, "could not lower the priority of an admission thread");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// Decodes and recovers the senders of `raws`, on every thread of `pool` when there are
/// several.
pub(super) async fn recover_all(
    pool: &Arc<rayon::ThreadPool>,
    raws: Vec<Bytes>,
    chain: ChainConfig,
) -> Vec<(Bytes, Result<RecoveredTx, SubmitError>)> {
    let recover = move |raw: Bytes| {
        let tx = RecoveredTx::from_raw(&raw, &chain).map_err(SubmitError::Tx);
        (raw, tx)
    };
    if raws.len() < 4 {
        return raws.into_iter().map(recover).collect();
    }
    // Kept (reference counts only) so that every item gets a result even if the task fails.
    let kept = raws.clone();
    let (done, recovered) = oneshot::channel();
    pool.spawn(move || {
        let _ = done.send(raws.into_par_iter().map(recover).collect::<Vec<_>>());
    });
    recovered.await.unwrap_or_else(|e| {
        error!(target: "sequencer::ingest", %e, "signature recovery task failed");
        kept.into_iter()
            .map(|raw| (raw, Err(SubmitError::Internal(format!("signature recovery failed: {e}")))))
            .collect()
    })
}

impl Node {
    /// Admits one raw signed transaction of an in-process caller; see [`Self::submit_from`].
    pub async fn submit_raw(&self, raw: Bytes) -> Result<B256, SubmitError> {
        self.submit_raw_from(Client::LOCAL, raw).await
    }

    /// Admits one raw signed transaction of `client`; see [`Self::submit_from`].
    pub async fn submit_raw_from(&self, client: Client, raw: Bytes) -> Result<B256, SubmitError> {
        self.submit_from(client, vec![raw]).await.pop().unwrap_or(Err(SubmitError::ShuttingDown))
    }

    /// Admits raw signed transactions of an in-process caller; see [`Self::submit_from`].
    pub async fn submit_many(&self, raws: Vec<Bytes>) -> Vec<Result<B256, SubmitError>> {
        self.submit_from(Client::LOCAL, raws).await
    }

    /// Admits raw signed transactions of `client`: counts them against its rates of
    /// transactions and bytes, decodes them and recovers their senders (on every core), checks
    /// each against its sender's nonce and the mempool, writes the admissible ones to the
    /// database in one group commit, then holds them for a block. A result is `Ok(hash)` only
    /// once the transaction is on disk; results follow the input order.
    pub async fn submit_from(&self, client: Client, mut raws: Vec<Bytes>) -> Vec<Result<B256, SubmitError>> {
        let started = Instant::now();
        let count = raws.len();
        if self.accepting.is_cancelled() {
            return (0..count).map(|_| Err(SubmitError::ShuttingDown)).collect();
        }
        if self.is_following() {
            let leader = self.cluster().leader.map_or_else(|| "unknown".to_owned(), |l| l.holder);
            return (0..count).map(|_| Err(SubmitError::NotLeader(format!("the leader is {leader}")))).collect();
        }
        self.offered(client, &raws);
        // Refused for the backlog before the rates are counted: a refusal costs the client none
        // of its rate.
        if self.throttled() && (self.throttled_for_all() || self.heavy_submitter(client)) {
            let view = self.l1_backlog();
            let retry_after = self.backlog_retry_after(&view);
            let error = if self.throttled_for_all() {
                SubmitError::L1Backlog {
                    bytes: view.bytes,
                    oldest_secs: view.oldest_ms / 1_000,
                    max_bytes: view.max_bytes,
                    max_secs: view.max_secs,
                    retry_after,
                }
            } else {
                SubmitError::L1BacklogShare { bytes: view.bytes, max_bytes: view.max_bytes, retry_after }
            };
            let refused: Vec<Result<B256, SubmitError>> = (0..count).map(|_| Err(error.again())).collect();
            self.metrics.record_submissions(&refused, started.elapsed());
            return refused;
        }
        let (taken, over_rate) = self.take_submissions(client, &raws);
        let over_rate: Vec<Result<B256, SubmitError>> = match &over_rate {
            Some(err) => raws.split_off(taken).iter().map(|_| Err(err.again())).collect(),
            None => Vec::new(),
        };
        if raws.is_empty() {
            self.metrics.record_submissions(&over_rate, started.elapsed());
            return over_rate;
        }
        let count = raws.len();
        let recovered = recover_all(&self.admission, raws, self.config.chain).await;
        let recovery = started.elapsed();
        // Up to the write, no `.await`: this thread's CPU time is the checks'.
        let meter = rollup_types::cpu::Meter::start();
        let mut write_wait = None;
        let (head, state) = {
            let tip = lock!(self.tip.read());
            (tip.0.header.clone(), tip.1.clone())
        };
        // What the next block charges (docs/fees.md §3): a fee cap below it is refused, not held.
        let base_fee = head.next_base_fee();
        // A token call must name a token (tokens are never removed, so one registered in the
        // state of the last executed block is one when the transaction runs); a transfer of
        // ether must not go to a token; its fee cap must reach the next block's base fee, and its
        // sender must hold what it may take, `gasLimit × maxFeePerGas + value`, in that state.
        let recovered: Vec<_> = recovered
            .into_iter()
            .map(|(raw, tx)| {
                let tx = tx.and_then(|tx| {
                    match (tx.tx.native_transfer(), tx.tx.kind().to()) {
                        (Some((to, _)), _) if state.is_token(&to) => return Err(SubmitError::EtherToContract(to)),
                        (None, Some(to)) if *to != SYSTEM_CONTRACT && !state.is_token(to) => {
                            return Err(SubmitError::NotAToken(*to));
                        }
                        _ => {}
                    }
                    let balance = state.ether_balance(&tx.sender);
                    // What it may take does not depend on its L1 part: its fee cap and funds are
                    // what is checked here.
                    let offer = tx.tx.offer();
                    rollup_types::fees::charge(&offer, tx.tx.scheduled_gas(), 0, base_fee, tx.sender, balance)?;
                    Ok(tx)
                });
                (raw, tx)
            })
            .collect();
        let mut results: Vec<Option<Result<B256, SubmitError>>> = Vec::with_capacity(count);
        let mut admitted: Vec<(usize, PoolTx)> = Vec::new();
        let mut rows = Vec::new();
        let received_at = now_millis();
        // A transaction given twice in one submission: the index of its first copy.
        let mut copies: Vec<(usize, B256)> = Vec::new();
        {
            let mempool = lock!(self.mempool.lock());
            // Judged together: consecutive nonces of one sender in this submission pass as a
            // whole, as if the earlier ones were already held.
            let ok: Vec<(&RecoveredTx, u64)> = recovered
                .iter()
                .filter_map(|(_, tx)| tx.as_ref().ok())
                .map(|tx| (tx, state.nonce(&tx.sender)))
                .collect();
            let mut verdicts = mempool.check_many(ok).into_iter();
            let mut staged: alloy_primitives::map::HashSet<B256> = Default::default();
            // What the transactions admitted so far in this submission may take, by sender.
            let mut staged_cost: alloy_primitives::map::HashMap<Address, U256> = Default::default();
            for (i, (raw, tx)) in recovered.into_iter().enumerate() {
                let checked =
                    tx.and_then(|tx| verdicts.next().unwrap_or(Err(SubmitError::ShuttingDown)).map(|o| (tx, o)));
                match checked {
                    Ok((tx, Inserted::Known)) => {
                        if staged.contains(&tx.hash()) {
                            copies.push((i, tx.hash()));
                            results.push(None);
                        } else {
                            results.push(Some(Ok(tx.hash())));
                        }
                    }
                    Ok((tx, _)) => {
                        if let Some(err) = overdraws(&mempool, &state, &staged_cost, &tx) {
                            results.push(Some(Err(err)));
                            continue;
                        }
                        let cost = staged_cost.entry(tx.sender).or_default();
                        *cost = cost.saturating_add(tx.tx.offer().most());
                        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
                        staged.insert(tx.hash());
                        rows.push(PendingRow {
                            hash: tx.hash(),
                            raw: raw.clone(),
                            sender: tx.sender,
                            nonce: tx.nonce(),
                            seq,
                            received_at,
                        });
                        admitted.push((i, PoolTx::new(tx, raw, seq)));
                        results.push(None);
                    }
                    Err(err) => results.push(Some(Err(err))),
                }
            }
        }
        let admitted_at: alloy_primitives::map::HashMap<B256, usize> =
            admitted.iter().map(|(i, entry)| (entry.tx.hash(), *i)).collect();
        meter.charge(rollup_types::cpu::Stage::Pool);
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
            let meter = rollup_types::cpu::Meter::start();
            let state = self.tip_state();
            let mut held = Vec::with_capacity(admitted.len());
            let mut mempool = lock!(self.mempool.lock());
            for (i, entry) in admitted {
                let hash = entry.tx.hash();
                let nonce = state.nonce(&entry.tx.sender);
                match mempool.insert(entry, nonce) {
                    Ok(outcome) => {
                        changes.extend(displaced(outcome, hash));
                        results[i] = Some(Ok(hash));
                        held.push(hash);
                    }
                    Err(err) => {
                        changes.push(StatusChange { hash, status: StoredStatus::Rejected, reason: err.to_string() });
                        results[i] = Some(Err(err));
                    }
                }
            }
            drop(mempool);
            self.events.held(held);
            meter.charge(rollup_types::cpu::Stage::Pool);
        }
        if !changes.is_empty() {
            self.record_status(changes);
        }
        // A copy gets what its first copy got (its hash once that is held).
        for (i, hash) in copies {
            let first = admitted_at.get(&hash).and_then(|&f| results[f].as_ref());
            results[i] = Some(match first {
                Some(Ok(_)) => Ok(hash),
                Some(Err(err)) => Err(err.again()),
                None => Err(SubmitError::ShuttingDown),
            });
        }
        let mut results: Vec<Result<B256, SubmitError>> =
            results.into_iter().map(|r| r.unwrap_or(Err(SubmitError::ShuttingDown))).collect();
        results.extend(over_rate);
        self.metrics.record_submissions(&results, started.elapsed());
        self.metrics.record_ingest_phases(recovery, write_wait);
        results
    }

    /// Queues status changes for the writer (after the inserts queued before them).
    pub(super) fn record_status(&self, changes: Vec<StatusChange>) {
        if let Err(err) = self.writer.try_send(WriteJob::Status(changes)) {
            // Not lost for correctness: a restart re-applies the mempool rules to every
            // pending row and marks the losers.
            warn!(target: "sequencer::ingest", %err, "status changes not queued");
        }
    }
}

/// The status change of the transaction an admission displaced.
pub(super) fn displaced(outcome: Inserted, by: B256) -> Option<StatusChange> {
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

/// The overdraft `tx` would cause (geth's, docs/fees.md §5): what it may take, with what its
/// sender's held transactions (but one it replaces) and the ones admitted before it in the
/// same submission may take, is more than the sender holds in `state`.
fn overdraws(
    mempool: &crate::mempool::Mempool,
    state: &rollup_executor::State,
    staged: &alloy_primitives::map::HashMap<Address, U256>,
    tx: &RecoveredTx,
) -> Option<SubmitError> {
    let held =
        mempool.held_cost(&tx.sender, tx.nonce()).saturating_add(staged.get(&tx.sender).copied().unwrap_or_default());
    if held.is_zero() {
        // Its own check (`insufficient_funds`) was made with the fee rules.
        return None;
    }
    let (have, want) = (state.ether_balance(&tx.sender), tx.tx.offer().most());
    (held.saturating_add(want) > have).then_some(SubmitError::Overdraft { sender: tx.sender, have, held, want })
}
