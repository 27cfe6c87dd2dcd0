#![doc = include_str!("../README.md")]

mod history;
mod parallel;
mod partition;
mod predict;
mod queue;
mod snapshot;
mod state;
mod token_events;
mod trace;
mod undo;

pub use history::{Fetched, Overwritten, StateAt};
pub use predict::KeyPrediction;
pub use queue::{QueueResult, admit_forced};
pub use snapshot::SnapshotError;
pub use state::State;
pub use token_events::fee_credit_logs;
pub use trace::{BlockTrace, CallTracer, trace_block};
pub use undo::Undo;

use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256};
use parallel::BlockContext;
use revm::{
    Context, DatabaseRef, ExecuteEvm, InspectEvm, MainBuilder, MainContext,
    bytecode::Bytecode,
    context::{BlockEnv, CfgEnv, TxEnv, result::ExecutionResult},
    database_interface::WrapDatabaseRef,
    primitives::hardfork::SpecId,
};
use rollup_types::{
    ChainConfig, RecoveredTx, bindings::l2_system_creation_code, chain::EXECUTION_GAS_LIMIT, fees::FeeState,
    genesis::GenesisSpec, idle::IdleThreads, keccak::Backend, keys, queue::QueueEntry, smt::SparseMerkleTree,
};
use state::Changes;
use std::{convert::Infallible, sync::Arc, time::Instant};

/// The EVM rules the L2 runs.
pub const SPEC: SpecId = SpecId::PRAGUE;

/// Errors of the executor.
#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    /// The genesis could not be laid out.
    #[error("genesis failed: {0}")]
    Genesis(String),
    /// The worker threads could not be started.
    #[error("cannot start {threads} executor threads: {reason}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// Why they could not start.
        reason: String,
    },
    /// A state snapshot could not be read.
    #[error("state snapshot: {0}")]
    Snapshot(#[from] SnapshotError),
    /// Undoing blocks did not bring the state root back (a bug).
    #[error("undoing blocks gave state root {got}, not {expected}")]
    Undo {
        /// The root before the blocks.
        expected: B256,
        /// The root after undoing them.
        got: B256,
    },
}

/// How a transaction ended (defined with the block types, which the chain store shares).
pub use rollup_types::TxStatus;

/// The result of an included transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxOutcome {
    /// How it ended.
    pub status: TxStatus,
    /// Gas it used: its operation's scheduled gas and its L1 data fee in gas units, or its gas
    /// limit when that is less (docs/fees.md §2; execution is not metered).
    pub gas_used: u64,
    /// Its operation's scheduled gas (docs/fees.md §2.1), what the block's gas counts.
    pub scheduled_gas: u64,
    /// The fee taken from its sender, `gas_used × effectiveGasPrice` (docs/fees.md §2): zero
    /// for queue entries, which are paid for on L1.
    pub fee: U256,
    /// Logs it emitted (none unless it succeeded).
    pub logs: Vec<Log>,
    /// Return data, or revert data.
    pub output: Bytes,
    /// State-tree leaves it wrote, as (key, value); a zero value deletes.
    pub writes: Vec<(B256, B256)>,
}

impl TxOutcome {
    /// The outcome of a queue entry (a deposit, a forced transaction): paid for on L1, so no
    /// fee and no scheduled gas in its block's gas.
    pub(crate) const fn paid_on_l1(
        status: TxStatus,
        gas_used: u64,
        logs: Vec<Log>,
        output: Bytes,
        writes: Vec<(B256, B256)>,
    ) -> Self {
        Self { status, gas_used, scheduled_gas: 0, fee: U256::ZERO, logs, output, writes }
    }
}

/// What executing one transaction of a block gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxResult {
    /// Executed: part of the block.
    Executed(TxOutcome),
    /// Not executable in this state: not part of the block.
    Invalid(InvalidTx),
}

/// Why a transaction of a block is not executable in its state.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTx {
    /// revm refused it: a nonce that is not its sender's.
    #[error("{0}")]
    Refused(String),
    /// It cannot pay for itself in this block (docs/fees.md §5): its fee cap is below the base
    /// fee, or its sender holds less than it may take.
    #[error(transparent)]
    Unpayable(#[from] rollup_types::fees::Unpayable),
}

/// Block-level values a block executes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockEnvInput {
    /// Block number.
    pub number: u64,
    /// Block timestamp.
    pub timestamp: u64,
    /// The L1 price of a byte the block commits, in wei (docs/fees.md §4): what its
    /// transactions' L1 data fee is priced at.
    pub l1_byte_price: u64,
}

/// Where the time of a block went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockTimings {
    /// Predicting the keys of the transactions (parallel path only).
    pub prediction: std::time::Duration,
    /// Grouping and packing them onto workers (parallel path only).
    pub partition: std::time::Duration,
    /// Running the transactions through revm, including re-executions (and, on the parallel
    /// path, each task adding its touched keys to the commit check as it finishes).
    pub execution: std::time::Duration,
    /// Checking the workers against each other, assembling results, applying the changes.
    pub merge: std::time::Duration,
    /// Updating the state tree chunk by chunk.
    pub state_root: std::time::Duration,
}

impl BlockTimings {
    /// Adds `other` to `self`.
    pub fn add(&mut self, other: &Self) {
        self.prediction += other.prediction;
        self.partition += other.partition;
        self.execution += other.execution;
        self.merge += other.merge;
        self.state_root += other.state_root;
    }
}

/// How a block was spread over workers (all zero on the sequential path).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockStats {
    /// Conflict groups (an unpredictable transaction is a group of its own).
    pub groups: usize,
    /// Predicted cost of the largest group.
    pub largest_group_cost: u64,
    /// Predicted cost of the block.
    pub total_cost: u64,
    /// Most parallel tasks one segment of the block was split into (1: it ran as one).
    pub tasks: usize,
    /// Transactions executed a second time after a conflict at commit.
    pub reexecuted: usize,
    /// Transactions whose keys could not be predicted (run alone, in order).
    pub unpredicted: usize,
    /// Times a state-tree range split its remaining work for an idle thread.
    pub tree_splits: u64,
}

impl BlockStats {
    /// The largest group's share of the block's predicted work (0 to 1).
    pub fn largest_group_share(&self) -> f64 {
        if self.total_cost == 0 { 0.0 } else { self.largest_group_cost as f64 / self.total_cost as f64 }
    }
}

