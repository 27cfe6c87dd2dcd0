//! L1 reorgs under a running devnet at zero confirmations: while transfers flow and batches
//! are posted, the L1 is reorganised (depth 1, 2, 5 and 10) and rolled back; the batcher posts
//! again what left L1, and the challenger takes back what it read from the replaced blocks,
//! never reaches a wrong verdict and never sends a proof, and ends verifying the whole chain.
//!
//! Each reorg happens at a quiet point of the L1: the transfers pause until every sealed block
//! is posted and anvil's pool is empty, then resume. anvil 1.7.1 loses blocks from its index by
//! number when `anvil_reorg` or `anvil_rollback` runs while its pool holds transactions
//! (reproduced outside the project: a block `eth_blockNumber` counts that
//! `eth_getBlockByNumber` no longer returns), which no client can follow.

use super::eventually;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolEvent};
use rollup_devnet::{Devnet, DevnetConfig};
use rollup_types::{
    bindings::{BatchInbox, L2System},
    genesis::{DEV_ACCOUNTS, USDC},
    signer::Signer,
};
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

/// Sends transfers from accounts 4 to 9 until `stop`, a few every 100 ms unless `paused`;
/// returns their hashes.
async fn traffic(devnet: Arc<Devnet>, stop: Arc<AtomicBool>, paused: Arc<AtomicBool>) -> Vec<B256> {
    let chain = devnet.deployment.l2_chain_id;
    let signers: Vec<Signer> = (4..10).map(|i| Signer::new(&DEV_ACCOUNTS[i].private_key).expect("key")).collect();
    let mut nonce = 0u64;
    let mut hashes = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        if paused.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        let raws: Vec<Bytes> = signers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let to = Address::with_last_byte(0x40 + i as u8);
                let call = L2System::transferCall { token: USDC, to, amount: U256::from(1 + nonce) };
                s.eip1559(chain, nonce, call.abi_encode().into()).encoded().into()
            })
            .collect();
        for result in devnet.sequencer.node.submit_many(raws).await {
            hashes.push(result.expect("accepted"));
        }
        nonce += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    hashes
}

