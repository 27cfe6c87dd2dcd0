//! Two sequencers on one database (issue 57, docs/deployment.md §3): the second follows the
//! first's blocks and serves the same chain (blocks, receipts, state, lookups by hash), forwards
//! submissions and pending-block reads to the leader, reports its lag, and takes over from its
//! own state when the leader stops: the chain goes on from the last block, with every
//! acknowledged transaction.

use super::{Seq, alice, chain_id, transfer};
use alloy_primitives::{Address, hex};
use reqwest::StatusCode;
use rollup_sequencer::SequencerConfig;
use serde_json::{Value, json};
use std::time::Duration;

/// `check` holds within ten seconds.
async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within ten seconds");
}

async fn follower_serves_forwards_and_takes_over(url: &str) {
    let config =
        SequencerConfig { db_url: url.to_owned(), lease: Duration::from_millis(400), ..SequencerConfig::test() };
    let leader = Seq::start(config.clone()).await;
    let a = alice();
    let carol = Address::repeat_byte(0xc4);
    let first = leader.submit(&a.eip1559(chain_id(), 0, transfer(carol, 1)).encoded()).await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.1);
    leader.wait_included(&first.1["hash"]).await;

    let follower = Seq::start(config.clone()).await;
    let (_, status) = follower.get("/v1/status").await;
    assert_eq!(status["role"], "follower", "{status}");
    assert!(follower.handle.node.is_following());

    // Submissions through the follower reach the leader: REST and JSON-RPC, with the leader's
    // answers (a hash; the leader's refusal with its code).
    let rest = follower.submit(&a.eip1559(chain_id(), 1, transfer(carol, 2)).encoded()).await;
    assert_eq!(rest.0, StatusCode::OK, "{}", rest.1);
    let raw = a.eip1559(chain_id(), 2, transfer(carol, 3)).encoded();
    let rpc = follower.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(&raw)])).await;
    assert!(rpc["result"].is_string(), "{rpc}");
    // The leader's refusal of a nonce it holds (or, once its block is in, has used).
    let again = follower.submit(&a.eip1559(chain_id(), 1, transfer(carol, 9)).encoded()).await;
    assert!(
        (again.0 == StatusCode::CONFLICT && again.1["error"]["code"] == "replacement_underpriced")
            || (again.0 == StatusCode::BAD_REQUEST && again.1["error"]["code"] == "nonce_too_low"),
        "{:?}",
        again
    );
    // The nonce a wallet signs with next counts what the leader holds.
    let nonce = follower.rpc("eth_getTransactionCount", json!([a.address(), "pending"])).await;
    assert_eq!(nonce["result"], "0x3", "{nonce}");

    // The follower sees them included, with the leader's receipts and blocks.
    let included = follower.wait_included(&rpc["result"]).await;
    let number = included["blockNumber"].as_u64().expect("block number");
    eventually("the follower reaching the leader's head", || async {
        follower.handle.node.head().header.number >= leader.handle.node.head().header.number
    })
    .await;
    for method in ["eth_getTransactionReceipt", "eth_getTransactionByHash"] {
        for hash in [&first.1["hash"], &rest.1["hash"], &rpc["result"]] {
            let (on_leader, on_follower) =
                (leader.rpc(method, json!([hash])).await, follower.rpc(method, json!([hash])).await);
            assert!(on_leader["result"].is_object(), "{on_leader}");
            assert_eq!(on_leader["result"], on_follower["result"], "{method} {hash}");
        }
    }
    let params = json!([format!("{number:#x}"), true]);
    assert_eq!(
        leader.rpc("eth_getBlockByNumber", params.clone()).await["result"],
        follower.rpc("eth_getBlockByNumber", params).await["result"]
    );
    let head = leader.handle.node.head().header.number;
    let tag = format!("{head:#x}");
    for method in ["eth_getTransactionCount", "eth_getBalance"] {
        let params = json!([a.address(), tag]);
        assert_eq!(leader.rpc(method, params.clone()).await["result"], follower.rpc(method, params).await["result"]);
    }
    let (_, account) = follower.get(&format!("/v1/accounts/{}", a.address())).await;
    assert_eq!(account["nonce"], 3, "{account}");

    // The leader sees the follower and how far behind it is.
    let follower_holder = |status: &Value| {
        status["sequencers"]
            .as_array()
            .is_some_and(|all| all.iter().any(|s| s["role"] == "follower" && s["lag"].is_u64()))
    };
    eventually("the follower's report on the leader", || async { follower_holder(&leader.get("/v1/status").await.1) })
        .await;
    let metrics =
        follower.http.get(follower.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("rollup_sequencer_leader 0"), "{metrics}");
    assert!(metrics.contains("rollup_sequencer_lag_blocks "), "{metrics}");

    // Acknowledged by the leader just before it stops; the follower takes over from its own
    // state and includes it, and the chain goes on on top of the leader's last block.
    let last = leader.submit(&a.eip1559(chain_id(), 3, transfer(carol, 4)).encoded()).await;
    assert_eq!(last.0, StatusCode::OK, "{}", last.1);
    let leader_head = {
        let node = leader.handle.node.clone();
        leader.stop().await;
        node.head()
    };
    eventually("the takeover", || async { !follower.handle.node.is_following() }).await;
    // The same node leads now, with the state it followed: nothing was opened again.
    assert!(follower.handle.node.lead().is_some_and(|l| l.epoch >= 2));
    let included = follower.wait_included(&last.1["hash"]).await;
    assert!(included["blockNumber"].as_u64().expect("number") <= leader_head.header.number + 1);
    let next = follower.submit(&a.eip1559(chain_id(), 4, transfer(carol, 5)).encoded()).await;
    assert_eq!(next.0, StatusCode::OK, "the new leader takes submissions: {}", next.1);
    let included = follower.wait_included(&next.1["hash"]).await;
    let number = included["blockNumber"].as_u64().expect("number");
    assert!(number > leader_head.header.number);
    let store = follower.handle.node.store();
    let mut parent = store.block(0).await.expect("read").expect("genesis").hash;
    for n in 1..=number {
        let block = store.block(n).await.expect("read").expect("no gap");
        assert_eq!(block.header.parent_hash, parent, "block {n} links to its parent");
        parent = block.hash;
    }
    let (_, status) = follower.get("/v1/status").await;
    assert_eq!(status["role"], "leader", "{status}");
    assert!(status["lead"]["epoch"].as_u64().expect("epoch") >= 2, "{status}");
    follower.stop().await;
}

#[tokio::test]
async fn a_follower_serves_the_chain_forwards_submissions_and_takes_over_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    follower_serves_forwards_and_takes_over(&format!("sqlite://{}", dir.path().join("chain.sqlite").display())).await;
}

#[tokio::test]
async fn a_follower_serves_the_chain_forwards_submissions_and_takes_over_on_postgres() {
    let Some(db) = rollup_db::testing::PostgresTestDb::create("sequencer_follow").await else { return };
    follower_serves_forwards_and_takes_over(db.url()).await;
    db.drop_database().await.expect("dropped");
}
