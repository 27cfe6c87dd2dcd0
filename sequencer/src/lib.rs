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

/// Binds the HTTP server and opens the chain: as its leader if it takes the lead of the
/// chain's database, producing blocks; as a follower if another sequencer on it leads,
/// applying that one's blocks and serving reads until it takes over (see [`lead`]).
/// Everything stops when `cancel` fires; the returned task reports how it ended.
/// [`SequencerError::Stopped`] if `cancel` fired before the chain was opened.
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
    let url = lead::advertised(config.advertise.as_deref(), local_addr);
    if config.db_url.contains(":memory:") {
        // A database private to this process (tests): nobody else can lead it, and its
        // opening below is another database than any probe's.
        let lead = lead::Lead { holder, epoch: 0, lease: config.lease };
        let node = Node::open_as(config, status, Some(lead.clone())).await?;
        let server = serve(&node, listener, &cancel)?;
        let store = node.store().clone();
        let keeper = lead::Keeper::start(&node.config().db_url, &lead, &cancel);
        let task = tokio::spawn(run_leader(node.clone(), lead, keeper, store, server, url, cancel));
        return Ok(SequencerHandle { local_addr, node, task });
    }
    // Kept for the lease: its renewals never wait for a connection behind clients.
    let probe = Store::open(&config.db_url).await?;
    let role = lead::lead_or_follow(&probe, &holder, &url, config.lease, &listener, config.http.clone(), &cancel).await;
    let role = match role {
        Ok(Some(role)) => role,
        Ok(None) => {
            probe.close().await;
            return Err(SequencerError::Stopped);
        }
        Err(err) => {
            probe.close().await;
            return Err(err);
        }
    };
    match role {
        lead::Role::Lead(lead) => {
            // Renewed from now on: opening the chain may take longer than a lease.
            let keeper = lead::Keeper::start(&config.db_url, &lead, &cancel);
            let node = match Node::open_as(config, status, Some(lead.clone())).await {
                Ok(node) => node,
                Err(err) => {
                    // Give the lease back so that another sequencer need not wait for it to expire.
                    keeper.stop().await;
                    lead::release(&probe, &lead).await;
                    return Err(err);
                }
            };
            info!(target: "sequencer", %local_addr, chain_id = node.chain().chain_id, epoch = lead.epoch, "listening, leading");
            let server = serve(&node, listener, &cancel)?;
            let task = tokio::spawn(run_leader(node.clone(), lead, keeper, probe, server, url, cancel));
            Ok(SequencerHandle { local_addr, node, task })
        }
        lead::Role::Follow => {
            let lease = config.lease;
            let node = Node::open_follower(config, status, lease).await?;
            info!(target: "sequencer", %local_addr, chain_id = node.chain().chain_id, head = node.head().header.number, "listening, following");
            let server = serve(&node, listener, &cancel)?;
            let follower = node.clone();
            let task = tokio::spawn(async move {
                let followed = lead::follow(&follower, &probe, &holder, &url, &cancel).await;
                match followed {
                    Ok(Some((lead, keeper))) => run_leader(follower, lead, keeper, probe, server, url, cancel).await,
                    Ok(None) => {
                        // Asked to stop: nothing of this process's is in the database to hand over.
                        let served = server.await.map_err(|e| SequencerError::Task(e.to_string()))?;
                        probe.close().await;
                        served.map_err(SequencerError::from)
                    }
                    Err(err) => {
                        cancel.cancel();
                        let _ = server.await;
                        // A takeover that failed half-way gives the lease back.
                        if let Ok(held) = probe.lease().await
                            && held.holder == holder
                        {
                            let _ = probe.release_lead(held.epoch).await;
                        }
                        probe.close().await;
                        Err(err)
                    }
                }
            });
            Ok(SequencerHandle { local_addr, node, task })
        }
    }
}

/// Serves the node's API on `listener` until `cancel` fires.
fn serve(
    node: &Arc<Node>,
    listener: std::net::TcpListener,
    cancel: &CancellationToken,
) -> Result<JoinHandle<std::io::Result<()>>, SequencerError> {
    let app = api::router(node.clone());
    let limits = node.config().http.clone();
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let cancel = cancel.clone();
    Ok(tokio::spawn(async move { api::serve(listener, app, limits, cancel).await }))
}

/// Leads the chain with `lead`: produces blocks, renews the lease on `lease_store` and reports
/// to the other sequencers, until `cancel` fires, the producer fails or the lease is taken
/// over; then stops everything and gives the lease back once nothing more is written.
async fn run_leader(
    node: Arc<Node>,
    lead: lead::Lead,
    keeper: lead::Keeper,
    lease_store: Store,
    server: JoinHandle<std::io::Result<()>>,
    url: String,
    stop: CancellationToken,
) -> Result<(), SequencerError> {
    let producer = tokio::spawn(node.clone().run_producer(stop.clone()));
    let keeper = keeper.handle;
    let reporter =
        (lead.epoch > 0).then(|| tokio::spawn(lead::report(node.clone(), lead.holder.clone(), url, stop.clone())));
    let (mut keeper, mut producer) = (keeper, producer);
    // A producer failure, or the lease taken over, is fatal: stop everything.
    let ended = tokio::select! {
        kept = &mut keeper => {
            let kept = kept.map_err(|e| SequencerError::Task(e.to_string()))?;
            stop.cancel();
            let produced = producer.await.map_err(|e| SequencerError::Task(e.to_string()))?;
            let served = server.await.map_err(|e| SequencerError::Task(e.to_string()))?;
            kept?;
            fenced(produced.and(served.map_err(SequencerError::from)), &lease_store, &lead).await
        }
        produced = &mut producer => {
            stop.cancel();
            let produced = produced.map_err(|e| SequencerError::Task(e.to_string()))?;
            let served = server.await.map_err(|e| SequencerError::Task(e.to_string()))?;
            let kept = keeper.await.map_err(|e| SequencerError::Task(e.to_string()))?;
            fenced(produced.and(served.map_err(SequencerError::from)).and(kept), &lease_store, &lead).await
        }
    };
    if let Some(reporter) = reporter {
        let _ = reporter.await;
    }
    // Given back only now that nothing more is written.
    lead::release(&lease_store, &lead).await;
    ended
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
