//! Leadership among sequencers sharing one database (docs/deployment.md).
//!
//! One process leads: it holds the lease of the database's `sequencer_lease` row, renews it
//! four times a lease, and writes every block and admission under the epoch it took the lease
//! at ([`Store::fence`]). Another process started on the same database follows it
//! (`node::follow`): it applies the leader's blocks to its own state, serves reads, forwards
//! submissions (`api::forward`), and takes the lease over once the leader stopped renewing it
//! for a whole lease. Before the chain is laid out (an empty database) it stands by instead:
//! it answers `/v1/status` (role `follower`) and `/metrics` (`rollup_sequencer_leader 0`) and
//! refuses everything else with `503 not_leader`. A leader
//! that finds its lease taken over (it stalled, or lost the database that long) stops: its
//! writes fail at commit from the takeover on, so it never writes a block at a height the new
//! leader writes.

use crate::{
    HttpLimits, Node, SequencerError, api,
    store::{LeaseState, Store},
};
use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Serialize;
use serde_json::json;
use std::{sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// This process's hold on the lease.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lead {
    /// The id this process drew at start.
    pub holder: String,
    /// The epoch it took the lease at; its writes are fenced by it (0: a database private to
    /// this process, nothing to fence).
    pub epoch: u64,
    /// How long the lease lasts unless renewed.
    #[serde(skip)]
    pub lease: Duration,
}

/// An id for this process among the database's sequencers (see
/// [`rollup_chain_store::holder_id`]).
pub fn holder_id() -> String {
    rollup_chain_store::holder_id()
}

/// How long a transaction of the leader may stay idle before PostgreSQL aborts it: the lease,
/// and at least a second (a busy process may leave a transaction unattended for a moment
/// without having stalled). A leader stalled in the middle of a write holds locks (the
/// lease's row, the height it was writing) that its successor waits for: this bounds the wait.
pub(crate) fn stall_bound(lease: Duration) -> Duration {
    lease.max(Duration::from_secs(1))
}

/// How often a standby asks for the lease.
fn poll_interval(lease: Duration) -> Duration {
    (lease / 8).clamp(Duration::from_millis(20), Duration::from_millis(500))
}

/// What a sequencer starting on a shared database does.
#[derive(Debug)]
pub(crate) enum Role {
    /// It took the lease: it leads.
    Lead(Lead),
    /// Another leads and the chain is laid out: it follows (`node::follow`).
    Follow,
}

/// Takes the lease for `holder` (serving at `url`), or, while another process holds it, waits
/// for the chain to be there to follow (the leader lays out genesis when it first opens it),
/// serving `listener` meanwhile as a standby (see the module). `None` if `cancel` fired first.
pub(crate) async fn lead_or_follow(
    store: &Store,
    holder: &str,
    url: &str,
    lease: Duration,
    listener: &std::net::TcpListener,
    limits: HttpLimits,
    cancel: &CancellationToken,
) -> Result<Option<Role>, SequencerError> {
    let lead = |epoch| Role::Lead(Lead { holder: holder.to_owned(), epoch, lease });
    if let Some(epoch) = store.try_lead(holder, url, lease).await? {
        return Ok(Some(lead(epoch)));
    }
    let held = store.lease().await?;
    info!(
        target: "sequencer",
        leader = %held.holder,
        epoch = held.epoch,
        remaining_ms = held.remaining_ms,
        "another sequencer leads on this database: following it"
    );
    if store.block(0).await?.is_some() {
        return Ok(Some(Role::Follow));
    }
    let standby = cancel.child_token();
    let server = tokio::spawn(api::serve(
        tokio::net::TcpListener::from_std(listener.try_clone()?)?,
        standby_router(store.clone(), holder.to_owned()),
        limits,
        standby.clone(),
    ));
    let role = loop {
        tokio::select! {
            _ = cancel.cancelled() => break None,
            _ = tokio::time::sleep(poll_interval(lease)) => {}
        }
        match store.try_lead(holder, url, lease).await {
            Ok(Some(epoch)) => break Some(lead(epoch)),
            Ok(None) => {}
            Err(err) => warn!(target: "sequencer", %err, "could not ask the database for the lease"),
        }
        if matches!(store.block(0).await, Ok(Some(_))) {
            break Some(Role::Follow);
        }
    };
    standby.cancel();
    if let Ok(Err(err)) = server.await {
        warn!(target: "sequencer", %err, "standby server stopped with an error");
    }
    if let Some(Role::Lead(lead)) = &role {
        info!(target: "sequencer", epoch = lead.epoch, previous = %held.holder, "took the lease over: leading");
    }
    Ok(role)
}

/// How often a follower looks for new blocks: half a block time, within 10–100 ms.
fn follow_interval(block_time: Duration) -> Duration {
    (block_time / 2).clamp(Duration::from_millis(10), Duration::from_millis(100))
}

