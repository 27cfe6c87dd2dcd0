//! Durable, batched ingest: per-item results, replacement, snapshots and restarts, and the
//! same chain on PostgreSQL.

use super::{Seq, alice, chain_id, custom_tx, transfer};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, hex};
use reqwest::StatusCode;
use rollup_chain_store::BlockWrite;
use rollup_db::testing::PostgresTestDb;
use rollup_sequencer::{Node, SequencerConfig, StatusSources};
use rollup_types::{SYSTEM_CONTRACT, genesis::DEV_ACCOUNTS, signer::Signer};
use serde_json::{Value, json};

fn raw_hex(raw: &[u8]) -> Value {
    json!(hex::encode_prefixed(raw))
}

async fn submit_batch(seq: &Seq, raws: &[Value]) -> (StatusCode, Value) {
    seq.post_raw_body("/v1/transactions/batch", json!({ "transactions": raws }).to_string()).await
}

#[tokio::test]
async fn a_batch_gets_one_result_per_item_in_order() {
    let seq = Seq::start(SequencerConfig::test()).await;
    let a = alice();
    let to = Address::repeat_byte(0x21);
    let tx0 = a.eip1559(chain_id(), 0, transfer(to, 1)).encoded();
    let tx1 = a.eip1559(chain_id(), 1, transfer(to, 2)).encoded();
    let wrong_chain = a.eip1559(chain_id() + 1, 2, transfer(to, 3)).encoded();
    let items = [raw_hex(&tx0), json!("0xzz"), raw_hex(&wrong_chain), raw_hex(&tx1), raw_hex(&tx0)];
    let (status, body) = submit_batch(&seq, &items).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let results = body["results"].as_array().expect("results");
    assert_eq!(results.len(), 5);
    assert!(results[0]["hash"].is_string());
    assert_eq!(results[1]["error"]["code"], "invalid_hex");
    assert_eq!(results[2]["error"]["code"], "wrong_chain_id", "{}", results[2]);
    assert!(results[3]["hash"].is_string());
    assert_eq!(results[4]["hash"], results[0]["hash"], "a duplicate is acknowledged once");
    seq.wait_included(&results[3]["hash"]).await;
    seq.wait_included(&results[0]["hash"]).await;

    // Too many items, or too many bytes: 413 with a code.
    let many: Vec<Value> = (0..10_001).map(|_| json!("0x00")).collect();
    let (status, body) = submit_batch(&seq, &many).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "too_many_transactions");
    let huge = format!("{{\"transactions\": [\"0x{}\"]}}", "00".repeat(12 * 1024 * 1024));
    let (status, body) = seq.post_raw_body("/v1/transactions/batch", huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "body_too_large");
    let (status, body) = seq.post_raw_body("/v1/transactions/batch", "[1, 2]").await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_json")));

    // The route is in the generated OpenAPI document; metrics and readiness answer.
    let (status, doc) = seq.get("/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["paths"]["/v1/transactions/batch"]["post"]["requestBody"].is_object(), "{doc}");
    assert_eq!(seq.get("/readyz").await.1["status"], "ready");
    let metrics = seq.http.get(seq.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("rollup_ingest_rejected_total{reason=\"wrong_chain_id\"} 1"), "{metrics}");
    assert!(metrics.contains("rollup_ingest_accepted_total 3"), "{metrics}");

    // A browser dapp's preflight is answered (CORS).
    let preflight = seq
        .http
        .request(reqwest::Method::OPTIONS, seq.url("/v1/transactions/batch"))
        .header("origin", "https://dapp.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("preflight");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert!(preflight.headers().contains_key("access-control-allow-origin"), "{:?}", preflight.headers());
    seq.stop().await;
}

#[tokio::test]
async fn a_replacement_raises_the_fees_and_the_loser_says_so() {
    let mut config = SequencerConfig::test();
    // No block until the test seals one itself.
    config.block_time = std::time::Duration::from_secs(3_600);
    let seq = Seq::start(config).await;
    let signer = Signer::new(&DEV_ACCOUNTS[3].private_key).expect("key");
    let call = TxKind::Call(SYSTEM_CONTRACT);
    // custom_tx pays a max fee of 1 gwei and a tip of 1 wei.
    let first = custom_tx(&signer, chain_id(), 0, call, U256::ZERO, transfer(Address::repeat_byte(0x31), 1));
    let (_, body) = seq.submit(&first).await;
    let first_hash = body["hash"].clone();
    assert!(first_hash.is_string(), "{body}");
    // Same fees: refused with the minimum a replacement needs.
    let same = custom_tx(&signer, chain_id(), 0, call, U256::ZERO, transfer(Address::repeat_byte(0x32), 1));
    let (status, body) = seq.submit(&same).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "replacement_underpriced");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("at least 1100000000")), "{body}");
    // Raised fees: replaces.
    let tx = alloy_consensus::TxEip1559 {
        chain_id: chain_id(),
        nonce: 0,
        gas_limit: 200_000,
        max_fee_per_gas: 1_100_000_000,
        max_priority_fee_per_gas: 2,
        to: call,
        value: U256::ZERO,
        access_list: Default::default(),
        input: transfer(Address::repeat_byte(0x33), 1),
    };
    let raw = {
        use alloy_consensus::SignableTransaction;
        use alloy_eips::eip2718::Encodable2718;
        let sig = signer.sign_hash(tx.signature_hash());
        tx.into_signed(sig).encoded_2718()
    };
    let (status, body) = seq.submit(&raw).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    seq.handle.node.produce_block().await.expect("sealed").expect("a block");
    let included = seq.wait_included(&body["hash"]).await;
    assert_eq!(included["nonce"], 0);
    let (_, loser) = seq.get(&format!("/v1/transactions/{}", first_hash.as_str().expect("hash"))).await;
    assert_eq!(loser["status"], "replaced", "{loser}");
    assert!(loser["reason"].as_str().is_some_and(|r| r.contains("replaced by")), "{loser}");
    seq.stop().await;
}

