//! End to end against a real anvil: the devnet in-process, a swap sent by the real `cast`
//! binary and by an alloy wallet provider with default settings, a transfer through REST;
//! then the batch on L1 and the challenger's verdict, with every state root compared.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use alloy_primitives::{Address, B256, U256, hex};
use alloy_sol_types::SolCall;
use rollup_devnet::{Devnet, DevnetConfig, anvil::tool};
use rollup_types::{
    SYSTEM_CONTRACT,
    bindings::{BatchInbox, L1Bridge, L2System, TestToken},
    genesis::{DAI, DEV_ACCOUNTS, USDC, WBTC, WETH},
    signer::Signer,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn get(url: &str) -> Value {
    reqwest::get(url).await.expect("GET").json().await.expect("JSON")
}

async fn l1_view<C: SolCall>(l1: &url::Url, inbox: Address, call: C) -> C::Return {
    let provider = ProviderBuilder::new().connect_http(l1.clone());
    let out =
        provider.call(TransactionRequest::default().with_to(inbox).with_input(call.abi_encode())).await.expect("call");
    C::abi_decode_returns(&out).expect("decode")
}

/// Waits until `f` returns `Some`, up to `limit`.
/// Waits (30 s at most each) until every transaction is out of the mempool, checks that each
/// succeeded, and returns the highest block holding one.
async fn all_succeed(url: &str, hashes: &[impl std::fmt::Display]) -> u64 {
    let mut last_block = 0;
    for hash in hashes {
        let tx = eventually(Duration::from_secs(30), "inclusion", || async {
            let tx = get(&format!("{url}/v1/transactions/{hash}")).await;
            (tx["status"] != "pending").then_some(tx)
        })
        .await;
        assert_eq!(tx["receipt"]["status"], "success", "{tx}");
        last_block = last_block.max(tx["blockNumber"].as_u64().expect("block"));
    }
    last_block
}

async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_swap_and_transfer_are_posted_verified_and_roots_agree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let devnet = Devnet::start(DevnetConfig::test(dir.path().to_path_buf()).expect("config")).await.expect("devnet");
    let url = devnet.url();
    let started = Instant::now();

    // 1. A swap with the real cast binary and its default settings.
    let cast = std::process::Command::new(tool("cast"))
        .args(["send", "--rpc-url", &url, "--private-key", &DEV_ACCOUNTS[2].private_key.to_string()])
        .arg(SYSTEM_CONTRACT.to_string())
        .arg("swap(address,address,uint256,uint256)")
        .args([WETH.to_string(), USDC.to_string(), "1000000000000000000".into(), "1".into()])
        .args(["--json"])
        .output()
        .expect("cast runs (make tools installs it)");
    assert!(cast.status.success(), "cast send failed: {}", String::from_utf8_lossy(&cast.stderr));
    let receipt: Value = serde_json::from_slice(&cast.stdout).expect("cast prints the receipt as JSON");
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let cast_hash = receipt["transactionHash"].as_str().expect("hash").to_owned();

    // 2. A swap through an alloy wallet provider with default fillers (nonce, gas, fees, chain id).
    let wallet = EthereumWallet::from(PrivateKeySigner::from_bytes(&DEV_ACCOUNTS[3].private_key).expect("key"));
    let provider = ProviderBuilder::new().wallet(wallet).connect_http(url.parse().expect("url"));
    let swap = L2System::swapCall {
        tokenIn: WBTC,
        tokenOut: WETH,
        amountIn: U256::from(10_000_000u64),
        minAmountOut: U256::from(1),
    };
    let alloy_receipt = provider
        .send_transaction(TransactionRequest::default().with_to(SYSTEM_CONTRACT).with_input(swap.abi_encode()))
        .await
        .expect("sent")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(alloy_receipt.status());

    // 3. A transfer through REST.
    let signer = Signer::new(&DEV_ACCOUNTS[4].private_key).expect("key");
    let transfer = L2System::transferCall { token: DAI, to: Address::repeat_byte(0xd0), amount: U256::from(77u64) };
    let raw = signer.eip1559(devnet.deployment.l2_chain_id, 0, transfer.abi_encode().into()).encoded();
    let response = reqwest::Client::new()
        .post(format!("{url}/v1/transactions"))
        .json(&json!({ "raw": hex::encode_prefixed(raw) }))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200);
    let rest_hash = response.json::<Value>().await.expect("json")["hash"].as_str().expect("hash").to_owned();

    // Each is in an L2 block, its batch is on anvil, and the challenger verified it: all
    // within 30 seconds.
    let hashes = [cast_hash, alloy_receipt.transaction_hash.to_string(), rest_hash];
    let last_block = all_succeed(&url, &hashes).await;
    let mut challenger = devnet.challenger.clone();
    let verified = eventually(Duration::from_secs(30), "the challenger's verdict", || {
        let status = challenger.borrow_and_update().clone();
        async move { status.last_verified_l2_block.filter(|b| *b >= last_block).map(|_| status) }
    })
    .await;
    assert!(verified.mismatches.is_empty(), "{:?}", verified.mismatches);
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    // The batcher records a post once it sees it mined, which may be a moment after the
    // challenger read it from L1.
    for hash in &hashes {
        eventually(Duration::from_secs(10), "posted status", || async {
            let tx = get(&format!("{url}/v1/transactions/{hash}")).await;
            (tx["status"] == "posted" || tx["status"] == "finalized").then_some(())
        })
        .await;
    }

    // The state roots on L1, in the sequencer and in the challenger are equal.
    let inbox = devnet.deployment.batch_inbox;
    let status = get(&format!("{url}/v1/status")).await;
    let last_batch = &status["l1"]["lastBatch"];
    let batch_index = last_batch["index"].as_u64().expect("index");
    let l1_root =
        l1_view(&devnet.l1_rpc, inbox, BatchInbox::getBatchCall { index: U256::from(batch_index) }).await.stateRoot;
    let seq_block = get(&format!("{url}/v1/blocks/{}", last_batch["lastBlock"])).await;
    let seq_root: B256 = seq_block["stateRoot"].as_str().expect("root").parse().expect("b256");
    assert_eq!(verified.last_verified_batch, Some(batch_index));
    assert_eq!(l1_root, seq_root);
    assert_eq!(verified.last_verified_state_root, Some(seq_root));
    assert_eq!(status["challenger"]["lastVerifiedStateRoot"], json!(seq_root));

    // The devnet deployed the bridge and attached it to the inbox, and a test token beside it.
    let d = &devnet.deployment;
    assert_eq!(l1_view(&devnet.l1_rpc, inbox, BatchInbox::bridgeCall {}).await, d.bridge);
    assert_eq!(l1_view(&devnet.l1_rpc, d.bridge, L1Bridge::inboxCall {}).await, inbox);
    let window = l1_view(&devnet.l1_rpc, d.bridge, L1Bridge::inclusionWindowCall {}).await;
    assert_eq!(window, U256::from(d.inclusion_window));
    assert_eq!(l1_view(&devnet.l1_rpc, inbox, BatchInbox::lastQueueEndCall {}).await, 0);
    let token = d.test_token.expect("the devnet deploys a test token");
    assert_eq!(l1_view(&devnet.l1_rpc, token, TestToken::symbolCall {}).await, "TST");

    // With a two-second window, the batches become final.
    eventually(Duration::from_secs(30), "finality", || async {
        let tx = get(&format!("{url}/v1/transactions/{}", hashes[0])).await;
        (tx["status"] == "finalized").then_some(())
    })
    .await;

    // Stopping and starting again over the same data directory resumes the chain.
    let head = status["head"].clone();
    devnet.stop().await.expect("clean stop");
    let devnet = Devnet::start(DevnetConfig::test(dir.path().to_path_buf()).expect("config")).await.expect("restarts");
    let resumed = get(&format!("{}/v1/status", devnet.url())).await;
    assert!(resumed["head"]["number"].as_u64() >= head["number"].as_u64());
    // The block that was the head has the same state root (the chain may have sealed blocks
    // since: an L1 fee reading a post queued while the batches became final, say).
    let number = head["number"].as_u64().expect("a head number");
    let block = get(&format!("{}/v1/blocks/{number}", devnet.url())).await;
    assert_eq!(block["stateRoot"], head["stateRoot"]);
    devnet.stop().await.expect("clean stop");
}