/// How often each sequencer reports its head and reads the others' (`Node::report`).
pub(crate) const REPORT_EVERY: Duration = Duration::from_secs(1);

/// Follows the leader's blocks (`Node::follow_committed`) and asks for the lease, until it
/// takes it: then its renewals start and the node takes over ([`Node::take_over`]); the lead
/// is returned with its keeper. `None` if `cancel` fired first. A database that cannot be read is retried; a block that does not
/// reproduce its roots is fatal.
pub(crate) async fn follow(
    node: &Arc<Node>,
    store: &Store,
    holder: &str,
    url: &str,
    cancel: &CancellationToken,
) -> Result<Option<(Lead, Keeper)>, SequencerError> {
    let lease = node.config().lease;
    let (poll, ask) = (follow_interval(node.config().block_time), poll_interval(lease));
    let mut asked = std::time::Instant::now();
    let mut reported: Option<std::time::Instant> = None;
    loop {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        if reported.is_none_or(|at| at.elapsed() >= REPORT_EVERY) {
            reported = Some(std::time::Instant::now());
            if let Err(err) = node.report(holder, url).await {
                warn!(target: "sequencer", %err, "could not report to the database");
            }
        }
        if asked.elapsed() >= ask {
            asked = std::time::Instant::now();
            match store.try_lead(holder, url, lease).await {
                Ok(Some(epoch)) => {
                    let lead = Lead { holder: holder.to_owned(), epoch, lease };
                    info!(target: "sequencer", epoch, "took the lease over: leading");
                    // Renewed from now on: the takeover (the old leader's last blocks, the
                    // pending transactions) may take longer than a lease under load.
                    let keeper = Keeper::start(&node.config().db_url, &lead, cancel);
                    if let Err(err) = node.take_over(lead.clone()).await {
                        keeper.stop().await;
                        return Err(err);
                    }
                    return Ok(Some((lead, keeper)));
                }
                Ok(None) => {}
                Err(err) => warn!(target: "sequencer", %err, "could not ask the database for the lease"),
            }
        }
        let more = match node.follow_committed().await {
            Ok(applied) => applied > 0,
            Err(SequencerError::Store(err)) => {
                warn!(target: "sequencer", %err, "could not read the leader's blocks; retrying");
                false
            }
            Err(err) => return Err(err),
        };
        if !more {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(None),
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }
}

/// Reports this sequencer's head and reads the others' every [`REPORT_EVERY`] until `cancel`.
pub(crate) async fn report(node: Arc<Node>, holder: String, url: String, cancel: CancellationToken) {
    loop {
        if let Err(err) = node.report(&holder, &url).await {
            warn!(target: "sequencer", %err, "could not report to the database");
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(REPORT_EVERY) => {}
        }
    }
}

/// The URL this process's API is reached at by the other sequencers: the configured one, or
/// `http://` and `listen` (the host's name for an unspecified address).
pub(crate) fn advertised(configured: Option<&str>, listen: std::net::SocketAddr) -> String {
    if let Some(url) = configured {
        return url.trim_end_matches('/').to_owned();
    }
    if listen.ip().is_unspecified() {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        return format!("http://{host}:{}", listen.port());
    }
    format!("http://{listen}")
}

/// Renews `lead` until `cancel` fires; `Err(LostLead)` as soon as another process holds it. A
/// database that cannot be reached is retried: the fencing keeps a leader that lost the lease
/// from writing meanwhile. The lease is given back by [`release`] once the producer stopped.
///
/// The renewals run on a thread of their own, with their own runtime and connections to the
/// database at `db_url`: a leader whose runtime is saturated by clients (every worker busy
/// answering reads) must not let its lease lapse for want of a turn (measured: a leader under
/// 32 connections of `eth_blockNumber` on two cores lost it when its renewals ran among the
/// clients' tasks).
pub(crate) async fn keep_lead(db_url: String, lead: Lead, cancel: CancellationToken) -> Result<(), SequencerError> {
    if lead.epoch == 0 {
        // Not a lease of a shared database (see `start`): nothing to keep.
        cancel.cancelled().await;
        return Ok(());
    }
    let (done, kept) = tokio::sync::oneshot::channel();
    std::thread::Builder::new().name("lease-keeper".into()).spawn(move || {
        let result = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime.block_on(renew(db_url, lead, cancel)),
            Err(err) => Err(SequencerError::Io(err)),
        };
        let _ = done.send(result);
    })?;
    kept.await.unwrap_or_else(|_| Err(SequencerError::Task("the lease keeper's thread ended".into())))
}

/// The task renewing a lease ([`keep_lead`]), started as soon as the lease is taken.
#[derive(Debug)]
pub(crate) struct Keeper {
    /// Its end: `Err(LostLead)` once another process holds the lease.
    pub(crate) handle: tokio::task::JoinHandle<Result<(), SequencerError>>,
    stop: CancellationToken,
}