/// Seals `n` blocks of one transfer each through the node's own producer.
async fn seal_blocks(node: &std::sync::Arc<Node>, signer: &Signer, n: u64) {
    for _ in 0..n {
        let nonce = node.pending_nonce(&signer.address());
        let raw = signer.eip1559(chain_id(), nonce, transfer(Address::repeat_byte(0x41), 1)).encoded();
        node.submit_raw(Bytes::from(raw)).await.expect("acknowledged");
        node.produce_block().await.expect("sealed").expect("a block");
    }
}

/// A node that dies without a clean stop restarts from its newest snapshot and re-executes
/// only the blocks after it; a clean stop leaves a snapshot at the head.
async fn restarts_from_snapshots(db_url: String) {
    let mut config = SequencerConfig::test();
    config.db_url = db_url;
    config.snapshot_interval = 3;
    let signer = alice();
    let node = Node::open(config.clone(), StatusSources::default()).await.expect("opens");
    assert_eq!(node.startup().snapshot_block, None);
    seal_blocks(&node, &signer, 5).await;
    let head = node.head();
    assert_eq!(head.header.number, 5);
    // Acknowledged but never sealed, then the "process" dies.
    let nonce = node.pending_nonce(&signer.address());
    let raw = signer.eip1559(chain_id(), nonce, transfer(Address::repeat_byte(0x42), 7)).encoded();
    let pending = node.submit_raw(Bytes::from(raw)).await.expect("acknowledged");
    drop(node);

    let node = Node::open(config.clone(), StatusSources::default()).await.expect("reopens");
    let startup = node.startup().clone();
    assert_eq!(startup.snapshot_block, Some(3), "{startup:?}");
    assert_eq!((startup.replayed_blocks, startup.replayed_txs, startup.reloaded_pending), (2, 2, 1));
    assert_eq!(node.head(), head);
    assert!(node.is_pending(&pending));
    let sealed = node.produce_block().await.expect("sealed").expect("a block");
    assert_eq!(
        node.store().transaction(pending).await.expect("db").expect("row").receipt.map(|r| r.block_number),
        Some(sealed.header.number)
    );

    // A clean stop writes a snapshot at the head: nothing is replayed next time.
    let cancel = tokio_util::sync::CancellationToken::new();
    cancel.cancel();
    node.clone().run_producer(cancel).await.expect("stops");
    drop(node);
    let node = Node::open(config, StatusSources::default()).await.expect("reopens");
    assert_eq!(node.startup().snapshot_block, Some(6));
    assert_eq!(node.startup().replayed_blocks, 0);
    assert_eq!(node.head(), sealed);
    node.store().close().await;
}

#[tokio::test]
async fn restarts_resume_from_the_newest_snapshot_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    restarts_from_snapshots(format!("sqlite://{}", dir.path().join("chain.sqlite").display())).await;
}

