//! The HTTP server: HTTP/1.1 connections served by hyper under the node's connection rules
//! (docs/api.md §5, "Limits"):
//!
//! - at most [`HttpLimits::max_connections`] at once; one more is answered `503`
//!   `too_many_connections` and closed (past 256 such refusals in progress, closed at once);
//! - a request's headers must arrive within [`HttpLimits::header_timeout`], and a connection
//!   that sends nothing for as long between requests is closed (hyper starts that timer
//!   again whenever the connection waits for a request);
//! - per client address, at most [`HttpLimits::per_ip_concurrent`] requests at once and
//!   [`HttpLimits::per_ip_rate`] per second (a burst of twice that), else `429` with
//!   `Retry-After` (`too_many_concurrent_requests`, `rate_limited`), and at most
//!   [`HttpLimits::per_ip_connections`] connections (`503` `too_many_connections`);
//!   127.0.0.1 and ::1 are exempt unless [`HttpLimits::limit_loopback`];
//! - a connection upgraded to a WebSocket keeps its place under these bounds until the socket
//!   closes ([`ConnectionHold`]).
//! - when every connection is taken, a new one from an address that holds fewer connections
//!   than the address holding the most takes the place of one of that address's idle
//!   connections (closed), so that many connections from a few addresses cannot keep others
//!   out (docs/api.md §5, "Fair shares");
//! - behind a reverse proxy listed in [`HttpLimits::trusted_proxies`], the per-address limits
//!   apply to the address it forwards (`X-Forwarded-For`, `Forwarded`).

use crate::{
    config::HttpLimits,
    fair::{Buckets, Client, canonical},
};
use axum::{
    Router,
    extract::{ConnectInfo, Request},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    sync::{OwnedSemaphorePermit, Semaphore},
};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tracing::{debug, warn};

/// Connections over the limit being answered at once; more are closed without an answer.
const MAX_REFUSALS: usize = 256;

/// How long shutdown waits for open connections to finish their requests.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `cancel` fires, then lets requests in progress finish (up
/// to ten seconds).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let max = limits.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(max));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let table: Arc<Table> = Arc::default();
    let limits = Arc::new(limits);
    loop {
        let (stream, peer) = tokio::select! {
            _ = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, or the peer gave up before the accept: wait a
                    // little rather than spin.
                    warn!(target: "sequencer::http", %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let ip = canonical(peer.ip());
        let per_ip = limits.per_ip_connections > 0 && limits.limits(ip) && !limits.trusts(ip);
        let refuse_with = |stream, message: String| {
            // Answered while few refusals are in progress; past that, closed at once, so that
            // a flood of connections cannot hold descriptors through the refusals either.
            if let Ok(refusing) = refusals.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(stream, message).await;
                    drop(refusing);
                });
            }
        };
        if per_ip && table.count(&ip) >= limits.per_ip_connections {
            refuse_with(
                stream,
                format!("this address has {} connections open, the most it may", limits.per_ip_connections),
            );
            continue;
        }
        let entry = table.open(ip, per_ip, cancel.child_token());
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => Some(slot),
            // Full: a newcomer from an address that holds few connections takes the slot of an
            // idle connection of the address holding the most, which closes.
            Err(_) => table.evict_for(&ip),
        };
        match slot {
            Some(slot) => spawn_connection(stream, peer, app.clone(), limits.clone(), slot, entry, table.clone()),
            None => {
                table.close(&entry);
                refuse_with(stream, format!("the node has {max} connections open, its maximum"));
            }
        }
    }
    // Every connection holds a slot until it closes.
    let _ = tokio::time::timeout(DRAIN, slots.acquire_many(max as u32)).await;
    Ok(())
}

fn spawn_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: Arc<HttpLimits>,
    slot: OwnedSemaphorePermit,
    entry: Arc<Connection>,
    table: Arc<Table>,
) {
    *lock(&entry.slot) = Some(slot);
    let hold = Arc::new(ConnectionHold { cancel: entry.close.clone(), entry, table });
    tokio::spawn(async move {
        serve_connection(stream, peer, app, limits, hold).await;
    });
}

