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
use rollup_batcher::{Batcher, BatcherConfig, BatcherError, DaMode, InboxParams, TxManagerConfig};
use rollup_chain_store::{BatchRecord, L1TxStatus, Store};
use rollup_devnet::anvil::{Anvil, AnvilConfig};
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
        let config = AnvilConfig {
            // A free port, chosen again if taken before anvil binds it.
            port: 0,
            block_time: None,
            gas_limit: None,
            state_file: None,
            log_file: None,
        };
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
        Self::with_stake(blocks, txmgr, true).await
    }

    /// [`Self::new`] with nothing staked for the batcher when `staked` is false: it stakes
    /// itself at its first round.
    async fn with_stake(blocks: u64, txmgr: TxManagerConfig, staked: bool) -> Self {
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
            stake: U256::from(1_000u64),
            genesis_state_root: sequencer.node.head().header.state_root,
            genesis_ether: rollup_types::genesis::GenesisSpec::devnet().genesis_ether(),
            chunk_size: chain.chunk_size,
            l2_chain_id: chain.chain_id,
            inclusion_window: rollup_l1::DEFAULT_INCLUSION_WINDOW,
            freeze_delay: rollup_l1::DEFAULT_FREEZE_DELAY,
        };
        let deployment = rollup_devnet::deploy(&url, &DEV_ACCOUNTS[0].private_key, &params).await.expect("deploy");
        // Staked before the tests start: the batcher would stake itself at its first round,
        // which some tests run with the L1 not mining.
        if staked {
            let (staker, _, _) = rollup_l1::signing_provider(&url, &DEV_ACCOUNTS[0].private_key).expect("key");
            rollup_l1::deploy::stake(&staker, deployment.batch_inbox, params.stake).await.expect("stake");
        }
        for nonce in 0..blocks {
            include_transfer(&sequencer, nonce).await;
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
            // No bound on the blob work: the tests of auto's room count blobs a round.
            blob_cores: f64::INFINITY,
            blobs_per_post: rollup_batcher::limits::MAX_BLOBS_PER_TX,
            blobs_per_block: rollup_batcher::limits::DEFAULT_BLOBS_PER_BLOCK,
            fault: None,
            queue: rollup_batcher::QueueReaderConfig::default(),
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

    /// Runs `rewrite` (an `anvil_rollback` or `anvil_reorg` of blocks from `head`, the block
    /// number it is given) with no block being mined: anvil 1.7.1 rewrites its chain without
    /// taking its mining lock, so a block that an automined post was still becoming survives a
    /// rollback as an orphan above the new head, and every reader of the logs then sees its
    /// batch out of order (tests/it/reorg.rs waits for a quiet L1 for the same reason).
    /// Automining stops, one block mines what the pool holds (after any block in progress),
    /// and automining resumes after the rewrite.
    async fn quietly(&self, rewrite: impl AsyncFnOnce(u64)) {
        self.automine(false).await;
        self.mine().await;
        let head = self.l1.get_block_number().await.expect("head");
        rewrite(head).await;
        self.automine(true).await;
    }

    async fn staked(&self) -> U256 {
        let call = BatchInbox::stakedCall {};
        let tx = TransactionRequest::default().with_to(self.config.inbox).with_input(call.abi_encode());
        let out = self.l1.call(tx).block(BlockNumberOrTag::Latest.into()).await.expect("call");
        BatchInbox::stakedCall::abi_decode_returns(&out).expect("decode")
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
    /// Whether each of `posts` carries a blob, as the L1 node holds it.
    async fn blob_posts(&self, posts: &[(u64, u64, B256)]) -> Vec<bool> {
        let mut kinds = Vec::new();
        for (_, _, hash) in posts {
            let tx = self.l1.get_transaction_by_hash(*hash).await.expect("rpc").expect("the node holds the post");
            kinds.push(alloy::consensus::Transaction::blob_versioned_hashes(tx.inner.inner()).is_some());
        }
        kinds
    }

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
/// Submits transfer `nonce` of the test sender and waits until a block includes it.
async fn include_transfer(sequencer: &rollup_sequencer::SequencerHandle, nonce: u64) {
    let signer = Signer::new(&DEV_ACCOUNTS[5].private_key).expect("key");
    let chain_id = sequencer.node.chain().chain_id;
    let call = L2System::transferCall { token: USDC, to: Address::repeat_byte(0x77), amount: U256::from(1u64) };
    let raw = signer.eip1559(chain_id, nonce, call.abi_encode().into()).encoded();
    let hash = sequencer.node.submit_raw(raw.into()).await.expect("accepted");
    super::eventually(Duration::from_secs(10), "inclusion", || async {
        sequencer.node.store().transaction(hash).await.expect("db")?.receipt.map(|_| ())
    })
    .await;
}

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

/// Rounds until batch `index` is recorded as mined, tolerating retryable L1 errors; its record.
async fn settle_batch(setup: &Setup, batcher: &Batcher, index: u64) -> BatchRecord {
    for _ in 0..50 {
        round(batcher).await;
        if let Some(record) = setup.store().batch(index).await.expect("db") {
            return record;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("batch {index} was not recorded")
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
    let dir = tempfile::tempdir().expect("tempdir");
    challenger_verifies(config, dir.path(), None, Vec::new(), from_block, last, root).await;
}

/// [`assert_challenger_verifies`] with its database in `dir` and blobs asked of `beacon` (the L1
/// RPC URL when `None`), then of `fallbacks`.
async fn challenger_verifies(
    config: &BatcherConfig,
    dir: &std::path::Path,
    beacon: Option<url::Url>,
    fallbacks: Vec<url::Url>,
    from_block: u64,
    last: u64,
    root: B256,
) {
    use rollup_fraud_proof::{Challenger, ChallengerConfig};
    let mut challenger = Challenger::new(ChallengerConfig {
        l1_rpc: config.l1_rpc.clone(),
        inbox: config.inbox,
        from_block,
        db_url: format!("sqlite://{}", dir.join("challenger.sqlite").display()),
        chain: config.chain,
        genesis: rollup_types::genesis::GenesisSpec::devnet(),
        poll: Duration::from_millis(100),
        confirmations: 0,
        l1_beacon: beacon,
        l1_beacon_fallbacks: fallbacks,
        prover_key: None,
        undo_blocks: ChallengerConfig::DEFAULT_UNDO_BLOCKS,
        snapshot_txs: ChallengerConfig::DEFAULT_SNAPSHOT_TXS,
    })
    .await
    .expect("challenger");
    let status = challenger.subscribe();
    // A read that finds the L1 changed under it ends with an L1 error and no verdict, and the
    // next round reads again (what `rollup challenger` does): a few rounds, then it must hold.
    let mut rounds = 0;
    while let Err(e) = challenger.step().await {
        rounds += 1;
        assert!(matches!(e, rollup_fraud_proof::ChallengerError::L1(_)) && rounds < 5, "reads L1: {e}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status = status.borrow().clone();
    assert!(status.mismatches.is_empty(), "{:?}", status.mismatches);
    assert_eq!(status.last_verified_batch, Some(last));
    assert_eq!(status.last_verified_state_root, Some(root));
}

/// One post in flight at a time, never bumped: the single-post behaviour these tests pin.
fn quick() -> TxManagerConfig {
    TxManagerConfig {
        resubmit_after: Duration::from_secs(3_600),
        confirmations: 3,
        max_in_flight: 1,
        ..TxManagerConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_post_and_a_lost_post_neither_lose_nor_duplicate_a_batch() {
    let setup = Setup::new(2, quick()).await;
    setup.automine(false).await;

    // Sent, not mined; the process dies.
    let batcher = setup.batcher().await;
    assert!(batcher.step().await.expect("sends").is_none(), "nothing is mined yet");
    let sent = batcher.subscribe().borrow().in_flight.first().cloned().expect("a post in flight");
    assert_eq!(sent.batch_index, 0);
    drop(batcher);

    // The restarted batcher follows the stored post instead of signing a new one.
    let restarted = setup.batcher().await;
    assert!(restarted.step().await.expect("follows").is_none());
    assert_eq!(restarted.subscribe().borrow().in_flight.first().map(|p| p.tx_hash), Some(sent.tx_hash));
    setup.mine().await;
    let posted = settle(&restarted).await;
    assert_eq!((posted.index, posted.l1_tx_hash), (0, sent.tx_hash));

    // The next post is lost by the L1 node (as if the process died before broadcasting it):
    // the stored bytes are broadcast again.
    assert!(restarted.step().await.expect("sends").is_none());
    let second = restarted.subscribe().borrow().in_flight.first().cloned().expect("post of batch 1");
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

/// Two batchers on one database (docs/deployment.md §4): the second stands by while the first
/// holds the batchers' lease; once the first stops renewing it (a stall), the second takes it
/// over and posts the rest; the first, woken, has every write refused (it records, and so
/// broadcasts, nothing more) and stops. L1 holds each batch once, in order, with no gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_batcher_posts_at_a_time_and_a_deposed_one_posts_nothing() {
    use rollup_batcher::lease;
    let setup = Setup::new(3, quick()).await;
    let url = setup.sequencer.node.config().db_url.clone();
    let (first_store, second_store) = (Store::open(&url).await.expect("db"), Store::open(&url).await.expect("db"));
    let short = Duration::from_millis(300);
    let cancel = CancellationToken::new();
    let first_lease = lease::take(&first_store, "first", short, &cancel).await.expect("db").expect("free");
    let keeping = CancellationToken::new();
    let keeper = tokio::spawn(lease::keep(first_store.clone(), first_lease.clone(), keeping.clone()));
    let first = Batcher::new(setup.config.clone(), first_store.clone()).await.expect("batcher");
    settle(&first).await;

    // The second stands by while the first renews.
    let second_take = tokio::spawn({
        let (store, cancel) = (second_store.clone(), cancel.clone());
        async move { lease::take(&store, "second", short, &cancel).await }
    });
    tokio::time::sleep(3 * short).await;
    assert!(!second_take.is_finished(), "a second batcher stands by while the first holds the lease");

    // The first stalls (no renewal): the second takes over and posts every block.
    keeping.cancel();
    keeper.await.expect("joined").expect("kept");
    let second_lease = second_take.await.expect("joined").expect("db").expect("taken over");
    assert_eq!(second_lease.epoch, first_lease.epoch + 1);
    for nonce in 3..6 {
        include_transfer(&setup.sequencer, nonce).await;
    }
    let head = setup.sequencer.node.head().header.number;
    let before = setup.batch_count().await;

    // The first wakes up with blocks to post: its round is refused before anything is sent.
    match first.step().await {
        Err(BatcherError::Store(rollup_chain_store::StoreError::Fenced(epoch))) => assert_eq!(epoch, first_lease.epoch),
        other => panic!("a deposed batcher's round must be fenced, got {other:?}"),
    }
    assert_eq!(setup.batch_count().await, before, "the deposed batcher posted nothing");
    assert!(first_store.pending_l1_txs().await.expect("db").is_empty(), "and recorded no attempt");
    assert!(
        !first_store
            .renew_lead_of(rollup_chain_store::LeaseOf::Batcher, "first", first_lease.epoch, short)
            .await
            .expect("db")
    );

    let second = Batcher::new(setup.config.clone(), second_store.clone()).await.expect("batcher");
    let keeper = tokio::spawn(lease::keep(second_store.clone(), second_lease.clone(), cancel.clone()));
    super::eventually(Duration::from_secs(30), "every block posted by the second batcher", || async {
        round(&second).await;
        second_store.latest_batch().await.expect("db").filter(|b| b.last_block == head).map(|_| ())
    })
    .await;
    setup.assert_record_matches_l1().await;
    cancel.cancel();
    keeper.await.expect("joined").expect("kept");
    lease::release(&second_store, &second_lease).await;
    assert!(
        second_store.try_lead_of(rollup_chain_store::LeaseOf::Batcher, "third", "", short).await.expect("db").is_some()
    );
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
    reorged_batches_are_posted_again(DaMode::Calldata, 1).await;
}

/// The same with every post a blob post: a reorg that takes blob posts out, or replaces their
/// blocks, has them posted again, and the challenger reads the blobs where they landed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_batches_taken_out_by_l1_reorgs_are_posted_again_in_order() {
    reorged_batches_are_posted_again(DaMode::Blobs, 1).await;
}

/// The same with several blob batches a post: a reorg takes out a post's batches together
/// (those of the post before the block it starts at stand or fall with it), and they are posted
/// again, each in a blob of its post.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_blob_posts_taken_out_by_l1_reorgs_are_posted_again_in_order() {
    reorged_batches_are_posted_again(DaMode::Blobs, rollup_batcher::limits::MAX_BLOBS_PER_TX).await;
}

/// The batches recorded in L1 block `from` or later are gone: the first of them.
async fn first_batch_from_block(setup: &Setup, from: u64) -> u64 {
    let last = setup.store().latest_batch().await.expect("db").expect("batches").index;
    let mut first = last + 1;
    for index in (0..=last).rev() {
        match setup.store().batch(index).await.expect("db") {
            Some(b) if b.l1_block >= from => first = index,
            _ => break,
        }
    }
    first
}

async fn reorged_batches_are_posted_again(da: DaMode, blobs_per_post: usize) {
    let mut setup = Setup::new(4, quick()).await;
    setup.config.da = da;
    setup.config.blobs_per_post = blobs_per_post;
    let batcher = setup.batcher().await;
    // Batches 0 to 2 posted (and 3 too, on a busy machine: a round that sees a post mined sends
    // the next, which automining may mine before the round ends).
    while setup.store().latest_batch().await.expect("db").is_none_or(|b| b.index < 2) {
        settle(&batcher).await;
    }
    // Every L1 block from batch 1's post on disappears.
    let first = setup.store().batch(1).await.expect("db").expect("batch 1").l1_block;
    let left = first_batch_from_block(&setup, first).await;
    setup.quietly(async |head| drop(setup.rpc("anvil_rollback", serde_json::json!([head - first + 1])).await)).await;
    assert_eq!(setup.batch_count().await, left);
    // Until the inbox holds what the batcher recorded, batch 3 at least: on a slow machine the
    // L1 fee readings these posts queue make an L2 block of their own after ten idle seconds
    // (docs/fees.md §4), and with it a batch 4.
    let settled = async |setup: &Setup| {
        let count = setup.batch_count().await;
        count >= 4 && setup.store().latest_batch().await.expect("db").map(|b| b.index + 1) == Some(count)
    };
    for _ in 0..20 {
        if settled(&setup).await {
            break;
        }
        round(&batcher).await;
        // A post the node put back in its pool waits for a block.
        setup.mine().await;
    }
    assert!(settled(&setup).await, "batches 1 and 2 re-posted, then 3");
    assert!(batcher.subscribe().borrow().reorged_batches >= 2);
    setup.assert_record_matches_l1().await;

    // A reorg that replaces the blocks from batch 3's post on with empty ones.
    let reorged_before = batcher.subscribe().borrow().reorged_batches;
    let third = setup.store().batch(3).await.expect("db").expect("batch 3");
    let left = first_batch_from_block(&setup, third.l1_block).await;
    let rewrite = async |head| drop(setup.rpc("anvil_reorg", serde_json::json!([head - third.l1_block + 1, []])).await);
    setup.quietly(rewrite).await;
    assert_eq!(setup.batch_count().await, left, "the reorg took batch 3 out");
    for _ in 0..20 {
        if settled(&setup).await {
            break;
        }
        round(&batcher).await;
        setup.mine().await;
    }
    assert!(settled(&setup).await, "batch 3 re-posted");
    // Batch 3's post, at least: on a loaded machine the node may mine the dropped post again
    // after the batcher saw it gone, which it counts as a second reorg of the same batch.
    assert!(batcher.subscribe().borrow().reorged_batches > reorged_before);
    setup.assert_record_matches_l1().await;
    let last = setup.store().latest_batch().await.expect("db").expect("batches");
    let mut shared = false;
    for index in 0..=last.index {
        let record = setup.store().batch(index).await.expect("db").expect("recorded");
        let tx = setup.l1.get_transaction_by_hash(record.l1_tx_hash).await.expect("rpc").expect("tx");
        let blobs = alloy::consensus::Transaction::blob_versioned_hashes(tx.inner.inner()).map_or(0, <[B256]>::len);
        let expected = if da == DaMode::Blobs { super::batches_in(&tx) } else { 0 };
        assert_eq!(blobs, expected, "batch {index} posted as {da:?}");
        assert!(expected <= blobs_per_post);
        shared |= expected > 1;
    }
    assert_eq!(shared, blobs_per_post > 1, "batches shared a post");
    assert_challenger_verifies(&setup.config, 0, last.index, last.state_root).await;
    setup.stop().await;
}

/// A reorg that takes out the batcher's own stake with its posts: the posts go out again on
/// their nonces, which follow the stake's, so none can be mined until the batcher uses the
/// stake's nonce again, with the stake the inbox lacks (`scripts/reorg-under-load.sh` never
/// settled before it did).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stake_taken_out_by_an_l1_reorg_is_staked_again_before_the_posts_behind_it() {
    let setup = Setup::with_stake(3, quick(), false).await;
    let batcher = setup.batcher().await;
    let before = setup.l1.get_block_number().await.expect("head");
    let stake = U256::from(1_000u64);
    while setup.store().latest_batch().await.expect("db").is_none_or(|b| b.index < 1) {
        settle(&batcher).await;
    }
    assert_eq!(setup.staked().await, stake, "the batcher staked at its first round");
    // Every block from the stake's on disappears: the stake and the posts.
    setup.quietly(async |head| drop(setup.rpc("anvil_rollback", serde_json::json!([head - before])).await)).await;
    assert_eq!(setup.staked().await, U256::ZERO);
    assert_eq!(setup.batch_count().await, 0);
    for _ in 0..40 {
        if setup.batch_count().await == 3 && setup.store().latest_batch().await.expect("db").map(|b| b.index) == Some(2)
        {
            break;
        }
        round(&batcher).await;
        setup.mine().await;
    }
    assert_eq!(setup.batch_count().await, 3, "batches 0 and 1 re-posted behind the stake, then 2");
    assert_eq!(setup.staked().await, stake, "the stake's nonce was filled with the stake");
    setup.assert_record_matches_l1().await;
    let root = setup.sequencer.node.head().header.state_root;
    assert_challenger_verifies(&setup.config, 0, 2, root).await;
    setup.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_funds_and_a_reverted_post_stall_posting_loudly_until_fixed() {
    // One block at first, so that the first post after the stall can only be batch 0 (with
    // two, a busy machine could see both mined in the round that settles).
    let setup = Setup::new(1, quick()).await;
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
    include_transfer(&setup.sequencer, 1).await;

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
        assert_eq!(hashes.len(), super::batches_in(&tx), "one blob per batch");
        assert!(record.data_len > 0 && record.data_len <= 120_000, "the batch's length: {}", record.data_len);
    }

    // The challenger reads the blobs back from anvil's beacon endpoint and verifies them.
    let root = setup.sequencer.node.head().header.state_root;
    assert_challenger_verifies(&setup.config, 0, last.index, root).await;

    // A beacon that serves nothing: the fallback does, and the challenger keeps what it read.
    let dir = tempfile::tempdir().expect("tempdir");
    let dead: url::Url = "http://127.0.0.1:9/".parse().expect("url");
    let l1 = setup.config.l1_rpc.clone();
    challenger_verifies(&setup.config, dir.path(), Some(dead.clone()), vec![l1], 0, last.index, root).await;
    let db = format!("sqlite://{}", dir.path().join("challenger.sqlite").display());
    let store = rollup_fraud_proof::store::VerdictStore::open(&db).await.expect("challenger db");
    for index in 0..=last.index {
        let record = setup.store().batch(index).await.expect("db").expect("recorded");
        let tx = setup.l1.get_transaction_by_hash(record.l1_tx_hash).await.expect("rpc").expect("tx");
        let hash = super::blob_of(&tx, index);
        assert!(store.blob(hash).await.expect("db").is_some(), "batch {index}'s blob is kept");
    }
    drop(store);
    // With every beacon gone (past their 18 days), a challenger judging again from its own
    // database (no snapshot was taken) verifies from the blobs it kept.
    challenger_verifies(&setup.config, dir.path(), Some(dead), Vec::new(), 0, last.index, root).await;
    setup.stop().await;
}

/// Blob posts read through beacon APIs that name blocks as the beacon-APIs spec does, by slot
/// ([`super::beacon::SpecBeacon`]: it follows the spec's text, it is not a consensus client,
/// none of which can be installed here), and through anvil, by execution block number. From the
/// test's start the L1 keeps a beacon chain's clock (a block per 12-second slot, one to three
/// slots missed before each batcher round) and the beacon's genesis is 1,000 slots earlier, so a
/// post's slot is neither its block number nor that plus a constant. The challenger asks the
/// beacon node what it is once (`/eth/v1/config/spec`, `/eth/v1/beacon/genesis`), then each
/// blob by its block's slot, and verifies every batch; the beacon node does not serve a blob
/// by its execution block number (what the challenger asked before). With a first beacon node
/// that has pruned the blobs (and gives its slot's length as `SLOT_DURATION_MS`, the current
/// spec's key) and anvil as the fallback, each is asked on its own terms: the beacon node by
/// slot, anvil by number (it has no block at those slots' numbers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_posts_are_read_from_a_beacon_node_by_slot_and_from_anvil_by_block_number() {
    use super::beacon::{BeaconChain, SpecBeacon};
    const SLOT: u64 = 12;
    let mut setup = Setup::new(3, quick()).await;
    setup.config.da = DaMode::Blobs;
    // A post a batch: the test needs posts in several slots.
    setup.config.blobs_per_post = 1;
    let timestamp = |number: u64| {
        let l1 = setup.l1.clone();
        async move {
            let block = l1.get_block_by_number(number.into()).await.expect("rpc").expect("a block");
            block.header.timestamp
        }
    };
    setup.rpc("anvil_setBlockTimestampInterval", serde_json::json!([SLOT])).await;
    let start = timestamp(setup.l1.get_block_number().await.expect("rpc")).await;
    let genesis_time = start - 1_000 * SLOT;
    let batcher = setup.batcher().await;
    let head = setup.sequencer.node.head().header.number;
    for round_index in 0..40u64 {
        let last = timestamp(setup.l1.get_block_number().await.expect("rpc")).await;
        setup.rpc("evm_mine", serde_json::json!([last + SLOT * (2 + round_index % 3)])).await;
        round(&batcher).await;
        if setup.store().latest_batch().await.expect("db").is_some_and(|b| b.last_block == head) {
            break;
        }
    }
    setup.assert_record_matches_l1().await;
    let last = setup.store().latest_batch().await.expect("db").expect("batches");
    assert_eq!(last.last_block, head, "every block posted");

    // The beacon chain: each L1 block from the start on is in the slot its timestamp starts.
    let mut slots = std::collections::HashMap::new();
    for number in 0..=setup.l1.get_block_number().await.expect("rpc") {
        let time = timestamp(number).await;
        if time >= start {
            assert_eq!((time - genesis_time) % SLOT, 0, "L1 block {number} at {time} starts a slot");
            slots.insert((time - genesis_time) / SLOT, number);
        }
    }
    // Each post's L1 block, its slot, and its blob's versioned hash.
    let mut posts = Vec::new();
    for index in 0..=last.index {
        let record = setup.store().batch(index).await.expect("db").expect("recorded");
        let tx = setup.l1.get_transaction_by_hash(record.l1_tx_hash).await.expect("rpc").expect("tx");
        let hash = super::blob_of(&tx, index);
        let slot = (timestamp(record.l1_block).await - genesis_time) / SLOT;
        assert_eq!(slots.get(&slot), Some(&record.l1_block));
        posts.push((record.l1_block, slot, hash));
    }
    let offsets: std::collections::BTreeSet<u64> = posts.iter().map(|(number, slot, _)| slot - number).collect();
    assert!(posts.len() >= 3 && offsets.len() > 1, "slots are not block numbers plus a constant: {posts:?}");
    let by_slot: Vec<String> =
        posts.iter().map(|(_, slot, hash)| format!("/eth/v1/beacon/blobs/{slot}?versioned_hashes={hash}")).collect();
    let root = setup.sequencer.node.head().header.state_root;
    let l1 = setup.config.l1_rpc.clone();

    // A beacon node: asked what it is once, then each blob by its slot.
    let spec =
        serde_json::json!({ "CONFIG_NAME": "test", "SECONDS_PER_SLOT": SLOT.to_string(), "SLOTS_PER_EPOCH": "32" });
    let beacon =
        SpecBeacon::start(l1.clone(), BeaconChain { genesis_time, spec, slots: slots.clone(), pruned: false }).await;
    let dir = tempfile::tempdir().expect("tempdir");
    challenger_verifies(&setup.config, dir.path(), Some(beacon.url.clone()), Vec::new(), 0, last.index, root).await;
    let probes = ["/eth/v1/config/spec".to_string(), "/eth/v1/beacon/genesis".to_string()];
    assert_eq!(beacon.asked(), [&probes[..], &by_slot].concat());
    // By its execution block number, as the challenger asked before, it does not serve the blob.
    let (number, _, hash) = posts[0];
    let (client, block_id) = (reqwest::Client::new(), number.to_string());
    let by_number = rollup_fraud_proof::beacon::fetch_blob(&client, &beacon.url, &block_id, hash, None).await;
    let err = by_number.expect_err("an execution block number is not the post's slot");
    assert!(err.contains(&format!("/eth/v1/beacon/blobs/{number}?")) && err.contains("404"), "{err}");
    // Nor does the crate's by-number helper ask it for another block: it refuses, saying why.
    let refused = rollup_fraud_proof::fetch_blob(&beacon.url, number, hash, None).await.expect_err("a beacon node");
    assert!(refused.contains("names blocks by slot"), "{refused}");

    // A beacon node that pruned the blobs, then anvil: each asked on its own terms.
    let spec = serde_json::json!({ "SLOT_DURATION_MS": (SLOT * 1_000).to_string() });
    let pruned = SpecBeacon::start(l1.clone(), BeaconChain { genesis_time, spec, slots, pruned: true }).await;
    let dir = tempfile::tempdir().expect("tempdir");
    challenger_verifies(&setup.config, dir.path(), Some(pruned.url.clone()), vec![l1], 0, last.index, root).await;
    let asked = pruned.asked();
    let blobs: Vec<&String> = asked.iter().filter(|path| path.starts_with("/eth/v1/beacon/blobs/")).collect();
    assert_eq!(blobs, by_slot.iter().collect::<Vec<_>>(), "the pruned node was asked first, by slot");
    // What a server is gets asked again after it failed to serve a blob.
    assert_eq!(asked.iter().filter(|path| **path == probes[0]).count(), posts.len());
    setup.stop().await;
}

/// `--da auto` with several posts in flight: blobs cost less than calldata on a fresh anvil,
/// so posts go out as blobs while the L1 block has blob room beside the blob posts already in
/// flight, and the rest of the round as calldata; both kinds land in one L1 block, in nonce
/// order, and the challenger verifies them all (calldata from the posts, blobs from the
/// beacon endpoint).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn da_auto_fills_the_blob_room_and_posts_the_rest_as_calldata() {
    let mut setup = Setup::new(12, several(12)).await;
    setup.config.da = DaMode::Auto;
    // A post per blob batch: what is counted here is posts (several a post: below).
    setup.config.blobs_per_post = 1;
    setup.automine(false).await;
    let batcher = setup.batcher().await;
    assert!(batcher.step().await.expect("sends").is_none(), "nothing is mined yet");
    let room = batcher.capacity().l1.max_blobs_per_block.expect("anvil publishes its blob schedule") as usize;
    assert!(room < 12, "the test needs more posts than blob room ({room})");
    let posts = in_flight(&batcher);
    assert_eq!(posts.len(), 12, "one post per block");
    let kinds = setup.blob_posts(&posts).await;
    let blobs = kinds.iter().filter(|b| **b).count();
    assert_eq!(blobs, room, "one blob per post up to the block's room: {kinds:?}");
    assert!(kinds[..room].iter().all(|b| *b) && kinds[room..].iter().all(|b| !*b), "blobs first: {kinds:?}");

    setup.mine().await;
    settle_all(&setup, &batcher, 12).await;
    let first = setup.store().batch(0).await.expect("db").expect("batch 0").l1_block;
    let last = setup.store().batch(11).await.expect("db").expect("batch 11").l1_block;
    assert_eq!(first, last, "blob and calldata posts in one L1 block");
    for index in 0..12u64 {
        let record = setup.store().batch(index).await.expect("db").expect("recorded");
        // Blob and calldata batches alike are recorded with their data's length.
        assert!(record.data_len > 0 && record.data_len < 1_000, "batch {index}: {} bytes", record.data_len);
    }
    setup.assert_record_matches_l1().await;
    let head = setup.sequencer.node.head();
    assert_challenger_verifies(&setup.config, 0, 11, head.header.state_root).await;
    setup.stop().await;
}

/// Consecutive blob batches share a post, one blob each, up to the six blobs an Osaka
/// transaction takes (`postBatchesBlobs`), and the blob room is counted in blobs, not posts: on
/// an anvil whose blob schedule allows fewer than twelve blobs a block, twelve one-block batches
/// go out as posts of six blobs up to the room, then with `--da auto` as calldata, with
/// `--da blobs` in the next round, once the L1 has mined the first. Every batch is recorded with its post's transaction, the record
/// matches L1, and a challenger reading batch i of a post from its blob i verifies them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_batches_share_posts_of_up_to_six_blobs() {
    for da in [DaMode::Blobs, DaMode::Auto] {
        let mut setup = Setup::new(12, several(12)).await;
        setup.config.da = da;
        setup.automine(false).await;
        let batcher = setup.batcher().await;
        round(&batcher).await;
        let room = batcher.capacity().l1.max_blobs_per_block.expect("anvil publishes its blob schedule") as usize;
        assert!(room < 12, "the test needs more batches than blob room ({room})");
        let mut expected: Vec<(usize, bool)> = (0..room).step_by(6).map(|i| ((room - i).min(6), true)).collect();
        if da == DaMode::Auto {
            expected.extend(std::iter::repeat_n((1, false), 12 - room));
        }
        let posts = in_flight(&batcher);
        let mut shapes = Vec::new();
        let mut next = 0;
        for (index, _, hash) in &posts {
            assert_eq!(*index, next, "posts follow each other");
            let tx = setup.l1.get_transaction_by_hash(*hash).await.expect("rpc").expect("the node holds the post");
            let blobs = alloy::consensus::Transaction::blob_versioned_hashes(tx.inner.inner()).map_or(0, <[B256]>::len);
            let batches = super::batches_in(&tx);
            assert!(blobs == 0 || blobs == batches, "a blob per batch: {blobs} for {batches}");
            shapes.push((batches, blobs > 0));
            next += batches as u64;
        }
        assert_eq!(shapes, expected, "{da:?}: (batches, blobs) of each post");
        // The status and the metrics say as much.
        let status = batcher.subscribe().borrow().clone();
        assert_eq!(status.blob_room as usize, room);
        let reported: Vec<(usize, bool)> = status.in_flight.iter().map(|p| (p.batches as usize, p.blobs > 0)).collect();
        assert_eq!(reported, expected, "the status's posts in flight");
        let mut metrics = String::new();
        status.render_prometheus(&mut metrics);
        assert!(metrics.contains(&format!("\nrollup_batcher_blobs_in_flight {room}\n")), "{metrics}");
        assert!(metrics.contains(&format!("\nrollup_batcher_blob_room {room}\n")), "{metrics}");
        setup.mine().await;
        settle_all(&setup, &batcher, 12).await;
        let first = setup.store().batch(0).await.expect("db").expect("batch 0");
        let sixth = setup.store().batch(5).await.expect("db").expect("batch 5");
        assert_eq!(first.l1_tx_hash, sixth.l1_tx_hash, "the first six batches in one post");
        assert_eq!(sixth.first_block, setup.store().batch(4).await.expect("db").expect("batch 4").last_block + 1);
        setup.assert_record_matches_l1().await;
        let head = setup.sequencer.node.head();
        assert_challenger_verifies(&setup.config, 0, 11, head.header.state_root).await;
        setup.stop().await;
    }
}

/// `--da auto` keeps the blob posts' KZG work within the cores it is given (the batcher's
/// `blob_cpu` budget): with a budget that fills by a nanosecond a second, one blob's work
/// spends it, and the rest of a round goes in calldata though the L1 block has room for more
/// blobs (on two cores with one-second L1 blocks, blobs without a bound carried 80 % of what
/// calldata did: BENCHMARKS.md "Blob batches"). Without any cores, every post is calldata.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn da_auto_keeps_the_blob_work_within_its_cores() {
    let mut setup = Setup::new(12, several(12)).await;
    setup.config.da = DaMode::Auto;
    // A post per blob batch: what is counted here is posts (several a post: below).
    setup.config.blobs_per_post = 1;
    setup.config.blob_cores = 1e-9;
    setup.automine(false).await;
    let batcher = setup.batcher().await;
    round(&batcher).await;
    let room = batcher.capacity().l1.max_blobs_per_block.expect("anvil publishes its blob schedule") as usize;
    assert!(room > 1, "the test needs blob room for more than one post ({room})");
    let posts = in_flight(&batcher);
    assert_eq!(posts.len(), 12, "one post per block");
    let kinds = setup.blob_posts(&posts).await;
    assert_eq!(kinds.iter().filter(|b| **b).count(), 1, "one blob's work spends the budget: {kinds:?}");
    assert!(kinds[0], "the first post is the blob: {kinds:?}");
    setup.mine().await;
    settle_all(&setup, &batcher, 12).await;
    setup.assert_record_matches_l1().await;
    drop(batcher);

    // No cores: calldata only, as long as the budget stays empty.
    setup.config.blob_cores = 0.0;
    let batcher = setup.batcher().await;
    for nonce in 12..15 {
        include_transfer(&setup.sequencer, nonce).await;
    }
    round(&batcher).await;
    let posts = in_flight(&batcher);
    assert_eq!(posts.len(), 3, "one post per new block");
    assert_eq!(setup.blob_posts(&posts).await, [false; 3]);
    setup.mine().await;
    settle_all(&setup, &batcher, 15).await;
    let head = setup.sequencer.node.head();
    assert_challenger_verifies(&setup.config, 0, 14, head.header.state_root).await;
    setup.stop().await;
}

/// `--da auto` spends blob work beyond its CPU budget where calldata would wait: once the
/// calldata posts in flight take the L1 block's gas, a blob is the room the L1 has left (with
/// mainnet's 12 s blocks the node has CPU to spare, but not always). With no cores for blob work
/// and an L1 block of 1,000,000 gas, the first posts go in calldata up to the block's gas, and
/// the next in blobs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn da_auto_posts_blobs_where_calldata_would_wait_for_a_later_l1_block() {
    let mut setup = Setup::new(12, several(12)).await;
    setup.config.da = DaMode::Auto;
    // A post per blob batch: what is counted here is posts (several a post: below).
    setup.config.blobs_per_post = 1;
    setup.config.blob_cores = 0.0;
    let gas_limit = 1_000_000u64;
    setup.rpc("evm_setBlockGasLimit", serde_json::json!([format!("{gas_limit:#x}")])).await;
    setup.mine().await;
    setup.automine(false).await;
    let batcher = setup.batcher().await;
    assert_eq!(batcher.capacity().l1.block_gas_limit, gas_limit);
    round(&batcher).await;
    let posts = in_flight(&batcher);
    assert_eq!(posts.len(), 12, "one post per block");
    let kinds = setup.blob_posts(&posts).await;
    let calldata = kinds.iter().take_while(|b| !**b).count();
    assert!(calldata >= 1, "calldata while the block's gas has room: {kinds:?}");
    assert!(calldata < 12 && kinds[calldata], "then blobs: {kinds:?}");
    // No more calldata ahead of the first blob than the block's gas holds: each is counted at
    // the inbox's execution and the transaction's base at least (206,000 gas).
    assert!(calldata as u64 <= gas_limit / 206_000, "{kinds:?}");
    setup.mine().await;
    settle_all(&setup, &batcher, 12).await;
    setup.assert_record_matches_l1().await;
    setup.stop().await;
}