#[tokio::test]
async fn restarts_resume_from_the_newest_snapshot_on_postgres() {
    let Some(db) = PostgresTestDb::create("snapshots").await else { return };
    restarts_from_snapshots(db.url().to_owned()).await;
    db.drop_database().await.expect("dropped");
}

#[tokio::test]
async fn postgres_serves_the_same_chain_as_sqlite() {
    let Some(db) = PostgresTestDb::create("same_chain").await else { return };
    // (timestamp, state root, the transactions' hashes and receipts) of each run's block.
    let mut heads = Vec::new();
    let dir = tempfile::tempdir().expect("tempdir");
    for url in [db.url().to_owned(), format!("sqlite://{}", dir.path().join("chain.sqlite").display())] {
        let mut config = SequencerConfig::test();
        config.db_url = url;
        let node = Node::open(config, StatusSources::default()).await.expect("opens");
        let signer = alice();
        let raws: Vec<Bytes> = (0..50)
            .map(|n| Bytes::from(signer.eip1559(chain_id(), n, transfer(Address::repeat_byte(0x51), n + 1)).encoded()))
            .collect();
        let results = node.submit_many(raws).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        let head = node.produce_block().await.expect("sealed").expect("a block");
        let records = node.store().block_transaction_records(head.header.number).await.expect("db");
        // The 50 transfers, then the fee vault's credit (docs/fees.md §8).
        assert_eq!(records.len(), 51);
        assert_eq!(records[50].sender, rollup_types::fees::FEE_VAULT);
        assert!(records.iter().enumerate().all(|(i, r)| r.receipt.as_ref().is_some_and(|x| x.index == i as u64)));
        let receipts: Vec<_> = records.iter().map(|r| (r.hash, r.receipt.clone())).collect();
        heads.push((head.header.timestamp, head.header.state_root, receipts));
        node.store().close().await;
    }
    assert_eq!(heads[0].2, heads[1].2, "the same transactions and receipts");
    // A block's timestamp is the wall clock's second, and the chain's clock is state
    // (docs/lending.md §3): two blocks of the same second have the same root.
    if heads[0].0 == heads[1].0 {
        assert_eq!(heads[0].1, heads[1].1);
    }
    db.drop_database().await.expect("dropped");
}

/// A block commit updates the pending rows in place, and refuses (writing nothing) a block
/// that includes a transaction never stored as pending.
async fn block_commit_updates_rows_in_place(url: &str) {
    use rollup_executor::TxStatus;
    use rollup_sequencer::store::{IncludedTx, PendingRow, StoredBlock, StoredStatus};
    use rollup_types::BlockHeader;
    let store = rollup_sequencer::Store::open(url).await.expect("opens");
    let pending = |i: u8| PendingRow {
        hash: B256::repeat_byte(i),
        raw: Bytes::from(vec![i; 40]),
        sender: Address::repeat_byte(i),
        nonce: u64::from(i),
        seq: u64::from(i),
        received_at: 5,
    };
    let included = |i: u8| IncludedTx {
        origin: rollup_sequencer::store::TxOrigin::Pool,
        hash: B256::repeat_byte(i),
        raw: pending(i).raw,
        outcome: TxStatus::Success,
        gas_used: 21_000 + u64::from(i),
        output: Bytes::new(),
        logs: Vec::new(),
    };
    store
        .insert_pending(&[pending(1), pending(2), pending(1)])
        .await
        .expect("a duplicate in one group is written once");
    let block = |number: u64| {
        let header = BlockHeader { number, timestamp: number, ..BlockHeader::default() };
        StoredBlock {
            hash: header.hash(),
            header,
            chunk_roots: vec![B256::ZERO],
            tx_count: 2,
            batch_bytes: 0,
            queue_txs: 0,
            closing_txs: 0,
        }
    };
    let err = store
        .commit_block(&BlockWrite::new(&block(1), &[included(1), included(3)], &[]))
        .await
        .expect_err("unknown transaction");
    assert!(err.to_string().contains("never stored as pending"), "{err}");
    assert!(store.block(1).await.expect("db").is_none(), "nothing of the refused block is written");
    store.commit_block(&BlockWrite::new(&block(1), &[included(2), included(1)], &[])).await.expect("committed");
    for (index, i) in [2u8, 1].into_iter().enumerate() {
        let record = store.transaction(B256::repeat_byte(i)).await.expect("db").expect("row");
        assert_eq!(record.status, StoredStatus::Included);
        assert_eq!(record.raw, pending(i).raw);
        let receipt = record.receipt.expect("receipt");
        assert_eq!((receipt.block_number, receipt.index, receipt.gas_used), (1, index as u64, 21_000 + u64::from(i)));
    }
    assert!(store.pending().await.expect("db").is_empty());
    // The block's body holds its transactions in order: what the batcher and the API read.
    assert_eq!(store.block_tx_hashes(1).await.expect("db"), vec![B256::repeat_byte(2), B256::repeat_byte(1)]);
    assert_eq!(store.block_transactions(1, 1).await.expect("db"), vec![(1, pending(2).raw), (1, pending(1).raw)]);
    assert!(store.block_transactions(2, 9).await.expect("db").is_empty());
    store.close().await;
}