/// The batcher splits batches at its size limit, and after a crash between sending a post
/// and recording it, recovers the post from L1 instead of posting it twice. The challenger,
/// reading L1 only, verifies every batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batcher_splits_batches_and_recovers_a_post_it_did_not_record() {
    use rollup_batcher::{Batcher, BatcherConfig, InboxParams, TxManagerConfig};
    use rollup_sequencer::{SequencerConfig, StatusSources};

    let dir = tempfile::tempdir().expect("tempdir");
    let anvil = batcher::automining_anvil().await;
    let l1: url::Url = anvil.url().parse().expect("url");
    let db_path = dir.path().join("chain.sqlite");
    let mut config = SequencerConfig::test();
    config.db_url = format!("sqlite://{}", db_path.display());
    config.block_time = Duration::from_millis(50);
    let chain = config.chain;
    let cancel = tokio_util::sync::CancellationToken::new();
    let sequencer = rollup_sequencer::start(config, StatusSources::default(), cancel.clone()).await.expect("sequencer");

    let genesis_root = sequencer.node.head().header.state_root;
    let batcher_key = DEV_ACCOUNTS[1].private_key;
    let params = InboxParams {
        batcher: DEV_ACCOUNTS[1].address,
        challenge_window: 3_600,
        stake: U256::from(1_000u64),
        genesis_state_root: genesis_root,
        genesis_ether: rollup_types::genesis::GenesisSpec::devnet().genesis_ether(),
        chunk_size: chain.chunk_size,
        l2_chain_id: chain.chain_id,
        inclusion_window: rollup_l1::DEFAULT_INCLUSION_WINDOW,
        freeze_delay: rollup_l1::DEFAULT_FREEZE_DELAY,
    };
    let deployment = rollup_devnet::deploy(&l1, &DEV_ACCOUNTS[0].private_key, &params).await.expect("deployed");

    // Three blocks of four transfers each.
    let mut nonces = [0u64; 4];
    for _block in 0..3 {
        let mut hashes = Vec::new();
        for (i, nonce) in nonces.iter_mut().enumerate() {
            let signer = Signer::new(&DEV_ACCOUNTS[4 + i].private_key).expect("key");
            let call = L2System::transferCall { token: USDC, to: Address::repeat_byte(0xee), amount: U256::from(1u64) };
            let raw = signer.eip1559(chain.chain_id, *nonce, call.abi_encode().into()).encoded();
            *nonce += 1;
            hashes.push(sequencer.node.submit_raw(raw.into()).await.expect("accepted"));
        }
        for hash in hashes {
            eventually(Duration::from_secs(10), "inclusion", || async {
                let record = sequencer.node.store().transaction(hash).await.expect("db")?;
                record.receipt.map(|_| ())
            })
            .await;
        }
    }
    let head = sequencer.node.head().header.number;
    assert!(head >= 3, "at least three blocks");

    // A limit that one block fits (about 330 bytes: four transfers) and two do not: each
    // batch holds one block.
    let batcher_config = BatcherConfig {
        l1_rpc: l1.clone(),
        inbox: deployment.batch_inbox,
        key: batcher_key,
        chain,
        interval: Duration::from_millis(10),
        max_blocks: 100,
        max_bytes: 400,
        // One post at a time: the test follows the batches one by one.
        txmgr: TxManagerConfig { max_in_flight: 1, ..TxManagerConfig::default() },
        da: rollup_batcher::DaMode::Calldata,
        blob_cores: f64::INFINITY,
        blobs_per_post: rollup_batcher::limits::MAX_BLOBS_PER_TX,
        blobs_per_block: rollup_batcher::limits::DEFAULT_BLOBS_PER_BLOCK,
        fault: None,
        queue: rollup_batcher::QueueReaderConfig::default(),
    };
    let store = sequencer.node.store().clone();
    let batcher = Batcher::new(batcher_config.clone(), store.clone()).await.expect("batcher");
    // anvil mines each post at once, but on a loaded machine its receipt can come a round
    // later: the batcher then reports the post in flight and settles it on the next step.
    // A round may settle one post and send the next, so it reports the newest batch mined:
    // read the batches from the store.
    eventually(Duration::from_secs(10), "the first batch", || async { batcher.step().await.expect("posts") }).await;
    // Blocks hold one to four transfers, as the submissions fell into them: the first batch
    // starts at block 1, stays within the limit, and leaves later blocks to other batches.
    let first = store.batch(0).await.expect("db").expect("batch 0 recorded");
    assert_eq!(first.first_block, 1);
    assert!(first.data_len <= 400, "{} bytes", first.data_len);
    assert!(first.last_block < head, "batches are split by the byte limit");

    // Crash between sending and recording: the records are lost, the posts are on L1.
    let on_l1 = l1_view(&l1, deployment.batch_inbox, BatchInbox::batchCountCall {}).await.to::<u64>();
    let mut posted = Vec::new();
    for index in 0..on_l1 {
        // A post sent in the last round may not have had its receipt read yet.
        if let Some(batch) = store.batch(index).await.expect("db") {
            posted.push(batch);
        }
    }
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db_path.display())).await.expect("db");
    sqlx::query("DELETE FROM batches").execute(&pool).await.expect("delete");
    assert!(store.latest_batch().await.expect("db").is_none());

    let restarted = Batcher::new(batcher_config.clone(), store.clone()).await.expect("batcher");
    // Until every block is in a batch recorded as mined: a round that sent a post may end
    // before its receipt is in (anvil mines on its own schedule under load), and the next
    // round records it.
    eventually(Duration::from_secs(30), "every block posted", || async {
        restarted.step().await.expect("posts");
        store.latest_batch().await.expect("db").filter(|b| b.last_block == head).map(|_| ())
    })
    .await;
    // The posts on L1 were recovered, not posted again.
    for batch in &posted {
        let recovered = store.batch(batch.index).await.expect("db").expect("recovered from L1");
        assert_eq!(recovered.l1_tx_hash, batch.l1_tx_hash, "batch {}", batch.index);
        assert_eq!(recovered.state_root, batch.state_root, "batch {}", batch.index);
        assert_eq!((recovered.first_block, recovered.last_block), (batch.first_block, batch.last_block));
    }
    let count = l1_view(&l1, deployment.batch_inbox, BatchInbox::batchCountCall {}).await;
    let last = store.latest_batch().await.expect("db").expect("batches");
    assert_eq!(count, U256::from(last.index + 1), "every batch posted exactly once");
    assert_eq!(last.last_block, head);

    // The challenger, from L1 alone, verifies all of them.
    let root = sequencer.node.head().header.state_root;
    batcher::assert_challenger_verifies(&batcher_config, deployment.inbox_block, last.index, root).await;

    cancel.cancel();
    sequencer.task.await.expect("joined").expect("clean stop");
    anvil.stop().await.expect("anvil stops");
}

/// The versioned hash of batch `index`'s blob in its post `tx` (batch `i` of a post is in the
/// post's blob `i`); panics if the post does not post the batch in a blob.
fn blob_of(tx: &alloy::rpc::types::Transaction, index: u64) -> B256 {
    use rollup_l1::inbox::{PostCall, PostData};
    let post = tx.inner.inner();
    let call = PostCall::decode_batch(alloy::consensus::Transaction::input(post), index).expect("a post");
    let Some(PostCall { data: PostData::Blob { blob, .. }, .. }) = call else {
        panic!("batch {index} is not a blob batch of its post")
    };
    alloy::consensus::Transaction::blob_versioned_hashes(post).expect("a blob post")[blob]
}

/// The batches `tx` posts.
fn batches_in(tx: &alloy::rpc::types::Transaction) -> usize {
    let input = alloy::consensus::Transaction::input(tx.inner.inner());
    rollup_l1::inbox::PostCall::decode_all(input).expect("a post").len()
}

mod batcher;
mod beacon;
mod bridge;
mod fraud;
mod reorg;
mod settle;
