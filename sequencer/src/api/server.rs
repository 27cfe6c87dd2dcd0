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

use axum::{
    Router,
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
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

/// Connection and per-client bounds of the HTTP server.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HttpLimits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Time a client has to send a request's headers, and to start one on an open
    /// connection.
    pub header_timeout: Duration,
    /// Requests per second per client address (a burst of twice as many); 0: no limit.
    pub per_ip_rate: u32,
    /// Requests in progress at once per client address; 0: no limit.
    pub per_ip_concurrent: usize,
    /// Connections open at once per client address; 0: no limit.
    pub per_ip_connections: usize,
    /// Whether the per-address limits apply to 127.0.0.1 and ::1 too (off by default: the
    /// devnet's tools and a reverse proxy on the same host connect from there). Other
    /// loopback addresses (127.0.0.2 …) are limited like any client.
    pub limit_loopback: bool,
}

impl HttpLimits {
    /// Whether the per-address limits apply to `ip`.
    fn limits(&self, ip: IpAddr) -> bool {
        let exempt = match ip {
            IpAddr::V4(v4) => v4 == std::net::Ipv4Addr::LOCALHOST,
            IpAddr::V6(v6) => v6 == std::net::Ipv6Addr::LOCALHOST,
        };
        self.limit_loopback || !exempt
    }
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_connections: 4_096,
            header_timeout: Duration::from_secs(10),
            per_ip_rate: 1_000,
            per_ip_concurrent: 64,
            per_ip_connections: 256,
            limit_loopback: false,
        }
    }
}

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
    let per_address: Arc<OpenPerAddress> = Arc::default();
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
        let ip = peer.ip();
        let per_ip = limits.per_ip_connections > 0 && limits.limits(ip);
        if per_ip {
            let mut open = lock(&per_address);
            let count = open.entry(ip).or_insert(0);
            if *count >= limits.per_ip_connections {
                drop(open);
                if let Ok(refusing) = refusals.clone().try_acquire_owned() {
                    let message =
                        format!("this address has {} connections open, the most it may", limits.per_ip_connections);
                    tokio::spawn(async move {
                        refuse(stream, message).await;
                        drop(refusing);
                    });
                }
                continue;
            }
            *count += 1;
        }
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            if per_ip {
                release(&per_address, ip);
            }
            // Answered while few refusals are in progress; past that, closed at once, so that
            // a flood of connections cannot hold descriptors through the refusals either.
            if let Ok(refusing) = refusals.clone().try_acquire_owned() {
                let message = format!("the node has {max} connections open, its maximum");
                tokio::spawn(async move {
                    refuse(stream, message).await;
                    drop(refusing);
                });
            }
            continue;
        };
        let hold = Arc::new(ConnectionHold {
            _slot: slot,
            per_address: per_ip.then(|| (per_address.clone(), ip)),
            cancel: cancel.clone(),
        });
        let app = app.clone();
        tokio::spawn(async move {
            serve_connection(stream, peer, app, limits.header_timeout, hold).await;
        });
    }
    // Every connection holds a slot until it closes.
    let _ = tokio::time::timeout(DRAIN, slots.acquire_many(max as u32)).await;
    Ok(())
}

/// Connections open per client address.
type OpenPerAddress = Mutex<HashMap<IpAddr, usize>>;

/// What an open connection holds: its slot among the node's connections and its count for its
/// client address. Each request carries it (an extension), so that a connection upgraded to a
/// WebSocket keeps both until the socket closes, not only until hyper hands the socket over.
#[derive(Debug)]
pub(crate) struct ConnectionHold {
    _slot: OwnedSemaphorePermit,
    per_address: Option<(Arc<OpenPerAddress>, IpAddr)>,
    /// Cancelled when the node shuts down: a WebSocket closes then.
    pub(crate) cancel: CancellationToken,
}