/// The L1 cost of a byte the queue reader records (what the sequencer prices blocks from) is
/// projected over the rise of the L1's fees: a byte priced now is posted blocks later, and
/// under load the base fee rises meanwhile (docs/fees.md §4). Without the projection, fees
/// covered 0.82 of the posts' cost in the later half of a `rollup bench e2e` run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_l1_cost_of_a_byte_is_projected_over_the_rise_of_the_l1_fees() {
    let setup = Setup::new(1, quick()).await;
    let batcher = setup.batcher().await;
    // Base fees rising by a tenth a block over the fee history the reader measures.
    let mut fee = 1_000_000_000u128;
    for _ in 0..=rollup_batcher::l1_price::FEE_HISTORY_BLOCKS {
        setup.rpc("anvil_setNextBlockBaseFeePerGas", serde_json::json!([format!("{fee:#x}")])).await;
        setup.mine().await;
        fee = fee * 11 / 10;
    }
    round(&batcher).await;
    let (l1_block, cost) = setup.store().l1_byte_cost().await.expect("db").expect("a cost was read");
    let history = setup.l1.get_fee_history(rollup_batcher::l1_price::FEE_HISTORY_BLOCKS, l1_block.into(), &[]).await;
    let fees = history.expect("rpc").base_fee_per_gas;
    // The base fees of the blocks read (anvil answers the entry after the newest from the block
    // mined since, the batcher's post); the next one is at least an eighth below the newest.
    let blocks = &fees[..fees.len() - 1];
    let newest = *blocks.last().expect("blocks");
    assert!(newest > blocks[0], "the fees rose: {fees:?}");
    let next = newest - newest / 8;
    // At least one block ahead at the rate they rose to the lowest next base fee (the newest
    // block's own falls an eighth after an empty block), with the tip a post is given.
    let rate = (next as f64 / blocks[0] as f64).powf(1.0 / blocks.len() as f64);
    let tip = setup.l1.estimate_eip1559_fees().await.expect("rpc").max_priority_fee_per_gas;
    let ahead = (next as f64 * rate) as u128 + tip;
    assert!(
        cost >= rollup_types::fees::calldata_byte_cost(ahead),
        "{cost} wei a byte; calldata's at the next base fee {next} and tip {tip} is {}, a block ahead {}",
        rollup_types::fees::calldata_byte_cost(next + tip),
        rollup_types::fees::calldata_byte_cost(ahead)
    );
    setup.stop().await;
}

