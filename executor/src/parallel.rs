//! Block execution, sequential and parallel.
//!
//! The parallel path (normative description in `docs/parallel-execution.md`):
//! 1. **Predict** the keys of every transaction from its decoded call ([`crate::predict`]).
//!    A transaction that cannot be predicted splits the block into *segments* and runs
//!    alone, in order, between them.
//! 2. **Partition** each segment: union-find over keys gives conflict groups, packed into a
//!    few tasks per thread by predicted cost ([`crate::partition`]); threads take tasks as
//!    they become free, so a thread that starts late or runs slow does not hold the block.
//! 3. **Execute**: each task runs its transactions in block order on its own overlay over
//!    the state so far, recording the first of its transactions to touch every key, and
//!    adds those first touches to the block's commit check as soon as it finishes.
//! 4. **Commit**: a key touched by two tasks is a conflict; the transactions before the
//!    earliest second touch of any key saw exactly what sequential execution would have
//!    shown them and are kept; from that transaction on, the segment is re-executed in order.
//!    Results are then assembled in block order.

use crate::{
    BlockStats, BlockTimings, InvalidTx, KeyPrediction, TxOutcome, TxResult, partition,
    predict::{self, Prediction},
    split,
    state::{Changes, Overlay, Reads, Record, Recorder, State},
    trace::Watch,
    tx_env,
};
use alloy_primitives::map::HashMap;
use rayon::prelude::*;
use revm::{
    Context, DatabaseCommit, MainBuilder, MainContext,
    context::{BlockEnv, CfgEnv},
};
use rollup_types::RecoveredTx;
use rollup_types::TxStatus;
use std::time::Instant;

/// Tasks per thread: enough for threads to even out delays by taking each other's work,
/// few enough that building a task's EVM stays negligible.
const TASKS_PER_THREAD: usize = 4;

/// What every task of a block shares.
pub(crate) struct BlockContext<'a, B: Reads = State> {
    pub(crate) cfg: CfgEnv,
    pub(crate) block: BlockEnv,
    pub(crate) base: &'a B,
    /// The block's base fee (docs/fees.md §3), which its transactions pay.
    pub(crate) base_fee: u128,
    /// The block's L1 price of a byte (docs/fees.md §4), which their L1 data fee is priced at.
    pub(crate) l1_byte_price: u64,
}

impl<'a, B: Reads> BlockContext<'a, B> {
    /// The context of block `env` of `chain` over `base`, which starts from the fee state `fees`.
    pub(crate) fn new(
        chain: &rollup_types::ChainConfig,
        env: crate::BlockEnvInput,
        base: &'a B,
        fees: rollup_types::fees::FeeState,
    ) -> Self {
        Self {
            cfg: crate::cfg(chain),
            block: crate::block_env(env),
            base,
            base_fee: fees.base_fee,
            l1_byte_price: fees.l1_byte_price,
        }
    }
}

/// What a task produced: one result per transaction it ran, in its order.
pub(crate) struct WorkerOutput {
    pub(crate) indices: Vec<u32>,
    pub(crate) results: Vec<TxResult>,
    pub(crate) changes: Changes,
    pub(crate) recorder: Option<Recorder>,
}

/// Runs the transactions at block positions `indices` (ascending) in order, over `prior`
/// layers of the block and the committed state.
pub(crate) fn run_worker(
    ctx: &BlockContext<'_>,
    prior: &[Changes],
    txs: &[RecoveredTx],
    indices: Vec<u32>,
    record: Record,
) -> WorkerOutput {
    run_watched(ctx, prior, txs, indices, record, ()).0
}