async fn batch_count(l1: &DynProvider, inbox: Address) -> u64 {
    let call = BatchInbox::batchCountCall {};
    let out = l1
        .call(alloy::rpc::types::TransactionRequest::default().to(inbox).input(call.abi_encode().into()))
        .block(alloy::eips::BlockNumberOrTag::Latest.into())
        .await
        .expect("call");
    BatchInbox::batchCountCall::abi_decode_returns(&out).expect("decode").saturating_to()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reorgs_and_rollbacks_at_zero_confirmations_never_mislead_the_challenger() {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = DevnetConfig::test(dir.path().to_path_buf()).expect("config");
    // Fast rounds, so that batches go out between the reorgs.
    config.batch_interval = Duration::from_millis(150);
    config.challenger_poll = Duration::from_millis(100);
    // Every few posts queue a reading of the L1's fees on the bridge (docs/fees.md §4.1), which
    // the L2 consumes: the L2 takes the queue 12 L1 blocks deep, deeper than any reorg here (an
    // entry the L2 consumed that a deeper reorg takes out stalls posting, as it would a deposit:
    // docs/bridge.md §2.3), with an inclusion window and a freeze delay to match.
    config.queue_confirmations = 12;
    config.inclusion_window = 64;
    config.freeze_delay = 128;
    let devnet = Arc::new(Devnet::start(config).await.expect("devnet"));
    let l1 = ProviderBuilder::new().connect_http(devnet.l1_rpc.clone()).erased();
    let inbox = devnet.deployment.batch_inbox;
    let inbox_block = devnet.deployment.inbox_block;
    let stop = Arc::new(AtomicBool::new(false));
    let paused = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn(traffic(devnet.clone(), stop.clone(), paused.clone()));
    let url = devnet.url();

    // Reorgs of each depth, twice, and L1 rollbacks, each after more batches were posted.
    let rounds: [(&str, u64); 10] = [
        ("anvil_reorg", 1),
        ("anvil_reorg", 2),
        ("anvil_reorg", 5),
        ("anvil_reorg", 10),
        ("anvil_rollback", 3),
        ("anvil_reorg", 1),
        ("anvil_reorg", 2),
        ("anvil_reorg", 5),
        ("anvil_reorg", 10),
        ("anvil_rollback", 6),
    ];
    let mut challenger = devnet.challenger.clone();
    for (method, depth) in rounds {
        let before = batch_count(&l1, inbox).await;
        tracing::info!(target: "test", method, depth, before, "next round");
        // A few more batches, at least `depth` blocks above the inbox's deployment.
        eventually(Duration::from_secs(30), "new batches before the next reorg", || {
            let l1 = l1.clone();
            async move {
                let head = l1.get_block_number().await.ok()?;
                let count = batch_count(&l1, inbox).await;
                (count >= before + 3 && head > inbox_block + depth + 2).then_some(())
            }
        })
        .await;
        // A quiet point: every sealed block posted, nothing in anvil's pool.
        paused.store(true, Ordering::Relaxed);
        eventually(Duration::from_secs(30), "every block posted", || {
            let (l1, url) = (l1.clone(), url.clone());
            async move {
                let status = super::get(&format!("{url}/v1/status")).await;
                let batcher = &status["batcher"];
                let pool: serde_json::Value = l1.raw_request("txpool_status".into(), ()).await.ok()?;
                (batcher["unpostedBlocks"] == 0
                    && batcher["inFlight"].as_array().is_some_and(Vec::is_empty)
                    && pool["pending"] == "0x0"
                    && pool["queued"] == "0x0")
                    .then_some(())
            }
        })
        .await;
        // The challenger has read up to the head (zero confirmations) before the reorg.
        let head = l1.get_block_number().await.expect("head");
        eventually(Duration::from_secs(10), "the challenger at the head", || {
            let status = challenger.borrow_and_update().clone();
            async move { (status.l1_block >= head).then_some(()) }
        })
        .await;
        let params = if method == "anvil_reorg" { serde_json::json!([depth, []]) } else { serde_json::json!([depth]) };
        let _: serde_json::Value = l1.raw_request(method.into(), params).await.expect("reorg");
        paused.store(false, Ordering::Relaxed);
    }
    stop.store(true, Ordering::Relaxed);
    let hashes = load.await.expect("load task");
    assert!(hashes.len() > 100, "{} transfers", hashes.len());

    // Everything sealed is posted and verified, from L1 alone, with the sequencer's roots: the
    // batcher's record, the inbox and the challenger agree, and the challenger has read the
    // L1 after the last reorg.
    let head = devnet.sequencer.node.head();
    let verified = eventually(Duration::from_secs(60), "the whole chain posted and verified", || {
        let (l1, url) = (l1.clone(), url.clone());
        let status = challenger.borrow_and_update().clone();
        async move {
            let l1_head = l1.get_block_number().await.ok()?;
            let count = batch_count(&l1, inbox).await;
            let batcher = super::get(&format!("{url}/v1/status")).await["batcher"].clone();
            (status.l1_block >= l1_head
                && batcher["unpostedBlocks"] == 0
                && batcher["lastPostedBatch"].as_u64() == count.checked_sub(1)
                && status.last_verified_batch == count.checked_sub(1)
                && status.last_verified_l2_block >= Some(head.header.number))
            .then_some(status)
        }
    })
    .await;
    let store = devnet.sequencer.node.store();
    let block = store.block(verified.last_verified_l2_block.expect("verified")).await.expect("db").expect("block");
    assert_eq!(verified.last_verified_state_root, Some(block.header.state_root));
    assert_eq!(verified.mismatch_verdicts, 0, "no wrong verdict, not even one a reorg took back: {verified:?}");
    assert!(verified.mismatches.is_empty());
    assert!(verified.proofs.is_empty(), "no proof built: {:?}", verified.proofs);
    assert!(verified.reorgs >= 8, "the challenger followed the reorgs: {}", verified.reorgs);
    // No commitment and no proof reached L1.
    let filter = alloy::rpc::types::Filter::new()
        .address(inbox)
        .event_signature(vec![BatchInbox::ProofCommitted::SIGNATURE_HASH, BatchInbox::FraudProven::SIGNATURE_HASH])
        .from_block(0);
    assert!(l1.get_logs(&filter).await.expect("logs").is_empty(), "a commitment or a proof was sent");
    // Every batch on L1 is the batcher's record, and the challenger's.
    let count = batch_count(&l1, inbox).await;
    assert_eq!(verified.last_verified_batch, Some(count - 1));
    assert_eq!(store.latest_batch().await.expect("db").map(|b| b.index), Some(count - 1));

    let devnet = Arc::into_inner(devnet).expect("the load task ended");
    devnet.stop().await.expect("clean stop");
}
