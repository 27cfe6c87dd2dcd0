//! `rollup bench abuse --attack …`: the four ways of issue 39 for one client, or a few dozen
//! addresses acting together, to take the node from everyone else, each run against a running
//! node while an honest client on another address measures how it is served (docs/api.md §5,
//! "Fair shares"; BENCHMARKS.md "Fair shares").
//!
//! - `call-slots`: one address, many threads, each sending a heavy `eth_call` (5,000,000 gas
//!   of ecrecover) back to back.
//! - `fee-history`: 16 addresses, 3 senders each, each sending batches of
//!   `eth_feeHistory("0x400", "latest", [100 percentiles])` back to back, as many as a
//!   128 KiB body holds (about 350).
//! - `tx-flood`: addresses pushing batches of 500 pre-signed transfers of 4,000 fresh keys
//!   through `POST /v1/transactions/batch` as fast as they go.
//! - `connections`: 80 addresses holding 240 connections each that send nothing, reopened as
//!   the node closes them.
//!
//! The honest client (127.0.0.3 on loopback, and the exempt 127.0.0.1 alongside) reads
//! `/healthz`, `eth_blockNumber`, an `eth_call` and an `eth_estimateGas` ten times a second,
//! sends a transfer every second and waits for each to be included; it notes when each new
//! block appears, so the report gives the largest gap between blocks.

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
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;

/// One of the attacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attack {
    /// One address takes every call slot.
    CallSlots,
    /// Batches of `eth_feeHistory` from many addresses.
    FeeHistory,
    /// Transactions pushed through batch requests from a few addresses.
    TxFlood,
    /// Many addresses hold the connection table.
    Connections,
}

impl fmt::Display for Attack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CallSlots => "call-slots",
            Self::FeeHistory => "fee-history",
            Self::TxFlood => "tx-flood",
            Self::Connections => "connections",
        })
    }
}

/// The settings of a run.
#[derive(Clone, Debug)]
pub struct SharesBench {
    /// Base URL of the node's HTTP API (on loopback: the attackers and the honest client use
    /// other loopback addresses).
    pub rpc: url::Url,
    /// The attacks, run one after the other.
    pub attacks: Vec<Attack>,
    /// How long each lasts.
    pub duration: Duration,
    /// Threads of `call-slots`.
    pub call_threads: usize,
    /// Addresses of `tx-flood`.
    pub flood_addresses: usize,
    /// Addresses and connections per address of `connections`.
    pub conn_addresses: usize,
    /// Connections per address.
    pub conn_per_address: usize,
    /// The address the honest client uses (besides 127.0.0.1).
    pub honest_ip: IpAddr,
    /// Its p99 must stay under this.
    pub honest_bound: Duration,
}

/// What the honest client saw during one attack.
#[derive(Debug, Default, Serialize)]
pub struct AttackReport {
    /// The attack.
    pub attack: Option<Attack>,
    /// Seconds it lasted.
    pub duration_secs: f64,
    /// The attackers' requests (or transactions, or connections) by outcome.
    pub attacker: BTreeMap<String, u64>,
    /// Honest requests made.
    pub honest_requests: u64,
    /// Honest requests that failed, by code (an error status, a JSON-RPC error, or no answer
    /// within 10 s).
    pub honest_failures: BTreeMap<String, u64>,
    /// Latency of the honest requests, in ms.
    pub honest_p50_ms: f64,
    /// 99th percentile.
    pub honest_p99_ms: f64,
    /// Slowest.
    pub honest_max_ms: f64,
    /// Honest transfers acknowledged, and how many were included by the end.
    pub honest_transfers: u64,
    /// Of those, included.
    pub honest_included: u64,
    /// The longest the honest client waited between two new blocks, in seconds.
    pub largest_block_gap_secs: f64,
    /// No failure, every transfer included, p99 under the bound.
    pub honest_served: bool,
}

impl fmt::Display for AttackReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attack = self.attack.map_or("?".to_owned(), |a| a.to_string());
        writeln!(f, "attack {attack} for {:.0} s; attacker outcomes {:?}", self.duration_secs, self.attacker)?;
        writeln!(
            f,
            "  honest: {} requests, failures {:?}; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.honest_requests, self.honest_failures, self.honest_p50_ms, self.honest_p99_ms, self.honest_max_ms
        )?;
        writeln!(
            f,
            "  transfers {} acknowledged, {} included; largest gap between blocks {:.2} s",
            self.honest_transfers, self.honest_included, self.largest_block_gap_secs
        )?;
        write!(f, "  honest client served: {}", if self.honest_served { "yes" } else { "no" })
    }
}