/// How the executor spreads a block over threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParallelConfig {
    /// Worker threads (1 runs the whole pipeline on the calling thread).
    pub threads: usize,
    /// How keys are predicted.
    pub prediction: KeyPrediction,
}

impl ParallelConfig {
    /// Most worker threads.
    pub const MAX_THREADS: usize = 64;

    /// `threads` workers with operation-based prediction.
    pub fn threads(threads: usize) -> Self {
        Self { threads, prediction: KeyPrediction::Operations }
    }
}

#[derive(Clone, Debug)]
struct Parallel {
    config: ParallelConfig,
    pool: Option<Arc<WorkerPool>>,
}

/// The executor's threads, and which of them wait for work (for the state tree's ranges,
/// which split for an idle thread: [`SparseMerkleTree::update_chunks_with`]).
#[derive(Debug)]
struct WorkerPool {
    threads: rayon::ThreadPool,
    idle: IdleThreads,
}

/// The result of executing a block.
#[derive(Clone, Debug)]
pub struct ExecutedBlock {
    /// One result per queue entry the block consumed, in order (they run first).
    pub queue: Vec<QueueResult>,
    /// One result per input transaction, in order.
    pub results: Vec<TxResult>,
    /// State root after each chunk (docs/batch-codec.md §3.1): none for a block without items;
    /// otherwise the block's beginning, a chunk of its own, then its items (the queue entries,
    /// then the executed transactions) cut every `chunk_size`.
    pub chunk_roots: Vec<B256>,
    /// State root after the block.
    pub state_root: B256,
    /// Gas used by the executed transactions: their scheduled gas.
    pub gas_used: u64,
    /// The block's base fee (docs/fees.md §3), from the fee state before it.
    pub base_fee: u128,
    /// Where the time went (not part of the result's meaning).
    pub timings: BlockTimings,
    /// How the block was spread over workers (not part of the result's meaning).
    pub stats: BlockStats,
    /// What the block overwrote, when the executor records it
    /// ([`Executor::recording_overwritten`]).
    pub overwritten: Option<Arc<Overwritten>>,
}

/// The result of a call that changes nothing (`eth_call`, `eth_estimateGas`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    /// How it ended.
    pub status: TxStatus,
    /// Gas it used.
    pub gas_used: u64,
    /// Return data, or revert data.
    pub output: Bytes,
}

/// Runs a call against `state` without changing it (nonce checks off, as `eth_call` does),
/// with at most [`EXECUTION_GAS_LIMIT`] gas; `Err` when the call is not executable at all (as
/// opposed to reverting). Needs no executor: the sequencer runs calls on the committed state
/// off the block producer's path. With a `deadline`, execution stops soon after it passes
/// ([`CallError::Deadline`]): its own time is then bounded, not only by its gas.
pub fn call<S: DatabaseRef<Error = Infallible>>(
    chain: &ChainConfig,
    state: &S,
    request: &CallRequest,
    env: BlockEnvInput,
    deadline: Option<Instant>,
) -> Result<CallOutcome, CallError> {
    let mut cfg = cfg(chain);
    cfg.disable_nonce_check = true;
    // A transfer of ether runs as the ledger's `transfer` of ether, as in a block; no other
    // call carries value.
    let (kind, data) = match rollup_types::tx::native_transfer_to(request.to, &request.input) {
        Some(to) => {
            // A sender that cannot pay gets geth's answer, which wallets turn into their
            // "insufficient funds" error, rather than the ledger's revert.
            let slot = U256::from_be_bytes(keys::ether_balance(&request.from).0);
            let have = state.storage_ref(rollup_types::SYSTEM_CONTRACT, slot).unwrap_or_else(|e| match e {});
            if have < request.value {
                let refusal = rollup_types::tx::InsufficientFunds { sender: request.from, have, want: request.value };
                return Err(CallError::Invalid(refusal.to_string()));
            }
            (TxKind::Call(rollup_types::SYSTEM_CONTRACT), rollup_types::tx::native_transfer_calldata(to, request.value))
        }
        None if !request.value.is_zero() => {
            return Err(CallError::Invalid(
                "only a transfer of ether (no calldata, to any address but the system contract) carries value"
                    .to_owned(),
            ));
        }
        None => (request.to.map_or(TxKind::Create, TxKind::Call), request.input.clone()),
    };
    let tx = TxEnv {
        caller: request.from,
        gas_limit: request.gas.unwrap_or(EXECUTION_GAS_LIMIT).min(EXECUTION_GAS_LIMIT),
        kind,
        value: U256::ZERO,
        data,
        chain_id: Some(chain.chain_id),
        ..Default::default()
    };
    let context = Context::mainnet().with_db(WrapDatabaseRef(state)).with_cfg(cfg).with_block(block_env(env));
    let out = match deadline {
        None => context.build_mainnet().transact(tx).map_err(|e| CallError::Invalid(e.to_string()))?,
        Some(at) => {
            let mut evm = context.build_mainnet_with_inspector(Deadline { at, steps: 0, passed: false });
            let out = evm.inspect_tx(tx).map_err(|e| CallError::Invalid(e.to_string()))?;
            if evm.inspector.passed {
                return Err(CallError::Deadline);
            }
            out
        }
    };
    let (status, gas_used, _, output) = split(out.result);
    Ok(CallOutcome { status, gas_used, output })
}

/// Why [`call`] gave no outcome.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The EVM refused to run the call.
    #[error("{0}")]
    Invalid(String),
    /// The call ran past its deadline and was stopped.
    #[error("the call ran past its deadline and was stopped")]
    Deadline,
}

/// Stops execution once the clock passes `at` (checked every 1024 steps; once passed, every
/// frame halts at its next step, so the call unwinds at once).
struct Deadline {
    at: Instant,
    steps: u32,
    passed: bool,
}

impl<CTX> revm::Inspector<CTX> for Deadline {
    fn step(&mut self, interp: &mut revm::interpreter::Interpreter, _context: &mut CTX) {
        self.steps = self.steps.wrapping_add(1);
        if !self.passed && self.steps.is_multiple_of(1024) && Instant::now() >= self.at {
            self.passed = true;
        }
        if self.passed {
            interp.halt(revm::interpreter::InstructionResult::OutOfGas);
        }
    }
}

