//! `rollup bench abuse`: the attacks of issue 19 replayed together against a running node,
//! while an honest client measures how it is served (docs/api.md §5, BENCHMARKS.md "Hostile
//! clients").
//!
//! Attacks, all at once for the duration: batches of `eth_call`s that burn their gas on the
//! ecrecover precompile; connections that send nothing; connections that send headers one
//! byte every two seconds; fresh keys filling the room for transactions behind a nonce gap;
//! oversized `eth_feeHistory` and JSON-RPC batches. The honest client asks `/healthz` and
//! `eth_blockNumber` ten times a second, sends a transfer every second (and one behind a gap
//! once the room is full) and waits for their inclusion. The node's resident memory is read
//! from `/metrics` throughout and after a pause at the end.

use crate::{
    hostile::{ecrecover_loop, rpc},
    load::{load_signers, percentile},
};
use alloy_primitives::{Address, U256, hex};
use alloy_sol_types::SolCall;
use anyhow::{Context, Result};
use rollup_types::{
    bindings::L2System,
    genesis::{DEV_ACCOUNTS, USDC},
    signer::Signer,
};
use serde::Serialize;
use serde_json::{Value, json};
use std::{
    collections::BTreeMap,
    fmt,
    sync::{
        Arc, Mutex,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

/// The settings of a run.
#[derive(Clone, Debug)]
pub struct AbuseBench {
    /// Base URL of the node's HTTP API.
    pub rpc: url::Url,
    /// How long the attacks last.
    pub duration: Duration,
    /// Connections kept open sending nothing.
    pub idle_connections: usize,
    /// Connections sending their headers one byte every two seconds.
    pub slow_connections: usize,
    /// Clients sending batches of heavy calls back to back.
    pub call_attackers: usize,
    /// Fresh keys each sending nonces 1..=17 (nonce 0 never comes).
    pub squat_keys: usize,
    /// The honest client's p99 must stay under this.
    pub honest_bound: Duration,
    /// The address the attackers connect from (the honest client uses the default one): on
    /// loopback 127.0.0.2, so that the node tells them apart as it would distinct clients.
    pub attacker_ip: Option<std::net::IpAddr>,
    /// How long to wait after the attacks before reading the node's memory again (it gives
    /// free memory back every 5 s).
    pub settle: Duration,
}

/// What a run saw.
#[derive(Debug, Default, Serialize)]
pub struct AbuseReport {
    /// Seconds the attacks lasted.
    pub duration_secs: f64,
    /// Heavy-call batches answered, and their items by outcome (`ran` or the error code).
    pub call_batches: u64,
    /// Items of those batches by outcome.
    pub call_items: BTreeMap<String, u64>,
    /// Most idle connections open at once.
    pub idle_open_peak: i64,
    /// Idle connections the node closed.
    pub idle_closed: u64,
    /// Connections refused (503 `too_many_connections`, or the connect failed).
    pub connections_refused: u64,
    /// Slow-header connections the node closed, and the median seconds they lasted.
    pub slow_closed: u64,
    /// Median seconds a slow-header connection lasted before the node closed it.
    pub slow_median_secs: f64,
    /// Squatting transactions acknowledged.
    pub squat_accepted: u64,
    /// Squatting transactions refused, by code.
    pub squat_refused: BTreeMap<String, u64>,
    /// Oversized requests sent, and how many were refused as such.
    pub oversized_sent: u64,
    /// Of those, refused with the expected error.
    pub oversized_refused: u64,
    /// Of those, turned away before being read (a connection or per-address limit, or no
    /// connection at all).
    pub oversized_turned_away: u64,
    /// Honest reads and submissions made.
    pub honest_requests: u64,
    /// Honest requests that failed (an error status or no answer within 10 s).
    pub honest_failures: u64,
    /// Latency of the honest requests, in ms.
    pub honest_p50_ms: f64,
    /// 99th percentile.
    pub honest_p99_ms: f64,
    /// Slowest.
    pub honest_max_ms: f64,
    /// Honest transfers acknowledged, and how many of them were included.
    pub honest_transfers: u64,
    /// Of those, included in a block by the end.
    pub honest_included: u64,
    /// Whether the honest transfer behind a nonce gap, sent once the squatters had filled the
    /// room, was acknowledged.
    pub honest_gap_accepted: bool,
    /// The node's resident memory before, at its peak during, and 7 s after the attacks, MB.
    pub rss_start_mb: Option<f64>,
    /// Peak.
    pub rss_peak_mb: Option<f64>,
    /// After.
    pub rss_after_mb: Option<f64>,
    /// No honest failure, every honest transfer included, the gap transfer taken, p99 under
    /// the bound.
    pub honest_served: bool,
}

impl fmt::Display for AbuseReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mb = |v: Option<f64>| v.map_or("?".to_owned(), |v| format!("{v:.0}"));
        writeln!(f, "attacks for {:.0} s", self.duration_secs)?;
        writeln!(f, "  heavy eth_call batches  {} answered; items {:?}", self.call_batches, self.call_items)?;
        writeln!(
            f,
            "  idle connections        peak {} open, {} closed by the node, {} refused",
            self.idle_open_peak, self.idle_closed, self.connections_refused
        )?;
        writeln!(
            f,
            "  slow headers            {} closed by the node after {:.1} s (median)",
            self.slow_closed, self.slow_median_secs
        )?;
        writeln!(
            f,
            "  future-nonce squatting  {} acknowledged, refused {:?}",
            self.squat_accepted, self.squat_refused
        )?;
        writeln!(
            f,
            "  oversized requests      {} sent, {} refused as too large, {} turned away by a connection limit",
            self.oversized_sent, self.oversized_refused, self.oversized_turned_away
        )?;
        writeln!(
            f,
            "honest client: {} requests, {} failed; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.honest_requests, self.honest_failures, self.honest_p50_ms, self.honest_p99_ms, self.honest_max_ms
        )?;
        writeln!(
            f,
            "  transfers {} acknowledged, {} included; behind a gap: {}",
            self.honest_transfers,
            self.honest_included,
            if self.honest_gap_accepted { "taken" } else { "refused" }
        )?;
        writeln!(
            f,
            "node memory: {} MB before, {} MB peak, {} MB after",
            mb(self.rss_start_mb),
            mb(self.rss_peak_mb),
            mb(self.rss_after_mb)
        )?;
        write!(f, "honest client served: {}", if self.honest_served { "yes" } else { "no" })
    }
}