/// The reports of every attack run.
#[derive(Debug, Default, Serialize)]
pub struct SharesReport {
    /// One per attack.
    pub attacks: Vec<AttackReport>,
}

impl SharesReport {
    /// Whether the honest client was served during every attack.
    pub fn served(&self) -> bool {
        self.attacks.iter().all(|a| a.honest_served)
    }
}

impl fmt::Display for SharesReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, attack) in self.attacks.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{attack}")?;
        }
        Ok(())
    }
}

/// Loopback address 127.0.0.`10 + i` (the attackers' addresses).
fn attacker_ip(i: usize) -> IpAddr {
    let n = 10 + i as u32;
    IpAddr::V4(Ipv4Addr::new(127, 0, (n / 256) as u8, (n % 256) as u8))
}

fn client(from: IpAddr, timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder().local_address(from).timeout(timeout).build().expect("an HTTP client")
}

/// An outcome's name: `ok`, the error's code, or what failed.
fn outcome_of(reply: &Value) -> String {
    match reply.get("error") {
        None | Some(Value::Null) => "ok".to_owned(),
        Some(err) => match &err["data"] {
            Value::String(code) if !code.starts_with("0x") => code.clone(),
            _ if err["code"] == 3 => "ran".to_owned(),
            _ => match &err["code"] {
                Value::String(code) => code.clone(),
                code => code.to_string(),
            },
        },
    }
}

#[derive(Default)]
struct Tally(Mutex<BTreeMap<String, u64>>);

impl Tally {
    fn add(&self, outcome: impl Into<String>, n: u64) {
        *self.0.lock().expect("lock").entry(outcome.into()).or_default() += n;
    }

    fn take(&self) -> BTreeMap<String, u64> {
        std::mem::take(&mut *self.0.lock().expect("lock"))
    }
}