/// A read-only call.
#[derive(Clone, Debug, Default)]
pub struct CallRequest {
    /// Caller (zero when unset).
    pub from: Address,
    /// Callee; `None` is a creation.
    pub to: Option<Address>,
    /// Calldata.
    pub input: Bytes,
    /// Gas limit (defaults to the execution cap).
    pub gas: Option<u64>,
    /// Value.
    pub value: U256,
}

/// What [`Executor::trace`] saw.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Every state key the transactions read or wrote, in ascending order.
    pub keys: Vec<B256>,
    /// Each of `keys` with its value after the transactions (zero: absent).
    pub post: Vec<(B256, B256)>,
    /// The result of each queue entry (they ran first).
    pub queue: Vec<QueueResult>,
    /// The result of each transaction.
    pub results: Vec<TxResult>,
}

/// Executes L2 blocks over the committed state and keeps the state tree.
#[derive(Clone, Debug)]
pub struct Executor {
    chain: ChainConfig,
    state: Arc<State>,
    tree: SparseMerkleTree,
    parallel: Option<Parallel>,
    /// Whether each executed block carries what it overwrote.
    record_overwritten: bool,
}

fn cfg(chain: &ChainConfig) -> CfgEnv {
    let mut cfg = CfgEnv::new_with_spec(SPEC);
    cfg.chain_id = chain.chain_id;
    cfg
}

fn block_env(env: BlockEnvInput) -> BlockEnv {
    BlockEnv {
        number: U256::from(env.number),
        timestamp: U256::from(env.timestamp),
        gas_limit: rollup_types::fees::BLOCK_GAS_LIMIT,
        basefee: 0,
        ..Default::default()
    }
}

/// The revm transaction of `tx`: its call as the L2 runs it ([`SignedTx::execution_call`]: a
/// transfer of ether is the ledger's `transfer` of ether), with no value.
///
/// [`SignedTx::execution_call`]: rollup_types::SignedTx::execution_call
pub(crate) fn tx_env(tx: &RecoveredTx) -> TxEnv {
    let (to, data) = tx.tx.execution_call();
    TxEnv {
        tx_type: 0,
        caller: tx.sender,
        gas_limit: EXECUTION_GAS_LIMIT,
        gas_price: 0,
        kind: TxKind::Call(to),
        value: U256::ZERO,
        data,
        nonce: tx.nonce(),
        chain_id: tx.tx.chain_id(),
        ..Default::default()
    }
}

pub(crate) fn split(result: ExecutionResult) -> (TxStatus, u64, Vec<Log>, Bytes) {
    match result {
        ExecutionResult::Success { gas, logs, output, .. } => {
            (TxStatus::Success, gas.tx_gas_used(), token_events::with_token_events(logs), output.into_data())
        }
        ExecutionResult::Revert { gas, output, .. } => (TxStatus::Revert, gas.tx_gas_used(), Vec::new(), output),
        ExecutionResult::Halt { gas, .. } => (TxStatus::Halt, gas.tx_gas_used(), Vec::new(), Bytes::new()),
    }
}

/// Executes a stream of blocks with each block's state-tree update running beside the next
/// block's execution: what a producer under load does.
///
/// Executing a block needs only the state after the block before it, which is applied before
/// that block's state tree is updated; the tree update (chunk roots and state root) is left
/// pending and runs on the pool together with the next block's execution, so that the
/// threads that finish one phase early take work of the other instead of waiting. The
/// results, chunk roots and state roots are those of [`Executor::execute_block`], block by
/// block. With one thread (no pool) every block completes at once.
///
/// While a block is pending, [`Self::state`] is the state after it and the tree lags one
/// block behind: the executor is only handed back by [`Self::finish`].
#[derive(Debug)]
pub struct Pipeline {
    executor: Executor,
    pending: Option<Pending>,
}

impl Pipeline {
    /// A pipeline over `executor`'s committed state.
    pub const fn new(executor: Executor) -> Self {
        Self { executor, pending: None }
    }

    /// Executes `txs` as block `env` and applies it to the state; returns the blocks this
    /// call completed, in order: the block pushed before it (now with its roots), or, without
    /// a worker pool, this one. See [`Executor::execute_block`] for the block's meaning.
    pub fn push(&mut self, env: BlockEnvInput, txs: &[RecoveredTx]) -> Vec<ExecutedBlock> {
        self.push_with_queue(env, &[], txs)
    }

    /// [`Self::push`] of a block that consumes the queue entries `queue` before its
    /// transactions.
    pub fn push_with_queue(
        &mut self,
        env: BlockEnvInput,
        queue: &[QueueEntry],
        txs: &[RecoveredTx],
    ) -> Vec<ExecutedBlock> {
        let (done, pending) = self.executor.step(self.pending.take(), Some((env, queue, txs)));
        self.pending = pending;
        done
    }

    /// Completes the pending block, if any.
    pub fn flush(&mut self) -> Option<ExecutedBlock> {
        let (done, _) = self.executor.step(self.pending.take(), None);
        done.into_iter().next()
    }

    /// The block that awaits its state-tree update, if any: its results, gas, timings and
    /// stats are final; its chunk roots are empty and its state root zero until it completes.
    pub fn pending(&self) -> Option<&ExecutedBlock> {
        self.pending.as_ref().map(|p| &p.block)
    }

    /// The state after every pushed block.
    pub fn state(&self) -> Arc<State> {
        self.executor.state()
    }

    /// [`Executor::call`] against the state after every pushed block.
    pub fn call(&self, request: &CallRequest, env: BlockEnvInput) -> Result<CallOutcome, String> {
        self.executor.call(request, env)
    }

    /// Completes the pending block and hands back the executor.
    pub fn finish(mut self) -> (Executor, Option<ExecutedBlock>) {
        let last = self.flush();
        (self.executor, last)
    }
}

/// A block executed and applied to the state whose state-tree update has not run yet.
#[derive(Debug)]
struct Pending {
    /// The block, without chunk roots and state root.
    block: ExecutedBlock,
    /// The state-tree writes of each of its chunks.
    chunks: Vec<Vec<(B256, B256)>>,
}

