//! What the process tests share: sequencer processes, clients that load them, and the check
//! that the chain they leave holds every acknowledged transaction once and replays.

#![allow(dead_code, clippy::print_stderr)]

use alloy_primitives::{Address, B256, Bytes, U256, hex, map::HashSet};
use alloy_sol_types::SolCall;
use rollup_chain_store::Store;
use rollup_executor::{BlockEnvInput, Executor};
use rollup_types::{
    ChainConfig, RecoveredTx,
    bindings::L2System,
    genesis::{GenesisSpec, USDC},
    signer::Signer,
};
use serde_json::{Value, json};
use std::{
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

/// A small deterministic generator (tests print the seed so that a failure can be replayed).
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A port free when asked (something else may take it before the sequencer binds it).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// `rollup sequencer` on `db_url` at `port`, with fast blocks, small snapshots intervals and
/// `extra` flags.
pub(crate) fn spawn_sequencer(db_url: &str, port: u16, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rollup"))
        .args(["sequencer", "--db-url", db_url, "--http.addr", &format!("127.0.0.1:{port}")])
        .args(["--block-time-ms", "40", "--snapshot-interval", "7"])
        // Two executor threads and small blocks: the clients keep a backlog, so the producer
        // pipelines blocks (a block waits for its state root while the next one executes)
        // and kills land between the two as well.
        .args(["--exec-threads", "2", "--max-block-txs", "24"])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the rollup binary starts")
}

/// Waits until the sequencer `child` answers `/readyz` at `base` (it leads); false if it
/// exits first.
pub(crate) async fn wait_ready(http: &reqwest::Client, base: &str, child: &mut Child) -> bool {
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

/// `/v1/status` at `base`, if it answers.
pub(crate) async fn status(http: &reqwest::Client, base: &str) -> Option<Value> {
    http.get(format!("{base}/v1/status")).send().await.ok()?.json().await.ok()
}

async fn pending_nonce(http: &reqwest::Client, base: &str, address: Address) -> Option<u64> {
    let v: Value = http.get(format!("{base}/v1/accounts/{address}")).send().await.ok()?.json().await.ok()?;
    v["pendingNonce"].as_u64()
}

/// One client: transfers from its own account, alone or in small batches, to `bases[0]`.
/// Without `stop` it returns when the server stops answering; with it, it moves on to the
/// next of `bases` when one does not answer or refuses (a standby's `503 not_leader`), until
/// `stop` is set. Returns the hashes acknowledged.
pub(crate) async fn client(
    http: reqwest::Client,
    bases: Vec<String>,
    signer: Signer,
    chain_id: u64,
    batch: bool,
    stop: Option<Arc<AtomicBool>>,
) -> Vec<B256> {
    let mut acked = Vec::new();
    let mut at = 0;
    let call: Bytes = L2System::transferCall { token: USDC, to: Address::repeat_byte(0x77), amount: U256::from(1u64) }
        .abi_encode()
        .into();
    let mut nonce = None;
    loop {
        if stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed)) {
            return acked;
        }
        let base = &bases[at % bases.len()];
        let next = match nonce {
            Some(n) => Some(n),
            None => pending_nonce(&http, base, signer.address()).await,
        };
        let Some(next) = next else {
            // Gone, or a standby: try the next one (or give up without `stop`).
            if stop.is_none() {
                return acked;
            }
            at += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let count = if batch { 5 } else { 1 };
        let raws: Vec<String> = (0..count)
            .map(|i| hex::encode_prefixed(signer.eip1559(chain_id, next + i, call.clone()).encoded()))
            .collect();
        let sent = if batch {
            http.post(format!("{base}/v1/transactions/batch")).json(&json!({ "transactions": raws })).send().await
        } else {
            http.post(format!("{base}/v1/transactions")).json(&json!({ "raw": raws[0] })).send().await
        };
        let body = match sent {
            Ok(response) => response.json::<Value>().await.ok(),
            Err(_) => None,
        };
        let hashes: Vec<Option<B256>> = match &body {
            Some(body) if batch => body["results"]
                .as_array()
                .map_or_else(Vec::new, |r| r.iter().map(|x| x["hash"].as_str().and_then(|h| h.parse().ok())).collect()),
            Some(body) => vec![body["hash"].as_str().and_then(|h| h.parse().ok())],
            None => Vec::new(),
        };
        if hashes.len() == count as usize && hashes.iter().all(Option::is_some) {
            acked.extend(hashes.into_iter().flatten());
            nonce = Some(next + count);
            continue;
        }
        // Refused, in part or whole (shutting down, a standby, a leader that lost the lead):
        // keep what was acknowledged and ask again where the nonce stands.
        acked.extend(hashes.into_iter().flatten());
        nonce = None;
        if body.is_none() && stop.is_none() {
            return acked;
        }
        if body.is_none() || body.as_ref().is_some_and(|b| b["error"]["code"] == "not_leader") {
            at += 1;
        }
    }
}

/// Checks the chain at `db_url`: blocks 1..=head link to their parents, every `acked` hash is
/// in exactly one block, and the blocks replay from genesis to their stored roots. Returns
/// (transactions included, head).
pub(crate) async fn check_chain(db_url: &str, chain: ChainConfig, acked: &[B256]) -> (usize, u64) {
    let store = Store::open(db_url).await.expect("db");
    assert!(store.pending().await.expect("db").is_empty(), "a clean stop leaves nothing pending");
    let head = store.latest_block().await.expect("db").expect("head");
    let mut executor = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let mut included: HashSet<B256> = HashSet::default();
    let mut count = 0usize;
    let mut parent = store.block(0).await.expect("db").expect("genesis").hash;
    for n in 1..=head.header.number {
        let block = store.block(n).await.expect("db").expect("no gap in the chain");
        assert_eq!(block.header.parent_hash, parent, "block {n} does not build on block {}", n - 1);
        parent = block.hash;
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
    store.close().await;
    (count, head.header.number)
}

/// Sends SIGTERM to `child` and waits for it; its exit status.
pub(crate) fn terminate(child: &mut Child) -> std::process::ExitStatus {
    signal(child, libc::SIGTERM);
    child.wait().expect("reaped")
}

/// Sends `sig` to `child`.
pub(crate) fn signal(child: &Child, sig: i32) {
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "signal {sig} sent");
}