impl SharesBench {
    /// Runs each attack in turn with the honest client alongside.
    pub async fn run(&self) -> Result<SharesReport> {
        let base = self.rpc.as_str().trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        let chain_id = rpc(&http, &base, "eth_chainId", json!([])).await?;
        let chain_id = u64::from_str_radix(chain_id.as_str().context("chain id")?.trim_start_matches("0x"), 16)?;
        let addr = self.rpc.socket_addrs(|| Some(80))?.into_iter().next().context("the URL names no address")?;
        let mut report = SharesReport::default();
        for (round, attack) in self.attacks.iter().enumerate() {
            tracing::info!(target: "bench", %attack, "attack starts");
            let tally = Arc::new(Tally::default());
            let cancel = CancellationToken::new();
            let mut tasks = Vec::new();
            match attack {
                Attack::CallSlots => {
                    let data = hex::encode_prefixed(ecrecover_loop());
                    for _ in 0..self.call_threads {
                        let (http, base, data) =
                            (client(attacker_ip(0), Duration::from_secs(30)), base.clone(), data.clone());
                        let (tally, cancel) = (tally.clone(), cancel.clone());
                        tasks.push(tokio::spawn(async move {
                            while !cancel.is_cancelled() {
                                let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_call",
                                                   "params": [{ "data": data }, "latest"] });
                                match post_json(&http, &base, &body).await {
                                    Some(reply) => tally.add(outcome_of(&reply), 1),
                                    None => tally.add("no_answer", 1),
                                }
                            }
                        }));
                    }
                }
                Attack::FeeHistory => {
                    // As many items as a 128 KiB body holds (integer percentiles, the shortest).
                    let percentiles: Vec<u64> = (0..100).collect();
                    let item = |i: usize| {
                        json!({ "jsonrpc": "2.0", "id": i, "method": "eth_feeHistory",
                                "params": ["0x400", "latest", percentiles] })
                    };
                    let per_item = item(999).to_string().len() + 1;
                    let batch: Vec<Value> = (0..(128 * 1024 - 2) / per_item).map(item).collect();
                    let body = Arc::new(Value::Array(batch));
                    for address in 0..16 {
                        for _ in 0..3 {
                            let http = client(attacker_ip(address), Duration::from_secs(60));
                            let (base, body, tally, cancel) =
                                (base.clone(), body.clone(), tally.clone(), cancel.clone());
                            tasks.push(tokio::spawn(async move {
                                while !cancel.is_cancelled() {
                                    match post_json(&http, &base, &body).await {
                                        Some(Value::Array(items)) => {
                                            for item in items {
                                                tally.add(outcome_of(&item), 1);
                                            }
                                        }
                                        Some(reply) => tally.add(outcome_of(&reply), 1),
                                        None => {
                                            tally.add("no_answer", 1);
                                            tokio::time::sleep(Duration::from_millis(100)).await;
                                        }
                                    }
                                }
                            }));
                        }
                    }
                }
                Attack::TxFlood => {
                    let batches = presigned_batches(chain_id, round as u64, self.flood_addresses).await?;
                    for (address, batches) in batches.into_iter().enumerate() {
                        let http = client(attacker_ip(address), Duration::from_secs(30));
                        let (base, tally, cancel) = (base.clone(), tally.clone(), cancel.clone());
                        tasks.push(tokio::spawn(async move {
                            for batch in batches {
                                if cancel.is_cancelled() {
                                    break;
                                }
                                let body = json!({ "transactions": batch });
                                let url = format!("{base}/v1/transactions/batch");
                                match post_json(&http, &url, &body).await {
                                    Some(reply) if reply["results"].is_array() => {
                                        for r in reply["results"].as_array().into_iter().flatten() {
                                            tally.add(outcome_of(r), 1);
                                        }
                                    }
                                    Some(reply) => {
                                        tally.add(outcome_of(&reply), 500);
                                        tokio::time::sleep(Duration::from_millis(100)).await;
                                    }
                                    None => tally.add("no_answer", 500),
                                }
                            }
                        }));
                    }
                }
                Attack::Connections => {
                    for address in 0..self.conn_addresses {
                        for _ in 0..self.conn_per_address {
                            let (tally, cancel) = (tally.clone(), cancel.clone());
                            let from = attacker_ip(address);
                            tasks.push(tokio::spawn(async move { hold_connection(addr, from, tally, cancel).await }));
                        }
                    }
                }
            }
            // Let the attack reach its strength before the honest client starts measuring.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let honest = Honest::new(&base, chain_id, self.honest_ip);
            let started = Instant::now();
            let measured = honest.run(self.duration, cancel.clone()).await;
            cancel.cancel();
            for task in tasks {
                task.abort();
                let _ = task.await;
            }
            let measured = measured.unwrap_or_else(|err| {
                honest.failures.add(format!("{err:#}"), 1);
                Measured { hashes: Vec::new(), largest_gap: Duration::ZERO }
            });
            let mut entry = honest.report(measured, self.honest_bound).await;
            entry.attack = Some(*attack);
            entry.duration_secs = started.elapsed().as_secs_f64();
            entry.attacker = tally.take();
            report.attacks.push(entry);
            // The node settles between attacks (expired connections, the backlog posted).
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        Ok(report)
    }
}

async fn post_json(http: &reqwest::Client, url: &str, body: &Value) -> Option<Value> {
    let response = http.post(url).json(body).send().await.ok()?;
    let status = response.status();
    match response.json::<Value>().await {
        Ok(v) => Some(v),
        Err(_) => Some(json!({ "error": { "code": format!("http_{}", status.as_u16()) } })),
    }
}