/// Executes `queue` then `txs` as block `env` on the current rayon pool over `state`, then
/// applies its changes: as tasks that each own part of the state's maps. The block is
/// returned without its roots, with its chunks' writes for [`update_tree`].
#[allow(clippy::too_many_arguments)]
fn execute_and_apply(
    chain: &ChainConfig,
    state: &mut Arc<State>,
    config: ParallelConfig,
    record_overwritten: bool,
    env: BlockEnvInput,
    queue: &[QueueEntry],
    txs: &[RecoveredTx],
) -> Pending {
    let fees = fee_state(state.as_ref(), env);
    let ctx = BlockContext::new(chain, env, state.as_ref(), fees);
    let mut head = run_queue_layer(&ctx, chain, queue, begins(state.as_ref(), env, queue.len() + txs.len()));
    let mut out = parallel::execute_parallel(&ctx, config.threads, config.prediction, head.layer.take(), txs);
    let started = Instant::now();
    let cut = cut_of(chain, queue.len(), txs, &out.results);
    let items = items(&head.queue, &out.results);
    let ends = fee_writes(state, fees, &items, &cut, !items.is_empty());
    let chunks = chunk_writes(&head, &out.results, &cut, true, &ends);
    let queue = head.queue;
    out.layers.extend(fee_layer(&ends));
    let overwritten = record_overwritten.then(|| Arc::new(Overwritten::of(state, &out.layers)));
    Arc::make_mut(state).apply_parallel(&out.layers, 2 * config.threads);
    let mut timings = out.timings;
    // Applying the changes is counted with the state root, as on the sequential path it is
    // counted as merge: it is part of committing.
    timings.state_root += started.elapsed();
    let block = ExecutedBlock {
        queue,
        gas_used: gas_used(&out.results),
        base_fee: fees.base_fee,
        results: out.results,
        chunk_roots: Vec::new(),
        state_root: B256::ZERO,
        timings,
        stats: out.stats,
        overwritten,
    };
    Pending { block, chunks }
}

/// Applies `pending`'s chunks to `tree` in order and fills in its chunk roots and state root.
/// With `levels > 0` (on the executor's pool), the tree is cut into `2^levels` subtrees that
/// run as tasks ([`SparseMerkleTree::update_chunks`]; see [`tree_levels`] for how many).
fn update_tree(
    tree: &mut SparseMerkleTree,
    Pending { mut block, chunks }: Pending,
    levels: u32,
    idle: Option<&IdleThreads>,
) -> ExecutedBlock {
    let started = Instant::now();
    let claims = idle.map_or(0, IdleThreads::claims);
    block.chunk_roots = tree.update_chunks_with(chunks, levels, idle);
    block.stats.tree_splits = idle.map_or(0, IdleThreads::claims).saturating_sub(claims);
    block.state_root = tree.root();
    block.timings.state_root += started.elapsed();
    block
}

/// The scheduled gas of the executed transactions of `results`: the block's gas, what its
/// header's `gasUsed` shows and the next base fee follows (docs/fees.md §3); a receipt's
/// `gasUsed` adds its L1 part.
fn gas_used(results: &[TxResult]) -> u64 {
    results
        .iter()
        .map(|r| match r {
            TxResult::Executed(o) => o.scheduled_gas,
            TxResult::Invalid(_) => 0,
        })
        .sum()
}

/// What runs before a block's transactions: the system call that begins it (when it
/// `begins`), then its queue entries. Their results, the beginning's writes, and their changes
/// as one layer (none when nothing ran).
struct Head {
    queue: Vec<QueueResult>,
    begin: Vec<(B256, B256)>,
    layer: Option<state::Changes>,
}

/// Runs what comes before a block's transactions ([`Head`]).
fn run_queue_layer(ctx: &BlockContext<'_>, chain: &ChainConfig, queue: &[QueueEntry], begins: bool) -> Head {
    if queue.is_empty() && !begins {
        return Head { queue: Vec::new(), begin: Vec::new(), layer: None };
    }
    let out = queue::run_queue(ctx, chain, queue, begins, state::Record::Off);
    Head { queue: out.results, begin: out.begin, layer: Some(out.changes) }
}

/// Whether block `env` with `items` items begins now: it has items (a block without them has
/// no chunk, not even its beginning), and the fee state is not in it yet (the test the verifier
/// makes, `FeeLogic.entersNewBlock`: the beginning's chunk replayed alone decides as its whole
/// block does).
fn begins(state: &impl state::Reads, env: BlockEnvInput, items: usize) -> bool {
    items > 0 && state.fee_state_of().enters_new_block(env.number)
}

/// The fee state block `env` starts from (docs/fees.md §6): the state's, entered into the
/// block with its L1 price ([`FeeState::enter`]). A price out of the rule's bound is a fault
/// that whoever hands the executor a block checks first (the sequencer proposes within it,
/// the challenger judges a batch before it runs it): here it is taken as given.
fn fee_state(state: &impl state::Reads, env: BlockEnvInput) -> FeeState {
    let fees = state.fee_state_of();
    fees.enter(env.number, env.l1_byte_price, u64::MAX).unwrap_or(FeeState {
        number: env.number,
        gas: 0,
        l1_byte_price: env.l1_byte_price,
        base_fee: fees.base_fee_of(env.number),
    })
}

/// The fee state's change by a block whose chunks end with the writes `ends`
/// ([`fee_writes`]): what its last chunk wrote to the fee state and the fee vault; none for a
/// block without items (it has no chunk, not even its beginning, and leaves no trace).
fn fee_layer(ends: &[[(B256, B256); 2]]) -> Option<Changes> {
    let last = ends.last()?;
    let mut layer = Changes::default();
    layer.storage.extend(last.iter().map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0))));
    Some(layer)
}

/// A chunk item's writes, scheduled gas and fee: a queue entry's (no gas, no fee) or an
/// executed transaction's.
type Item<'a> = (&'a [(B256, B256)], u64, U256);

/// The items of a block, in order: its queue entries, then its executed transactions.
fn items<'a>(queue: &'a [QueueResult], results: &'a [TxResult]) -> Vec<Item<'a>> {
    queue
        .iter()
        .map(|q| (q.writes(), 0, U256::ZERO))
        .chain(executed_outcomes(results).map(|o| (&o.writes[..], o.scheduled_gas, o.fee)))
        .collect()
}