/// [`run_worker`] over any view of the state, with `watch` seeing each transaction run
/// ([`Watch`]: nothing on the producer's path, a tracer when a block is traced).
pub(crate) fn run_watched<B: Reads, W: Watch>(
    ctx: &BlockContext<'_, B>,
    prior: &[Changes],
    txs: &[RecoveredTx],
    indices: Vec<u32>,
    record: Record,
    watch: W,
) -> (WorkerOutput, W) {
    let overlay = Overlay::new(ctx.base, prior, ctx.block.beneficiary, record, indices.len());
    let mut evm = Context::mainnet()
        .with_db(overlay)
        .with_cfg(ctx.cfg.clone())
        .with_block(ctx.block.clone())
        .build_mainnet_with_inspector(watch);
    let mut results = Vec::with_capacity(indices.len());
    for &i in &indices {
        if let Some(recorder) = &mut evm.ctx.journaled_state.database.recorder {
            recorder.current = i;
        }
        let tx = &txs[i as usize];
        let db = &mut evm.ctx.journaled_state.database;
        db.sender = Some((tx.sender, tx.sender_nonce_key()));
        // The fee is taken before the operation runs, whatever it then does (docs/fees.md §2).
        match db.pay(tx, ctx.base_fee, ctx.l1_byte_price) {
            Err(unpayable) => results.push(TxResult::Invalid(unpayable.into())),
            // Out of gas: its nonce is used and its gas limit paid; the operation does not run.
            Ok(Some(paid)) if paid.charge.out_of_gas => {
                let mut writes = db.consume_nonce(tx);
                let fee = paid.add_to(&mut writes);
                let (gas_used, scheduled_gas) = (paid.charge.gas_used, tx.tx.scheduled_gas());
                let (logs, output) = (Vec::new(), Default::default());
                let status = TxStatus::Halt;
                results.push(TxResult::Executed(TxOutcome {
                    status,
                    gas_used,
                    scheduled_gas,
                    fee,
                    logs,
                    output,
                    writes,
                }));
            }
            Ok(paid) => match crate::trace::run_tx(&mut evm, tx_env(tx)) {
                Ok(out) => {
                    let db = &mut evm.ctx.journaled_state.database;
                    db.commit(out.state);
                    let mut writes = std::mem::take(&mut db.last_writes);
                    let (status, _, logs, output) = split(out.result);
                    // Execution is not metered: the operation's scheduled gas (and the L1
                    // part) is what it used.
                    let scheduled_gas = tx.tx.scheduled_gas();
                    let (gas_used, fee) = match paid {
                        Some(paid) => (paid.charge.gas_used, paid.add_to(&mut writes)),
                        None => (scheduled_gas, alloy_primitives::U256::ZERO),
                    };
                    let outcome = TxOutcome { status, gas_used, scheduled_gas, fee, logs, output, writes };
                    results.push(TxResult::Executed(outcome));
                }
                Err(err) => {
                    if let Some(paid) = paid {
                        evm.ctx.journaled_state.database.refund(paid);
                    }
                    results.push(TxResult::Invalid(InvalidTx::Refused(err.to_string())));
                }
            },
        }
        if let Some(recorder) = &mut evm.ctx.journaled_state.database.recorder {
            recorder.raw_ends.push(recorder.raw.len() as u32);
        }
        evm.inspector.after();
    }
    let db = std::mem::replace(
        &mut evm.ctx.journaled_state.database,
        Overlay::new(ctx.base, &[], Default::default(), Record::Off, 0),
    );
    (WorkerOutput { indices, results, changes: db.changes, recorder: db.recorder }, evm.inspector)
}

/// Runs a whole block in order on the calling thread, over `first` (the block's queue
/// entries' changes, if any): the reference every other path must equal, byte for byte.
pub(crate) fn execute_sequential(
    ctx: &BlockContext<'_>,
    first: Option<Changes>,
    txs: &[RecoveredTx],
) -> (Vec<TxResult>, Vec<Changes>) {
    let mut layers: Vec<Changes> = first.into_iter().collect();
    let out = run_worker(ctx, &layers, txs, (0..txs.len() as u32).collect(), Record::Off);
    layers.push(out.changes);
    (out.results, layers)
}

