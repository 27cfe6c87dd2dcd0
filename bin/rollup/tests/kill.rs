#![allow(clippy::print_stderr)]

//! Durability under `kill -9`: clients load the sequencer binary while it is killed at
//! random moments; every transaction it acknowledged must end up in exactly one block, and
//! the chain must equal a clean sequential replay of itself.

use alloy_primitives::{Address, B256, Bytes, U256, hex, map::HashSet};
use alloy_sol_types::SolCall;
use rollup_chain_store::Store;
use rollup_executor::{BlockEnvInput, Executor};
use rollup_types::{
    ChainConfig, RecoveredTx,
    bindings::L2System,
    genesis::{DEV_ACCOUNTS, GenesisSpec, USDC},
    signer::Signer,
};
use serde_json::{Value, json};
use std::{
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// A small deterministic generator (the seed is printed so that a failure can be replayed
/// with `KILL_SEED`).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn spawn_sequencer(db_url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rollup"))
        .args(["sequencer", "--db-url", db_url, "--http.addr", &format!("127.0.0.1:{port}")])
        .args(["--block-time-ms", "40", "--snapshot-interval", "7"])
        // Two executor threads and small blocks: the clients keep a backlog, so the producer
        // pipelines blocks (a block waits for its state root while the next one executes)
        // and kills land between the two as well.
        .args(["--exec-threads", "2", "--max-block-txs", "24"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the rollup binary starts")
}

/// Starts the sequencer on a free port and waits until it is ready; returns it with its URL.
/// The port is free when chosen, and something else may bind it before the sequencer does (a
/// client's ephemeral port, another test): then the sequencer exits, and another port is tried.
async fn start_sequencer(http: &reqwest::Client, db_url: &str) -> (Child, String) {
    const TRIES: usize = 5;
    for _ in 0..TRIES {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = spawn_sequencer(db_url, port);
        if wait_ready(http, &base, &mut child).await {
            return (child, base);
        }
        eprintln!("the sequencer exited before it was ready on port {port}; trying another");
    }
    panic!("the sequencer did not start on any of {TRIES} free ports");
}

/// Waits until the sequencer `child` answers `/readyz` at `base`; false if it exits first.
async fn wait_ready(http: &reqwest::Client, base: &str, child: &mut Child) -> bool {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("the sequencer's status").is_some() {
            return false;
        }
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return true;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the sequencer did not become ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn pending_nonce(http: &reqwest::Client, base: &str, address: Address) -> Option<u64> {
    let v: Value = http.get(format!("{base}/v1/accounts/{address}")).send().await.ok()?.json().await.ok()?;
    v["pendingNonce"].as_u64()
}

/// One client: transfers from its own account, alone or in small batches, until the server
/// stops answering. Returns the hashes the server acknowledged.
async fn client(http: reqwest::Client, base: String, signer: Signer, chain_id: u64, batch: bool) -> Vec<B256> {
    let mut acked = Vec::new();
    let Some(mut nonce) = pending_nonce(&http, &base, signer.address()).await else { return acked };
    let call: Bytes = L2System::transferCall { token: USDC, to: Address::repeat_byte(0x77), amount: U256::from(1u64) }
        .abi_encode()
        .into();
    loop {
        let count = if batch { 5 } else { 1 };
        let raws: Vec<String> = (0..count)
            .map(|i| hex::encode_prefixed(signer.eip1559(chain_id, nonce + i, call.clone()).encoded()))
            .collect();
        let sent = if batch {
            http.post(format!("{base}/v1/transactions/batch")).json(&json!({ "transactions": raws })).send().await
        } else {
            http.post(format!("{base}/v1/transactions")).json(&json!({ "raw": raws[0] })).send().await
        };
        let Ok(response) = sent else { return acked };
        let Ok(body) = response.json::<Value>().await else { return acked };
        let hashes: Vec<Option<B256>> = if batch {
            body["results"]
                .as_array()
                .map_or_else(Vec::new, |r| r.iter().map(|x| x["hash"].as_str().and_then(|h| h.parse().ok())).collect())
        } else {
            vec![body["hash"].as_str().and_then(|h| h.parse().ok())]
        };
        if hashes.len() != count as usize || hashes.iter().any(Option::is_none) {
            // Refused (e.g. shutting down): resynchronise the nonce and go on.
            for h in hashes.into_iter().flatten() {
                acked.push(h);
            }
            match pending_nonce(&http, &base, signer.address()).await {
                Some(n) => nonce = n,
                None => return acked,
            }
            continue;
        }
        acked.extend(hashes.into_iter().flatten());
        nonce += count;
    }
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
                tokio::spawn(client(http.clone(), base.clone(), signer, chain.chain_id, i % 2 == 0))
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
        if status["mempool"]["pending"] == 0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the mempool does not drain: {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A clean stop (SIGTERM) writes the block being sealed and everything still held.
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "SIGTERM sent");
    let status = child.wait().expect("reaped");
    assert!(status.success(), "the sequencer stopped with {status}");

    // Every acknowledged hash is in exactly one block; the chain replays to the same roots.
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() > 100, "the clients got only {} acknowledgements", acked.len());
    let store = Store::open(&db_url).await.expect("db");
    assert!(store.pending().await.expect("db").is_empty(), "a clean stop leaves nothing pending");
    let head = store.latest_block().await.expect("db").expect("head");
    let mut executor = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let mut included: HashSet<B256> = HashSet::default();
    let mut count = 0usize;
    for n in 1..=head.header.number {
        let block = store.block(n).await.expect("db").expect("no gap in the chain");
        let raws = store.block_transactions(n, n).await.expect("db");
        let txs: Vec<RecoveredTx> = raws
            .iter()
            .map(|(_, raw)| RecoveredTx::from_raw(raw, &chain).expect("stored transactions are valid"))
            .collect();
        for tx in &txs {
            assert!(included.insert(tx.hash()), "{} is in two blocks", tx.hash());
        }
        count += txs.len();
        let executed = executor.execute_block_sequential(
            BlockEnvInput { number: n, timestamp: block.header.timestamp, l1_byte_price: block.header.l1_byte_price },
            &txs,
        );
        assert_eq!(executed.state_root, block.header.state_root, "block {n} replays to another root");
        assert_eq!(executed.chunk_roots, block.chunk_roots, "block {n} replays to other chunk roots");
    }
    let lost: Vec<&B256> = acked.iter().filter(|h| !included.contains(*h)).collect();
    if let Some(first) = lost.first() {
        let row = store.transaction(**first).await.expect("db");
        panic!("{} acknowledged transactions were lost, e.g. {first}, stored as {row:?}", lost.len());
    }
    eprintln!("{} acknowledged, {count} included in {} blocks", acked.len(), head.header.number);
}
