//! Reads of the chain off the threads that produce blocks and take submissions (docs/api.md
//! §5, "Fair shares"): JSON-RPC requests other than the constant-time ones, and the REST reads,
//! run on a runtime of their own whose threads sit below the rest of the process in the
//! scheduler's eyes (as the admission and call threads do), a bounded number at once, the
//! slots handed out fairly between client addresses (`fair.rs`). A flood of reads then takes
//! what block production, admission and settlement leave, and a client that reads rarely is
//! served next whatever others keep asking for.

use super::ingest::lower_priority;
use crate::fair::{Client, FairSlots, SlotError, SlotLimits};
use std::{future::Future, sync::Arc, time::Instant};

/// Why a query was not answered.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// No slot for it (its client's bound, the waiting places, or its time).
    #[error(transparent)]
    Slot(#[from] SlotError),
    /// The work itself failed (a bug): the request is answered with an internal error.
    #[error("{0}")]
    Failed(String),
}

/// The query runtime and its slots.
#[derive(Debug)]
pub(super) struct QueryPool {
    runtime: Option<tokio::runtime::Runtime>,
    slots: Arc<FairSlots>,
}

/// Requests waiting for a query slot at once, over all clients, and per client.
const WAITING: usize = 256;
const WAITING_PER_CLIENT: usize = 16;

impl QueryPool {
    /// `slots` queries at once on one thread per core at `nice`.
    pub(super) fn new(slots: usize, nice: i32) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(std::thread::available_parallelism().map_or(1, usize::from))
            .thread_name("query")
            .on_thread_start(move || lower_priority(nice))
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the query threads: {e}"))?;
        let slots = slots.max(1);
        let slots = FairSlots::new(
            "queries",
            SlotLimits {
                slots,
                per_client: slots.div_ceil(2),
                waiting: WAITING,
                waiting_per_client: WAITING_PER_CLIENT,
            },
        );
        Ok(Self { runtime: Some(runtime), slots })
    }

    /// Runs `work` for `client` on the query threads once a slot is given to it (by
    /// `deadline`), holding the slot until it ends. Dropped before it ends, the work is
    /// stopped.
    pub(super) async fn run<F>(&self, client: Client, deadline: Instant, work: F) -> Result<F::Output, QueryError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let permit = self.slots.acquire(client, deadline).await?;
        let Some(runtime) = &self.runtime else { return Err(QueryError::Failed("the query threads stopped".into())) };
        let task = runtime.spawn(async move {
            let _permit = permit;
            work.await
        });
        struct AbortOnDrop(tokio::task::AbortHandle);
        impl Drop for AbortOnDrop {
            fn drop(&mut self) {
                self.0.abort();
            }
        }
        let _abort = AbortOnDrop(task.abort_handle());
        task.await.map_err(|err| {
            tracing::error!(target: "sequencer::query", %err, "a query failed");
            QueryError::Failed(format!("the query failed: {err}"))
        })
    }
}

impl Drop for QueryPool {
    fn drop(&mut self) {
        // A runtime may not be dropped where it would block (inside another runtime).
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
