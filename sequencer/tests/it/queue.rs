//! Bridge queue entries in the sequencer's blocks (docs/bridge.md §3), on SQLite and on
//! PostgreSQL: entries the queue reader stored are consumed at the start of the next block
//! (one sealed for them alone when nothing else waits), their outcomes are kept, the header
//! carries the queue position, and a restart replays them.

use super::{alice, chain_id, transfer};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use rollup_chain_store::{QueueReaderPosition, QueuedEntry};
use rollup_db::testing::PostgresTestDb;
use rollup_sequencer::{Node, SequencerConfig, StatusSources};
use rollup_types::{
    keys,
    queue::{QueueEntry, QueueItem, accumulate_all},
};

fn deposit(index: u64, to: Address, amount: u64) -> QueueEntry {
    QueueEntry {
        index,
        from: Address::repeat_byte(0x11),
        l1_block: 30 + index,
        item: QueueItem::Deposit { to, l1_token: Address::ZERO, amount: U256::from(amount), meta: U256::from(18u8) },
    }
}

/// `entries` with their accumulators after `acc`.
fn queued(acc: B256, entries: Vec<QueueEntry>) -> Vec<QueuedEntry> {
    let mut acc = acc;
    entries
        .into_iter()
        .map(|entry| {
            acc = entry.accumulate(acc);
            QueuedEntry { entry, accumulator: acc }
        })
        .collect()
}

async fn queue_entries_are_consumed_and_replayed(db_url: String) {
    let mut config = SequencerConfig::test();
    config.db_url = db_url;
    let node = Node::open(config.clone(), StatusSources::default()).await.expect("opens");
    let store = node.store().clone();
    let signer = alice();
    let bob = Address::repeat_byte(0xb0);
    let position = |n: u64| QueueReaderPosition { l1_block: n, l1_hash: B256::repeat_byte(n as u8) };

    // Two deposits and nothing else waiting: a block for them alone.
    let first = queued(B256::ZERO, vec![deposit(0, signer.address(), 500), deposit(1, bob, 7)]);
    store.append_queue(&first, position(40)).await.expect("stored");
    let head = node.produce_block().await.expect("sealed").expect("a block for the entries alone");
    assert_eq!((head.header.queue_end, head.header.queue_accumulator), (2, first[1].accumulator));
    // The block hash commits to the queue position, within Ethereum's 32 bytes of extra data.
    assert_eq!(head.header.extra_data().as_ref(), head.header.queue_accumulator.as_slice());
    assert!(node.produce_block().await.expect("nothing to do").is_none());

    // A forced transaction that cannot run, a deposit, then a user transaction.
    let garbage = QueueEntry {
        index: 2,
        from: Address::repeat_byte(0x22),
        l1_block: 41,
        item: QueueItem::Forced { raw: Bytes::from_static(&[0xde, 0xad]) },
    };
    let second = queued(first[1].accumulator, vec![garbage, deposit(3, signer.address(), 5)]);
    store.append_queue(&second, position(42)).await.expect("stored");
    let raw = signer.eip1559(chain_id(), 0, transfer(Address::repeat_byte(0x51), 3)).encoded();
    let hash = node.submit_raw(Bytes::from(raw)).await.expect("acknowledged");
    let head = node.produce_block().await.expect("sealed").expect("a block");
    assert_eq!(head.header.queue_end, 4);
    assert_eq!(
        head.header.queue_accumulator,
        accumulate_all(B256::ZERO, first.iter().chain(&second).map(|q| &q.entry))
    );
    assert!(store.transaction(hash).await.expect("db").expect("row").receipt.is_some());

    let weth_l2 = keys::bridged_token(&Address::ZERO);
    let state = node.committed_state();
    // The signer is a development account: it holds its genesis ether too, less the fee of its
    // transfer (30,000 gas at the base fee: it tipped nothing).
    let fee = U256::from(rollup_types::fees::schedule::TRANSFER) * U256::from(rollup_types::fees::MIN_BASE_FEE);
    assert_eq!(
        state.storage(&keys::balance(&weth_l2, &signer.address()).into()),
        rollup_types::genesis::DEVNET_ETHER_PER_ACCOUNT + U256::from(505u16) - fee
    );
    assert_eq!(state.storage(&keys::balance(&weth_l2, &bob).into()), U256::from(7u8));
    let outcomes: Vec<(String, Option<B256>, Option<u64>)> = {
        let mut v = Vec::new();
        for i in 0..4 {
            let e = store.queue_entry(i).await.expect("db").expect("entry");
            let c = e.consumed.expect("consumed");
            v.push((c.outcome, c.tx_hash, Some(c.block_number)));
        }
        v
    };
    assert_eq!(outcomes[0], ("credited".into(), None, Some(1)));
    assert_eq!(outcomes[2], ("skipped".into(), Some(keccak256([0xde, 0xad])), Some(2)));
    assert_eq!(outcomes[3].0, "credited");
    let skipped = store.queue_entry(2).await.expect("db").expect("entry").consumed.expect("consumed");
    assert!(skipped.reason.is_some_and(|r| !r.is_empty()));
    // A deposit's logs are kept (its Transfer and DepositCredited at least).
    let credited = store.queue_entry(3).await.expect("db").expect("entry").consumed.expect("consumed");
    assert!(credited.logs.len() >= 2, "{credited:?}");
    let root = head.header.state_root;
    drop(node);

    // A restart from genesis (no snapshot) replays the entries of every block.
    let node = Node::open(config, StatusSources::default()).await.expect("reopens");
    assert_eq!(node.startup().replayed_blocks, 2);
    assert_eq!(node.head().header.state_root, root);
    assert_eq!(node.head().header.queue_end, 4);
    node.store().close().await;
}

