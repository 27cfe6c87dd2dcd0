#![doc = include_str!("../README.md")]

pub mod api;
pub mod config;
pub mod error;
pub mod fair;
pub mod mempool;
pub mod metrics;
pub mod node;
pub mod read;

/// The chain database (its own crate: the batcher uses it too).
pub use rollup_chain_store as store;

pub use api::MAX_SUBSCRIPTIONS_PER_CONNECTION;
pub use config::{
    BacklogLimits, CallLimits, DEFAULT_ADMISSION_NICE, DEFAULT_EMPTY_BLOCK_INTERVAL, DEFAULT_MAX_BLOCK_BYTES,
    DEFAULT_MAX_LOGS, DEFAULT_STATE_HISTORY, HttpLimits, SequencerConfig,
};
pub use error::{SequencerError, StoreError, SubmitClass, SubmitError};
pub use node::{
    BacklogView, BlockRef, BlockState, Head, HistoryError, L1Info, Node, Startup, StateView, StatusSources,
};
pub use store::Store;

use std::{net::SocketAddr, sync::Arc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::info;

/// A running sequencer.
#[derive(Debug)]
pub struct SequencerHandle {
    /// Where the HTTP server listens.
    pub local_addr: SocketAddr,
    /// The node, for in-process components (the batcher reads its store).
    pub node: Arc<Node>,
    /// Completes when the sequencer has stopped (after `cancel`, or on a fatal error).
    pub task: JoinHandle<Result<(), SequencerError>>,
}

impl SequencerHandle {
    /// The HTTP URL of the server.
    pub fn url(&self) -> String {
        format!("http://{}", self.local_addr)
    }
}

/// Opens the chain, binds the HTTP server and starts producing blocks. Everything stops when
/// `cancel` fires; the returned task reports how it ended.
pub async fn start(
    config: SequencerConfig,
    status: StatusSources,
    cancel: CancellationToken,
) -> Result<SequencerHandle, SequencerError> {
    let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot listen on {}: {e} (choose another with --http.addr)", config.listen),
        )
    })?;
    let local_addr = listener.local_addr()?;
    let node = Node::open(config, status).await?;
    let app = api::router(node.clone());
    info!(target: "sequencer", %local_addr, chain_id = node.chain().chain_id, "listening");

    let producer = tokio::spawn(node.clone().run_producer(cancel.clone()));
    let server_cancel = cancel.clone();
    let limits = node.config().http.clone();
    let server = tokio::spawn(async move { api::serve(listener, app, limits, server_cancel).await });
    let stop = cancel.clone();
    let task = tokio::spawn(async move {
        // A producer failure is fatal: stop the server too.
        let produced = producer.await.map_err(|e| SequencerError::Task(e.to_string()))?;
        stop.cancel();
        let served = server.await.map_err(|e| SequencerError::Task(e.to_string()))?;
        produced?;
        served?;
        Ok(())
    });
    Ok(SequencerHandle { local_addr, node, task })
}