/// Batches of 500 transfers signed ahead by 4,000 fresh keys (60 nonces each, 240,000 in
/// all), dealt round-robin to `addresses` senders.
async fn presigned_batches(chain_id: u64, seed: u64, addresses: usize) -> Result<Vec<Vec<Vec<String>>>> {
    let addresses = addresses.max(1);
    tokio::task::spawn_blocking(move || {
        use rayon::prelude::*;
        let signers = load_signers(0xf100d + seed, 4_000);
        let call = L2System::transferCall { token: USDC, to: Address::repeat_byte(0x66), amount: U256::ZERO };
        let input: alloy_primitives::Bytes = call.abi_encode().into();
        let txs: Vec<String> = (0..60u64)
            .into_par_iter()
            .flat_map_iter(|nonce| {
                let input = input.clone();
                signers
                    .iter()
                    .map(move |s| hex::encode_prefixed(s.eip1559(chain_id, nonce, input.clone()).encoded()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut per_address: Vec<Vec<Vec<String>>> = vec![Vec::new(); addresses];
        for (i, batch) in txs.chunks(500).enumerate() {
            per_address[i % addresses].push(batch.to_vec());
        }
        per_address
    })
    .await
    .context("signing the flood")
}

/// One connection from `from` that sends nothing, opened again whenever the node closes it.
async fn hold_connection(addr: SocketAddr, from: IpAddr, tally: Arc<Tally>, cancel: CancellationToken) {
    use tokio::io::AsyncReadExt;
    while !cancel.is_cancelled() {
        let socket = match tokio::net::TcpSocket::new_v4() {
            Ok(s) => s,
            Err(_) => {
                tally.add("no_socket", 1);
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if socket.bind(SocketAddr::new(from, 0)).is_err() {
            tally.add("no_socket", 1);
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        let Ok(Ok(mut stream)) = tokio::time::timeout(Duration::from_secs(2), socket.connect(addr)).await else {
            tally.add("connect_failed", 1);
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        tally.add("opened", 1);
        let mut buf = [0u8; 256];
        let read = tokio::select! {
            _ = cancel.cancelled() => break,
            read = stream.read(&mut buf) => read,
        };
        match read {
            Ok(n) if n > 0 && buf.starts_with(b"HTTP/1.1 503") => tally.add("refused_503", 1),
            _ => tally.add("closed_by_node", 1),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The honest client.
struct Honest {
    base: String,
    chain_id: u64,
    clients: Vec<(IpAddr, reqwest::Client)>,
    sender: Signer,
    latencies: Mutex<Vec<f64>>,
    failures: Tally,
    requests: AtomicU64,
}

/// What the honest client's run left to check: the transfers it sent and the gaps between
/// blocks.
struct Measured {
    hashes: Vec<String>,
    largest_gap: Duration,
}

impl Honest {
    fn new(base: &str, chain_id: u64, ip: IpAddr) -> Self {
        let timeout = Duration::from_secs(10);
        let clients = vec![
            (ip, client(ip, timeout)),
            (IpAddr::V4(Ipv4Addr::LOCALHOST), client(IpAddr::V4(Ipv4Addr::LOCALHOST), timeout)),
        ];
        Self {
            base: base.to_owned(),
            chain_id,
            clients,
            sender: Signer::new(&DEV_ACCOUNTS[7].private_key).expect("a development key"),
            latencies: Mutex::new(Vec::new()),
            failures: Tally::default(),
            requests: AtomicU64::new(0),
        }
    }

    /// One timed request; its outcome counted.
    async fn timed(&self, http: &reqwest::Client, path: &str, body: Option<&Value>) -> Option<Value> {
        let started = Instant::now();
        let url = format!("{}{path}", self.base);
        let sent = match body {
            Some(body) => http.post(&url).json(body).send().await,
            None => http.get(&url).send().await,
        };
        let answer = match sent {
            Ok(response) => {
                let status = response.status();
                let value = response.json::<Value>().await.ok();
                match value {
                    Some(v) if status.is_success() && v.get("error").is_none_or(Value::is_null) => Ok(v),
                    Some(v) => Err(outcome_of(&v)),
                    None => Err(format!("http_{}", status.as_u16())),
                }
            }
            Err(e) if e.is_timeout() => Err("timeout".to_owned()),
            Err(_) => Err("no_connection".to_owned()),
        };
        self.latencies.lock().expect("lock").push(started.elapsed().as_secs_f64() * 1e3);
        self.requests.fetch_add(1, Ordering::Relaxed);
        match answer {
            Ok(v) => Some(v),
            Err(code) => {
                self.failures.add(code, 1);
                None
            }
        }
    }

    async fn run(&self, duration: Duration, cancel: CancellationToken) -> Result<Measured> {
        let (_, first) = &self.clients[0];
        // The sender's next nonce, asked as any other request (a failure counts, and is asked
        // again).
        let ask = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionCount",
                          "params": [self.sender.address(), "pending"] });
        let mut nonce = None;
        let asking = Instant::now();
        while nonce.is_none() && asking.elapsed() < duration {
            match self.timed(first, "", Some(&ask)).await {
                Some(reply) => {
                    nonce =
                        u64::from_str_radix(reply["result"].as_str().unwrap_or("0x0").trim_start_matches("0x"), 16).ok()
                }
                None => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let mut nonce = nonce.context("the honest client never learned its nonce")?;
        let call = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_call",
                           "params": [{ "data": "0x600160005260206000f3" }, "latest"] });
        let transfer = L2System::transferCall { token: USDC, to: Address::repeat_byte(0x55), amount: U256::from(1u64) };
        let estimate = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_estimateGas",
                               "params": [{ "from": self.sender.address(), "to": rollup_types::SYSTEM_CONTRACT,
                                            "data": hex::encode_prefixed(transfer.abi_encode()) }] });
        let block_number = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": [] });
        let mut hashes = Vec::new();
        // New blocks are watched apart from the timed requests, every 50 ms.
        let watcher = {
            let (http, base, cancel) = (first.clone(), self.base.clone(), cancel.clone());
            tokio::spawn(async move {
                let (mut head, mut head_at, mut largest_gap) = (0u64, Instant::now(), Duration::ZERO);
                let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": [] });
                let started = Instant::now();
                while started.elapsed() < duration && !cancel.is_cancelled() {
                    if let Some(reply) = post_json(&http, &base, &body).await {
                        let number =
                            u64::from_str_radix(reply["result"].as_str().unwrap_or("0x0").trim_start_matches("0x"), 16)
                                .unwrap_or(0);
                        if number > head {
                            if head > 0 {
                                largest_gap = largest_gap.max(head_at.elapsed());
                            }
                            (head, head_at) = (number, Instant::now());
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                // A gap still open at the end counts too.
                largest_gap.max(head_at.elapsed())
            })
        };
        let started = Instant::now();
        let mut tick = 0u64;
        while started.elapsed() < duration && !cancel.is_cancelled() {
            for (_, http) in &self.clients {
                self.timed(http, "/healthz", None).await;
                self.timed(http, "", Some(&block_number)).await;
                self.timed(http, "", Some(&call)).await;
                self.timed(http, "", Some(&estimate)).await;
            }
            if tick.is_multiple_of(10) {
                let (_, http) = &self.clients[tick as usize / 10 % self.clients.len()];
                let raw = self.sender.eip1559(self.chain_id, nonce, transfer.abi_encode().into()).encoded();
                let body = json!({ "raw": hex::encode_prefixed(raw) });
                if let Some(reply) = self.timed(http, "/v1/transactions", Some(&body)).await
                    && let Some(hash) = reply["hash"].as_str()
                {
                    hashes.push(hash.to_owned());
                    nonce += 1;
                }
            }
            tick += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let largest_gap = watcher.await.unwrap_or_default();
        Ok(Measured { hashes, largest_gap })
    }

    async fn report(&self, measured: Measured, bound: Duration) -> AttackReport {
        let (_, http) = &self.clients[0];
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut included = 0;
        for hash in &measured.hashes {
            while Instant::now() < deadline {
                let status = match http.get(format!("{}/v1/transactions/{hash}", self.base)).send().await {
                    Ok(r) => r.json::<Value>().await.ok().and_then(|v| v["status"].as_str().map(str::to_owned)),
                    Err(_) => None,
                };
                if status.as_deref().is_some_and(|s| ["included", "posted", "finalized"].contains(&s)) {
                    included += 1;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        let mut ms = std::mem::take(&mut *self.latencies.lock().expect("lock"));
        ms.sort_by(f64::total_cmp);
        let failures = self.failures.take();
        let mut report = AttackReport {
            honest_requests: self.requests.load(Ordering::Relaxed),
            honest_failures: failures,
            honest_transfers: measured.hashes.len() as u64,
            honest_included: included,
            largest_block_gap_secs: measured.largest_gap.as_secs_f64(),
            ..AttackReport::default()
        };
        if !ms.is_empty() {
            report.honest_p50_ms = percentile(&ms, 50.0);
            report.honest_p99_ms = percentile(&ms, 99.0);
            report.honest_max_ms = ms[ms.len() - 1];
        }
        report.honest_served = report.honest_failures.is_empty()
            && report.honest_transfers > 0
            && report.honest_included == report.honest_transfers
            && report.honest_p99_ms <= bound.as_secs_f64() * 1e3;
        report
    }
}
