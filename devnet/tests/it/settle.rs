//! Settling what the sequencer accepts: whatever the L1's limits and the sequencer's settings,
//! every sealed block reaches L1 and is verified.

use super::{eventually, get};
use alloy::providers::{Provider, ProviderBuilder};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use rollup_devnet::{Devnet, DevnetConfig};
use rollup_types::{
    SignedTx,
    bindings::L2System,
    codec::{self, Batch, BatchBlock},
    genesis::{DEV_ACCOUNTS, USDC},
    signer::Signer,
};
use std::time::Duration;

/// A devnet whose L1 block gas limit falls far below what the sequencer's blocks would need
/// (it lets blocks of 10,000 transactions and seals one a second): the batcher reads the new
/// limit, the sequencer bounds its blocks by what one post then carries, and every block of a
/// burst of 3,000 transfers is posted and verified from L1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_small_l1_gas_limit_every_block_still_reaches_l1_and_is_verified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = DevnetConfig::test(dir.path().to_path_buf()).expect("config");
    config.max_block_txs = 10_000;
    config.block_time = Duration::from_millis(1_000);
    config.batch_interval = Duration::from_millis(200);
    let devnet = Devnet::start(config).await.expect("devnet");
    let url = devnet.url();
    let status = get(&format!("{url}/v1/status")).await;
    assert_eq!(status["blocks"]["maxTxs"], 10_000, "the devnet exposes its block settings: {status}");
    let roomy = status["blocks"]["maxBytes"].as_u64().expect("maxBytes");
    assert_eq!(roomy, 120_000, "on a 30M-gas L1 a post carries the 120,000-byte default");

    // The L1's gas limit drops to 1.5M: one post then carries about 24 kB.
    let l1 = ProviderBuilder::new().connect_http(devnet.l1_rpc.clone());
    let _: serde_json::Value =
        l1.raw_request("evm_setBlockGasLimit".into(), [U256::from(1_500_000u64)]).await.expect("gas limit");
    let _: serde_json::Value = l1.raw_request("evm_mine".into(), serde_json::json!([])).await.expect("mine");
    let bound = eventually(Duration::from_secs(20), "the sequencer to take the L1's bound", || async {
        let status = get(&format!("{url}/v1/status")).await;
        let limits = &status["batcher"]["limits"];
        let max = status["blocks"]["maxBytes"].as_u64()?;
        (limits["l1BlockGasLimit"] == 1_500_000 && Some(max) == limits["maxBlockBytes"].as_u64()).then_some(max)
    })
    .await;
    assert!(bound < 30_000 && bound > 15_000, "{bound}");

    // 3,000 transfers from the ten funded accounts, 60 per account at a time.
    let chain = devnet.deployment.l2_chain_id;
    let mut hashes = Vec::new();
    for wave in 0..5u64 {
        let mut raws: Vec<Bytes> = Vec::new();
        for (i, account) in DEV_ACCOUNTS.iter().enumerate() {
            let signer = Signer::new(&account.private_key).expect("key");
            for k in 0..60u64 {
                let to = Address::with_last_byte((i * 60 + k as usize % 200) as u8 | 1);
                let call = L2System::transferCall { token: USDC, to, amount: U256::from(1 + k) };
                raws.push(signer.eip1559(chain, wave * 60 + k, call.abi_encode().into()).encoded().into());
            }
        }
        let results = devnet.sequencer.node.submit_many(raws).await;
        hashes.extend(results.into_iter().map(|r| r.expect("accepted")));
        eventually(Duration::from_secs(30), "the wave's inclusion", || async {
            let last = *hashes.last().expect("hashes");
            devnet.sequencer.node.store().transaction(last).await.expect("db")?.receipt.map(|_| ())
        })
        .await;
    }
    let store = devnet.sequencer.node.store();
    let head = devnet.sequencer.node.head().header.number;

    // Every block fits one post, and the bound cut some of them.
    let chain_config = rollup_types::ChainConfig { chain_id: chain, ..rollup_types::ChainConfig::default() };
    let mut largest = 0;
    for number in 1..=head {
        let block = store.block(number).await.expect("db").expect("block");
        let txs: Vec<SignedTx> = store
            .block_transactions(number, number)
            .await
            .expect("db")
            .iter()
            .map(|(_, raw)| SignedTx::decode(raw).expect("decodes"))
            .collect();
        let batch = Batch {
            blocks: vec![BatchBlock {
                number,
                timestamp: block.header.timestamp,
                queue_count: 0,
                l1_byte_price: block.header.l1_byte_price,
                txs,
            }],
        };
        let bytes = codec::encode(&batch, &chain_config).expect("encodes").len();
        assert!(bytes as u64 <= bound, "block {number} encodes to {bytes} > {bound}");
        largest = largest.max(block.tx_count);
    }
    assert!(largest < 600, "a wave of 600 transfers was cut into blocks within the bound ({largest} at most)");

    // Every block is posted and verified from L1, in batches the small L1 takes.
    let mut challenger = devnet.challenger.clone();
    let verified = eventually(Duration::from_secs(60), "every block verified", || {
        let status = challenger.borrow_and_update().clone();
        async move { status.last_verified_l2_block.filter(|b| *b >= head).map(|_| status) }
    })
    .await;
    assert!(verified.mismatches.is_empty(), "{:?}", verified.mismatches);
    let status = get(&format!("{url}/v1/status")).await;
    assert_eq!(status["batcher"]["state"], "running", "{status}");
    for hash in [hashes[0], *hashes.last().expect("hashes")] {
        let tx = get(&format!("{url}/v1/transactions/{hash}")).await;
        assert!(tx["status"] == "posted" || tx["status"] == "finalized", "{tx}");
    }
    devnet.stop().await.expect("clean stop");
}

