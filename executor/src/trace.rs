//! Tracing a sealed block again (`debug_traceTransaction`, `debug_traceBlockByNumber`,
//! docs/api.md §3.0g): the block runs once more, in order, over the state before it, exactly
//! as the sequential path runs it ([`crate::parallel::run_watched`], the queue's
//! [`crate::queue::run_queue_watched`]), with a call tracer that keeps one geth `callTracer`
//! frame per item of the block.
//!
//! The block producer runs the same code with nothing watching (`()`): a transaction then
//! runs through revm's plain `transact`, and no tracing code is on its path.

use crate::{
    BlockEnvInput, QueueResult, StateAt, TxResult, begins, fee_state,
    parallel::{self, BlockContext},
    queue,
    state::Record,
};
use alloy_primitives::{Address, Bytes, Log, U256};
use alloy_rpc_types_trace::geth::{CallConfig, CallFrame, CallLogFrame};
use alloy_sol_types::SolError;
use revm::{
    Database, ExecuteEvm, InspectEvm, Inspector,
    context::{
        ContextTr, TxEnv,
        result::{EVMError, ResultAndState},
    },
    handler::{MainnetContext, MainnetEvm},
    interpreter::{
        CallInputs, CallOutcome, CallScheme, CreateInputs, CreateOutcome, CreateScheme, InstructionResult,
        interpreter::EthInterpreter,
    },
};
use rollup_types::{ChainConfig, RecoveredTx, queue::QueueEntry};
use std::convert::Infallible;

/// What sees the items of a block run: nothing on the block producer's path (`()`), a
/// [`CallTracer`] when a block is traced.
pub(crate) trait Watch: Sized {
    /// Runs `tx` on `evm` (inspected, or not).
    fn run<DB: Database<Error = Infallible>>(
        evm: &mut MainnetEvm<MainnetContext<DB>, Self>,
        tx: TxEnv,
    ) -> Result<ResultAndState, EVMError<Infallible>>;

    /// One item of the block ended, whether it ran in the EVM or not.
    fn after(&mut self) {}
}

impl Watch for () {
    #[inline(always)]
    fn run<DB: Database<Error = Infallible>>(
        evm: &mut MainnetEvm<MainnetContext<DB>, Self>,
        tx: TxEnv,
    ) -> Result<ResultAndState, EVMError<Infallible>> {
        evm.transact(tx)
    }
}

/// Runs `tx` on `evm` as its watcher wants.
#[inline(always)]
pub(crate) fn run_tx<DB: Database<Error = Infallible>, W: Watch>(
    evm: &mut MainnetEvm<MainnetContext<DB>, W>,
    tx: TxEnv,
) -> Result<ResultAndState, EVMError<Infallible>> {
    W::run(evm, tx)
}

/// geth's `callTracer`: a frame per call, with its sub-calls (unless `onlyTopCall`) and its
/// logs (with `withLog`), kept per item of the block.
#[derive(Debug, Default)]
pub struct CallTracer {
    config: CallConfig,
    /// Frames open now, outermost first.
    open: Vec<CallFrame>,
    /// Calls entered below the top one while only the top one is traced.
    skipped: usize,
    /// The item running now's outermost frame, once it ended.
    ended: Option<CallFrame>,
    /// One entry per item of the block that ended: its frame, or none when it did not run
    /// in the EVM.
    items: Vec<Option<CallFrame>>,
}

impl CallTracer {
    /// A tracer with geth's `callTracer` options.
    pub fn new(config: CallConfig) -> Self {
        Self { config, ..Default::default() }
    }

    fn only_top(&self) -> bool {
        self.config.only_top_call.unwrap_or(false)
    }

    fn enter(&mut self, frame: CallFrame) {
        if self.only_top() && !self.open.is_empty() {
            self.skipped += 1;
            return;
        }
        self.open.push(frame);
    }

    fn exit(&mut self, result: InstructionResult, output: &Bytes, gas_used: u64, created: Option<Address>) {
        if self.skipped > 0 {
            self.skipped -= 1;
            return;
        }
        let Some(mut frame) = self.open.pop() else { return };
        frame.gas_used = U256::from(gas_used);
        if let Some(address) = created {
            frame.to = Some(address);
        }
        if !output.is_empty() {
            frame.output = Some(output.clone());
        }
        if !result.is_ok() {
            frame.error = Some(error_of(result));
            if result.is_revert() {
                frame.revert_reason = revert_reason(output);
            }
            // As geth does: a failed call's logs were undone, in it and below it.
            clear_logs(&mut frame);
            if frame.output.as_ref().is_some_and(|_| !result.is_revert()) {
                frame.output = None;
            }
        }
        match self.open.last_mut() {
            Some(parent) => parent.calls.push(frame),
            None => self.ended = Some(frame),
        }
    }

    /// The frames kept, one per item that ended.
    fn take_items(&mut self) -> Vec<Option<CallFrame>> {
        std::mem::take(&mut self.items)
    }
}

impl Watch for CallTracer {
    fn run<DB: Database<Error = Infallible>>(
        evm: &mut MainnetEvm<MainnetContext<DB>, Self>,
        tx: TxEnv,
    ) -> Result<ResultAndState, EVMError<Infallible>> {
        evm.inspect_tx(tx)
    }

    fn after(&mut self) {
        let ended = self.ended.take();
        self.items.push(ended);
        self.open.clear();
        self.skipped = 0;
    }
}

