//! Read-only calls (`eth_call`, `eth_estimateGas`) off the async runtime: on threads of their
//! own, below block production and admission in the scheduler's eyes, one per thread at once,
//! handed out fairly between client addresses (`fair.rs`), each request within a budget of gas
//! and time (docs/api.md, "Limits").
//!
//! A call runs on the committed state, so it never waits for a block in execution and a block
//! never waits for it. It is stopped once [`CallLimits::call_time`] (or what the request has
//! left) has passed, counted from when it was asked for (waiting for a thread included), and by
//! its gas in any case (at most [`EXECUTION_GAS_LIMIT`]); its slot stays taken until it ends, so
//! work nobody waits for still counts against its client.

use super::{Node, ingest::lower_priority};
use crate::{
    config::CallLimits,
    fair::{Client, FairSlots, SlotError, SlotLimits, SlotPermit},
};
use rollup_executor::{BlockEnvInput, CallOutcome, CallRequest, StateAt};
use rollup_types::chain::{EXECUTION_GAS_LIMIT, MIN_TX_GAS_LIMIT};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::oneshot;

/// What one HTTP request may still spend on calls, and whose it is.
#[derive(Clone, Copy, Debug)]
pub struct CallBudget {
    gas_left: u64,
    deadline: Instant,
    client: Client,
}

impl CallBudget {
    /// A request's whole budget, from now, for `client`.
    pub fn new(limits: &CallLimits, client: Client) -> Self {
        Self { gas_left: limits.request_gas, deadline: Instant::now() + limits.request_time, client }
    }

    /// The request's client.
    pub const fn client(&self) -> Client {
        self.client
    }

    /// Gas its calls may still use.
    pub const fn gas_left(&self) -> u64 {
        self.gas_left
    }
}

/// Why a call was not answered with an outcome.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The call cannot be executed at all (as opposed to reverting).
    #[error("{0}")]
    Invalid(String),
    /// The request has used its gas or time for calls.
    #[error("the calls of this request used their budget ({0}); send fewer or cheaper calls per request")]
    Budget(&'static str),
    /// No call slot for this request: its client has as many calls waiting as it may, the
    /// waiting places are taken by lighter clients, or none came free in time.
    #[error(transparent)]
    Busy(SlotError),
    /// The call ran longer than the node waits.
    #[error("execution aborted (timeout = {0} ms)")]
    Timeout(u64),
}

impl CallError {
    /// The stable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_call",
            Self::Budget(_) => "call_budget",
            Self::Busy(_) => "busy",
            Self::Timeout(_) => "call_timeout",
        }
    }
}

/// How much longer than a call's deadline the node waits for it to unwind.
const UNWIND: Duration = Duration::from_millis(100);

/// The threads and slots of read-only calls.
#[derive(Debug)]
pub(super) struct CallPool {
    threads: rayon::ThreadPool,
    slots: Arc<FairSlots>,
    limits: CallLimits,
}

impl CallPool {
    /// `limits.threads` threads at `nice` (as the admission threads, see
    /// `ingest::admission_pool`).
    pub(super) fn new(limits: CallLimits, nice: i32) -> Result<Self, String> {
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(limits.threads.max(1))
            .thread_name(|i| format!("call-{i}"))
            .start_handler(move |_| lower_priority(nice))
            .build()
            .map_err(|e| format!("cannot start the call threads: {e}"))?;
        let running = limits.threads.max(1);
        let slots = FairSlots::new(
            "calls",
            SlotLimits {
                slots: running,
                per_client: running.div_ceil(2),
                waiting: limits.max_calls.saturating_sub(running).max(1),
                waiting_per_client: limits.waiting_per_client,
            },
        );
        Ok(Self { threads, slots, limits })
    }
}

impl Node {
    /// Runs a read-only call on `state` (the head's or a recent block's) as block `env`, on
    /// the call threads, charging `budget`; its gas limit is the lower of its own, the
    /// execution cap and what the budget has left.
    pub async fn call(
        &self,
        mut request: CallRequest,
        state: StateAt,
        env: BlockEnvInput,
        budget: &mut CallBudget,
    ) -> Result<CallOutcome, CallError> {
        let left = budget.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(CallError::Budget("time"));
        }
        if budget.gas_left < MIN_TX_GAS_LIMIT {
            return Err(CallError::Budget("gas"));
        }
        let pool = &self.calls;
        // The call stops at its deadline, counted from now, so that time spent waiting for a
        // thread counts; the wait below allows a little more for it to unwind.
        let deadline = Instant::now() + left.min(pool.limits.call_time);
        let slot = self.call_slot(budget.client, deadline).await?;
        let wait = deadline.saturating_duration_since(Instant::now());
        let gas = request.gas.unwrap_or(EXECUTION_GAS_LIMIT).min(EXECUTION_GAS_LIMIT).min(budget.gas_left);
        request.gas = Some(gas);
        let chain = self.config.chain;
        let (done, outcome) = oneshot::channel();
        pool.threads.spawn(move || {
            let _slot = slot;
            let _ = done.send(rollup_executor::call(&chain, &state, &request, env, Some(deadline)));
        });
        let timeout = CallError::Timeout(wait.as_millis() as u64);
        // A call stopped for its time is charged its whole gas limit.
        let outcome = tokio::time::timeout(wait + UNWIND, outcome).await.inspect_err(|_| {
            budget.gas_left = budget.gas_left.saturating_sub(gas);
        });
        let outcome = outcome
            .map_err(|_| CallError::Timeout(wait.as_millis() as u64))?
            .map_err(|_| CallError::Invalid("the call's thread failed".into()))?
            .map_err(|e| match e {
                rollup_executor::CallError::Deadline => {
                    budget.gas_left = budget.gas_left.saturating_sub(gas);
                    timeout
                }
                rollup_executor::CallError::Invalid(reason) => CallError::Invalid(reason),
            })?;
        budget.gas_left = budget.gas_left.saturating_sub(outcome.gas_used);
        Ok(outcome)
    }
}

impl Node {
    /// A call slot for `client`, given fairly among the clients waiting for one, by
    /// `deadline` (`Busy` otherwise); it is taken until dropped.
    pub(super) async fn call_slot(&self, client: Client, deadline: Instant) -> Result<SlotPermit, CallError> {
        self.calls.slots.acquire(client, deadline).await.map_err(CallError::Busy)
    }

    /// Runs `work` on a call thread, holding `slot` while it runs: work for a read that is not
    /// an EVM call (building state proofs), under the same bound and priority.
    pub(super) async fn on_call_thread<R: Send + 'static>(
        &self,
        slot: SlotPermit,
        work: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, CallError> {
        let (done, outcome) = oneshot::channel();
        self.calls.threads.spawn(move || {
            let _slot = slot;
            let _ = done.send(work());
        });
        outcome.await.map_err(|_| CallError::Invalid("the call's thread failed".into()))
    }
}

impl Node {
    /// Runs `work` for `client` on a call thread once a call slot is free (within the calls'
    /// time limit): heavy reads that are not one EVM call, such as tracing a block again
    /// (docs/api.md §3.0g), wait in the same fair line as calls and never run on the runtime.
    pub async fn on_read_thread<R: Send + 'static>(
        &self,
        client: Client,
        work: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, CallError> {
        let slot = self.call_slot(client, Instant::now() + self.calls.limits.call_time).await?;
        self.on_call_thread(slot, work).await
    }
}