/// Under about twice what the L1 takes (1 s L1 blocks of 900,000 gas: two posts of about 9 kB
/// a block, about 200 transfers a second; offered 400), admission is throttled: submissions are refused with `l1_backlog`
/// (429 and `Retry-After`) while the blocks not yet on L1 hold more than the bound, so the
/// backlog stays bounded instead of growing with the load; nothing accepted is lost, and once
/// the load stops everything is posted and verified and admission opens again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_twice_the_l1_capacity_admission_is_throttled_and_nothing_is_lost() {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
    const BOUND: u64 = 30_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = DevnetConfig::test(dir.path().to_path_buf()).expect("config");
    config.l1_block_time = Some(1);
    config.block_time = Duration::from_millis(200);
    config.batch_interval = Duration::from_millis(200);
    config.l1_backlog = rollup_sequencer::BacklogLimits { max_bytes: BOUND, max_secs: 0 };
    let devnet = Devnet::start(config).await.expect("devnet");
    let url = devnet.url();
    let l1 = ProviderBuilder::new().connect_http(devnet.l1_rpc.clone());
    let _: serde_json::Value =
        l1.raw_request("evm_setBlockGasLimit".into(), [U256::from(900_000u64)]).await.expect("gas limit");
    // The batcher and the sequencer each read the L1's limit: a block sealed before the
    // sequencer bounds its blocks by what one post now carries could never be posted.
    eventually(Duration::from_secs(20), "the bound from the L1's limits", || async {
        let status = get(&format!("{url}/v1/status")).await;
        (status["batcher"]["limits"]["l1BlockGasLimit"] == 900_000
            && status["l1Backlog"]["active"] == true
            && status["blocks"]["maxBytes"]
                .as_u64()
                .is_some_and(|b| status["batcher"]["limits"]["maxPostBytes"].as_u64().is_some_and(|post| b <= post)))
        .then_some(())
    })
    .await;

    // 40 transfers every 100 ms, 4 from each funded account; a refused request waits its
    // Retry-After and goes again.
    let chain = devnet.deployment.l2_chain_id;
    let signers: Vec<Signer> = DEV_ACCOUNTS.iter().map(|a| Signer::new(&a.private_key).expect("key")).collect();
    let client = reqwest::Client::new();
    let (mut accepted, mut throttled, mut largest) = (Vec::new(), 0u32, 0u64);
    let started = std::time::Instant::now();
    let mut round = 0u64;
    while started.elapsed() < Duration::from_secs(15) {
        let raws: Vec<String> = signers
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                (0..4u64).map(move |k| {
                    let to = Address::with_last_byte(0x80 + i as u8);
                    let call = L2System::transferCall { token: USDC, to, amount: U256::from(1 + k) };
                    alloy_primitives::hex::encode_prefixed(
                        s.eip1559(chain, round * 4 + k, call.abi_encode().into()).encoded(),
                    )
                })
            })
            .collect();
        let refused_since = std::time::Instant::now();
        loop {
            // A backlog that never drains is a failure, not a hang.
            if refused_since.elapsed() > Duration::from_secs(120) {
                let status = get(&format!("{url}/v1/status")).await;
                panic!("refused for two minutes: the batcher never caught up: {status}");
            }
            let response = client
                .post(format!("{url}/v1/transactions/batch"))
                .json(&serde_json::json!({ "transactions": raws }))
                .send()
                .await
                .expect("POST");
            if response.status() == 429 {
                let retry: u64 = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()?.parse().ok())
                    .expect("a 429 says when to retry");
                let body: serde_json::Value = response.json().await.expect("json");
                assert_eq!(body["error"]["code"], "l1_backlog", "{body}");
                assert!((1..=10).contains(&retry));
                throttled += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            let body: serde_json::Value = response.json().await.expect("json");
            for result in body["results"].as_array().expect("results") {
                let hash: B256 =
                    result["hash"].as_str().unwrap_or_else(|| panic!("accepted: {result}")).parse().expect("hash");
                accepted.push(hash);
            }
            break;
        }
        let status = get(&format!("{url}/v1/status")).await;
        largest = largest.max(status["l1Backlog"]["bytes"].as_u64().expect("bytes"));
        round += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tracing::info!(target: "test", throttled, largest, accepted = accepted.len(), "load done");
    assert!(throttled > 0, "the load was above what the L1 takes: some requests were refused");
    assert!(largest <= 3 * BOUND, "the backlog stayed bounded: {largest} bytes at most");

    // Nothing accepted is lost or stuck: every transaction is posted and verified, and
    // admission opens again.
    let store = devnet.sequencer.node.store();
    let last = *accepted.last().expect("accepted");
    let block = eventually(Duration::from_secs(60), "the last transfer included", || async {
        store.transaction(last).await.expect("db")?.receipt.map(|r| r.block_number)
    })
    .await;
    let mut challenger = devnet.challenger.clone();
    eventually(Duration::from_secs(90), "every block verified", || {
        let status = challenger.borrow_and_update().clone();
        async move { status.last_verified_l2_block.filter(|b| *b >= block).map(|_| ()) }
    })
    .await;
    for hash in &accepted {
        let record = store.transaction(*hash).await.expect("db").expect("stored");
        assert!(record.receipt.is_some(), "{hash} was accepted and must be included");
    }
    let status = eventually(Duration::from_secs(20), "admission open again", || async {
        let status = get(&format!("{url}/v1/status")).await;
        (status["l1Backlog"]["throttling"] == false).then_some(status)
    })
    .await;
    assert_eq!(status["batcher"]["state"], "running", "{status}");
    devnet.stop().await.expect("clean stop");
}