/// An open connection in the [`Table`].
#[derive(Debug)]
struct Connection {
    id: u64,
    ip: IpAddr,
    /// Whether it counts against its address's connection limit.
    counted: bool,
    /// Requests it has in progress (0: idle, or a WebSocket).
    busy: AtomicUsize,
    /// Closes it (graceful: a request in progress finishes).
    close: CancellationToken,
    /// Its slot among the node's connections, until it closes or gives the slot to a
    /// newcomer.
    slot: Mutex<Option<OwnedSemaphorePermit>>,
}

/// The open connections by client address.
#[derive(Debug, Default)]
struct Table {
    by_ip: Mutex<HashMap<IpAddr, Vec<Arc<Connection>>>>,
    next_id: AtomicU64,
}

impl Table {
    fn count(&self, ip: &IpAddr) -> usize {
        lock(&self.by_ip).get(ip).map_or(0, |c| c.iter().filter(|c| c.counted).count())
    }

    fn open(&self, ip: IpAddr, counted: bool, close: CancellationToken) -> Arc<Connection> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = Arc::new(Connection { id, ip, counted, busy: AtomicUsize::new(0), close, slot: Mutex::new(None) });
        lock(&self.by_ip).entry(ip).or_default().push(entry.clone());
        entry
    }

    fn close(&self, entry: &Connection) {
        let mut by_ip = lock(&self.by_ip);
        if let Some(list) = by_ip.get_mut(&entry.ip) {
            list.retain(|c| c.id != entry.id);
            if list.is_empty() {
                by_ip.remove(&entry.ip);
            }
        }
    }

    /// Takes the slot of an idle connection of the address holding the most, which closes, if
    /// `ip` (which has just opened one) holds fewer than half the average address's
    /// connections and that address at least two more than `ip`. Addresses near their share do
    /// not push each other out (no churn among a flood's own connections).
    fn evict_for(&self, ip: &IpAddr) -> Option<OwnedSemaphorePermit> {
        let by_ip = lock(&self.by_ip);
        let mine = by_ip.get(ip).map_or(0, Vec::len);
        let total: usize = by_ip.values().map(Vec::len).sum();
        if 2 * mine * by_ip.len() >= total {
            return None;
        }
        let (_, list) = by_ip
            .iter()
            .filter(|(other, list)| *other != ip && list.len() > mine + 1)
            .max_by_key(|(_, list)| list.len())?;
        // The oldest idle one that still has its slot.
        list.iter().filter(|c| c.busy.load(Ordering::Relaxed) == 0).find_map(|victim| {
            let slot = lock(&victim.slot).take()?;
            debug!(target: "sequencer::http", victim = %victim.ip, newcomer = %ip, "connection table full: an idle connection of the address holding the most gives its place");
            victim.close.cancel();
            Some(slot)
        })
    }
}

/// What an open connection holds: its entry in the table, with its slot among the node's
/// connections. Each request carries it (an extension), so that a connection upgraded to a WebSocket
/// keeps both until the socket closes, not only until hyper hands the socket over.
#[derive(Debug)]
pub(crate) struct ConnectionHold {
    entry: Arc<Connection>,
    table: Arc<Table>,
    /// Cancelled when the node shuts down or the connection gives its place to another: a
    /// WebSocket closes then.
    pub(crate) cancel: CancellationToken,
}

