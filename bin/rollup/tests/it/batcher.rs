//! The batcher's L1 transaction manager against a real anvil: a restart in the middle of a
//! post, a post the L1 node lost, a stuck post re-signed with higher fees, L1 reorgs, an
//! account without funds and a reverted post. Each test checks that every batch ends up on
//! L1 exactly once, in order, and recorded as L1 has it.

use alloy::{
    eips::BlockNumberOrTag,
    network::TransactionBuilder,
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
};
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use rollup::anvil::{Anvil, AnvilConfig, free_port};
use rollup_batcher::{Batcher, BatcherConfig, BatcherError, DaMode, InboxParams, TxManagerConfig};
use rollup_chain_store::{BatchRecord, L1TxStatus, Store};
use rollup_sequencer::{SequencerConfig, SequencerHandle, StatusSources};
use rollup_types::{
    bindings::{BatchInbox, L2System},
    genesis::{DEV_ACCOUNTS, USDC},
    signer::Signer,
    status::BatcherState,
};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// An anvil on a free port that mines every transaction as it arrives.
pub(crate) async fn automining_anvil() -> Anvil {
    // Tests run in parallel: another may take the free port before this anvil binds it.
    let mut last_error = None;
    for _ in 0..5 {
        let config =
            AnvilConfig { port: free_port().expect("port"), block_time: None, state_file: None, log_file: None };
        match Anvil::spawn(&config).await {
            Ok(anvil) => return anvil,
            Err(e) => last_error = Some(e),
        }
    }
    panic!("anvil did not start: {last_error:?}")
}

/// anvil, a sequencer that has sealed `blocks` blocks with a transfer each, and a deployed
/// inbox.
struct Setup {
    anvil: Anvil,
    l1: DynProvider,
    sequencer: SequencerHandle,
    cancel: CancellationToken,
    config: BatcherConfig,
    _dir: tempfile::TempDir,
}

