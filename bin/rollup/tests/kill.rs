#![allow(clippy::print_stderr)]

//! Durability under `kill -9`: clients load the sequencer binary while it is killed at
//! random moments; every transaction it acknowledged must end up in exactly one block, and
//! the chain must equal a clean sequential replay of itself.

mod common;

use alloy_primitives::B256;
use common::{XorShift, check_chain, client, free_port, spawn_sequencer, terminate, wait_ready};
use rollup_types::{ChainConfig, genesis::DEV_ACCOUNTS, signer::Signer};
use serde_json::Value;
use std::{
    process::Child,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// The lease of these runs: a restart after `kill -9` waits for it (docs/deployment.md).
const LEASE: &[&str] = &["--lease.ms", "300"];

/// Starts the sequencer on a free port and waits until it is ready; returns it with its URL.
/// The port is free when chosen, and something else may bind it before the sequencer does (a
/// client's ephemeral port, another test): then the sequencer exits, and another port is tried.
async fn start_sequencer(http: &reqwest::Client, db_url: &str) -> (Child, String) {
    const TRIES: usize = 5;
    for _ in 0..TRIES {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = spawn_sequencer(db_url, port, LEASE);
        if wait_ready(http, &base, &mut child).await {
            return (child, base);
        }
        eprintln!("the sequencer exited before it was ready on port {port}; trying another");
    }
    panic!("the sequencer did not start on any of {TRIES} free ports");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_never_loses_an_acknowledged_transaction() {
    let seed = std::env::var("KILL_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_u64);
    let rounds: usize = std::env::var("KILL_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(8);
    eprintln!("kill -9 test: KILL_SEED={seed} KILL_ROUNDS={rounds}");
    let mut rng = XorShift(seed.max(1));
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = format!("sqlite://{}", dir.path().join("chain.sqlite").display());
    let chain = ChainConfig::default();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
    let acked = Arc::new(Mutex::new(Vec::<B256>::new()));

    for round in 0..rounds {
        let (mut child, base) = start_sequencer(&http, &db_url).await;
        let clients: Vec<_> = DEV_ACCOUNTS[2..10]
            .iter()
            .enumerate()
            .map(|(i, account)| {
                let signer = Signer::new(&account.private_key).expect("key");
                tokio::spawn(client(http.clone(), vec![base.clone()], signer, chain.chain_id, i % 2 == 0, None))
            })
            .collect();
        let alive = Duration::from_millis(150 + rng.next() % 600);
        tokio::time::sleep(alive).await;
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        let mut total = 0;
        for c in clients {
            let hashes = c.await.expect("client");
            total += hashes.len();
            acked.lock().expect("lock").extend(hashes);
        }
        eprintln!("round {round}: killed after {alive:?}, {total} acknowledged");
    }

    // Last run: let everything acknowledged be sealed, then stop cleanly.
    let (mut child, base) = start_sequencer(&http, &db_url).await;
    let start = Instant::now();
    loop {
        let status: Value =
            http.get(format!("{base}/v1/status")).send().await.expect("status").json().await.expect("json");
        // Started while the killed one's lease ran, it follows until it takes over (a
        // follower holds no mempool): it must lead, with nothing left held.
        if status["role"] == "leader" && status["mempool"]["pending"] == 0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the mempool does not drain: {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A clean stop (SIGTERM) writes the block being sealed and everything still held.
    let status = terminate(&mut child);
    assert!(status.success(), "the sequencer stopped with {status}");

    // Every acknowledged hash is in exactly one block; the chain replays to the same roots.
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() > 100, "the clients got only {} acknowledgements", acked.len());
    let (count, head) = check_chain(&db_url, chain, &acked).await;
    eprintln!("{} acknowledged, {count} included in {head} blocks", acked.len());
}