#[tokio::test]
async fn block_commits_update_rows_in_place_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    block_commit_updates_rows_in_place(&format!("sqlite://{}", dir.path().join("c.sqlite").display())).await;
}

#[tokio::test]
async fn block_commits_update_rows_in_place_on_postgres() {
    let Some(db) = PostgresTestDb::create("block_commit").await else { return };
    block_commit_updates_rows_in_place(db.url()).await;
    db.drop_database().await.expect("dropped");
}

#[tokio::test]
async fn a_full_mempool_answers_429_with_retry_after() {
    let mut config = SequencerConfig::test();
    config.block_time = std::time::Duration::from_secs(3_600);
    config.mempool = rollup_sequencer::mempool::MempoolLimits { max_total: 2, ..Default::default() };
    let seq = Seq::start(config).await;
    let raw = |k: usize| {
        let signer = Signer::new(&DEV_ACCOUNTS[k].private_key).expect("key");
        signer.eip1559(chain_id(), 0, transfer(Address::repeat_byte(0x61), 1)).encoded()
    };
    for k in 4..6 {
        assert_eq!(seq.submit(&raw(k)).await.0, StatusCode::OK);
    }
    let response = seq
        .http
        .post(seq.url("/v1/transactions"))
        .header("content-type", "application/json")
        .body(json!({ "raw": hex::encode_prefixed(raw(6)) }).to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "mempool_full");
    // In a batch, the refusal is per item.
    let (status, body) = submit_batch(&seq, &[raw_hex(&raw(7))]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["results"][0]["error"]["code"], "mempool_full");
    // Once a block drains the mempool, the same transaction is taken.
    seq.handle.node.produce_block().await.expect("sealed").expect("a block");
    assert_eq!(seq.submit(&raw(6)).await.0, StatusCode::OK);
    seq.stop().await;
}

