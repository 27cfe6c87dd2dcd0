#![allow(clippy::print_stderr)]

//! Failover (docs/deployment.md): three sequencer processes on one database, clients loading
//! whichever leads, while the leader is killed (`kill -9`), stalled (SIGSTOP past its lease,
//! then continued) or cut from the database (every connection terminated by the server) again
//! and again. The chain must move again each time; a stalled leader that wakes up must exit
//! having written nothing; and the chain must hold every acknowledged transaction once, link
//! block to block with no height written twice, and replay to its roots. On PostgreSQL when a
//! server answers (as in CI), on one SQLite file otherwise (no cuts there).

mod common;

use alloy_primitives::B256;
use common::{XorShift, check_chain, client, free_port, signal, spawn_sequencer, status, terminate};
use rollup_types::{ChainConfig, genesis::DEV_ACCOUNTS, signer::Signer};
use std::{
    process::Child,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

/// The lease of these runs, in milliseconds (`FAILOVER_LEASE_MS`, 1,000 by default).
fn lease_ms() -> u64 {
    std::env::var("FAILOVER_LEASE_MS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000)
}

struct Sequencer {
    child: Child,
    port: u16,
}

impl Sequencer {
    fn start(db_url: &str, port: u16) -> Self {
        Self { child: spawn_sequencer(db_url, port, &["--lease.ms", &lease_ms().to_string()]), port }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Sequencer {
    /// A failing test leaves no process behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The index of the one process that says it leads, and its head; waits for one.
async fn leader(http: &reqwest::Client, sequencers: &[Sequencer], not: Option<usize>) -> (usize, u64) {
    let start = Instant::now();
    loop {
        for (i, s) in sequencers.iter().enumerate() {
            if Some(i) == not {
                continue;
            }
            if let Some(st) = status(http, &s.base()).await
                && st["role"] == "leader"
                && let Some(head) = st["head"]["number"].as_u64()
            {
                return (i, head);
            }
        }
        if start.elapsed() > Duration::from_secs(60) {
            let mut seen = Vec::new();
            for s in sequencers {
                seen.push(http.get(format!("{}/v1/status", s.base())).send().await.map(|r| r.status()));
            }
            panic!("no sequencer leads: {seen:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until a process (other than `not`, which is stalled) leads with a head past `past`;
/// how long it took from `since`.
async fn moved_on(
    http: &reqwest::Client,
    sequencers: &[Sequencer],
    not: Option<usize>,
    past: u64,
    since: Instant,
) -> Duration {
    loop {
        let (_, head) = leader(http, sequencers, not).await;
        if head > past {
            return since.elapsed();
        }
        assert!(since.elapsed() < Duration::from_secs(60), "the chain did not move again");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_takes_over_from_a_killed_or_stalled_leader() {
    let seed = std::env::var("FAILOVER_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0xfa11_u64);
    let rounds: usize = std::env::var("FAILOVER_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(6);
    eprintln!("failover test: FAILOVER_SEED={seed} FAILOVER_ROUNDS={rounds}");
    let mut rng = XorShift(seed.max(1));
    let postgres = rollup_db::testing::PostgresTestDb::create("failover").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = postgres
        .as_ref()
        .map_or_else(|| format!("sqlite://{}", dir.path().join("chain.sqlite").display()), |db| db.url().to_owned());
    eprintln!("on {}", if postgres.is_some() { "PostgreSQL" } else { "SQLite" });
    let chain = ChainConfig::default();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("client");

    // The first one leads; the others follow.
    let mut sequencers = vec![Sequencer::start(&db_url, free_port())];
    leader(&http, &sequencers, None).await;
    for _ in 0..2 {
        sequencers.push(Sequencer::start(&db_url, free_port()));
    }
    for s in &sequencers[1..] {
        let start = Instant::now();
        while status(&http, &s.base()).await.is_none_or(|st| st["role"] != "follower") {
            assert!(start.elapsed() < Duration::from_secs(30), "a second sequencer does not stand by");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Its role and the leader's epoch once it has read the lease (every second).
        let start = Instant::now();
        loop {
            let metrics = http.get(format!("{}/metrics", s.base())).send().await.expect("metrics");
            let metrics = metrics.text().await.expect("text");
            if metrics.contains("\nrollup_sequencer_leader 0\n") && metrics.contains("\nrollup_sequencer_epoch 1\n") {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "{metrics}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // A follower serves the chain's reads.
        let served = http.get(format!("{}/v1/blocks/latest", s.base())).send().await.expect("served");
        assert_eq!(served.status(), 200);
    }
    let metrics = http.get(format!("{}/metrics", sequencers[0].base())).send().await.expect("metrics");
    let metrics = metrics.text().await.expect("text");
    assert!(
        metrics.contains("\nrollup_sequencer_leader 1\n") && metrics.contains("\nrollup_sequencer_epoch 1\n"),
        "{metrics}"
    );

    let stop = Arc::new(AtomicBool::new(false));
    let bases: Vec<String> = sequencers.iter().map(Sequencer::base).collect();
    let clients: Vec<_> = DEV_ACCOUNTS[2..8]
        .iter()
        .enumerate()
        .map(|(i, account)| {
            let signer = Signer::new(&account.private_key).expect("key");
            let mut bases = bases.clone();
            bases.rotate_left(i % 3);
            tokio::spawn(client(http.clone(), bases, signer, chain.chain_id, i % 2 == 0, Some(stop.clone())))
        })
        .collect();

    let mut took = Vec::new();
    for round in 0..rounds {
        tokio::time::sleep(Duration::from_millis(300 + rng.next() % 500)).await;
        let (old, head) = leader(&http, &sequencers, None).await;
        let since = Instant::now();
        let cut = postgres.is_some() && round % 3 == 2;
        if cut {
            // Every connection to the database but this one, the leader's among them, is
            // terminated by the server: writes in progress fail; whoever stops is started again.
            rollup_db::sqlx::any::install_default_drivers();
            let cutter = rollup_db::sqlx::AnyPool::connect(&db_url).await.expect("connects");
            let cut = rollup_db::sqlx::query(
                "SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .fetch_one(&cutter)
            .await
            .expect("cuts");
            let cut: i64 = rollup_db::sqlx::Row::try_get(&cut, "n").expect("count");
            let mut elapsed = moved_on(&http, &sequencers, None, head, since).await;
            // A leader whose write was in flight stops (its state is ahead of the database):
            // then the chain has moved again only once a successor sealed past its last block.
            tokio::time::sleep(Duration::from_millis(lease_ms() / 2)).await;
            let mut stopped = 0;
            for s in &mut sequencers {
                if s.child.try_wait().expect("status").is_some() {
                    stopped += 1;
                    let port = s.port;
                    *s = Sequencer::start(&db_url, port);
                }
            }
            if stopped > 0 {
                let top = rollup_db::sqlx::query("SELECT MAX(number) AS n FROM blocks")
                    .fetch_one(&cutter)
                    .await
                    .expect("reads");
                let top: i64 = rollup_db::sqlx::Row::try_get(&top, "n").expect("head");
                elapsed = moved_on(&http, &sequencers, None, u64::try_from(top).expect("height"), since).await;
            }
            cutter.close().await;
            eprintln!(
                "round {round}: {cut} connections cut at block {head} ({stopped} processes stopped): the chain moved \
                 again after {elapsed:?}"
            );
            took.push(elapsed);
        } else if round % 2 == 0 {
            sequencers[old].child.kill().expect("SIGKILL");
            sequencers[old].child.wait().expect("reaped");
            let port = sequencers[old].port;
            // Started again at once: it stands by, or takes the lease itself once it expires.
            sequencers[old] = Sequencer::start(&db_url, port);
            let elapsed = moved_on(&http, &sequencers, None, head, since).await;
            eprintln!("round {round}: kill -9 of the leader at block {head}: the chain moved again after {elapsed:?}");
            took.push(elapsed);
        } else {
            signal(&sequencers[old].child, libc::SIGSTOP);
            let elapsed = moved_on(&http, &sequencers, Some(old), head, since).await;
            // Stalled well past the takeover (`FAILOVER_STALL_MS` in all, twice the lease by
            // default), then woken: it must find itself deposed.
            let stall = std::env::var("FAILOVER_STALL_MS").ok().and_then(|s| s.parse().ok()).unwrap_or(2 * lease_ms());
            tokio::time::sleep(
                Duration::from_millis(stall).saturating_sub(since.elapsed()).max(Duration::from_millis(2 * lease_ms())),
            )
            .await;
            signal(&sequencers[old].child, libc::SIGCONT);
            let woke = Instant::now();
            let exited = loop {
                if let Some(exit) = sequencers[old].child.try_wait().expect("status") {
                    break exit;
                }
                assert!(woke.elapsed() < Duration::from_secs(20), "a stalled leader woke up and did not stop");
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            assert!(!exited.success(), "a deposed leader exits with an error, not {exited}");
            let port = sequencers[old].port;
            sequencers[old] = Sequencer::start(&db_url, port);
            eprintln!("round {round}: SIGSTOP of the leader at block {head}: the chain moved again after {elapsed:?}");
            took.push(elapsed);
        }
    }

    // A clean stop of the leader (SIGTERM) writes its last block, then gives the lease back:
    // a standby leads within a poll or two, not a lease.
    let (old, head) = leader(&http, &sequencers, None).await;
    let since = Instant::now();
    let exit = terminate(&mut sequencers[old].child);
    assert!(exit.success(), "a leader stopped cleanly exits with {exit}");
    let handover = moved_on(&http, &sequencers, Some(old), head, since).await;
    eprintln!("a clean stop of the leader at block {head}: the chain moved again after {handover:?}");
    let port = sequencers[old].port;
    sequencers[old] = Sequencer::start(&db_url, port);

    stop.store(true, Ordering::Relaxed);
    let mut acked: Vec<B256> = Vec::new();
    for c in clients {
        acked.extend(c.await.expect("client"));
    }
    // Let the leader seal everything acknowledged, then stop every process cleanly.
    let (at, _) = leader(&http, &sequencers, None).await;
    let start = Instant::now();
    while status(&http, &sequencers[at].base()).await.is_none_or(|st| st["mempool"]["pending"] != 0) {
        assert!(start.elapsed() < Duration::from_secs(60), "the mempool does not drain");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every follower reaches the leader's head and answers as it does: the head block, and
    // acknowledged transactions looked up by hash.
    let head = status(&http, &sequencers[at].base()).await.expect("leader")["head"].clone();
    let number = head["number"].as_u64().expect("head");
    for s in &sequencers {
        let start = Instant::now();
        while status(&http, &s.base()).await.and_then(|st| st["head"]["number"].as_u64()).is_none_or(|n| n < number) {
            assert!(start.elapsed() < Duration::from_secs(30), "a follower does not reach the leader's head");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let block: serde_json::Value = http
            .get(format!("{}/v1/blocks/{number}", s.base()))
            .send()
            .await
            .expect("block")
            .json()
            .await
            .expect("json");
        assert_eq!(block["hash"], head["hash"], "{} serves another block {number}", s.base());
        for hash in acked.iter().step_by((acked.len() / 50).max(1)) {
            let tx: serde_json::Value = http
                .get(format!("{}/v1/transactions/{hash}", s.base()))
                .send()
                .await
                .expect("tx")
                .json()
                .await
                .expect("json");
            assert_eq!(tx["status"], "included", "{hash} on {}: {tx}", s.base());
        }
    }
    for s in &mut sequencers {
        let exit = terminate(&mut s.child);
        assert!(exit.success(), "a sequencer stopped with {exit}");
    }
    assert!(acked.len() > 100, "the clients got only {} acknowledgements", acked.len());
    let (count, head) = check_chain(&db_url, chain, &acked).await;
    took.sort();
    eprintln!(
        "{} acknowledged, {count} included in {head} blocks; the chain moved again after {:?} (median), {:?} (worst)",
        acked.len(),
        took[took.len() / 2],
        took[took.len() - 1]
    );
    if let Some(db) = postgres {
        db.drop_database().await.expect("dropped");
    }
}