/// A batcher restarted with multi-blob posts in flight reads them back from their stored
/// signed bytes: which batches each posts, how many blobs it holds against the room (full: it
/// posts no more), and, once they are mined, a record for every batch with its post's
/// transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_batcher_follows_its_multi_blob_posts_in_flight() {
    let mut setup = Setup::new(12, several(16)).await;
    setup.config.da = DaMode::Blobs;
    setup.automine(false).await;
    let batcher = setup.batcher().await;
    round(&batcher).await;
    let room = batcher.capacity().l1.max_blobs_per_block.expect("anvil publishes its blob schedule") as usize;
    let before: Vec<(u64, u64)> = batcher.subscribe().borrow().in_flight.iter().map(|p| (p.batches, p.blobs)).collect();
    assert_eq!(before.iter().map(|(_, blobs)| *blobs as usize).sum::<usize>(), room, "{before:?}");
    assert!(before[0] == (6, 6), "a post of six blobs first: {before:?}");
    drop(batcher);
    let batcher = setup.batcher().await;
    round(&batcher).await;
    let after: Vec<(u64, u64)> = batcher.subscribe().borrow().in_flight.iter().map(|p| (p.batches, p.blobs)).collect();
    assert_eq!(after, before, "the restarted batcher reads its posts back, and the room is full");
    setup.mine().await;
    settle_all(&setup, &batcher, 12).await;
    let first = setup.store().batch(0).await.expect("db").expect("batch 0");
    for index in 1..6 {
        let record = setup.store().batch(index).await.expect("db").expect("recorded");
        assert_eq!(record.l1_tx_hash, first.l1_tx_hash, "batch {index} in the first post");
    }
    setup.assert_record_matches_l1().await;
    let head = setup.sequencer.node.head();
    assert_challenger_verifies(&setup.config, 0, 11, head.header.state_root).await;
    setup.stop().await;
}