/// The item counts of a block's chunks after its beginning (docs/batch-codec.md §3.1): its
/// `queue` entries one a chunk, then its executed transactions (those of `txs` whose result
/// in `results` is executed), each heavy one alone and the light ones cut every chunk size.
fn cut_of(chain: &ChainConfig, queue: usize, txs: &[RecoveredTx], results: &[TxResult]) -> Vec<usize> {
    let heavy = txs.iter().zip(results).filter(|(_, r)| matches!(r, TxResult::Executed(_))).map(|(tx, _)| tx.heavy());
    chain.chunk_items(queue as u64, heavy).into_iter().map(|n| n as usize).collect()
}

/// `items` cut into consecutive slices of the lengths `cut` (which add up to its length).
fn cut_slices<'a, T>(items: &'a [T], cut: &[usize]) -> Vec<&'a [T]> {
    let mut rest = items;
    cut.iter()
        .map(|&n| {
            let (chunk, tail) = rest.split_at(n.min(rest.len()));
            rest = tail;
            chunk
        })
        .collect()
}

/// What each chunk ends by writing (docs/fees.md §6): with `beginning`, the block's beginning
/// first (a chunk of its own, with no item), then each chunk of `items` by `cut`. Each
/// writes the fee state, from `fees` with the scheduled gas of the block's transactions so far,
/// and the fee vault's ether ([`fees::FEE_VAULT`]), its balance after the chunk's transactions
/// (which may have sent it ether; over `state` before the block) plus the chunk's fees,
/// saturating.
///
/// [`fees::FEE_VAULT`]: rollup_types::fees::FEE_VAULT
fn fee_writes(
    state: &State,
    fees: FeeState,
    items: &[Item<'_>],
    cut: &[usize],
    beginning: bool,
) -> Vec<[(B256, B256); 2]> {
    let fee_key = keys::fee_state();
    let vault_key = keys::ether_balance(&rollup_types::fees::FEE_VAULT);
    let mut after = fees;
    let mut vault = state.storage(&U256::from_be_bytes(vault_key.0));
    let none: &[Item<'_>] = &[];
    beginning
        .then_some(none)
        .into_iter()
        .chain(cut_slices(items, cut))
        .map(|chunk| {
            let mut taken = U256::ZERO;
            for (writes, gas, fee) in chunk {
                after.gas = after.gas.saturating_add(*gas);
                taken = taken.saturating_add(*fee);
                if let Some((_, v)) = writes.iter().rev().find(|(k, _)| *k == vault_key) {
                    vault = U256::from_be_bytes(v.0);
                }
            }
            vault = vault.saturating_add(taken);
            [(fee_key, after.to_word().into()), (vault_key, vault.into())]
        })
        .collect()
}

fn executed_outcomes(results: &[TxResult]) -> impl Iterator<Item = &TxOutcome> + Clone {
    results.iter().filter_map(|r| match r {
        TxResult::Executed(o) => Some(o),
        TxResult::Invalid(_) => None,
    })
}

/// The state-tree writes of each chunk: the block's beginning, a chunk of its own (what the
/// beginning wrote), then each chunk of items by `cut`: the queue entries' results (every
/// entry is an item, a skipped one writing nothing), then the executed transactions of
/// `results`, in order. Each chunk ends with its `ends`, the fee state and the fee vault after
/// it ([`fee_writes`] with the beginning, computed once per block); none when `ends` is empty
/// (a block without items). Built on the current rayon pool when `parallel`.
fn chunk_writes(
    head: &Head,
    results: &[TxResult],
    cut: &[usize],
    parallel: bool,
    ends: &[[(B256, B256); 2]],
) -> Vec<Vec<(B256, B256)>> {
    let Some((first, ends)) = ends.split_first() else {
        return Vec::new();
    };
    let items = items(&head.queue, results);
    let writes = |(chunk, end): (&[Item<'_>], &[(B256, B256); 2])| {
        chunk.iter().flat_map(|(w, _, _)| w.iter().copied()).chain(end.iter().copied()).collect::<Vec<_>>()
    };
    let beginning = head.begin.iter().chain(first).copied().collect();
    let mut out: Vec<Vec<(B256, B256)>> = Vec::with_capacity(1 + ends.len());
    out.push(beginning);
    if parallel {
        use rayon::prelude::*;
        out.par_extend(cut_slices(&items, cut).into_par_iter().zip(ends.par_iter()).map(writes));
    } else {
        out.extend(cut_slices(&items, cut).into_iter().zip(ends.iter()).map(writes));
    }
    out
}

/// How many levels the state tree is cut at for `threads` threads before it starts, when the
/// tree hashes `lanes` nodes per permutation ([`Backend::lanes`]): one range per thread with
/// eight lanes, two with fewer; for a thread count that is not a power of two, twice as many
/// ranges as the power above it allows, so that the threads' shares differ by at most one
/// small range (3 threads: 8 ranges, not 4 of which one thread takes 2). A range cuts itself
/// further when, and only when, a thread is idle ([`SparseMerkleTree::update_chunks_with`]).
///
/// A trade between two costs. The tree hashes each level's stale nodes several at a time, and
/// a finer cut leaves fewer per batch: with eight lanes, two ranges per thread cost 4–5 % of the
/// tree's time against one (`rollup bench tree`). But a range looks for an idle thread only
/// between chunks, and in a pipeline step the thread that ran the next block's execution
/// waits for the next look: ranges half as large answer twice as fast, which pays where the
/// tree is the larger part of the work (four lanes or one at a time). Measured at 2 threads
/// (BENCHMARKS.md, M5): with eight lanes one range per thread gave 1.84× on both transfer
/// workloads against 1.82× and 1.77× with two; with four lanes or one at a time, two per
/// thread gave 1.90× and 1.94× against 1.84× and 1.89×.
fn tree_levels(threads: usize, lanes: usize) -> u32 {
    if threads <= 1 {
        return 0;
    }
    let per_thread = u32::from(lanes < 8);
    per_thread + threads.next_power_of_two().trailing_zeros() + u32::from(!threads.is_power_of_two())
}

impl Executor {
    /// Lays out the genesis state by running the system contract's constructor with `spec`,
    /// then installs the contract at [`SYSTEM_CONTRACT`].
    pub fn genesis(chain: ChainConfig, spec: &GenesisSpec) -> Result<Self, ExecutorError> {
        let mut initcode = l2_system_creation_code().to_vec();
        initcode.extend_from_slice(&spec.constructor_args());
        let empty = State::new(Bytecode::default(), Default::default());
        // The genesis constructor carries every funded account: its initcode may exceed the
        // EIP-3860 limit and its gas the block's. It runs once, off-chain.
        let mut genesis_cfg = cfg(&chain);
        genesis_cfg.limit_contract_initcode_size = Some(usize::MAX);
        let mut evm = Context::mainnet()
            .with_db(WrapDatabaseRef(&empty))
            .with_cfg(genesis_cfg)
            .with_block(BlockEnv {
                gas_limit: u64::MAX,
                ..block_env(BlockEnvInput { number: 0, timestamp: 0, l1_byte_price: 0 })
            })
            .build_mainnet();
        let tx = TxEnv {
            caller: Address::ZERO,
            gas_limit: u64::MAX / 2,
            kind: TxKind::Create,
            data: initcode.into(),
            chain_id: Some(chain.chain_id),
            ..Default::default()
        };
        let out = evm.transact(tx).map_err(|e| ExecutorError::Genesis(format!("{e:?}")))?;
        let created = out
            .result
            .created_address()
            .ok_or_else(|| ExecutorError::Genesis(format!("constructor failed: {:?}", out.result)))?;
        let account = out.state.get(&created).ok_or_else(|| ExecutorError::Genesis("no created account".into()))?;
        let code = account.info.code.clone().ok_or_else(|| ExecutorError::Genesis("no runtime code".into()))?;
        let mut storage: alloy_primitives::map::HashMap<U256, U256> = account
            .storage
            .iter()
            .filter(|(_, s)| !s.present_value.is_zero())
            .map(|(k, s)| (*k, s.present_value))
            .collect();
        // The fee state no operation writes (docs/fees.md §6), at the genesis block's.
        storage.insert(U256::from_be_bytes(keys::fee_state().0), spec.fee_state().to_word());
        // The chain's reading of the L1's fees, until the first report is consumed (§4).
        storage.insert(U256::from_be_bytes(keys::l1_fees().0), spec.l1_fees.to_word());
        // Where the fee vault is withdrawn to (docs/fees.md §6), if anywhere.
        if !spec.fee_recipient.is_zero() {
            let recipient = U256::from_be_slice(spec.fee_recipient.as_slice());
            storage.insert(U256::from_be_bytes(keys::fee_recipient().0), recipient);
        }
        let state = State::new(code, storage);
        let mut tree = SparseMerkleTree::new();
        tree.update(state.leaves());
        Ok(Self { chain, state: Arc::new(state), tree, parallel: None, record_overwritten: false })
    }

    /// The chain parameters.
    pub const fn chain(&self) -> &ChainConfig {
        &self.chain
    }

    /// The current state root.
    pub fn state_root(&self) -> B256 {
        self.tree.root()
    }

    /// The state tree.
    pub const fn tree(&self) -> &SparseMerkleTree {
        &self.tree
    }

    /// A snapshot of the committed state (cheap to clone; blocks replace it, never mutate it).
    pub fn state(&self) -> Arc<State> {
        self.state.clone()
    }

    /// Executes blocks on `config.threads` worker threads from now on (see
    /// [`Self::execute_block`]); the results do not change.
    pub fn with_parallelism(mut self, config: ParallelConfig) -> Result<Self, ExecutorError> {
        let threads = config.threads.clamp(1, ParallelConfig::MAX_THREADS);
        let pool = if threads > 1 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("executor-{i}"))
                .build()
                .map_err(|e| ExecutorError::Threads { threads, reason: e.to_string() })?;
            Some(Arc::new(WorkerPool { threads: pool, idle: IdleThreads::new() }))
        } else {
            None
        };
        self.parallel = Some(Parallel { config: ParallelConfig { threads, ..config }, pool });
        Ok(self)
    }

    /// Has every block executed from now on carry what it overwrote
    /// ([`ExecutedBlock::overwritten`]): a lookup per changed key, so that the state after a
    /// recent block can be read without a copy ([`StateAt`]).
    pub fn recording_overwritten(mut self) -> Self {
        self.record_overwritten = true;
        self
    }

    /// Time the worker pool's helping threads have spent with nothing to take since the pool
    /// was built (`None` without a pool): against the wall time of the blocks, how much of
    /// the pool stood idle.
    pub fn pool_idle_time(&self) -> Option<std::time::Duration> {
        self.parallel.as_ref().and_then(|p| p.pool.as_ref()).map(|pool| pool.idle.idle_time())
    }

    /// The parallel configuration, if blocks run through the parallel path.
    pub fn parallelism(&self) -> Option<ParallelConfig> {
        self.parallel.as_ref().map(|p| p.config)
    }

    fn context(&self, env: BlockEnvInput) -> BlockContext<'_> {
        BlockContext::new(&self.chain, env, self.state.as_ref(), fee_state(self.state.as_ref(), env))
    }

    /// Executes `txs` as block `env` and commits the result. Transactions that cannot execute
    /// in this state are reported [`TxResult::Invalid`] and leave no trace.
    ///
    /// With [`Self::with_parallelism`], the block runs through the parallel path; otherwise
    /// in order on the calling thread. Both give byte-identical results, chunk roots and
    /// state roots.
    pub fn execute_block(&mut self, env: BlockEnvInput, txs: &[RecoveredTx]) -> ExecutedBlock {
        self.execute_block_with_queue(env, &[], txs)
    }

    /// [`Self::execute_block`] of a block that consumes the queue entries `queue` before its
    /// transactions (docs/bridge.md §3): they run first, in order, and count as items of
    /// the block's chunks.
    pub fn execute_block_with_queue(
        &mut self,
        env: BlockEnvInput,
        queue: &[QueueEntry],
        txs: &[RecoveredTx],
    ) -> ExecutedBlock {
        let Some(parallel) = self.parallel.clone() else {
            return self.execute_sequential_with(env, queue, txs, None);
        };
        let Some(pool) = parallel.pool else {
            // One thread: the parallel path's steps, in order on the calling thread.
            let ctx = self.context(env);
            let mut head =
                run_queue_layer(&ctx, &self.chain, queue, begins(self.state.as_ref(), env, queue.len() + txs.len()));
            let mut out = parallel::execute_parallel(&ctx, 1, parallel.config.prediction, head.layer.take(), txs);
            let fees = fee_state(self.state.as_ref(), env);
            let cut = cut_of(&self.chain, queue.len(), txs, &out.results);
            let items = items(&head.queue, &out.results);
            let ends = fee_writes(&self.state, fees, &items, &cut, !items.is_empty());
            out.layers.extend(fee_layer(&ends));
            let (block, finish) = self.commit(fees, &ends, &cut, head, out.results, out.layers);
            let mut timings = out.timings;
            timings.merge += finish.merge;
            timings.state_root += finish.state_root;
            return ExecutedBlock { timings, stats: out.stats, ..block };
        };
        let threads = parallel.config.threads;
        let levels = tree_levels(threads, Backend::detect().lanes());
        let record = self.record_overwritten;
        let Self { chain, state, tree, .. } = self;
        // One entry into the pool per block: execution, commit check and state root.
        pool.threads.install(|| {
            pool.idle.with_helpers(threads, || {
                let pending = execute_and_apply(chain, state, parallel.config, record, env, queue, txs);
                update_tree(tree, pending, levels, Some(&pool.idle))
            })
        })
    }

    /// Executes `blocks` one after the other and commits them: the same results as
    /// [`Self::execute_block_with_queue`] on each in turn, with each block's state-tree update running
    /// beside the next block's execution (see [`Pipeline`]).
    pub fn execute_blocks(&mut self, blocks: &[(BlockEnvInput, &[QueueEntry], &[RecoveredTx])]) -> Vec<ExecutedBlock> {
        let mut done = Vec::with_capacity(blocks.len());
        let mut pending = None;
        for &(env, queue, txs) in blocks {
            let (completed, next) = self.step(pending, Some((env, queue, txs)));
            done.extend(completed);
            pending = next;
        }
        done.extend(self.step(pending, None).0);
        done
    }

    /// One step of the pipeline: completes `pending` (its state-tree update) while `next`
    /// executes and is applied to the state. Returns the blocks this step completed, in order,
    /// and `next` as the new pending block when its tree update is left for the following
    /// step.
    ///
    /// Without a worker pool nothing runs beside anything else: `next` completes at once.
    fn step(
        &mut self,
        pending: Option<Pending>,
        next: Option<(BlockEnvInput, &[QueueEntry], &[RecoveredTx])>,
    ) -> (Vec<ExecutedBlock>, Option<Pending>) {
        let Some((config, pool)) = self.parallel.as_ref().and_then(|p| Some((p.config, p.pool.clone()?))) else {
            // Only a pool makes pending blocks; should one be here, it completes first.
            let mut done: Vec<ExecutedBlock> =
                pending.map(|p| update_tree(&mut self.tree, p, 0, None)).into_iter().collect();
            done.extend(next.map(|(env, queue, txs)| self.execute_block_with_queue(env, queue, txs)));
            return (done, None);
        };
        let threads = config.threads;
        let levels = tree_levels(threads, Backend::detect().lanes());
        let record = self.record_overwritten;
        let Self { chain, state, tree, .. } = self;
        // One entry into the pool per step, as for a block. The calling thread starts on the
        // tree (its ranges go on this thread's queue) and another thread takes the execution.
        // Whichever finishes first takes the other's remaining work: execution tasks not yet
        // started, or half of a tree range, which splits at its next chunk for an idle thread.
        let (completed, pending) = pool.threads.install(|| {
            pool.idle.with_helpers(threads, || {
                rayon::join(
                    || pending.map(|p| update_tree(tree, p, levels, Some(&pool.idle))),
                    || next.map(|(env, queue, txs)| execute_and_apply(chain, state, config, record, env, queue, txs)),
                )
            })
        });
        (completed.into_iter().collect(), pending)
    }

    /// Runs the beginning of block `env` alone and commits it: the first chunk of a block with
    /// items (docs/batch-codec.md §3.1), as a fraud proof replays it. It begins the block when
    /// the fee state is not in it yet (`FeeLogic.entersNewBlock`), and enters the fee state into
    /// it. Returns the state root after it. The block's items then run as blocks of their own
    /// ([`Self::execute_block_with_queue`]), which do not begin it again.
    pub fn execute_beginning(&mut self, env: BlockEnvInput) -> B256 {
        let ctx = self.context(env);
        let begins = self.state.fee_state().enters_new_block(env.number);
        let mut head = run_queue_layer(&ctx, &self.chain, &[], begins);
        let fees = fee_state(self.state.as_ref(), env);
        let ends = fee_writes(&self.state, fees, &[], &[], true);
        let layers: Vec<Changes> = head.layer.take().into_iter().chain(fee_layer(&ends)).collect();
        self.commit(fees, &ends, &[], head, Vec::new(), layers);
        self.tree.root()
    }

    /// Executes `txs` in order on the calling thread: the reference semantics, which the
    /// challenger uses and every other path must equal.
    pub fn execute_block_sequential(&mut self, env: BlockEnvInput, txs: &[RecoveredTx]) -> ExecutedBlock {
        self.execute_sequential_with(env, &[], txs, None)
    }

    /// [`Self::execute_block_sequential`] of a block that consumes `queue` first, recording in
    /// `undo` (when given) what the block overwrites.
    pub(crate) fn execute_sequential_with(
        &mut self,
        env: BlockEnvInput,
        queue: &[QueueEntry],
        txs: &[RecoveredTx],
        undo: Option<&mut Undo>,
    ) -> ExecutedBlock {
        let started = Instant::now();
        let ctx = self.context(env);
        let mut head =
            run_queue_layer(&ctx, &self.chain, queue, begins(self.state.as_ref(), env, queue.len() + txs.len()));
        let (results, mut layers) = parallel::execute_sequential(&ctx, head.layer.take(), txs);
        let execution = started.elapsed();
        let fees = fee_state(self.state.as_ref(), env);
        let cut = cut_of(&self.chain, queue.len(), txs, &results);
        let items = items(&head.queue, &results);
        let ends = fee_writes(&self.state, fees, &items, &cut, !items.is_empty());
        layers.extend(fee_layer(&ends));
        if let Some(undo) = undo {
            self.remember(&layers, undo);
        }
        let (block, finish) = self.commit(fees, &ends, &cut, head, results, layers);
        ExecutedBlock { timings: BlockTimings { execution, ..finish }, ..block }
    }

    /// Applies the block's changes to the committed state and computes the chunk roots from
    /// the write sets, chunk by chunk in block order, on the calling thread. (With a worker
    /// pool, [`execute_and_apply`] and [`update_tree`] do the same on all threads.)
    /// `fees` is the fee state the block started from, and `ends` what each of its chunks
    /// ends by writing ([`fee_writes`]) by `cut` ([`cut_of`]), whose last ends `layers`
    /// ([`fee_layer`]).
    fn commit(
        &mut self,
        fees: FeeState,
        ends: &[[(B256, B256); 2]],
        cut: &[usize],
        head: Head,
        results: Vec<TxResult>,
        layers: Vec<Changes>,
    ) -> (ExecutedBlock, BlockTimings) {
        let started = Instant::now();
        let chunks = chunk_writes(&head, &results, cut, false, ends);
        let queue = head.queue;
        let overwritten = self.record_overwritten.then(|| Arc::new(Overwritten::of(&self.state, &layers)));
        Arc::make_mut(&mut self.state).apply(&layers);
        let applied = Instant::now();
        let chunk_roots = self.tree.update_chunks(chunks, 0);
        let timings = BlockTimings { merge: applied - started, state_root: applied.elapsed(), ..Default::default() };
        let block = ExecutedBlock {
            queue,
            gas_used: gas_used(&results),
            base_fee: fees.base_fee,
            results,
            chunk_roots,
            state_root: self.tree.root(),
            timings,
            stats: BlockStats::default(),
            overwritten,
        };
        (block, timings)
    }

    /// Runs one chunk of block `env` over the committed state without committing it, as the
    /// verifier replays it (`ChunkVerifier.replayChunk`), and reports every state key it read
    /// or wrote with its value afterwards: what a fraud proof's witness must cover to replay it
    /// (docs/fraud-proofs.md §6). The chunk is the queue entries `queue` then the transactions
    /// `txs` (of a chunk whose transactions stop at an inadmissible one, those before it);
    /// without either it is the block's beginning. Whichever it is, a chunk that enters its
    /// block begins it, as the verifier decides: on the state before a chunk of items of an
    /// honest batch the beginning has run.
    pub fn trace_chunk(&self, env: BlockEnvInput, queue: &[QueueEntry], txs: &[RecoveredTx]) -> Trace {
        let ctx = self.context(env);
        let begins = self.state.fee_state().enters_new_block(env.number);
        let q = queue::run_queue(&ctx, &self.chain, queue, begins, state::Record::Keys);
        let prior = [q.changes];
        let out = parallel::run_worker(&ctx, &prior, txs, (0..txs.len() as u32).collect(), state::Record::Keys);
        let [first] = prior;
        let mut touched = q.recorder.and_then(|r| r.keys).unwrap_or_default();
        touched.extend(out.recorder.and_then(|r| r.keys).unwrap_or_default());
        // The system caller (of the block's beginning, of deposits) is no account: its nonce is
        // never state, and revm's look at its code (whether a token is there) is no read the
        // verifier makes.
        touched.remove(&state::Touched::Nonce(rollup_types::queue::SYSTEM_CALLER));
        touched.remove(&state::Touched::Slot(U256::from_be_bytes(keys::token(&rollup_types::queue::SYSTEM_CALLER).0)));
        // The verifier reads the fee state and the fee vault at every chunk, and writes them
        // after one that runs. (One chunk: its items are all in one.)
        for key in [keys::fee_state(), keys::ether_balance(&rollup_types::fees::FEE_VAULT)] {
            touched.insert(state::Touched::Slot(U256::from_be_bytes(key.0)));
        }
        // And, entering a new block, the chain's reading of the L1's fees, which bounds the
        // block's L1 price (docs/fees.md §4).
        if self.fee_state().enters_new_block(env.number) {
            touched.insert(state::Touched::Slot(U256::from_be_bytes(keys::l1_fees().0)));
        }
        let items = items(&q.results, &out.results);
        let one: &[usize] = if items.is_empty() { &[] } else { &[items.len()] };
        let ends = fee_writes(&self.state, fee_state(self.state.as_ref(), env), &items, one, items.is_empty());
        let fees = fee_layer(&ends).unwrap_or_default();
        let nonce = |account: &Address| {
            out.changes
                .nonces
                .get(account)
                .or_else(|| first.nonces.get(account))
                .copied()
                .unwrap_or_else(|| self.state.nonce(account))
        };
        let slot = |slot: &U256| {
            fees.storage
                .get(slot)
                .or_else(|| out.changes.storage.get(slot))
                .or_else(|| first.storage.get(slot))
                .copied()
                .unwrap_or_else(|| self.state.storage(slot))
        };
        let mut post: Vec<(B256, B256)> = touched
            .into_iter()
            .map(|key| match key {
                state::Touched::Nonce(account) => (keys::nonce(&account), U256::from(nonce(&account)).into()),
                state::Touched::Slot(s) => (s.into(), slot(&s).into()),
            })
            .collect();
        post.sort_unstable();
        Trace { keys: post.iter().map(|(k, _)| *k).collect(), post, queue: q.results, results: out.results }
    }

    /// The committed fee state (docs/fees.md §6): the block that last held an item, its gas,
    /// its L1 price and its base fee. A block enters it with [`FeeState::enter`].
    pub fn fee_state(&self) -> FeeState {
        self.state.fee_state()
    }

    /// The cap on the next block's L1 price by the committed reading of the L1's fees
    /// ([`rollup_types::fees::l1_price_cap`], docs/fees.md §4).
    pub fn l1_price_cap(&self) -> u64 {
        self.state.l1_price_cap()
    }

    /// Runs a call against the committed state without changing it; see [`call`].
    pub fn call(&self, request: &CallRequest, env: BlockEnvInput) -> Result<CallOutcome, String> {
        call(&self.chain, &self.state, request, env, None).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::tree_levels;

    #[test]
    fn the_tree_starts_one_range_per_thread_with_eight_lanes_and_two_with_fewer() {
        // One thread never cuts; the ranges are 2^levels.
        for lanes in [1, 4, 8] {
            assert_eq!(tree_levels(1, lanes), 0);
        }
        assert_eq!(1 << tree_levels(2, 8), 2);
        assert_eq!(1 << tree_levels(4, 8), 4);
        assert_eq!(1 << tree_levels(2, 4), 4);
        assert_eq!(1 << tree_levels(2, 1), 4);
        assert_eq!(1 << tree_levels(8, 4), 16);
        // A thread count that is not a power of two cuts one level finer.
        assert_eq!(1 << tree_levels(3, 8), 8);
        assert_eq!(1 << tree_levels(3, 4), 16);
    }
}
