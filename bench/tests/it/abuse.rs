//! The quick version of `rollup bench abuse` (issue 19): every attack at once against a devnet
//! on loopback, from 127.0.0.2 (fewer connections than it may hold, so that every attack
//! gets through to the node), for a few seconds; the honest client on 127.0.0.1 must be
//! answered every time, within 2 s at the 99th percentile, and see its transfers included.

use rollup_bench::abuse::AbuseBench;
use rollup_devnet::{Devnet, DevnetConfig};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_honest_client_is_served_while_every_attack_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let devnet = Devnet::start(DevnetConfig::test(dir.path().to_path_buf()).expect("config")).await.expect("devnet");
    let bench = AbuseBench {
        rpc: devnet.url().parse().expect("url"),
        duration: Duration::from_secs(8),
        idle_connections: 200,
        slow_connections: 20,
        call_attackers: 1,
        squat_keys: 300,
        honest_bound: Duration::from_secs(2),
        attacker_ip: Some([127, 0, 0, 2].into()),
        settle: Duration::ZERO,
    };
    let report = bench.run().await.expect("runs");
    assert!(report.honest_served, "{report}");
    // The attacks were answered, and refused, as they should be.
    // Heavy calls are refused for the request's gas or, once its rate is spent, the
    // address's work (issue 39).
    let refused = ["call_budget", "work_rate_limited"].iter().filter_map(|c| report.call_items.get(*c)).sum::<u64>();
    assert!(refused > 0, "{report}");
    assert_eq!(report.oversized_sent, report.oversized_refused + report.oversized_turned_away, "{report}");
    assert!(report.oversized_refused > 0, "{report}");
    // The squatters' fresh keys hold no ether: every one of their transactions is refused at
    // the door, before a nonce gap is held for it (docs/fees.md §5). A funded squatter meets
    // `sender_future_limit` instead (the mempool's own tests).
    assert_eq!(report.squat_accepted, 0, "{report}");
    assert!(report.squat_refused.contains_key("insufficient_funds"), "{report}");
    devnet.stop().await.expect("stops");
}