/// The blob room is counted over every blob post in flight: those of earlier rounds, and those
/// a batcher signed before it restarted (with 12 s L1 blocks a round runs many times a block, and
/// counting only its own posts sent every post to blobs, to wait for later blocks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn da_auto_counts_the_blob_posts_of_earlier_rounds_and_of_before_a_restart() {
    let mut setup = Setup::new(1, several(16)).await;
    setup.config.da = DaMode::Auto;
    setup.automine(false).await;
    let batcher = setup.batcher().await;
    round(&batcher).await;
    let room = batcher.capacity().l1.max_blobs_per_block.expect("anvil publishes its blob schedule") as usize;
    assert_eq!(setup.blob_posts(&in_flight(&batcher)).await, [true], "the first post is a blob");
    // One round per new L2 block: the blob posts of earlier rounds fill the room, then calldata.
    let mut nonce = 1;
    while in_flight(&batcher).len() < room + 2 {
        include_transfer(&setup.sequencer, nonce).await;
        nonce += 1;
        round(&batcher).await;
    }
    let posted = setup.blob_posts(&in_flight(&batcher)).await;
    assert_eq!(posted.iter().filter(|b| **b).count(), room, "blobs up to the room, over rounds: {posted:?}");
    assert!(posted[..room].iter().all(|b| *b), "{posted:?}");
    // A new batcher over the same database: the blob posts in flight still fill the room.
    drop(batcher);
    let batcher = setup.batcher().await;
    include_transfer(&setup.sequencer, nonce).await;
    round(&batcher).await;
    let posted = setup.blob_posts(&in_flight(&batcher)).await;
    assert!(posted.len() > room + 2, "the restarted batcher posted: {posted:?}");
    assert_eq!(posted.iter().filter(|b| **b).count(), room, "no blob beyond the room after a restart: {posted:?}");
    // While the room is full the next post is calldata, and the L1 cost of a byte the queue
    // reader records (what blocks are priced from) counts calldata's for the share of the posts
    // in flight and the next in calldata, a blob's for the rest.
    for _ in 0..3 {
        setup.mine().await;
    }
    round(&batcher).await;
    let (l1_block, cost) = setup.store().l1_byte_cost().await.expect("db").expect("a cost was read");
    // The fees of the block after the newest read, which the reading projects from.
    let history = setup.l1.get_fee_history(1, l1_block.into(), &[]).await.expect("rpc");
    let base_fee = *history.base_fee_per_gas.last().expect("EIP-1559");
    let blob_fee = *history.base_fee_per_blob_gas.last().expect("EIP-4844");
    let tip = setup.l1.estimate_eip1559_fees().await.expect("rpc").max_priority_fee_per_gas;
    // The share of posts in calldata, averaged over the posts in the order they were signed
    // (the restarted batcher counted those in flight when it started).
    let share = posted
        .iter()
        .fold(Default::default(), |share, blob| rollup_batcher::l1_price::CalldataShare::after_post(share, !blob));
    let least = rollup_batcher::l1_price::l1_byte_cost(DaMode::Auto, base_fee + tip, Some(blob_fee), share);
    let blob = rollup_types::fees::blob_byte_cost(base_fee + tip, blob_fee);
    assert!(least > blob + blob / 4, "{share:?} of {} posts: {least} wei a byte, a blob's {blob}", posted.len());
    assert!(cost >= least, "{cost} wei a byte, at least {least} with {share:?} in calldata; a blob's {blob}");
    settle_all(&setup, &batcher, posted.len() as u64).await;
    setup.assert_record_matches_l1().await;
    setup.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_that_a_reorg_moves_to_another_block_is_followed_there() {
    let setup = Setup::new(1, quick()).await;
    let batcher = setup.batcher().await;
    settle_batch(&setup, &batcher, 0).await;
    setup.mine().await;
    // The second L2 block only now: its post is mined after the empty L1 block, whatever rounds
    // the batcher ran before (a round that fails after recording a post returns no record).
    include_transfer(&setup.sequencer, 1).await;
    let moved = settle_batch(&setup, &batcher, 1).await;
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

/// The batcher signs each post with a gas limit it computes (a post behind others in flight
/// cannot be estimated by the node): the computation must cover what the inbox really uses,
/// and stay close to it (a loose limit wastes the room other posts need in an L1 block).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_post_gas_model_covers_real_posts() {
    use alloy::network::{EthereumWallet, TransactionBuilder, TransactionBuilder4844};
    use alloy::signers::local::PrivateKeySigner;
    use rollup_batcher::limits;

    let anvil = automining_anvil().await;
    let url: url::Url = anvil.url().parse().expect("url");
    let genesis = B256::repeat_byte(0x11);
    let params = InboxParams {
        batcher: DEV_ACCOUNTS[1].address,
        challenge_window: 3_600,
        stake: U256::from(1_000u64),
        genesis_state_root: genesis,
        genesis_ether: rollup_types::genesis::GenesisSpec::devnet().genesis_ether(),
        chunk_size: rollup_types::chain::DEFAULT_CHUNK_SIZE,
        l2_chain_id: 42_069,
        // The posts carry no queue position: the L1 fees the first one queues must not fall
        // due before the last one (thirty L1 blocks later).
        inclusion_window: 1_000,
        freeze_delay: 2_000,
    };
    let deployment = rollup_devnet::deploy(&url, &DEV_ACCOUNTS[0].private_key, &params).await.expect("deploy");
    let (staker, _, _) = rollup_l1::signing_provider(&url, &DEV_ACCOUNTS[1].private_key).expect("key");
    rollup_l1::deploy::stake(&staker, deployment.batch_inbox, params.stake).await.expect("stake");
    let wallet = EthereumWallet::from(PrivateKeySigner::from_bytes(&DEV_ACCOUNTS[1].private_key).expect("key"));
    let l1 = ProviderBuilder::new().wallet(wallet).connect_http(url.clone());
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut random_bytes = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                (rng as u8) | 1
            })
            .collect()
    };
    // (data bytes, chunk roots): the first post (which also sets the count from zero), small
    // posts, many roots, a full calldata post; then the same again over records a rollback freed.
    let shapes = [(1, 1), (100, 1), (1_000, 2), (5_000, 5), (1, 320), (120_000, 30), (120_000, 320), (60_000, 0)];
    let (mut prev, mut last_block) = (genesis, 0u64);
    for round in 0..2 {
        for (i, &(bytes, roots)) in shapes.iter().enumerate() {
            let index = if round == 0 { i } else { 2 + i };
            let data = random_bytes(bytes);
            let chunk_roots: Vec<B256> = (0..roots).map(|_| B256::from_slice(&random_bytes(32))).collect();
            last_block += 1;
            let input = BatchInbox::postBatchCall {
                index: U256::from(index),
                prevStateRoot: prev,
                lastBlock: last_block,
                queueEnd: 0,
                queueAccumulator: B256::ZERO,
                data: data.clone().into(),
                chunkRoots: chunk_roots.clone(),
            }
            .abi_encode();
            let limit = limits::post_gas(&input, bytes, roots);
            let receipt = l1
                .send_transaction(
                    TransactionRequest::default()
                        .with_to(deployment.batch_inbox)
                        .with_input(input)
                        .with_gas_limit(limit),
                )
                .await
                .expect("sent")
                .get_receipt()
                .await
                .expect("mined");
            assert!(receipt.status(), "round {round}, {bytes} bytes, {roots} roots: reverted with limit {limit}");
            // Tight for new records, the normal case; overwriting a record that a rollback freed
            // costs a third of that, and the limit stays that of a new record. A post that does not
            // queue a reading of the L1's fees leaves the room for one unused.
            let used = receipt.gas_used;
            let read = receipt.inner.logs().iter().any(|l| {
                l.topic0()
                    == Some(
                        &<rollup_types::bindings::L1Bridge::L1FeesQueued as alloy_sol_types::SolEvent>::SIGNATURE_HASH,
                    )
            });
            // A reading costs about 50,000 gas, the first (which also sets the inbox's slot for
            // it from zero) the most: what the room for it leaves unused.
            let unused = if read { limits::L1_FEES_REPORT_GAS - 50_000 } else { limits::L1_FEES_REPORT_GAS };
            assert!(
                round == 1 || limit - used <= 45_000 + unused + limit / 50,
                "{bytes} bytes, {roots} roots: limit {limit} for {used} used (reading the L1's fees: {read})"
            );
            assert!(round != 0 || i != 0 || read, "the first post reads the L1's fees");
            prev = chunk_roots.last().copied().unwrap_or(prev);
        }
        if round == 0 {
            // A fraud proof's rollback lowers the count (`_count`, slot 2): later posts
            // overwrite records instead of pushing new ones. Back to two batches.
            let slot = B256::from(U256::from(2u64));
            l1.raw_request::<_, serde_json::Value>(
                "anvil_setStorageAt".into(),
                serde_json::json!([deployment.batch_inbox, slot, B256::from(U256::from(2u64))]),
            )
            .await
            .expect("set count");
            let record = l1_call(
                &l1.clone().erased(),
                deployment.batch_inbox,
                BatchInbox::getBatchCall { index: U256::from(1u64) },
            )
            .await;
            (prev, last_block) = (record.stateRoot, record.lastL2Block);
        }
    }
    // Blob posts: the call carries the length, the segment hashes and the KZG hint after the
    // arguments; the data is in the blob.
    // The roots end the blob: 120,000 bytes leave room for 218.
    let blob_shapes =
        [(1, 1), (1_000, 2), (5_000, 5), (1, 320), (120_000, 30), (120_000, 218), (116_736, 320), (60_000, 0)];
    for (index, (bytes, roots)) in (2 + shapes.len()..).zip(blob_shapes) {
        let data = random_bytes(bytes);
        let chunk_roots: Vec<B256> = (0..roots).map(|_| B256::from_slice(&random_bytes(32))).collect();
        let segment_hashes = rollup_types::codec::segment_hashes(&data);
        let segments = segment_hashes.len();
        last_block += 1;
        let mut input = BatchInbox::postBatchBlobsCall {
            index: U256::from(index),
            prevStateRoot: prev,
            lastBlock: last_block,
            queueEnd: 0,
            queueAccumulator: B256::ZERO,
            length: U256::from(bytes),
            segmentHashes: segment_hashes,
            chunkCount: U256::from(roots),
            chunkRootsHash: rollup_types::codec::chunk_roots_hash(&chunk_roots),
            stateRoot: chunk_roots.last().copied().unwrap_or(prev),
        }
        .abi_encode();
        input.extend_from_slice(&random_bytes(rollup_types::blob::KZG_HINT_BYTES));
        let limit = limits::transaction_gas(&input, limits::blob_execution_gas(segments));
        let mut blob = vec![alloy::eips::eip4844::Blob::ZERO; 1];
        blob[0].copy_from_slice(&rollup_types::blob::to_blob(&data, &chunk_roots).expect("fits"));
        let sidecar = alloy::eips::eip4844::BlobTransactionSidecar::try_from_blobs_with_settings(
            blob,
            alloy::eips::eip4844::env_settings::EnvKzgSettings::Default.get(),
        )
        .expect("sidecar");
        let receipt = l1
            .send_transaction(
                TransactionRequest::default()
                    .with_to(deployment.batch_inbox)
                    .with_input(input)
                    .with_gas_limit(limit)
                    .with_blob_sidecar(alloy::eips::eip7594::BlobTransactionSidecarVariant::Eip4844(sidecar)),
            )
            .await
            .expect("sent")
            .get_receipt()
            .await
            .expect("mined");
        assert!(receipt.status(), "blob post, {bytes} bytes, {roots} roots: reverted with limit {limit}");
        let used = receipt.gas_used;
        let read = receipt.inner.logs().iter().any(|l| {
            l.topic0()
                == Some(&<rollup_types::bindings::L1Bridge::L1FeesQueued as alloy_sol_types::SolEvent>::SIGNATURE_HASH)
        });
        let unused = if read { limits::L1_FEES_REPORT_GAS - 50_000 } else { limits::L1_FEES_REPORT_GAS };
        assert!(
            limit - used <= 45_000 + unused + limit / 50,
            "blob post, {bytes} bytes, {roots} roots: limit {limit} for {used} used (reading the L1's fees: {read})"
        );
        prev = chunk_roots.last().copied().unwrap_or(prev);
    }
    // Posts of several blob batches (`postBatchesBlobs`), up to the six blobs a transaction
    // takes under Osaka: each batch checked and recorded as if posted alone, the L1's fees read
    // once, the memory of all of them.
    let mut index = 2 + shapes.len() + blob_shapes.len();
    let multi: [&[(usize, usize)]; 3] =
        [&[(1, 1), (1_000, 2)], &[(5_000, 5), (1, 256), (60_000, 0)], &[(120_000, 218); 6]];
    for batches in multi {
        let mut parts = Vec::new();
        let mut blobs = Vec::new();
        let mut shapes_of = Vec::new();
        for &(bytes, roots) in batches {
            let data = random_bytes(bytes);
            let chunk_roots: Vec<B256> = (0..roots).map(|_| B256::from_slice(&random_bytes(32))).collect();
            let segment_hashes = rollup_types::codec::segment_hashes(&data);
            shapes_of.push(segment_hashes.len());
            last_block += 1;
            parts.push(BatchInbox::BlobBatch {
                index: U256::from(index),
                prevStateRoot: prev,
                lastBlock: last_block,
                queueEnd: 0,
                queueAccumulator: B256::ZERO,
                length: U256::from(bytes),
                segmentHashes: segment_hashes,
                chunkCount: U256::from(roots),
                chunkRootsHash: rollup_types::codec::chunk_roots_hash(&chunk_roots),
                stateRoot: chunk_roots.last().copied().unwrap_or(prev),
            });
            let mut blob = alloy::eips::eip4844::Blob::ZERO;
            blob.copy_from_slice(&rollup_types::blob::to_blob(&data, &chunk_roots).expect("fits"));
            blobs.push(blob);
            prev = chunk_roots.last().copied().unwrap_or(prev);
            index += 1;
        }
        let mut input = BatchInbox::postBatchesBlobsCall { batches: parts }.abi_encode();
        input.extend_from_slice(&random_bytes(rollup_types::blob::KZG_HINT_BYTES * batches.len()));
        let limit = limits::transaction_gas(&input, limits::blobs_execution_gas(&shapes_of));
        let sidecar = alloy::eips::eip4844::BlobTransactionSidecar::try_from_blobs_with_settings(
            blobs,
            alloy::eips::eip4844::env_settings::EnvKzgSettings::Default.get(),
        )
        .expect("sidecar");
        let request = TransactionRequest::default()
            .with_to(deployment.batch_inbox)
            .with_input(input)
            .with_blob_sidecar(alloy::eips::eip7594::BlobTransactionSidecarVariant::Eip4844(sidecar));
        let receipt =
            l1.send_transaction(request.with_gas_limit(limit)).await.expect("sent").get_receipt().await.expect("mined");
        assert!(receipt.status(), "blob post of {batches:?}: reverted with limit {limit}");
        let used = receipt.gas_used;
        let read = receipt.inner.logs().iter().any(|l| {
            l.topic0()
                == Some(&<rollup_types::bindings::L1Bridge::L1FeesQueued as alloy_sol_types::SolEvent>::SIGNATURE_HASH)
        });
        let unused = if read { limits::L1_FEES_REPORT_GAS - 50_000 } else { limits::L1_FEES_REPORT_GAS };
        assert!(
            limit - used <= 45_000 * batches.len() as u64 + unused + limit / 50,
            "blob post of {batches:?}: limit {limit} for {used} used (reading the L1's fees: {read})"
        );
        assert!(limit <= limits::EIP7825_TX_GAS_CAP, "six full batches fit one transaction: {limit}");
    }
    let count = l1_call(&l1.clone().erased(), deployment.batch_inbox, BatchInbox::batchCountCall {}).await;
    assert_eq!(count, U256::from(index), "every batch recorded");
    anvil.stop().await.expect("anvil stops");
}