/// Under a backlog with two executor threads the producer leaves each block's state root to
/// be computed beside the next block's execution: the chain it writes is still every
/// acknowledged transaction exactly once, in linked blocks whose roots a sequential replay
/// reproduces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_pipelines_blocks_and_the_chain_replays_sequentially() {
    use rollup_executor::{BlockEnvInput, Executor};
    use rollup_types::RecoveredTx;

    let mut config = SequencerConfig::test();
    config.exec_threads = 2;
    config.max_block_txs = 7;
    config.block_time = std::time::Duration::from_millis(5);
    config.snapshot_interval = 0;
    let node = Node::open(config.clone(), StatusSources::default()).await.expect("opens");
    let signers: Vec<Signer> = DEV_ACCOUNTS[..4].iter().map(|a| Signer::new(&a.private_key).expect("key")).collect();
    let mut raws = Vec::new();
    for n in 0..20u64 {
        for (i, signer) in signers.iter().enumerate() {
            let to = Address::repeat_byte(0x60 + i as u8);
            raws.push(Bytes::from(signer.eip1559(chain_id(), n, transfer(to, n + 1)).encoded()));
        }
    }
    let acked: Vec<B256> = node.submit_many(raws).await.into_iter().map(|r| r.expect("acknowledged")).collect();

    let cancel = tokio_util::sync::CancellationToken::new();
    let producer = tokio::spawn(node.clone().run_producer(cancel.clone()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while acked.iter().any(|h| node.is_pending(h)) {
        assert!(std::time::Instant::now() < deadline, "the backlog was not drained");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    cancel.cancel();
    producer.await.expect("joined").expect("clean stop");
    let metrics = node.render_metrics();
    let pipelined: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("rollup_blocks_pipelined_total "))
        .and_then(|v| v.parse().ok())
        .expect("the counter is rendered");
    assert!(pipelined > 0, "a backlog of 80 transactions in blocks of 7 pipelines blocks");

    let head = node.head().header.number;
    let blocks = node.store().blocks_from(1, head).await.expect("db");
    assert_eq!(blocks.len() as u64, head);
    let raws = node.store().block_transactions(1, head).await.expect("db");
    let included: std::collections::HashSet<B256> =
        raws.iter().map(|(_, raw)| alloy_primitives::keccak256(raw)).collect();
    assert_eq!(raws.len(), acked.len(), "every transaction once");
    assert!(acked.iter().all(|h| included.contains(h)));

    let mut replay = Executor::genesis(config.chain, &config.genesis).expect("genesis");
    let mut parent = node.store().block(0).await.expect("db").expect("genesis").hash;
    for block in &blocks {
        assert_eq!(block.header.parent_hash, parent, "block {} links to its parent", block.header.number);
        assert!(block.pool_txs() as usize <= config.max_block_txs);
        let txs: Vec<RecoveredTx> = raws
            .iter()
            .filter(|(n, _)| *n == block.header.number)
            .map(|(_, raw)| RecoveredTx::from_raw(raw, &config.chain).expect("valid"))
            .collect();
        let env = BlockEnvInput {
            number: block.header.number,
            timestamp: block.header.timestamp,
            l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
        };
        let executed = replay.execute_block_sequential(env, &txs);
        assert_eq!(executed.state_root, block.header.state_root, "block {}", block.header.number);
        assert_eq!(executed.chunk_roots, block.chunk_roots, "block {}", block.header.number);
        parent = block.hash;
    }
    node.store().close().await;
}

/// Each block commits an L1 price of a byte that moves towards what the L1's base fee makes a
/// byte cost, an eighth a block at most (docs/fees.md §4); every transaction pays its bytes at
/// that price in gas units on top of its scheduled gas, and one whose gas limit does not cover
/// both is out of gas: included, its nonce used, its limit paid, its transfer not made.
#[tokio::test]
async fn blocks_price_l1_bytes_from_the_l1_base_fee_and_transactions_pay_for_them() {
    use rollup_types::fees::{self, FeeState};
    let node = Node::open(SequencerConfig::test(), StatusSources::default()).await.expect("opens");
    let signer = alice();
    let to = Address::repeat_byte(0x7a);
    // Without an L1 base fee the price stays at genesis.
    node.submit_many(vec![signer.eip1559(chain_id(), 0, transfer(to, 1)).encoded().into()]).await;
    let head = node.produce_block().await.expect("sealed").expect("a block");
    assert_eq!(head.header.l1_byte_price, fees::MIN_L1_BYTE_PRICE);
    // A 1 gwei L1: the target is 80 gwei a byte, an eighth a block from 8 wei.
    node.store().set_l1_byte_cost(7, fees::calldata_byte_cost(1_000_000_000)).await.expect("db");
    // The node reads it at most once a second.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_eq!(fees::l1_price_target(fees::calldata_byte_cost(1_000_000_000)), 80_000_000_000);
    let mut price = fees::MIN_L1_BYTE_PRICE;
    let mut paid_l1 = 0;
    for nonce in 1..=80u64 {
        let tx = signer.eip1559(chain_id(), nonce, transfer(to, 1));
        let results = node.submit_many(vec![tx.encoded().into()]).await;
        assert!(results[0].is_ok(), "{results:?}");
        let head = node.produce_block().await.expect("sealed").expect("a block");
        price += price / 8;
        assert_eq!(head.header.l1_byte_price, price, "block {}", head.header.number);
        let records = node.store().block_transaction_records(head.header.number).await.expect("db");
        let receipt = records[0].receipt.as_ref().expect("included");
        let billed = rollup_types::codec::billed_bytes(&tx);
        let l1 = fees::l1_gas(billed, price, head.header.base_fee);
        assert_eq!(receipt.gas_used, fees::schedule::TRANSFER + l1, "nonce {nonce}");
        assert_eq!(head.header.gas_used, fees::schedule::TRANSFER, "the block's gas is scheduled gas only");
        paid_l1 += usize::from(l1 > 0);
    }
    assert!(paid_l1 > 10, "only {paid_l1} transactions paid an L1 part");
    // The fee state commits the price.
    let fees_now: FeeState = node.latest_state().state.fee_state();
    assert_eq!(fees_now.l1_byte_price, price);
    // A gas limit that covers the transfer but not its bytes: out of gas, limit paid.
    let before = node.latest_state().state.ether_balance(&signer.address());
    let base_fee = node.head().header.next_base_fee();
    let next_price = price + price / 8;
    let sign = |gas_limit: u64| {
        signer.sign_eip1559(alloy_consensus::TxEip1559 {
            chain_id: chain_id(),
            nonce: 81,
            gas_limit,
            max_fee_per_gas: rollup_types::signer::DEFAULT_MAX_FEE,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(SYSTEM_CONTRACT),
            value: U256::ZERO,
            access_list: Default::default(),
            input: transfer(to, 1),
        })
    };
    // One gas unit short of its needs (which depend on the width of its own gas limit).
    let mut short = 300_000;
    for _ in 0..4 {
        let billed = rollup_types::codec::billed_bytes(&sign(short));
        short = fees::schedule::TRANSFER + fees::l1_gas(billed, next_price, base_fee) - 1;
    }
    let tx = sign(short);
    let billed = rollup_types::codec::billed_bytes(&tx);
    assert_eq!(fees::schedule::TRANSFER + fees::l1_gas(billed, next_price, base_fee), short + 1);
    let results = node.submit_many(vec![tx.encoded().into()]).await;
    assert!(results[0].is_ok(), "{results:?}");
    let head = node.produce_block().await.expect("sealed").expect("a block");
    let records = node.store().block_transaction_records(head.header.number).await.expect("db");
    let receipt = records[0].receipt.as_ref().expect("included");
    assert_eq!(receipt.outcome, rollup_executor::TxStatus::Halt, "out of gas");
    assert_eq!(receipt.gas_used, short, "its whole gas limit");
    let after = node.latest_state().state.ether_balance(&signer.address());
    assert_eq!(before - after, U256::from(short) * U256::from(head.header.base_fee));
    assert_eq!(node.latest_state().state.nonce(&signer.address()), 82, "its nonce is used");
    node.store().close().await;
}

/// What a sender's held transactions may take counts against its ether: a third transaction
/// that each alone could pay for is refused with geth's overdraft, in one submission or
/// another; a replacement counts in place of what it replaces (docs/fees.md §5).
#[tokio::test]
async fn held_transactions_may_not_overdraw_their_sender() {
    use rollup_types::signer::{DEFAULT_GAS_LIMIT, DEFAULT_MAX_FEE};
    let node = Node::open(SequencerConfig::test(), StatusSources::default()).await.expect("opens");
    let fresh = Signer::new(&B256::repeat_byte(0x0d)).expect("key");
    let most = U256::from(DEFAULT_GAS_LIMIT) * U256::from(DEFAULT_MAX_FEE);
    // Enough for two transactions at most, not three.
    let fund = alice().eip1559_ether(chain_id(), 0, fresh.address(), most * U256::from(2u8) + U256::from(1u8));
    assert!(node.submit_many(vec![fund.encoded().into()]).await[0].is_ok());
    node.produce_block().await.expect("sealed").expect("a block");
    let send = |nonce: u64| {
        Bytes::from(fresh.eip1559_ether(chain_id(), nonce, Address::repeat_byte(0x0e), U256::ZERO).encoded())
    };
    let results = node.submit_many(vec![send(0), send(1), send(2)]).await;
    assert!(results[0].is_ok() && results[1].is_ok(), "{results:?}");
    let refused = results[2].as_ref().expect_err("a third overdraws");
    assert_eq!(refused.code(), "overdraft", "{refused}");
    assert!(refused.to_string().starts_with("transaction would cause overdraft"), "{refused}");
    // In a later submission too.
    let again = node.submit_many(vec![send(2)]).await;
    assert_eq!(again[0].as_ref().expect_err("still overdraws").code(), "overdraft");
    // A replacement of a held one takes its place in the sum: at twice the fee cap it would
    // take 2 × most with the other one's most: refused; at +10 % and a lower gas limit, held.
    let replace = |gas_limit: u64, max_fee: u128| {
        let tx = fresh.sign_eip1559(alloy_consensus::TxEip1559 {
            chain_id: chain_id(),
            nonce: 1,
            gas_limit,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: max_fee,
            to: TxKind::Call(Address::repeat_byte(0x0e)),
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::new(),
        });
        Bytes::from(tx.encoded())
    };
    let dear = node.submit_many(vec![replace(DEFAULT_GAS_LIMIT, 2 * DEFAULT_MAX_FEE)]).await;
    assert_eq!(dear[0].as_ref().expect_err("overdraws").code(), "overdraft");
    let cheaper = node.submit_many(vec![replace(DEFAULT_GAS_LIMIT / 2, DEFAULT_MAX_FEE * 11 / 10)]).await;
    assert!(cheaper[0].is_ok(), "{cheaper:?}");
    node.store().close().await;
}