/// The parallel path's result.
pub(crate) struct ParallelOutput {
    pub(crate) results: Vec<TxResult>,
    /// Changes to apply to the committed state, in order (later layers win).
    pub(crate) layers: Vec<Changes>,
    pub(crate) stats: BlockStats,
    pub(crate) timings: BlockTimings,
}

/// The commit check, filled in by the tasks as each one finishes (so that it overlaps with
/// the tasks still running): for every key's fingerprint ([`crate::state::Touched::fingerprint`]),
/// the earliest and the second-earliest of the tasks' first touches. Each task's recorder holds the first of its transactions to touch
/// each key; the position that matters for a key is the second smallest of those.
struct Touches {
    first: HashMap<u64, u32>,
    second: HashMap<u64, u32>,
}

impl Touches {
    /// A table sized for the keys of `txs` transactions.
    fn with_capacity(txs: usize) -> Self {
        Self { first: HashMap::with_capacity_and_hasher(4 * txs, Default::default()), second: HashMap::default() }
    }

    /// Adds one task's first touches (order of tasks does not matter).
    fn add(&mut self, recorder: &Recorder) {
        for (key, &at) in &recorder.first_touch {
            match self.first.get_mut(key) {
                None => {
                    self.first.insert(*key, at);
                }
                Some(earliest) => {
                    let later = if at < *earliest { std::mem::replace(earliest, at) } else { at };
                    let s = self.second.entry(*key).or_insert(u32::MAX);
                    *s = (*s).min(later);
                }
            }
        }
    }

    /// The earliest block position at which a task touched a key another task had touched
    /// before it (`None`: the tasks touched disjoint keys).
    fn first_conflict(&self) -> Option<u32> {
        self.second.values().min().copied()
    }
}

/// Runs a segment of predictable transactions as parallel tasks and commits it; returns
/// the results in block order and pushes the segment's changes onto `layers`.
#[allow(clippy::too_many_arguments)]
fn run_segment(
    ctx: &BlockContext<'_>,
    threads: usize,
    txs: &[RecoveredTx],
    predictions: &[Option<Prediction>],
    range: std::ops::Range<usize>,
    layers: &mut Vec<Changes>,
    results: &mut Vec<TxResult>,
    stats: &mut BlockStats,
    timings: &mut BlockTimings,
) {
    let started = Instant::now();
    let preds: Vec<&Prediction> = predictions[range.clone()].iter().flatten().collect();
    let tasks = if threads > 1 { threads * TASKS_PER_THREAD } else { 1 };
    let plan = partition::plan(&preds, range.start as u32, tasks);
    stats.groups += plan.groups;
    stats.largest_group_cost = stats.largest_group_cost.max(plan.largest_cost);
    stats.tasks = stats.tasks.max(plan.tasks.len());
    let planned = Instant::now();
    timings.partition += planned - started;

    if plan.tasks.len() <= 1 {
        // One group, or one thread: nothing to check.
        let indices = plan.tasks.into_iter().next().unwrap_or_default();
        let out = run_worker(ctx, layers, txs, indices, Record::Off);
        timings.execution += planned.elapsed();
        results.extend(out.results);
        layers.push(out.changes);
        return;
    }

    let prior: &[Changes] = layers;
    let touches = std::sync::Mutex::new(Touches::with_capacity(range.len()));
    let outputs: Vec<WorkerOutput> = plan
        .tasks
        .into_par_iter()
        .with_max_len(1)
        .map(|indices| {
            let out = run_worker(ctx, prior, txs, indices, Record::Touches);
            if let Some(recorder) = &out.recorder {
                // A poisoned lock only means another task panicked, which propagates anyway.
                touches.lock().unwrap_or_else(std::sync::PoisonError::into_inner).add(recorder);
            }
            out
        })
        .collect();
    let executed = Instant::now();
    timings.execution += executed - planned;

    let conflict = touches.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner).first_conflict();
    let keep_below = conflict.map_or(range.end, |c| c as usize);

    // Assemble the kept results in block order: each task's list is ascending.
    let mut task_of = vec![0u16; range.len()];
    for (w, o) in outputs.iter().enumerate() {
        for &i in &o.indices {
            task_of[i as usize - range.start] = w as u16;
        }
    }
    let mut cursors: Vec<std::vec::IntoIter<TxResult>> = Vec::with_capacity(outputs.len());
    let mut changes = Vec::with_capacity(outputs.len());
    let mut prefix = Changes::default();
    for o in outputs {
        if conflict.is_some()
            && let Some(recorder) = &o.recorder
        {
            // Only the writes of the kept transactions are committed.
            let mut from = 0;
            for (&i, &end) in o.indices.iter().zip(&recorder.raw_ends) {
                if (i as usize) < keep_below {
                    for w in &recorder.raw[from..end as usize] {
                        prefix.record(*w);
                    }
                }
                from = end as usize;
            }
        }
        changes.push(o.changes);
        cursors.push(o.results.into_iter());
    }
    for pos in range.start..keep_below {
        if let Some(r) = cursors[task_of[pos - range.start] as usize].next() {
            results.push(r);
        }
    }
    drop(cursors);
    if conflict.is_none() {
        // The tasks touched disjoint keys: their changes commute.
        layers.extend(changes);
        timings.merge += executed.elapsed();
        return;
    }
    drop(changes);
    layers.push(prefix);
    timings.merge += executed.elapsed();

    // Re-execute from the first conflicting transaction, in order.
    let redo = Instant::now();
    let indices: Vec<u32> = (keep_below as u32..range.end as u32).collect();
    stats.reexecuted += indices.len();
    let out = run_worker(ctx, layers, txs, indices, Record::Off);
    results.extend(out.results);
    layers.push(out.changes);
    timings.execution += redo.elapsed();
}

