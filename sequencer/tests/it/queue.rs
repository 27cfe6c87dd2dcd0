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
    store.append_queue(&first, &[], position(40)).await.expect("stored");
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
    store.append_queue(&second, &[], position(42)).await.expect("stored");
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
    credits_are_transactions(&store, &first, &second, hash, fee).await;

    // A forced transaction that runs is a transaction of its block, as signed, paying no fee
    // (its sender paid on L1), and no batch carries it.
    let forced_raw = signer.eip1559(chain_id(), 1, transfer(Address::repeat_byte(0x52), 1)).encoded();
    let forced = QueueEntry {
        index: 4,
        from: signer.address(),
        l1_block: 43,
        item: QueueItem::Forced { raw: Bytes::from(forced_raw.clone()) },
    };
    let third = queued(second[1].accumulator, vec![forced]);
    store.append_queue(&third, &[], position(44)).await.expect("stored");
    let head = node.produce_block().await.expect("sealed").expect("a block for the forced transaction");
    let forced_hash = keccak256(&forced_raw);
    assert_eq!(store.block_tx_hashes(head.header.number).await.expect("db"), vec![forced_hash], "no fee, no credit");
    assert!(store.block_bodies(head.header.number, head.header.number).await.expect("db")[0].1.is_empty());
    let record = store.transaction(forced_hash).await.expect("db").expect("a row");
    assert_eq!((record.sender, record.nonce), (signer.address(), 1));
    let receipt = record.receipt.expect("included");
    assert_eq!((receipt.block_number, receipt.index, receipt.fee_exempt), (head.header.number, 0, true));
    assert_eq!(receipt.outcome, rollup_types::TxStatus::Success);
    let root = head.header.state_root;
    drop(node);

    // A restart from genesis (no snapshot) replays the entries of every block.
    let node = Node::open(config, StatusSources::default()).await.expect("reopens");
    assert_eq!(node.startup().replayed_blocks, 3);
    assert_eq!(node.head().header.state_root, root);
    assert_eq!(node.head().header.queue_end, 5);
    node.store().close().await;
}