async fn l1_call<C: SolCall>(l1: &DynProvider, to: Address, call: C) -> C::Return {
    let out = l1.call(TransactionRequest::default().with_to(to).with_input(call.abi_encode())).await.expect("call");
    C::abi_decode_returns(&out).expect("decode")
}

/// Several posts in flight, on consecutive nonces.
fn several(n: usize) -> TxManagerConfig {
    TxManagerConfig { max_in_flight: n, ..quick() }
}

/// The posts in flight, as the batcher reports them: (batch index, nonce, newest attempt).
fn in_flight(batcher: &Batcher) -> Vec<(u64, u64, B256)> {
    batcher.subscribe().borrow().in_flight.iter().map(|p| (p.batch_index, p.nonce, p.tx_hash)).collect()
}

/// Rounds of `batcher` (mining a block after each) until L1 holds `count` batches and every
/// one is recorded.
async fn settle_all(setup: &Setup, batcher: &Batcher, count: u64) {
    for _ in 0..40 {
        if setup.batch_count().await == count
            && setup.store().latest_batch().await.expect("db").map(|b| b.index + 1) == Some(count)
        {
            return;
        }
        round(batcher).await;
        setup.mine().await;
    }
    panic!("L1 holds {} batches, {count} expected", setup.batch_count().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_posts_go_out_on_consecutive_nonces_and_are_recorded_in_order() {
    let setup = Setup::new(6, several(3)).await;
    setup.automine(false).await;
    let batcher = setup.batcher().await;
    assert!(batcher.step().await.expect("sends").is_none(), "nothing is mined yet");
    let posts = in_flight(&batcher);
    assert_eq!(posts.iter().map(|p| p.0).collect::<Vec<_>>(), [0, 1, 2], "three posts, one batch each");
    assert_eq!(posts.iter().map(|p| p.1).collect::<Vec<_>>(), [posts[0].1, posts[0].1 + 1, posts[0].1 + 2]);
    // A round with no room in flight sends nothing more.
    round(&batcher).await;
    assert_eq!(in_flight(&batcher).len(), 3);
    // All three go into the next L1 block; they are recorded in order, then the next three go.
    setup.mine().await;
    round(&batcher).await;
    let recorded: Vec<u64> = setup.store().latest_batch().await.expect("db").into_iter().map(|b| b.index).collect();
    assert_eq!(recorded, [2]);
    assert_eq!(in_flight(&batcher).iter().map(|p| p.0).collect::<Vec<_>>(), [3, 4, 5]);
    settle_all(&setup, &batcher, 6).await;
    let mut one_block = Vec::new();
    for index in 0..3 {
        one_block.push(setup.store().batch(index).await.expect("db").expect("batch").l1_block);
    }
    assert!(one_block.windows(2).all(|w| w[0] == w[1]), "three posts in one L1 block: {one_block:?}");
    setup.assert_record_matches_l1().await;
    setup.stop().await;
}

/// A kill after any number of posts of a round (the database then holds exactly what a killed
/// process left) and before broadcasting the next (the node never saw it): a restarted batcher
/// finds every post, posts the rest after them, and each batch lands once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_between_any_two_posts_neither_loses_nor_duplicates_a_batch() {
    for killed_after in 1..=3u64 {
        let setup = Setup::new(4, several(4)).await;
        setup.automine(false).await;
        // The process that dies had room for `killed_after` posts of this round.
        let mut config = setup.config.clone();
        config.txmgr.max_in_flight = killed_after as usize;
        let dying = Batcher::new(config, setup.store()).await.expect("batcher");
        round(&dying).await;
        let sent = in_flight(&dying);
        assert_eq!(sent.len() as u64, killed_after);
        // Its last post was stored but never reached the node.
        let last = sent.last().expect("a post").2;
        setup.rpc("anvil_dropTransaction", serde_json::json!([last])).await;
        drop(dying);

        let restarted = setup.batcher().await;
        round(&restarted).await;
        let resumed = in_flight(&restarted);
        assert_eq!(&resumed[..sent.len()], &sent[..], "the stored posts are followed, not signed again");
        assert_eq!(resumed.iter().map(|p| p.0).collect::<Vec<_>>(), [0, 1, 2, 3], "the rest follow them");
        assert_eq!(restarted.subscribe().borrow().rebroadcasts, 1, "the post the node never saw went out");
        settle_all(&setup, &restarted, 4).await;
        assert_eq!(setup.batch_count().await, 4, "each batch once");
        setup.assert_record_matches_l1().await;
        setup.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_taking_out_two_of_three_posts_in_flight_sends_them_again() {
    let setup = Setup::new(3, several(3)).await;
    setup.automine(false).await;
    let batcher = setup.batcher().await;
    round(&batcher).await;
    let posts = in_flight(&batcher);
    assert_eq!(posts.len(), 3);
    // The block that mined all three is replaced by one holding only the first.
    setup.mine().await;
    let first = setup.store().l1_txs_of_batch(0).await.expect("db").pop().expect("post").raw;
    setup.rpc("anvil_reorg", serde_json::json!([1, [[alloy_primitives::hex::encode_prefixed(&first), 0]]])).await;
    assert_eq!(setup.batch_count().await, 1, "the reorg kept batch 0 only");
    round(&batcher).await;
    assert_eq!(setup.store().latest_batch().await.expect("db").map(|b| b.index), Some(0));
    let again = in_flight(&batcher);
    assert_eq!(again, posts[1..], "batches 1 and 2 wait with the same signed posts");
    settle_all(&setup, &batcher, 3).await;
    for &(index, _, hash) in &posts {
        assert_eq!(setup.store().batch(index).await.expect("db").expect("batch").l1_tx_hash, hash);
    }
    setup.assert_record_matches_l1().await;

    // Recorded, then taken out by a reorg: the same three posts go out again.
    let block = setup.store().batch(0).await.expect("db").expect("batch 0").l1_block;
    let head = setup.l1.get_block_number().await.expect("head");
    setup.rpc("anvil_reorg", serde_json::json!([head - block + 1, []])).await;
    assert_eq!(setup.batch_count().await, 0);
    settle_all(&setup, &batcher, 3).await;
    for &(index, _, hash) in &posts {
        assert_eq!(setup.store().batch(index).await.expect("db").expect("batch").l1_tx_hash, hash, "signed once");
    }
    assert!(batcher.subscribe().borrow().reorged_batches >= 3);
    setup.assert_record_matches_l1().await;
    setup.stop().await;
}

/// A post the node misses once (neither counted in its pool nor found by hash) is not taken
/// for lost at once: a node's pool count and its index may lag the post, and a block in the
/// making may hold it. It is broadcast again once still missed two blocks later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_missed_for_a_moment_is_not_broadcast_again_until_missed_two_blocks_later() {
    let setup = Setup::new(2, several(2)).await;
    setup.automine(false).await;
    let batcher = setup.batcher().await;
    round(&batcher).await;
    let posts = in_flight(&batcher);
    assert_eq!(posts.len(), 2);
    setup.rpc("anvil_dropTransaction", serde_json::json!([posts[1].2])).await;
    round(&batcher).await;
    assert_eq!(batcher.subscribe().borrow().rebroadcasts, 0, "missed once: not yet taken for lost");
    setup.mine().await;
    round(&batcher).await;
    assert_eq!(batcher.subscribe().borrow().rebroadcasts, 0, "one block later: the block may still be in the making");
    setup.mine().await;
    round(&batcher).await;
    assert_eq!(batcher.subscribe().borrow().rebroadcasts, 1, "still missed two blocks later: broadcast again");
    settle_all(&setup, &batcher, 2).await;
    assert_eq!(setup.store().batch(1).await.expect("db").expect("batch 1").l1_tx_hash, posts[1].2);
    setup.assert_record_matches_l1().await;
    setup.stop().await;
}

/// A node drops a post whose max fee falls under the base fee (anvil, as soon as it builds a
/// block at that base fee: under load the batcher's posts were dropped and, taken for lost,
/// broadcast again as they were, 8 to 37 times a run). The batcher signs it again with higher
/// fees instead, and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_dropped_for_its_fee_is_signed_again_with_higher_fees() {
    let setup = Setup::new(1, quick()).await;
    setup.automine(false).await;
    let batcher = setup.batcher().await;
    round(&batcher).await;
    let first = setup.store().l1_txs_of_batch(0).await.expect("db");
    assert_eq!(first.len(), 1);
    let base = U256::from(first[0].max_fee_per_gas) * U256::from(3u64);
    setup.rpc("anvil_setNextBlockBaseFeePerGas", serde_json::json!([base])).await;
    setup.mine().await;
    let held = setup.l1.get_transaction_by_hash(first[0].tx_hash).await.expect("asked");
    assert!(held.is_none(), "anvil dropped the underpriced post");
    for _ in 0..3 {
        round(&batcher).await;
        setup.mine().await;
    }
    let status = batcher.subscribe().borrow().clone();
    assert_eq!((status.fee_bumps, status.rebroadcasts), (1, 0), "signed again, not broadcast again: {status:?}");
    settle_all(&setup, &batcher, 1).await;
    let attempts = setup.store().l1_txs_of_batch(0).await.expect("db");
    assert_eq!(attempts.len(), 2);
    assert!(attempts[1].max_fee_per_gas > base.to::<u128>());
    assert_eq!(setup.store().batch(0).await.expect("db").expect("batch 0").l1_tx_hash, attempts[1].tx_hash);
    setup.assert_record_matches_l1().await;
    setup.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bump_of_the_middle_post_lets_all_three_land_in_order() {
    let setup = Setup::new(3, TxManagerConfig { resubmit_after: Duration::from_millis(300), ..several(3) }).await;
    setup.automine(false).await;
    let batcher = setup.batcher().await;
    round(&batcher).await;
    let posts = in_flight(&batcher);
    assert_eq!(posts.len(), 3);
    // The node loses the middle post: the third cannot be mined behind the gap.
    setup.rpc("anvil_dropTransaction", serde_json::json!([posts[1].2])).await;
    setup.mine().await;
    round(&batcher).await;
    assert_eq!(setup.batch_count().await, 1, "only the first landed");
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Waited past `resubmit_after`: the middle (and the third) are signed again, same nonces.
    round(&batcher).await;
    let middle = setup.store().l1_txs_of_batch(1).await.expect("db");
    assert_eq!(middle.len(), 2, "{middle:?}");
    assert_eq!(middle[0].nonce, middle[1].nonce);
    assert!(middle[1].max_fee_per_gas > middle[0].max_fee_per_gas);
    assert!(middle[0].raw.is_empty(), "only the newest attempt keeps its signed bytes");
    settle_all(&setup, &batcher, 3).await;
    let landed = setup.store().batch(1).await.expect("db").expect("batch 1");
    assert_eq!(landed.l1_tx_hash, middle[1].tx_hash, "the replacement landed");
    setup.assert_record_matches_l1().await;
    setup.stop().await;
}

/// A block that does not fit one post stalls posting with the reason and what to change, and
/// never wedges silently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_too_large_for_one_post_stalls_with_the_reason() {
    let mut setup = Setup::new(1, quick()).await;
    setup.config.max_bytes = 100;
    let batcher = setup.batcher().await;
    let err = batcher.step().await.expect_err("the block does not fit");
    assert!(matches!(err, BatcherError::BlockTooLarge { number: 1, max: 100, .. }), "{err}");
    let status = batcher.subscribe().borrow().clone();
    assert_eq!(status.state, BatcherState::Stalled);
    assert!(status.last_error.as_deref().is_some_and(|e| e.contains("--max-block-bytes")), "{status:?}");
    assert_eq!(status.limits.map(|l| l.max_block_bytes), Some(100));
    // The bound is in the chain database for the sequencer.
    assert_eq!(setup.store().post_limits().await.expect("db").map(|l| l.max_block_bytes), Some(100));
    assert!(setup.store().pending_l1_txs().await.expect("db").is_empty(), "nothing was signed");
    setup.stop().await;
}

/// Code for an EIP-7702-delegated account (issue 53's attack), assembled by hand: it calls
/// `target` with the `n` bytes of its input before the input's last word, `n`, and returns or
/// reverts with what the call returned. Returns the creation code that deploys it.
fn forwarder_initcode(target: Address) -> Vec<u8> {
    let mut runtime = vec![
        0x36, 0x60, 0x20, 0x90, 0x03, // p = calldatasize - 32
        0x80, 0x35, 0x80, 0x91, 0x03, // n = calldataload(p); start = p - n
        0x81, 0x90, 0x60, 0x00, 0x37, // calldatacopy(0, start, n)
        0x60, 0x00, 0x60, 0x00, 0x91, 0x60, 0x00, 0x60, 0x00, // ret 0 0, args 0 n, value 0
        0x73, // push20 target
    ];
    runtime.extend_from_slice(target.as_slice());
    runtime.extend_from_slice(&[
        0x5a, 0xf1, // call(gas, target, 0, 0, n, 0, 0)
        0x3d, 0x60, 0x00, 0x60, 0x00, 0x3e, // returndatacopy(0, 0, returndatasize)
        0x60, 0x3c, 0x57, // jumpi(ok, success)
        0x3d, 0x60, 0x00, 0xfd, // revert(0, returndatasize)
        0x5b, 0x3d, 0x60, 0x00, 0xf3, // ok: return(0, returndatasize)
    ]);
    assert_eq!(runtime[0x3c], 0x5b, "the jump lands on its JUMPDEST");
    let len = u8::try_from(runtime.len()).expect("short");
    let mut initcode = vec![0x60, len, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    initcode.extend_from_slice(&runtime);
    initcode
}

/// Issue 53: the batcher key delegates its account (EIP-7702) to code that forwards hidden
/// bytes to the inbox, and sends itself an input that decodes as an ordinary post of a decoy.
/// The inbox refuses a post from an account with code; the batcher finds the delegation,
/// clears it and posts on; and a challenger that reads L1 alone verifies every batch after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delegated_batcher_account_cannot_post_what_its_transaction_does_not_show() {
    use rollup_l1::account::{AccountCode, account_code, send_delegated};
    let setup = Setup::new(2, quick()).await;
    let batcher = setup.batcher().await;
    let first = settle_batch(&setup, &batcher, 0).await;
    let url = setup.config.l1_rpc.clone();
    let (deployer, _, _) = rollup_l1::signing_provider(&url, &DEV_ACCOUNTS[0].private_key).expect("key");
    let deploy = TransactionRequest::default().with_deploy_code(forwarder_initcode(setup.config.inbox));
    let forwarder = rollup_l1::send_ok(&deployer, deploy, "the forwarder").await.expect("deployed");
    let forwarder = forwarder.contract_address.expect("a contract");

    let post = |data: &'static [u8], root: B256| BatchInbox::postBatchCall {
        index: U256::from(1u8),
        prevStateRoot: first.state_root,
        lastBlock: 2,
        queueEnd: 0,
        queueAccumulator: B256::ZERO,
        data: alloy_primitives::Bytes::from_static(data),
        chunkRoots: vec![root],
    };
    let hidden = post(b"\x03 not what the input shows", B256::repeat_byte(0xf0)).abi_encode();
    let decoy = post(b"\x03", B256::repeat_byte(0xde)).abi_encode();
    let input = [decoy.as_slice(), &hidden, &B256::from(U256::from(hidden.len())).0].concat();
    let (key, address) = (setup.config.key, DEV_ACCOUNTS[1].address);
    let (attacker, _, _) = rollup_l1::signing_provider(&url, &key).expect("key");
    let receipt =
        send_delegated(&attacker, &key, forwarder, address, input.into(), Some(1_000_000)).await.expect("mined");
    assert!(!receipt.status(), "the forwarded post reverts (NotDirectPost)");
    assert_eq!(setup.batch_count().await, 1, "the inbox recorded nothing");
    assert_eq!(account_code(&setup.l1, address).await.expect("code"), AccountCode::Delegated(forwarder));

    // The batcher clears the delegation and posts batch 1 from its account.
    let status = batcher.subscribe();
    let second = settle_batch(&setup, &batcher, 1).await;
    assert_eq!(status.borrow().delegations_cleared, 1);
    assert_eq!(account_code(&setup.l1, address).await.expect("code"), AccountCode::None);
    setup.assert_record_matches_l1().await;
    assert_challenger_verifies(&setup.config, 0, 1, second.state_root).await;
    setup.stop().await;
}