fn transfer(signer: &Signer, chain_id: u64, nonce: u64) -> String {
    let call = L2System::transferCall { token: USDC, to: Address::repeat_byte(0x55), amount: U256::from(1u64) };
    hex::encode_prefixed(signer.eip1559(chain_id, nonce, call.abi_encode().into()).encoded())
}

/// Shared counters of a run.
#[derive(Default)]
struct Counters {
    report: Mutex<AbuseReport>,
    idle_open: AtomicI64,
    idle_peak: AtomicI64,
    idle_closed: AtomicU64,
    refused: AtomicU64,
    slow_lasted: Mutex<Vec<f64>>,
    honest_ms: Mutex<Vec<f64>>,
    honest_failures: AtomicU64,
    rss_peak: Mutex<Option<f64>>,
}

impl AbuseBench {
    /// Runs the attacks and the honest client; the report says whether it was served.
    pub async fn run(&self) -> Result<AbuseReport> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        let base = self.rpc.as_str().trim_end_matches('/').to_owned();
        let chain_id = rpc(&http, &base, "eth_chainId", json!([])).await?;
        let chain_id = u64::from_str_radix(chain_id.as_str().context("chain id")?.trim_start_matches("0x"), 16)?;
        let counters = Arc::new(Counters::default());
        let rss_start = rss(&http, &base).await;
        let cancel = CancellationToken::new();
        let addr = self.socket_addr()?;
        let mut tasks = Vec::new();
        let from = self.attacker_ip;
        let attacker = |timeout: u64| {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(timeout))
                .local_address(from)
                .build()
                .expect("client")
        };
        for _ in 0..self.call_attackers {
            tasks.push(tokio::spawn(heavy_calls(attacker(60), base.clone(), counters.clone(), cancel.clone())));
        }
        for _ in 0..self.idle_connections {
            tasks.push(tokio::spawn(idle(addr, from, counters.clone(), cancel.clone())));
        }
        for _ in 0..self.slow_connections {
            tasks.push(tokio::spawn(slow(addr, from, counters.clone(), cancel.clone())));
        }
        tasks.push(tokio::spawn(squat(
            attacker(30),
            base.clone(),
            chain_id,
            self.squat_keys,
            counters.clone(),
            cancel.clone(),
        )));
        tasks.push(tokio::spawn(oversized(attacker(10), base.clone(), counters.clone(), cancel.clone())));
        tasks.push(tokio::spawn(sample_rss(base.clone(), counters.clone(), cancel.clone())));
        let honest = tokio::spawn(honest(base.clone(), chain_id, self.duration, counters.clone(), cancel.clone()));
        let started = Instant::now();
        tokio::time::sleep(self.duration).await;
        cancel.cancel();
        let lasted = started.elapsed();
        let (transfers, included, gap) = honest.await??;
        for task in tasks {
            let _ = task.await;
        }
        tokio::time::sleep(self.settle).await;
        let rss_after = rss(&http, &base).await;

        let mut report = std::mem::take(&mut *counters.report.lock().expect("lock"));
        report.duration_secs = lasted.as_secs_f64();
        report.idle_open_peak = counters.idle_peak.load(Ordering::Relaxed);
        report.idle_closed = counters.idle_closed.load(Ordering::Relaxed);
        report.connections_refused = counters.refused.load(Ordering::Relaxed);
        let mut lasted = std::mem::take(&mut *counters.slow_lasted.lock().expect("lock"));
        lasted.sort_by(f64::total_cmp);
        report.slow_closed = lasted.len() as u64;
        report.slow_median_secs = if lasted.is_empty() { 0.0 } else { percentile(&lasted, 50.0) };
        let mut ms = std::mem::take(&mut *counters.honest_ms.lock().expect("lock"));
        ms.sort_by(f64::total_cmp);
        report.honest_requests = ms.len() as u64;
        report.honest_failures = counters.honest_failures.load(Ordering::Relaxed);
        if !ms.is_empty() {
            report.honest_p50_ms = percentile(&ms, 50.0);
            report.honest_p99_ms = percentile(&ms, 99.0);
            report.honest_max_ms = ms[ms.len() - 1];
        }
        report.honest_transfers = transfers;
        report.honest_included = included;
        report.honest_gap_accepted = gap;
        report.rss_start_mb = rss_start;
        report.rss_peak_mb = *counters.rss_peak.lock().expect("lock");
        report.rss_after_mb = rss_after;
        report.honest_served = report.honest_failures == 0
            && transfers > 0
            && included == transfers
            && gap
            && report.honest_p99_ms <= self.honest_bound.as_secs_f64() * 1e3;
        Ok(report)
    }

    fn socket_addr(&self) -> Result<std::net::SocketAddr> {
        let addrs = self.rpc.socket_addrs(|| Some(80))?;
        addrs.into_iter().next().context("the URL names no address")
    }
}