impl Keeper {
    /// Starts renewing `lead` (on its own thread) until `cancel` fires.
    pub(crate) fn start(db_url: &str, lead: &Lead, cancel: &CancellationToken) -> Self {
        let stop = cancel.child_token();
        let handle = tokio::spawn(keep_lead(db_url.to_owned(), lead.clone(), stop.clone()));
        Self { handle, stop }
    }

    /// Stops renewing (an opening or a takeover that failed: the lease is then given back).
    pub(crate) async fn stop(self) {
        self.stop.cancel();
        let _ = self.handle.await;
    }
}

/// [`keep_lead`]'s loop, on its thread.
async fn renew(db_url: String, lead: Lead, cancel: CancellationToken) -> Result<(), SequencerError> {
    let every = lead.lease / 4;
    let mut store = None;
    let kept = loop {
        tokio::select! {
            _ = cancel.cancelled() => break Ok(()),
            _ = tokio::time::sleep(every) => {}
        }
        if store.is_none() {
            match Store::open(&db_url).await {
                Ok(opened) => store = Some(opened),
                Err(err) => {
                    warn!(target: "sequencer", %err, "could not open the database to renew the lease; retrying");
                    continue;
                }
            }
        }
        let Some(store) = &store else { continue };
        match store.renew_lead(&lead.holder, lead.epoch, lead.lease).await {
            Ok(true) => {}
            Ok(false) => {
                error!(target: "sequencer", epoch = lead.epoch, "another sequencer took the lease over: stopping");
                break Err(SequencerError::LostLead(lead.epoch));
            }
            Err(err) => warn!(target: "sequencer", %err, "could not renew the lease; retrying"),
        }
    };
    if let Some(store) = store {
        store.close().await;
    }
    kept
}

/// Gives the lease back once this process has stopped writing (a clean stop writes its last
/// block first), so that a standby takes over at once instead of when it expires. Nothing if
/// another process holds it already.
pub(crate) async fn release(store: &Store, lead: &Lead) {
    if lead.epoch == 0 {
        return;
    }
    if let Err(err) = store.release_lead(lead.epoch).await {
        warn!(target: "sequencer", %err, "could not release the lease; a standby takes over when it expires");
    }
}

/// The role's lines of the Prometheus page: `rollup_sequencer_leader` (1 leading, 0 standing
/// by) and `rollup_sequencer_epoch` (the leader's epoch: this process's when it leads).
pub(crate) fn render_role(out: &mut String, leading: bool, epoch: u64) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "# HELP rollup_sequencer_leader 1 if this sequencer leads its database, 0 if it stands by.\n\
         # TYPE rollup_sequencer_leader gauge\nrollup_sequencer_leader {}\n\
         # HELP rollup_sequencer_epoch The leadership epoch of the database's leader.\n\
         # TYPE rollup_sequencer_epoch gauge\nrollup_sequencer_epoch {epoch}",
        u8::from(leading)
    );
}

/// The standby's API: its status and metrics, and `503 not_leader` for everything else.
fn standby_router(store: Store, holder: String) -> Router {
    Router::new()
        .route("/v1/status", get(standby_status))
        .route("/metrics", get(standby_metrics))
        .fallback(not_leader)
        .with_state(Arc::new((store, holder)))
}

type Standby = Arc<(Store, String)>;

fn leader_json(held: &LeaseState) -> serde_json::Value {
    json!({ "holder": held.holder, "epoch": held.epoch, "leaseRemainingMs": held.remaining_ms })
}

async fn standby_status(State(standby): State<Standby>) -> Response {
    match standby.0.lease().await {
        Ok(held) => Json(json!({
            "role": "follower",
            "holder": standby.1,
            "leader": leader_json(&held),
        }))
        .into_response(),
        Err(err) => unavailable("database_unavailable", format!("the chain database cannot be read: {err}")),
    }
}

async fn standby_metrics(State(standby): State<Standby>) -> Response {
    let mut out = String::new();
    let epoch = standby.0.lease().await.map_or(0, |held| held.epoch);
    render_role(&mut out, false, epoch);
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

async fn not_leader(State(standby): State<Standby>) -> Response {
    let leader = match standby.0.lease().await {
        Ok(held) => format!("{} (epoch {})", held.holder, held.epoch),
        Err(_) => "unknown (the database cannot be read)".to_owned(),
    };
    unavailable(
        "not_leader",
        format!(
            "this sequencer is a standby and serves only /v1/status; the leader is {leader}: send requests to it, \
             or retry here after a failover"
        ),
    )
}

fn unavailable(code: &str, message: String) -> Response {
    let mut response =
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "error": { "code": code, "message": message } })))
            .into_response();
    response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(1));
    response
}