/// Executes a block on up to `threads` workers over `first` (the block's queue entries'
/// changes, if any); the results equal [`execute_sequential`]'s.
///
/// Worker threads come from the current rayon pool: call it inside the executor's pool.
pub(crate) fn execute_parallel(
    ctx: &BlockContext<'_>,
    threads: usize,
    mode: KeyPrediction,
    first: Option<Changes>,
    txs: &[RecoveredTx],
) -> ParallelOutput {
    let started = Instant::now();
    // A few nanoseconds per transaction, but serial time caps the speedup: split it too.
    let predictions: Vec<Option<Prediction>> = if threads > 1 {
        txs.par_iter().with_min_len(256).map(|tx| predict::predict(tx, mode)).collect()
    } else {
        txs.iter().map(|tx| predict::predict(tx, mode)).collect()
    };
    let mut timings = BlockTimings { prediction: started.elapsed(), ..Default::default() };
    let mut stats =
        BlockStats { total_cost: predictions.iter().flatten().map(|p| u64::from(p.cost)).sum(), ..Default::default() };
    let mut results = Vec::with_capacity(txs.len());
    let mut layers: Vec<Changes> = first.into_iter().collect();
    let mut start = 0;
    while start < txs.len() {
        if predictions[start].is_none() {
            // Unpredictable: alone, in order.
            let t = Instant::now();
            let out = run_worker(ctx, &layers, txs, vec![start as u32], Record::Off);
            results.extend(out.results);
            layers.push(out.changes);
            stats.groups += 1;
            stats.unpredicted += 1;
            timings.execution += t.elapsed();
            start += 1;
            continue;
        }
        let end = predictions[start..].iter().position(Option::is_none).map_or(txs.len(), |p| start + p);
        run_segment(ctx, threads, txs, &predictions, start..end, &mut layers, &mut results, &mut stats, &mut timings);
        start = end;
    }
    ParallelOutput { results, layers, stats, timings }
}