impl Drop for ConnectionHold {
    fn drop(&mut self) {
        self.table.close(&self.entry);
        lock(&self.entry.slot).take();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Counts a request of a connection as in progress until dropped.
struct Busy(Arc<Connection>);

impl Busy {
    fn new(entry: &Arc<Connection>) -> Self {
        entry.busy.fetch_add(1, Ordering::Relaxed);
        Self(entry.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: Arc<HttpLimits>,
    hold: Arc<ConnectionHold>,
) {
    let _ = stream.set_nodelay(true);
    let cancel = hold.cancel.clone();
    let header_timeout = limits.header_timeout;
    let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        let client = limits.client(peer.ip(), request.headers());
        request.extensions_mut().insert(ConnectInfo(peer));
        request.extensions_mut().insert(client);
        request.extensions_mut().insert(hold.clone());
        let busy = Busy::new(&hold.entry);
        let answered = app.clone().oneshot(request.map(axum::body::Body::new));
        async move {
            let response = answered.await;
            drop(busy);
            response
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let ended = tokio::select! {
        ended = connection.as_mut() => ended,
        _ = cancel.cancelled() => {
            connection.as_mut().graceful_shutdown();
            // An idle connection closes at once; one in the middle of a request gets the
            // drain's time to finish it.
            match tokio::time::timeout(DRAIN, connection).await {
                Ok(ended) => ended,
                Err(_) => return,
            }
        }
    };
    if let Err(err) = ended {
        debug!(target: "sequencer::http", %peer, %err, "connection closed");
    }
}

/// Answers a connection over a limit with a 503 saying `why` and closes it.
async fn refuse(mut stream: tokio::net::TcpStream, why: String) {
    let body = json!({ "error": {
        "code": "too_many_connections",
        "message": format!("{why}; retry later"),
    }})
    .to_string();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: \
         close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        // The request's head first (clients do not expect an answer before their request),
        // at most 8 KiB of it.
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while head.len() < 8 * 1024 && !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// The per-address request limits: a rate of requests (a token bucket) and a count of
/// requests in progress per client address.
#[derive(Debug)]
pub struct PerIp {
    limits: HttpLimits,
    rate: Mutex<Buckets>,
    active: Mutex<HashMap<IpAddr, usize>>,
}

impl PerIp {
    /// The limiter for `limits`.
    pub fn new(limits: HttpLimits) -> Self {
        let rate = Mutex::new(Buckets::new(u64::from(limits.per_ip_rate)));
        Self { limits, rate, active: Mutex::new(HashMap::new()) }
    }

    /// Takes a request of `ip`: `Err((code, message, retry_after))` when over a limit.
    fn admit(&self, ip: IpAddr) -> Result<(), (&'static str, String, u64)> {
        let HttpLimits { per_ip_rate: rate, per_ip_concurrent: concurrent, .. } = self.limits;
        let mut active = lock(&self.active);
        let count = active.get(&ip).copied().unwrap_or(0);
        if concurrent > 0 && count >= concurrent {
            return Err((
                "too_many_concurrent_requests",
                format!(
                    "{concurrent} requests of this address are in progress, the most it may have; retry once one ends"
                ),
                1,
            ));
        }
        let now = Instant::now();
        let mut buckets = lock(&self.rate);
        if let Err(wait) = buckets.check(ip, 1, now) {
            return Err(("rate_limited", format!("more than {rate} requests per second from this address"), wait));
        }
        buckets.spend(ip, 1, now);
        *active.entry(ip).or_insert(0) += 1;
        Ok(())
    }

    fn done(&self, ip: IpAddr) {
        let mut active = lock(&self.active);
        if let Some(count) = active.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                active.remove(&ip);
            }
        }
    }

    fn applies(&self) -> bool {
        self.limits.per_ip_rate > 0 || self.limits.per_ip_concurrent > 0
    }
}

/// A request of a limited client counted as in progress until dropped (the handler answered,
/// or the request was dropped).
pub(super) struct InProgress {
    limiter: Arc<PerIp>,
    ip: IpAddr,
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.limiter.done(self.ip);
    }
}

/// Applies `limiter` to `request`, by the client [`serve`] resolved: `Ok(Some(_))` holds its
/// place while it runs, `Ok(None)` for a client no limit applies to, `Err` the refusal.
pub(super) fn admit(limiter: &Arc<PerIp>, request: &Request) -> Result<Option<InProgress>, Box<Response>> {
    let Some(client) = request.extensions().get::<Client>().copied() else { return Ok(None) };
    if !limiter.applies() || !client.limited {
        return Ok(None);
    }
    let ip = client.ip;
    if let Err((code, message, retry_after)) = limiter.admit(ip) {
        // JSON-RPC clients get an error object they can read; REST clients the REST error.
        let body = if request.uri().path() == "/" {
            json!({ "jsonrpc": "2.0", "id": null, "error": { "code": -32005, "message": message, "data": code } })
        } else {
            json!({ "error": { "code": code, "message": message } })
        };
        let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        return Err(Box::new(response));
    }
    Ok(Some(InProgress { limiter: limiter.clone(), ip }))
}
