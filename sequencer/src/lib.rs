#![doc = include_str!("../README.md")]

pub mod api;
pub mod config;
pub mod error;
pub mod fair;
pub mod lead;
pub mod mempool;
pub mod metrics;
pub mod node;
pub mod read;

/// The chain database (its own crate: the batcher uses it too).
pub use rollup_chain_store as store;

pub use api::MAX_SUBSCRIPTIONS_PER_CONNECTION;
pub use config::{
    BacklogLimits, CallLimits, DEFAULT_ADMISSION_NICE, DEFAULT_EMPTY_BLOCK_INTERVAL, DEFAULT_LEASE,
    DEFAULT_MAX_BLOCK_BYTES, DEFAULT_MAX_LOGS, DEFAULT_STATE_HISTORY, HttpLimits, SequencerConfig,
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

/// Binds the HTTP server, takes the lead of the chain's database (standing by while another
/// sequencer on it leads, see [`lead`]), opens the chain and starts producing blocks.
/// Everything stops when `cancel` fires; the returned task reports how it ended.
/// [`SequencerError::Stopped`] if `cancel` fired while standing by.
pub async fn start(
    config: SequencerConfig,
    status: StatusSources,
    cancel: CancellationToken,
) -> Result<SequencerHandle, SequencerError> {
    let listener =
        std::net::TcpListener::bind(config.listen).and_then(|l| l.set_nonblocking(true).map(|()| l)).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {}: {e} (choose another with --http.addr)", config.listen),
            )
        })?;
    let local_addr = listener.local_addr()?;
    let holder = lead::holder_id();
    let mut lease_store = None;
    let lead = if config.db_url.contains(":memory:") {
        // A database private to this process (tests): nobody else can lead it, and its
        // opening below is another database than any probe's.
        lead::Lead { holder, epoch: 0, lease: config.lease }
    } else {
        let probe = Store::open(&config.db_url).await?;
        let taken = lead::wait_for_lead(&probe, &holder, config.lease, &listener, config.http.clone(), &cancel).await;
        let Some(lead) = taken? else {
            probe.close().await;
            return Err(SequencerError::Stopped);
        };
        // Kept for the lease: its renewals never wait for a connection behind clients.
        lease_store = Some(probe);
        lead
    };
    let node = match Node::open_as(config, status, Some(lead.clone())).await {
        Ok(node) => node,
        Err(err) => {
            // Give the lease back so that another sequencer need not wait for it to expire.
            if let Some(store) = &lease_store {
                lead::release(store, &lead).await;
            }
            return Err(err);
        }
    };
    let app = api::router(node.clone());
    info!(target: "sequencer", %local_addr, chain_id = node.chain().chain_id, epoch = lead.epoch, "listening, leading");

    let producer = tokio::spawn(node.clone().run_producer(cancel.clone()));
    let server_cancel = cancel.clone();
    let limits = node.config().http.clone();
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let server = tokio::spawn(async move { api::serve(listener, app, limits, server_cancel).await });
    let lease_store = lease_store.unwrap_or_else(|| node.store().clone());
    let keeper = tokio::spawn(lead::keep_lead(lease_store.clone(), lead.clone(), cancel.clone()));
    let stop = cancel.clone();
    let task = tokio::spawn(async move {
        let (mut keeper, mut producer) = (keeper, producer);
        // A producer failure, or the lease taken over, is fatal: stop everything.
        let kept = tokio::select! {
            kept = &mut keeper => kept.map_err(|e| SequencerError::Task(e.to_string()))?,
            produced = &mut producer => {
                stop.cancel();
                let produced = produced.map_err(|e| SequencerError::Task(e.to_string()))?;
                let served = server.await.map_err(|e| SequencerError::Task(e.to_string()))?;
                let kept = keeper.await.map_err(|e| SequencerError::Task(e.to_string()))?;
                let ended = fenced(produced.and(served.map_err(SequencerError::from)).and(kept), &lease_store, &lead).await;
                // Given back only now that nothing more is written.
                lead::release(&lease_store, &lead).await;
                return ended;
            }
        };
        stop.cancel();
        let produced = producer.await.map_err(|e| SequencerError::Task(e.to_string()))?;
        let served = server.await.map_err(|e| SequencerError::Task(e.to_string()))?;
        kept?;
        let ended = fenced(produced.and(served.map_err(SequencerError::from)), &lease_store, &lead).await;
        lead::release(&lease_store, &lead).await;
        ended
    });
    Ok(SequencerHandle { local_addr, node, task })
}

/// A write refused by the fence is the lead lost; so is any other failure of a leader whose
/// lease another process holds now (a block at a height the new leader wrote first fails on
/// the key of `blocks` before it reaches the fence).
async fn fenced(result: Result<(), SequencerError>, store: &Store, lead: &lead::Lead) -> Result<(), SequencerError> {
    match result {
        Err(SequencerError::Store(StoreError::Fenced(_))) => Err(SequencerError::LostLead(lead.epoch)),
        Err(err) if lead.epoch > 0 => match store.lease().await {
            Ok(held) if held.epoch != lead.epoch => {
                tracing::warn!(target: "sequencer", %err, "failed after another sequencer took the lease over");
                Err(SequencerError::LostLead(lead.epoch))
            }
            _ => Err(err),
        },
        other => other,
    }
}