impl Drop for ConnectionHold {
    fn drop(&mut self) {
        if let Some((per_address, ip)) = &self.per_address {
            release(per_address, *ip);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One connection of `ip` closed.
fn release(per_address: &OpenPerAddress, ip: IpAddr) {
    let mut open = lock(per_address);
    if let Some(count) = open.get_mut(&ip) {
        *count -= 1;
        if *count == 0 {
            open.remove(&ip);
        }
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    header_timeout: Duration,
    hold: Arc<ConnectionHold>,
) {
    let _ = stream.set_nodelay(true);
    let cancel = hold.cancel.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request.extensions_mut().insert(hold.clone());
        app.clone().oneshot(request.map(axum::body::Body::new))
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
            connection.await
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

/// The per-address request limits (a token bucket and a count of requests in progress per
/// client address).
#[derive(Debug)]
pub struct PerIp {
    limits: HttpLimits,
    clients: Mutex<HashMap<IpAddr, Client>>,
}

#[derive(Debug)]
struct Client {
    tokens: f64,
    refilled: Instant,
    active: usize,
}

/// Addresses tracked before idle ones are forgotten.
const MAX_TRACKED: usize = 65_536;

impl PerIp {
    /// The limiter for `limits`.
    pub fn new(limits: HttpLimits) -> Self {
        Self { limits, clients: Mutex::new(HashMap::new()) }
    }

    /// Takes a request of `ip`: `Err((code, message, retry_after))` when over a limit.
    fn admit(&self, ip: IpAddr) -> Result<(), (&'static str, String, u64)> {
        let HttpLimits { per_ip_rate: rate, per_ip_concurrent: concurrent, .. } = self.limits;
        let burst = 2.0 * f64::from(rate);
        let now = Instant::now();
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() >= MAX_TRACKED {
            clients
                .retain(|_, c| c.active > 0 || now.duration_since(c.refilled).as_secs_f64() * f64::from(rate) < burst);
        }
        let client = clients.entry(ip).or_insert(Client { tokens: burst, refilled: now, active: 0 });
        if concurrent > 0 && client.active >= concurrent {
            return Err((
                "too_many_concurrent_requests",
                format!(
                    "{concurrent} requests of this address are in progress, the most it may have; retry once one ends"
                ),
                1,
            ));
        }
        if rate > 0 {
            client.tokens =
                (client.tokens + now.duration_since(client.refilled).as_secs_f64() * f64::from(rate)).min(burst);
            client.refilled = now;
            if client.tokens < 1.0 {
                let wait = ((1.0 - client.tokens) / f64::from(rate)).ceil().max(1.0) as u64;
                return Err(("rate_limited", format!("more than {rate} requests per second from this address"), wait));
            }
            client.tokens -= 1.0;
        }
        client.active += 1;
        Ok(())
    }

    fn done(&self, ip: IpAddr) {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = clients.get_mut(&ip) {
            client.active = client.active.saturating_sub(1);
        }
    }

    fn applies_to(&self, ip: IpAddr) -> bool {
        (self.limits.per_ip_rate > 0 || self.limits.per_ip_concurrent > 0) && self.limits.limits(ip)
    }
}

/// Middleware applying [`PerIp`] to every request that came through [`serve`].
pub(super) async fn per_ip(State(limiter): State<Arc<PerIp>>, request: Request, next: Next) -> Response {
    let Some(ip) = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) else {
        return next.run(request).await;
    };
    if !limiter.applies_to(ip) {
        return next.run(request).await;
    }
    if let Err((code, message, retry_after)) = limiter.admit(ip) {
        // JSON-RPC clients get an error object they can read; REST clients the REST error.
        let body = if request.uri().path() == "/" {
            json!({ "jsonrpc": "2.0", "id": null, "error": { "code": -32005, "message": message, "data": code } })
        } else {
            json!({ "error": { "code": code, "message": message } })
        };
        let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        return response;
    }
    // Counted as in progress until the handler answers (a dropped request too).
    struct Done<'a>(&'a PerIp, IpAddr);
    impl Drop for Done<'_> {
        fn drop(&mut self) {
            self.0.done(self.1);
        }
    }
    let _done = Done(&limiter, ip);
    next.run(request).await
}