impl Setup {
    async fn new(blocks: u64, txmgr: TxManagerConfig) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let anvil = automining_anvil().await;
        let url: url::Url = anvil.url().parse().expect("url");
        let mut config = SequencerConfig::test();
        config.db_url = format!("sqlite://{}", dir.path().join("chain.sqlite").display());
        config.block_time = Duration::from_millis(20);
        let chain = config.chain;
        let cancel = CancellationToken::new();
        let sequencer = rollup_sequencer::start(config, StatusSources::default(), cancel.clone()).await.expect("start");
        let params = InboxParams {
            batcher: DEV_ACCOUNTS[1].address,
            challenge_window: 3_600,
            bond: U256::from(1_000u64),
            genesis_state_root: sequencer.node.head().header.state_root,
            chunk_size: chain.chunk_size,
            l2_chain_id: chain.chain_id,
            // The blob test posts blobs; the others post calldata.
            blobs_allowed: true,
        };
        let deployment = rollup::devnet::deploy(&url, &DEV_ACCOUNTS[0].private_key, &params).await.expect("deploy");
        let signer = Signer::new(&DEV_ACCOUNTS[5].private_key).expect("key");
        for nonce in 0..blocks {
            let call = L2System::transferCall { token: USDC, to: Address::repeat_byte(0x77), amount: U256::from(1u64) };
            let raw = signer.eip1559(chain.chain_id, nonce, call.abi_encode().into()).encoded();
            let hash = sequencer.node.submit_raw(raw.into()).await.expect("accepted");
            super::eventually(Duration::from_secs(10), "inclusion", || async {
                sequencer.node.store().transaction(hash).await.expect("db")?.receipt.map(|_| ())
            })
            .await;
        }
        let config = BatcherConfig {
            l1_rpc: url.clone(),
            inbox: deployment.batch_inbox,
            key: DEV_ACCOUNTS[1].private_key,
            chain,
            interval: Duration::from_millis(10),
            max_blocks: 1,
            max_bytes: 120_000,
            txmgr,
            da: DaMode::Calldata,
            fault: None,
        };
        let l1 = ProviderBuilder::new().connect_http(url).erased();
        Self { anvil, l1, sequencer, cancel, config, _dir: dir }
    }

    fn store(&self) -> Store {
        self.sequencer.node.store().clone()
    }

    async fn batcher(&self) -> Batcher {
        Batcher::new(self.config.clone(), self.store()).await.expect("batcher")
    }

    async fn rpc(&self, method: &'static str, params: serde_json::Value) -> serde_json::Value {
        self.l1.raw_request(method.into(), params).await.unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    async fn automine(&self, on: bool) {
        self.rpc("evm_setAutomine", serde_json::json!([on])).await;
    }

    async fn mine(&self) {
        self.rpc("evm_mine", serde_json::json!([])).await;
    }

    async fn batch_count(&self) -> u64 {
        let call = BatchInbox::batchCountCall {};
        let out = self
            .l1
            .call(TransactionRequest::default().with_to(self.config.inbox).with_input(call.abi_encode()))
            .block(BlockNumberOrTag::Latest.into())
            .await
            .expect("call");
        BatchInbox::batchCountCall::abi_decode_returns(&out).expect("decode").saturating_to()
    }

    /// Every recorded batch is the one on L1 at its index, blocks follow each other, and
    /// there are as many as L1 holds.
    async fn assert_record_matches_l1(&self) {
        let store = self.store();
        let count = self.batch_count().await;
        let mut next_block = 1;
        for index in 0..count {
            let record = store.batch(index).await.expect("db").unwrap_or_else(|| panic!("batch {index} not recorded"));
            let call = BatchInbox::getBatchCall { index: U256::from(index) };
            let out = self
                .l1
                .call(TransactionRequest::default().with_to(self.config.inbox).with_input(call.abi_encode()))
                .await
                .expect("call");
            let on_l1 = BatchInbox::getBatchCall::abi_decode_returns(&out).expect("decode");
            assert_eq!(record.data_hash, on_l1.dataHash, "batch {index} data");
            assert_eq!(record.last_block, on_l1.lastL2Block, "batch {index} last block");
            assert_eq!(record.first_block, next_block, "batch {index} starts after its predecessor");
            let receipt = self.l1.get_transaction_receipt(record.l1_tx_hash).await.expect("rpc").expect("receipt");
            assert_eq!(receipt.block_number, Some(record.l1_block), "batch {index} L1 block");
            next_block = record.last_block + 1;
        }
        assert!(store.batch(count).await.expect("db").is_none(), "a batch recorded beyond L1's {count}");
    }

    async fn stop(self) {
        self.cancel.cancel();
        self.sequencer.task.await.expect("joined").expect("clean stop");
        self.anvil.stop().await.expect("anvil stops");
    }
}

/// Rounds of `batcher` until one records a mined post. anvil can count a mined block's effects
/// a moment before it serves its receipts and logs; the batcher waits such moments out (they
/// are retryable L1 errors), and so does this.
async fn settle(batcher: &Batcher) -> BatchRecord {
    for _ in 0..50 {
        match batcher.step().await {
            Ok(Some(record)) => return record,
            Ok(None) | Err(BatcherError::L1(_)) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("batcher round failed: {e}"),
        }
    }
    panic!("no post was recorded")
}

/// One round, tolerating the same retryable L1 errors.
async fn round(batcher: &Batcher) {
    match batcher.step().await {
        Ok(_) | Err(BatcherError::L1(_)) => {}
        Err(e) => panic!("batcher round failed: {e}"),
    }
}

/// A challenger reading L1 from `from_block` verifies every batch up to `last`, ending at
/// `root`, with no mismatch.
pub(crate) async fn assert_challenger_verifies(config: &BatcherConfig, from_block: u64, last: u64, root: B256) {
    use rollup_fraud_proof::{Challenger, ChallengerConfig};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut challenger = Challenger::new(ChallengerConfig {
        l1_rpc: config.l1_rpc.clone(),
        inbox: config.inbox,
        from_block,
        db_url: format!("sqlite://{}", dir.path().join("challenger.sqlite").display()),
        chain: config.chain,
        genesis: rollup_types::genesis::GenesisSpec::devnet(),
        poll: Duration::from_millis(100),
        confirmations: 0,
        l1_beacon: None,
        prover_key: None,
    })
    .await
    .expect("challenger");
    let status = challenger.subscribe();
    challenger.step().await.expect("reads L1");
    let status = status.borrow().clone();
    assert!(status.mismatches.is_empty(), "{:?}", status.mismatches);
    assert_eq!(status.last_verified_batch, Some(last));
    assert_eq!(status.last_verified_state_root, Some(root));
}