impl<CTX: ContextTr> Inspector<CTX, EthInterpreter> for CallTracer {
    fn call(&mut self, context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        let (typ, value) = match inputs.scheme {
            CallScheme::Call => ("CALL", Some(inputs.call_value())),
            CallScheme::CallCode => ("CALLCODE", Some(inputs.call_value())),
            CallScheme::DelegateCall => ("DELEGATECALL", None),
            CallScheme::StaticCall => ("STATICCALL", None),
        };
        let frame = CallFrame {
            from: inputs.caller,
            to: Some(inputs.target_address),
            gas: U256::from(inputs.gas_limit),
            input: inputs.input.bytes(context),
            value,
            typ: typ.to_owned(),
            ..Default::default()
        };
        self.enter(frame);
        None
    }

    fn call_end(&mut self, _context: &mut CTX, _inputs: &CallInputs, outcome: &mut CallOutcome) {
        let result = &outcome.result;
        self.exit(result.result, &result.output, result.gas.total_gas_spent(), None);
    }

    fn create(&mut self, _context: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        let typ = match inputs.scheme() {
            CreateScheme::Create2 { .. } => "CREATE2",
            _ => "CREATE",
        };
        let frame = CallFrame {
            from: inputs.caller(),
            gas: U256::from(inputs.gas_limit()),
            input: inputs.init_code().clone(),
            value: Some(inputs.value()),
            typ: typ.to_owned(),
            ..Default::default()
        };
        self.enter(frame);
        None
    }

    fn create_end(&mut self, _context: &mut CTX, _inputs: &CreateInputs, outcome: &mut CreateOutcome) {
        let result = &outcome.result;
        self.exit(result.result, &result.output, result.gas.total_gas_spent(), outcome.address);
    }

    fn log(&mut self, _context: &mut CTX, log: Log) {
        if !self.config.with_log.unwrap_or(false) || self.skipped > 0 {
            return;
        }
        let Some(frame) = self.open.last_mut() else { return };
        let position = frame.calls.len() as u64;
        // With the ERC-20 events the receipts carry after each ledger event (docs/api.md
        // §3.0d): the frames' logs, in order, are the receipt's.
        for log in crate::token_events::with_token_events(vec![log]) {
            frame.logs.push(CallLogFrame {
                address: Some(log.address),
                topics: Some(log.data.topics().to_vec()),
                data: Some(log.data.data),
                position: Some(position),
                index: None,
            });
        }
    }
}

/// geth's words for how a call failed.
fn error_of(result: InstructionResult) -> String {
    use InstructionResult as R;
    match result {
        R::Revert => "execution reverted",
        R::OutOfGas | R::MemoryOOG | R::MemoryLimitOOG | R::PrecompileOOG | R::InvalidOperandOOG => "out of gas",
        R::OpcodeNotFound | R::InvalidFEOpcode => "invalid opcode",
        R::StackUnderflow => "stack underflow",
        R::StackOverflow => "stack limit reached 1024 (1023)",
        R::InvalidJump => "invalid jump destination",
        R::StateChangeDuringStaticCall => "write protection",
        R::CallTooDeep => "max call depth exceeded",
        R::OutOfFunds => "insufficient balance for transfer",
        R::CreateCollision => "contract address collision",
        R::CreateContractSizeLimit => "max code size exceeded",
        R::CreateInitCodeSizeLimit => "max initcode size exceeded",
        R::CreateContractStartingWithEF => "invalid code: must not begin with 0xef",
        R::NonceOverflow => "nonce uint64 overflow",
        other => return format!("{other:?}"),
    }
    .to_owned()
}

/// The reason of a revert with Solidity's `Error(string)`.
fn revert_reason(output: &[u8]) -> Option<String> {
    alloy_sol_types::Revert::abi_decode(output).ok().map(|r| r.reason)
}

fn clear_logs(frame: &mut CallFrame) {
    frame.logs.clear();
    for call in &mut frame.calls {
        clear_logs(call);
    }
}

/// A block traced: each queue entry's result and frame, then each transaction's (none for
/// an item that did not run in the EVM: a skipped queue entry, a transaction out of gas or
/// refused).
#[derive(Debug, Default)]
pub struct BlockTrace {
    /// The queue entries', in order.
    pub queue: Vec<(QueueResult, Option<CallFrame>)>,
    /// The transactions', in order.
    pub txs: Vec<(TxResult, Option<CallFrame>)>,
}

/// Runs block `env` (the queue entries `queue`, then `txs`) over `state`, the state after the
/// block before it, in order, with a call tracer of `config`; only the first `upto`
/// transactions run when given (a trace of one transaction needs no later one). Nothing is
/// committed. The results are the block's as it was sealed: the same code runs them.
pub fn trace_block(
    chain: &ChainConfig,
    state: &StateAt,
    env: BlockEnvInput,
    queue: &[QueueEntry],
    txs: &[RecoveredTx],
    upto: Option<usize>,
    config: CallConfig,
) -> BlockTrace {
    let ctx = BlockContext::new(chain, env, state, fee_state(state, env));
    let starts = begins(state, env, queue.len() + txs.len());
    let (q, mut tracer) = queue::run_queue_watched(&ctx, chain, queue, starts, Record::Off, CallTracer::new(config));
    let mut frames = tracer.take_items().into_iter();
    if starts {
        // The system call that begins the block is no transaction of it.
        frames.next();
    }
    let queue_traced: Vec<_> = q.results.into_iter().zip(frames.by_ref().chain(std::iter::repeat(None))).collect();
    let prior = [q.changes];
    let count = upto.map_or(txs.len(), |n| n.min(txs.len()));
    let (out, mut tracer) = parallel::run_watched(&ctx, &prior, txs, (0..count as u32).collect(), Record::Off, tracer);
    let frames = tracer.take_items();
    let txs_traced = out.results.into_iter().zip(frames.into_iter().chain(std::iter::repeat(None))).collect();
    BlockTrace { queue: queue_traced, txs: txs_traced }
}