/// The node's resident memory in MB, from `/metrics`.
async fn rss(http: &reqwest::Client, base: &str) -> Option<f64> {
    let text = http.get(format!("{base}/metrics")).send().await.ok()?.text().await.ok()?;
    let line = text.lines().find(|l| l.starts_with("process_resident_memory_bytes "))?;
    let bytes: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(bytes / 1e6)
}

async fn sample_rss(base: String, counters: Arc<Counters>, cancel: CancellationToken) {
    let http = reqwest::Client::new();
    while !cancel.is_cancelled() {
        if let Some(mb) = rss(&http, &base).await {
            let mut peak = counters.rss_peak.lock().expect("lock");
            *peak = Some(peak.map_or(mb, |p: f64| p.max(mb)));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn heavy_calls(http: reqwest::Client, base: String, counters: Arc<Counters>, cancel: CancellationToken) {
    let data = hex::encode_prefixed(ecrecover_loop());
    let batch: Vec<Value> = (0..250)
        .map(|i| json!({ "jsonrpc": "2.0", "id": i, "method": "eth_call", "params": [{ "data": data }, "latest"] }))
        .collect();
    let body = Value::Array(batch).to_string();
    while !cancel.is_cancelled() {
        let answer = http.post(&base).header("content-type", "application/json").body(body.clone()).send().await;
        let replies: Option<Vec<Value>> = match answer {
            Ok(response) => response.json::<Value>().await.ok().and_then(|v| v.as_array().cloned()),
            Err(_) => None,
        };
        let mut report = counters.report.lock().expect("lock");
        match replies {
            Some(replies) => {
                report.call_batches += 1;
                for reply in replies {
                    let outcome = match reply["error"]["data"].as_str() {
                        Some(code) if code.starts_with("0x") || code.is_empty() => "ran".to_owned(),
                        Some(code) => code.to_owned(),
                        None if reply["error"]["code"] == 3 => "ran".to_owned(),
                        None => reply["error"]["code"].to_string(),
                    };
                    *report.call_items.entry(outcome).or_default() += 1;
                }
            }
            None => *report.call_items.entry("no_answer".into()).or_default() += 1,
        }
    }
}

/// A TCP connection to `addr` from `from` (any port) if given.
async fn connect(addr: std::net::SocketAddr, from: Option<std::net::IpAddr>) -> std::io::Result<tokio::net::TcpStream> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    if let Some(ip) = from {
        socket.bind(std::net::SocketAddr::new(ip, 0))?;
    }
    socket.connect(addr).await
}

/// One connection that sends nothing, opened again whenever the node closes it.
async fn idle(
    addr: std::net::SocketAddr,
    from: Option<std::net::IpAddr>,
    counters: Arc<Counters>,
    cancel: CancellationToken,
) {
    while !cancel.is_cancelled() {
        let connected = tokio::time::timeout(Duration::from_secs(2), connect(addr, from)).await;
        let Ok(Ok(mut stream)) = connected else {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let open = counters.idle_open.fetch_add(1, Ordering::Relaxed) + 1;
        counters.idle_peak.fetch_max(open, Ordering::Relaxed);
        let mut buf = [0u8; 512];
        let read = tokio::select! {
            _ = cancel.cancelled() => None,
            read = stream.read(&mut buf) => Some(read),
        };
        counters.idle_open.fetch_sub(1, Ordering::Relaxed);
        match read {
            None => break,
            Some(Ok(n)) if n > 0 && buf.starts_with(b"HTTP/1.1 503") => {
                counters.refused.fetch_add(1, Ordering::Relaxed);
            }
            Some(_) => {
                counters.idle_closed.fetch_add(1, Ordering::Relaxed);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One connection that sends a request's headers one byte every two seconds.
async fn slow(
    addr: std::net::SocketAddr,
    from: Option<std::net::IpAddr>,
    counters: Arc<Counters>,
    cancel: CancellationToken,
) {
    let head =
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    while !cancel.is_cancelled() {
        let Ok(Ok(mut stream)) = tokio::time::timeout(Duration::from_secs(2), connect(addr, from)).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let opened = Instant::now();
        let mut closed = false;
        for byte in head {
            if cancel.is_cancelled() {
                break;
            }
            if stream.write_all(&[*byte]).await.is_err() {
                closed = true;
                break;
            }
            let mut buf = [0u8; 64];
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                read = stream.read(&mut buf) => {
                    if matches!(read, Ok(0) | Err(_)) {
                        closed = true;
                        break;
                    }
                }
                _ = cancel.cancelled() => break,
            }
        }
        if closed {
            counters.slow_lasted.lock().expect("lock").push(opened.elapsed().as_secs_f64());
        }
        // As a real client would: not straight back (a refused connection closes at once, and
        // a tight loop would only load the machine both sides share).
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Fresh keys each send nonces 1..=17 in one batch (one more than a sender may hold behind a
/// gap): all of them wait behind a gap.
async fn squat(
    http: reqwest::Client,
    base: String,
    chain_id: u64,
    keys: usize,
    counters: Arc<Counters>,
    cancel: CancellationToken,
) {
    let signers = tokio::task::spawn_blocking(move || load_signers(0xa11ce, keys)).await.unwrap_or_default();
    for signer in signers {
        if cancel.is_cancelled() {
            break;
        }
        let txs: Vec<String> = (1..=17).map(|nonce| transfer(&signer, chain_id, nonce)).collect();
        let answer =
            http.post(format!("{base}/v1/transactions/batch")).json(&json!({ "transactions": txs })).send().await;
        let Ok(answer) = answer else { continue };
        let Ok(results) = answer.json::<Value>().await else { continue };
        let mut report = counters.report.lock().expect("lock");
        for result in results["results"].as_array().or(results.as_array()).into_iter().flatten() {
            match result["error"]["code"].as_str() {
                None => report.squat_accepted += 1,
                Some(code) => *report.squat_refused.entry(code.to_owned()).or_default() += 1,
            }
        }
        if let Some(code) = results["error"]["code"].as_str() {
            *report.squat_refused.entry(code.to_owned()).or_default() += 17;
        }
    }
}

/// Requests larger than the node answers: too many fee-history percentiles, too large a batch.
async fn oversized(http: reqwest::Client, base: String, counters: Arc<Counters>, cancel: CancellationToken) {
    let percentiles: Vec<f64> = (0..=100).map(f64::from).collect();
    let fee_history =
        json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_feeHistory", "params": ["0x400", "latest", percentiles] });
    let batch: Vec<Value> = (0..1_001).map(|i| json!({ "jsonrpc": "2.0", "id": i, "method": "eth_chainId" })).collect();
    let batch = Value::Array(batch);
    while !cancel.is_cancelled() {
        for (body, code) in [(&fee_history, -32602), (&batch, -32600)] {
            let reply: Option<(u16, Value)> = match http.post(&base).json(body).send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    r.json().await.ok().map(|v| (status, v))
                }
                Err(_) => None,
            };
            let mut report = counters.report.lock().expect("lock");
            report.oversized_sent += 1;
            match reply {
                Some((_, r)) if r["error"]["code"] == code => report.oversized_refused += 1,
                // Turned away before the request was read: a connection or per-address limit.
                Some((429 | 503, _)) | None => report.oversized_turned_away += 1,
                Some(_) => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The honest client; returns (transfers acknowledged, of them included, whether the
/// transfer behind a gap was taken).
async fn honest(
    base: String,
    chain_id: u64,
    duration: Duration,
    counters: Arc<Counters>,
    cancel: CancellationToken,
) -> Result<(u64, u64, bool)> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
    let sender = Signer::new(&DEV_ACCOUNTS[7].private_key).expect("key");
    let gapper = Signer::new(&DEV_ACCOUNTS[8].private_key).expect("key");
    let timed = |started: Instant, ok: bool| {
        counters.honest_ms.lock().expect("lock").push(started.elapsed().as_secs_f64() * 1e3);
        if !ok {
            counters.honest_failures.fetch_add(1, Ordering::Relaxed);
        }
    };
    let nonce_of = |address: Address| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let n = rpc(&http, &base, "eth_getTransactionCount", json!([address, "pending"])).await?;
            Ok::<u64, anyhow::Error>(u64::from_str_radix(n.as_str().unwrap_or("0x0").trim_start_matches("0x"), 16)?)
        }
    };
    let mut nonce = nonce_of(sender.address()).await?;
    let mut hashes = Vec::new();
    let mut gap = None;
    let started = Instant::now();
    let mut tick = 0u64;
    while !cancel.is_cancelled() {
        let t = Instant::now();
        let ok = http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success());
        timed(t, ok);
        let t = Instant::now();
        let ok = rpc(&http, &base, "eth_blockNumber", json!([])).await.is_ok();
        timed(t, ok);
        if tick.is_multiple_of(10) {
            let t = Instant::now();
            let answer = http
                .post(format!("{base}/v1/transactions"))
                .json(&json!({ "raw": transfer(&sender, chain_id, nonce) }))
                .send()
                .await;
            let hash = match answer {
                Ok(r) if r.status().is_success() => {
                    r.json::<Value>().await.ok().and_then(|v| v["hash"].as_str().map(str::to_owned))
                }
                _ => None,
            };
            timed(t, hash.is_some());
            if let Some(hash) = hash {
                hashes.push(hash);
                nonce += 1;
            }
        }
        // Once the squatters have had half the run: one transfer behind a gap.
        if gap.is_none() && started.elapsed() >= duration / 2 {
            let next = nonce_of(gapper.address()).await?;
            let t = Instant::now();
            let answer = http
                .post(format!("{base}/v1/transactions"))
                .json(&json!({ "raw": transfer(&gapper, chain_id, next + 1) }))
                .send()
                .await;
            let taken = answer.is_ok_and(|r| r.status().is_success());
            // A refusal here is what the run measures, not a failure of the node to answer.
            timed(t, true);
            gap = Some(taken);
            if taken {
                // Fill the gap so nothing is left waiting.
                let _ = http
                    .post(format!("{base}/v1/transactions"))
                    .json(&json!({ "raw": transfer(&gapper, chain_id, next) }))
                    .send()
                    .await;
            }
        }
        tick += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Every acknowledged transfer must be included.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut included = 0;
    for hash in &hashes {
        while Instant::now() < deadline {
            let status = http.get(format!("{base}/v1/transactions/{hash}")).send().await;
            let status = match status {
                Ok(r) => r.json::<Value>().await.ok().and_then(|v| v["status"].as_str().map(str::to_owned)),
                Err(_) => None,
            };
            // Included, then posted and verified: any status with a block.
            if status.as_deref().is_some_and(|s| ["included", "posted", "verified", "finalized"].contains(&s)) {
                included += 1;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok((hashes.len() as u64, included, gap.unwrap_or(false)))
}

/// The arguments of `rollup bench abuse`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Base URL of the node's HTTP API.
    #[arg(long, default_value = "http://127.0.0.1:8547")]
    rpc: url::Url,
    /// Seconds the attacks last.
    #[arg(long = "duration-secs", default_value_t = 30)]
    duration_secs: u64,
    /// Connections kept open sending nothing.
    #[arg(long = "idle-connections", default_value_t = 2_000)]
    idle_connections: usize,
    /// Connections sending their headers one byte every two seconds.
    #[arg(long = "slow-connections", default_value_t = 200)]
    slow_connections: usize,
    /// Clients sending batches of 250 heavy calls back to back.
    #[arg(long = "call-attackers", default_value_t = 2)]
    call_attackers: usize,
    /// Fresh keys each sending nonces 1..=17 (never 0); 4000 of them fill the 50000 slots for
    /// transactions behind a gap.
    #[arg(long = "squat-keys", default_value_t = 4_000)]
    squat_keys: usize,
    /// The honest client's p99 latency must stay under this many milliseconds.
    #[arg(long = "honest-p99-bound-ms", default_value_t = 2_000)]
    honest_p99_bound_ms: u64,
    /// Address the attackers connect from (default on loopback: 127.0.0.2, which the node
    /// limits like any client while the honest client's 127.0.0.1 is exempt).
    #[arg(long = "attacker-ip")]
    attacker_ip: Option<std::net::IpAddr>,
    /// Run these attacks of issue 39 one after the other instead (comma-separated), each with
    /// an honest client on `--honest-ip` and 127.0.0.1: the attackers use 127.0.0.10 and up.
    #[arg(long = "attack", value_delimiter = ',')]
    attacks: Vec<crate::shares::Attack>,
    /// Threads of the `call-slots` attack.
    #[arg(long = "call-threads", default_value_t = 64)]
    call_threads: usize,
    /// Addresses of the `tx-flood` attack.
    #[arg(long = "flood-addresses", default_value_t = 16)]
    flood_addresses: usize,
    /// Addresses of the `connections` attack.
    #[arg(long = "conn-addresses", default_value_t = 80)]
    conn_addresses: usize,
    /// Connections per address of the `connections` attack.
    #[arg(long = "conn-per-address", default_value_t = 240)]
    conn_per_address: usize,
    /// The honest client's address during `--attack` runs.
    #[arg(long = "honest-ip", default_value = "127.0.0.3")]
    honest_ip: std::net::IpAddr,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the attacks (all at once, or those of `--attack` one after the other) and prints
    /// the report; fails unless the honest client was served.
    pub async fn run(self) -> anyhow::Result<()> {
        let args = self;
        if !args.attacks.is_empty() {
            let bench = crate::shares::SharesBench {
                rpc: args.rpc.clone(),
                attacks: args.attacks.clone(),
                duration: Duration::from_secs(args.duration_secs.max(1)),
                call_threads: args.call_threads,
                flood_addresses: args.flood_addresses,
                conn_addresses: args.conn_addresses,
                conn_per_address: args.conn_per_address,
                honest_ip: args.honest_ip,
                honest_bound: Duration::from_millis(args.honest_p99_bound_ms),
            };
            let report = bench.run().await?;
            crate::report::print(&report, args.json)?;
            anyhow::ensure!(report.served(), "the honest client was not served within the bounds");
            return Ok(());
        }
        let bench = AbuseBench {
            rpc: args.rpc.clone(),
            duration: Duration::from_secs(args.duration_secs.max(1)),
            idle_connections: args.idle_connections,
            slow_connections: args.slow_connections,
            call_attackers: args.call_attackers,
            squat_keys: args.squat_keys,
            honest_bound: Duration::from_millis(args.honest_p99_bound_ms),
            attacker_ip: args.attacker_ip.or_else(|| {
                let loopback = args.rpc.host_str().is_some_and(|h| h == "127.0.0.1" || h == "localhost");
                loopback.then_some(std::net::IpAddr::from([127, 0, 0, 2]))
            }),
            // Free memory goes back to the system every 5 s.
            settle: Duration::from_secs(7),
        };
        let report = bench.run().await?;
        crate::report::print(&report, args.json)?;
        anyhow::ensure!(report.honest_served, "the honest client was not served within the bounds");
        Ok(())
    }
}