fn quick() -> TxManagerConfig {
    TxManagerConfig { resubmit_after: Duration::from_secs(3_600), confirmations: 3, ..TxManagerConfig::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_post_and_a_lost_post_neither_lose_nor_duplicate_a_batch() {
    let setup = Setup::new(2, quick()).await;
    setup.automine(false).await;

    // Sent, not mined; the process dies.
    let batcher = setup.batcher().await;
    assert!(batcher.step().await.expect("sends").is_none(), "nothing is mined yet");
    let sent = batcher.subscribe().borrow().in_flight.clone().expect("a post in flight");
    assert_eq!(sent.batch_index, 0);
    drop(batcher);

    // The restarted batcher follows the stored post instead of signing a new one.
    let restarted = setup.batcher().await;
    assert!(restarted.step().await.expect("follows").is_none());
    assert_eq!(restarted.subscribe().borrow().in_flight.as_ref().map(|p| p.tx_hash), Some(sent.tx_hash));
    setup.mine().await;
    let posted = settle(&restarted).await;
    assert_eq!((posted.index, posted.l1_tx_hash), (0, sent.tx_hash));

    // The next post is lost by the L1 node (as if the process died before broadcasting it):
    // the stored bytes are broadcast again.
    assert!(restarted.step().await.expect("sends").is_none());
    let second = restarted.subscribe().borrow().in_flight.clone().expect("post of batch 1");
    let dropped = setup.rpc("anvil_dropTransaction", serde_json::json!([second.tx_hash])).await;
    assert!(!dropped.is_null(), "anvil dropped the post");
    let again = setup.batcher().await;
    assert!(again.step().await.expect("re-broadcasts").is_none());
    assert_eq!(again.subscribe().borrow().rebroadcasts, 1);
    setup.mine().await;
    let posted = settle(&again).await;
    assert_eq!((posted.index, posted.l1_tx_hash), (1, second.tx_hash));
    assert_eq!(setup.batch_count().await, 2, "each batch posted once");
    assert!(setup.store().pending_l1_txs().await.expect("db").is_empty());
    setup.assert_record_matches_l1().await;
    setup.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_post_is_signed_again_with_higher_fees_and_the_same_nonce() {
    let setup = Setup::new(1, TxManagerConfig { resubmit_after: Duration::from_millis(500), ..quick() }).await;
    setup.automine(false).await;
    let batcher = setup.batcher().await;
    assert!(batcher.step().await.expect("sends").is_none());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(batcher.step().await.expect("bumps").is_none());
    let attempts = setup.store().l1_txs_of_batch(0).await.expect("db");
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    let (first, bumped) = (&attempts[0], &attempts[1]);
    assert_eq!(first.nonce, bumped.nonce, "a bump reuses the nonce");
    assert!(bumped.max_fee_per_gas >= first.max_fee_per_gas * 125 / 100, "{first:?} {bumped:?}");
    assert!(bumped.max_priority_fee_per_gas >= first.max_priority_fee_per_gas * 125 / 100);
    assert_eq!(batcher.subscribe().borrow().fee_bumps, 1);
    setup.mine().await;
    let posted = settle(&batcher).await;
    assert_eq!(posted.l1_tx_hash, bumped.tx_hash, "the replacement was mined");
    let attempts = setup.store().l1_txs_of_batch(0).await.expect("db");
    assert_eq!(attempts.iter().map(|a| a.status).collect::<Vec<_>>(), [L1TxStatus::Replaced, L1TxStatus::Mined]);
    assert_eq!(setup.batch_count().await, 1);
    setup.assert_record_matches_l1().await;
    setup.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_taken_out_by_l1_reorgs_are_posted_again_in_order() {
    let setup = Setup::new(4, quick()).await;
    let batcher = setup.batcher().await;
    for index in 0..3 {
        assert_eq!(settle(&batcher).await.index, index);
    }
    // The last two posts' blocks disappear.
    setup.rpc("anvil_rollback", serde_json::json!([2])).await;
    assert_eq!(setup.batch_count().await, 1);
    for _ in 0..20 {
        if setup.batch_count().await == 4 && setup.store().latest_batch().await.expect("db").map(|b| b.index) == Some(3)
        {
            break;
        }
        round(&batcher).await;
        // A post the node put back in its pool waits for a block.
        setup.mine().await;
    }
    assert_eq!(setup.batch_count().await, 4, "batches 1 and 2 re-posted, then 3");
    assert!(batcher.subscribe().borrow().reorged_batches >= 2);
    setup.assert_record_matches_l1().await;

    // A reorg that replaces the blocks from batch 3's post on with empty ones.
    let reorged_before = batcher.subscribe().borrow().reorged_batches;
    let last = setup.store().latest_batch().await.expect("db").expect("batch 3");
    let head = setup.l1.get_block_number().await.expect("head");
    setup.rpc("anvil_reorg", serde_json::json!([head - last.l1_block + 1, []])).await;
    assert_eq!(setup.batch_count().await, 3, "the reorg took batch 3 out");
    for _ in 0..20 {
        if setup.batch_count().await == 4 && setup.store().latest_batch().await.expect("db").map(|b| b.index) == Some(3)
        {
            break;
        }
        round(&batcher).await;
        setup.mine().await;
    }
    assert_eq!(setup.batch_count().await, 4);
    assert_eq!(batcher.subscribe().borrow().reorged_batches, reorged_before + 1);
    setup.assert_record_matches_l1().await;
    setup.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_funds_and_a_reverted_post_stall_posting_loudly_until_fixed() {
    let setup = Setup::new(2, quick()).await;
    let batcher = setup.batcher().await;
    let status = batcher.subscribe();
    let batcher_address = DEV_ACCOUNTS[1].address;

    setup.rpc("anvil_setBalance", serde_json::json!([batcher_address, "0x0"])).await;
    let err = batcher.step().await.expect_err("cannot pay");
    assert!(matches!(err, BatcherError::InsufficientFunds(_)), "{err}");
    assert_eq!(status.borrow().state, BatcherState::Stalled);
    assert!(status.borrow().last_error.as_deref().is_some_and(|e| e.contains("cannot pay")));
    let mut metrics = String::new();
    status.borrow().render_prometheus(&mut metrics);
    assert!(metrics.contains("\nrollup_batcher_stalled 1\n"), "{metrics}");
    assert!(setup.store().pending_l1_txs().await.expect("db").is_empty(), "nothing signed that cannot be paid");
    setup.rpc("anvil_setBalance", serde_json::json!([batcher_address, "0x56bc75e2d63100000"])).await;
    assert_eq!(settle(&batcher).await.index, 0);
    assert_eq!(status.borrow().state, BatcherState::Running);

    // The inbox's state changes under a pending post (its batch count, `_count` in storage
    // slot 2 after the proof commitments and the batch records, is raised while the post
    // waits), so the post reverts when mined; then it is put back.
    setup.automine(false).await;
    assert!(batcher.step().await.expect("sends").is_none());
    let slot = B256::from(U256::from(2u64));
    let set_count = |n: u64| {
        setup.rpc("anvil_setStorageAt", serde_json::json!([setup.config.inbox, slot, B256::from(U256::from(n))]))
    };
    set_count(2).await;
    setup.mine().await;
    set_count(1).await;
    let mut err = None;
    for _ in 0..50 {
        match batcher.step().await {
            Err(BatcherError::L1(_)) | Ok(None) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => {
                err = Some(e);
                break;
            }
            Ok(Some(b)) => panic!("batch {} recorded instead of reverting", b.index),
        }
    }
    let err = err.expect("the post reverted");
    assert!(matches!(err, BatcherError::Reverted { index: 1, .. }), "{err}");
    assert_eq!(status.borrow().state, BatcherState::Stalled);
    assert_eq!(status.borrow().reverted_posts, 1);
    // The next round posts it again.
    setup.automine(true).await;
    assert_eq!(settle(&batcher).await.index, 1);
    assert_eq!(status.borrow().state, BatcherState::Running);
    assert_eq!(setup.batch_count().await, 2);
    setup.assert_record_matches_l1().await;
    setup.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_posts_are_bumped_mined_and_verified_by_the_challenger_from_the_beacon_api() {
    let mut setup = Setup::new(3, quick()).await;
    setup.config.da = DaMode::Blobs;

    // A blob post is sent and waits; a batcher restarted with no patience signs it again:
    // same nonce, higher fees, twice the blob fee.
    setup.automine(false).await;
    let first_batcher = setup.batcher().await;
    assert!(first_batcher.step().await.expect("sends").is_none());
    assert_eq!(setup.store().l1_txs_of_batch(0).await.expect("db").len(), 1);
    drop(first_batcher);
    setup.config.txmgr.resubmit_after = Duration::ZERO;
    let batcher = setup.batcher().await;
    assert!(batcher.step().await.expect("bumps").is_none());
    setup.mine().await;
    let first = settle(&batcher).await;
    let attempts = setup.store().l1_txs_of_batch(0).await.expect("db");
    assert_eq!(attempts.len(), 2);
    assert_eq!(first.l1_tx_hash, attempts[1].tx_hash);
    assert_eq!(attempts[0].nonce, attempts[1].nonce);
    setup.automine(true).await;
    setup.config.txmgr = quick();
    let batcher = setup.batcher().await;
    let head = setup.sequencer.node.head().header.number;
    for _ in 0..20 {
        round(&batcher).await;
        if setup.store().latest_batch().await.expect("db").is_some_and(|b| b.last_block == head) {
            break;
        }
    }
    setup.assert_record_matches_l1().await;

    let last = setup.store().latest_batch().await.expect("db").expect("batches");
    assert_eq!(last.last_block, head, "every block posted");
    for index in 0..=last.index {
        let record = setup.store().batch(index).await.expect("db").expect("recorded");
        let tx = setup.l1.get_transaction_by_hash(record.l1_tx_hash).await.expect("rpc").expect("tx");
        let hashes =
            alloy::consensus::Transaction::blob_versioned_hashes(tx.inner.inner()).expect("a blob transaction");
        assert_eq!(hashes.len(), 1, "one blob per batch here");
        assert_eq!(record.data_len, rollup_types::blob::BYTES_PER_BLOB as u64);
    }

    // The challenger reads the blobs back from anvil's beacon endpoint and verifies them.
    let root = setup.sequencer.node.head().header.state_root;
    assert_challenger_verifies(&setup.config, 0, last.index, root).await;
    setup.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_that_a_reorg_moves_to_another_block_is_followed_there() {
    let setup = Setup::new(2, quick()).await;
    let batcher = setup.batcher().await;
    assert_eq!(settle(&batcher).await.index, 0);
    setup.mine().await;
    let moved = settle(&batcher).await;
    assert_eq!(moved.index, 1);
    let raw = setup.store().l1_txs_of_batch(1).await.expect("db").pop().expect("the post").raw;
    // The empty block and the post's block are replaced; the post goes into the first of the
    // two new blocks, one below where it was.
    setup.rpc("anvil_reorg", serde_json::json!([2, [[alloy_primitives::hex::encode_prefixed(&raw), 0]]])).await;
    let receipt = setup.l1.get_transaction_receipt(moved.l1_tx_hash).await.expect("rpc").expect("still mined");
    assert_eq!(receipt.block_number, Some(moved.l1_block - 1), "the reorg moved the post");
    assert_eq!(setup.batch_count().await, 2);
    round(&batcher).await;
    let record = setup.store().batch(1).await.expect("db").expect("batch 1");
    assert_eq!(record.l1_block, moved.l1_block - 1, "the record follows the post");
    assert_eq!(record.l1_tx_hash, moved.l1_tx_hash);
    assert_eq!(batcher.subscribe().borrow().reorged_batches, 0, "nothing was posted again");
    setup.assert_record_matches_l1().await;
    setup.stop().await;
}