#[tokio::test]
async fn queue_entries_are_consumed_and_replayed_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    queue_entries_are_consumed_and_replayed(format!("sqlite://{}", dir.path().join("chain.sqlite").display())).await;
}

#[tokio::test]
async fn queue_entries_are_consumed_and_replayed_on_postgres() {
    let Some(db) = PostgresTestDb::create("queue").await else { return };
    queue_entries_are_consumed_and_replayed(db.url().to_owned()).await;
    db.drop_database().await.expect("dropped");
}

/// The bridge's REST endpoints: a deposit queued then credited, a withdrawal written in a
/// block no batch holds yet (its proof is `409 not_posted`), and clear errors for the rest.
#[tokio::test]
async fn the_bridge_endpoints_follow_deposits_and_withdrawals() {
    let seq = super::Seq::start(SequencerConfig::test()).await;
    let node = seq.handle.node.clone();
    let signer = alice();
    let (status, body) = seq.get("/v1/deposits/0").await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    let (status, body) = seq.get("/v1/deposits/x").await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("invalid_index")), "{body}");

    let entries = queued(B256::ZERO, vec![deposit(0, signer.address(), 1_000)]);
    node.store()
        .append_queue(&entries, QueueReaderPosition { l1_block: 40, l1_hash: B256::repeat_byte(1) })
        .await
        .expect("stored");
    // Queued until the producer's next block takes it (which may already have happened).
    let (_, body) = seq.get("/v1/deposits/0").await;
    assert!(body["status"] == "queued" || body["status"] == "included", "{body}");
    let credited = super::eventually_json(&seq, "/v1/deposits/0", |b| b["status"] == "included").await;
    assert_eq!((credited["kind"].as_str(), credited["outcome"].as_str()), (Some("deposit"), Some("credited")));
    assert_eq!(credited["amount"], "1000");

    let weth_l2 = keys::bridged_token(&Address::ZERO);
    let call = rollup_types::bindings::L2System::withdrawCall {
        l2Token: weth_l2,
        l1Recipient: Address::repeat_byte(0x77),
        amount: U256::from(400u16),
    };
    use alloy_sol_types::SolCall;
    let raw = signer.eip1559(chain_id(), 0, call.abi_encode().into()).encoded();
    let (status, body) = seq.submit(&raw).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    seq.wait_included(&body["hash"]).await;
    let path = format!("/v1/withdrawals/{}/0", signer.address());
    let (_, w) = seq.get(&path).await;
    assert_eq!((w["status"].as_str(), w["amount"].as_str()), (Some("included"), Some("400")), "{w}");
    assert_eq!(w["l1Token"], Address::ZERO.to_string(), "{w}");
    let (status, body) = seq.get(&format!("{path}/proof")).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (409, Some("not_posted")), "{body}");
    let (status, _) = seq.get(&format!("/v1/withdrawals/{}/1/proof", signer.address())).await;
    assert_eq!(status.as_u16(), 404);
    let (status, body) = seq.get("/v1/withdrawals/0x12/0").await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("invalid_address")), "{body}");
    seq.stop().await;
}