/// Every credit is a transaction of its block (docs/fees.md §8): the deposits that open
/// blocks 1 and 2 as type-0x7e transactions with their logs, the pool transaction after them,
/// and the fee vault's credit closing block 2; the batch carries the pool transaction alone.
async fn credits_are_transactions(
    store: &rollup_chain_store::Store,
    first: &[QueuedEntry],
    second: &[QueuedEntry],
    pool_tx: B256,
    fee: U256,
) {
    use alloy_sol_types::SolEvent;
    use rollup_types::{bindings::L2Token, deposit::DepositTx, fees::FEE_VAULT};
    let deposit_hash = |q: &QueuedEntry| DepositTx::for_deposit(&q.entry, q.accumulator).expect("a deposit").hash();
    let block1 = store.block(1).await.expect("db").expect("block 1");
    assert_eq!((block1.tx_count, block1.queue_txs, block1.closing_txs), (2, 2, 0), "no fee, no credit of the vault");
    assert_eq!(store.block_tx_hashes(1).await.expect("db"), first.iter().map(deposit_hash).collect::<Vec<_>>());
    assert!(store.block_bodies(1, 1).await.expect("db")[0].1.is_empty(), "a batch carries no credit");

    let block2 = store.block(2).await.expect("db").expect("block 2");
    assert_eq!((block2.tx_count, block2.queue_txs, block2.closing_txs), (3, 1, 1));
    let vault = DepositTx::fee_credit(2).hash();
    // The skipped forced transaction is no transaction of the block.
    assert_eq!(store.block_tx_hashes(2).await.expect("db"), vec![deposit_hash(&second[1]), pool_tx, vault]);
    let body = store.block_bodies(2, 2).await.expect("db");
    assert_eq!(body[0].1.iter().map(|(h, _)| *h).collect::<Vec<_>>(), vec![pool_tx]);
    let records = store.block_transaction_records(2).await.expect("db");
    assert_eq!(records.len(), 3);
    let receipts: Vec<_> = records.iter().map(|r| r.receipt.clone().expect("included")).collect();
    assert_eq!(
        receipts.iter().map(|r| (r.index, r.fee_exempt)).collect::<Vec<_>>(),
        [(0, true), (1, false), (2, true)]
    );
    assert_eq!(records[0].sender, second[1].entry.from, "a deposit is sent by its L1 depositor");
    assert_eq!(DepositTx::decode(&records[0].raw).expect("a deposit").mint, U256::from(5u8));
    assert_eq!(records[2].sender, FEE_VAULT);
    // The vault's credit logs the block's fees as minted to the vault, at the ether token too.
    let minted: Vec<_> = receipts[2]
        .logs
        .iter()
        .filter(|l| l.address == rollup_types::keys::ETHER)
        .map(|l| L2Token::Transfer::decode_raw_log(l.topics.iter().copied(), &l.data).expect("a Transfer"))
        .map(|t| (t.from, t.to, t.value))
        .collect();
    assert_eq!(minted, vec![(Address::ZERO, FEE_VAULT, fee)]);
    // By hash, and by eth_getLogs' query: the deposit's mint at position 0 of its block.
    let by_hash = store.transaction(deposit_hash(&second[1])).await.expect("db").expect("a row");
    assert_eq!(by_hash.receipt.map(|r| (r.block_number, r.index)), Some((2, 0)));
    let query = rollup_chain_store::LogQuery {
        from_block: 1,
        to_block: 2,
        addresses: vec![rollup_types::keys::ETHER],
        topics: [vec![L2Token::Transfer::SIGNATURE_HASH], vec![B256::ZERO], vec![], vec![]],
    };
    let mints = store.logs(&query, 10).await.expect("logs");
    assert_eq!(
        mints.iter().map(|l| (l.block_number, l.tx_index, l.tx_hash)).collect::<Vec<_>>(),
        vec![
            (1, 0, deposit_hash(&first[0])),
            (1, 1, deposit_hash(&first[1])),
            (2, 0, deposit_hash(&second[1])),
            (2, 2, vault)
        ],
    );
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
        .append_queue(&entries, &[], QueueReaderPosition { l1_block: 40, l1_hash: B256::repeat_byte(1) })
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
    assert!(w["payout"].is_null(), "{w}");
    // Paid in L1 block 45 as the queue reader reads it; an L1 reorg that takes the reader back
    // to block 44 forgets the payout (it is read again from the new blocks).
    let payout = rollup_chain_store::WithdrawalPayout {
        l2_sender: signer.address(),
        index: 0,
        l1_block: 45,
        l1_tx_hash: B256::repeat_byte(0x45),
        batch_index: 3,
    };
    node.store()
        .append_queue(&[], &[payout], QueueReaderPosition { l1_block: 46, l1_hash: B256::repeat_byte(2) })
        .await
        .expect("stored");
    let (_, w) = seq.get(&path).await;
    assert_eq!(w["payout"]["l1TxHash"], B256::repeat_byte(0x45).to_string(), "{w}");
    assert_eq!((w["payout"]["l1Block"].as_u64(), w["payout"]["batchIndex"].as_u64()), (Some(45), Some(3)), "{w}");
    let dropped = node
        .store()
        .drop_queue_from(1, QueueReaderPosition { l1_block: 44, l1_hash: B256::repeat_byte(3) })
        .await
        .expect("rewound");
    assert_eq!(dropped, 0, "the deposit stays: it was consumed and the L1 still holds it");
    let (_, w) = seq.get(&path).await;
    assert!(w["payout"].is_null(), "a payout of a block the L1 no longer holds: {w}");
    let (status, _) = seq.get(&format!("/v1/withdrawals/{}/1/proof", signer.address())).await;
    assert_eq!(status.as_u16(), 404);
    let (status, body) = seq.get("/v1/withdrawals/0x12/0").await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("invalid_address")), "{body}");
    seq.stop().await;
}
