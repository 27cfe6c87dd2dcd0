//! Fraud proofs against a real anvil: for every fault the batcher can inject, the devnet's
//! challenger proves it on L1 inside the window, the inbox rolls the batch and its
//! descendants back and pays the prover half the slashed stake, and the honest chain continues and
//! verifies. And the other way round: no chunk of an honest batch can be proven fraudulent.

use alloy::{
    eips::BlockNumberOrTag,
    network::{EthereumWallet, TransactionBuilder},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{Filter, TransactionRequest},
    signers::local::PrivateKeySigner,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use rollup_batcher::{DaMode, fault::Fault};
use rollup_devnet::{Devnet, DevnetConfig};
use rollup_fraud_proof::{
    batch::BlobPost,
    derive::{PostedBatch, Verdict, Verifier},
    prove::{self, FraudProof},
};
use rollup_l1::inbox::{PostCall, PostData, PostRoots};
use rollup_types::{
    ChainConfig, FaultKind, Forgery, Op, TxStatus,
    bindings::{BatchInbox, L2System},
    genesis::{DAI, DEV_ACCOUNTS, GenesisSpec, USDC, WETH},
    keys,
    signer::Signer,
    status::{ChallengerStatus, ProofState},
};
use std::time::Duration;

/// Transactions per chunk in these tests: the workload fills several chunks of one block.
const CHUNK_SIZE: u32 = 4;

fn chain() -> ChainConfig {
    ChainConfig { chunk_size: CHUNK_SIZE, ..ChainConfig::default() }
}

/// A devnet whose inbox gives a long window (proofs must land inside it) and whose batcher
/// injects `fault`.
async fn devnet(dir: &std::path::Path, fault: Option<Fault>) -> Devnet {
    devnet_posting(dir, fault, DaMode::Calldata).await
}

/// [`devnet`], posting batch data as `da` says.
/// The fault sweep's challenge window, in L1 seconds.
const CHALLENGE_WINDOW: u64 = 600;

async fn devnet_posting(dir: &std::path::Path, fault: Option<Fault>, da: DaMode) -> Devnet {
    Devnet::start(devnet_config(dir, fault, da)).await.expect("devnet")
}

/// The configuration of [`devnet_posting`].
fn devnet_config(dir: &std::path::Path, fault: Option<Fault>, da: DaMode) -> DevnetConfig {
    let mut config = DevnetConfig::test(dir.to_path_buf()).expect("config");
    config.da = da;
    config.chain = chain();
    config.challenge_window = CHALLENGE_WINDOW;
    // Long enough for the whole workload to land in one block.
    config.block_time = Duration::from_millis(1_000);
    config.fault = fault;
    config
}

/// One of each operation (by account 4) and ten transfers (by account 5), submitted at once
/// so that they share a block: 16 transactions, 4 chunks.
async fn workload(devnet: &Devnet, round: u64) -> Vec<B256> {
    let chain = chain();
    let a = Signer::new(&DEV_ACCOUNTS[4].private_key).expect("key");
    let b = Signer::new(&DEV_ACCOUNTS[5].private_key).expect("key");
    let salt = B256::with_last_byte(round as u8 + 1);
    let token = keys::new_token(&DEV_ACCOUNTS[4].address, &salt);
    let e18 = U256::from(10u64).pow(U256::from(18));
    let ops: Vec<Bytes> = vec![
        L2System::createTokenCall { salt, symbol: "FRD".into(), decimals: 18, supply: e18 * U256::from(1_000_000u64) }
            .abi_encode()
            .into(),
        L2System::createPoolCall {
            tokenA: token,
            tokenB: USDC,
            amountA: e18 * U256::from(1_000u64),
            amountB: U256::from(1_000_000_000u64),
        }
        .abi_encode()
        .into(),
        L2System::addLiquidityCall {
            tokenA: token,
            tokenB: USDC,
            amountADesired: e18 * U256::from(100u64),
            amountBDesired: U256::from(100_000_000u64),
            minLiquidity: U256::ZERO,
        }
        .abi_encode()
        .into(),
        L2System::swapCall { tokenIn: token, tokenOut: USDC, amountIn: e18, minAmountOut: U256::from(1u64) }
            .abi_encode()
            .into(),
        L2System::removeLiquidityCall {
            tokenA: token,
            tokenB: USDC,
            liquidity: U256::from(1_000_000_000_000u64),
            minAmountA: U256::ZERO,
            minAmountB: U256::ZERO,
        }
        .abi_encode()
        .into(),
        L2System::transferCall { token, to: DEV_ACCOUNTS[6].address, amount: e18 }.abi_encode().into(),
    ];
    let a_nonce = round * ops.len() as u64;
    let mut raws: Vec<Bytes> = ops
        .into_iter()
        .enumerate()
        .map(|(i, op)| a.eip1559(chain.chain_id, a_nonce + i as u64, op).encoded().into())
        .collect();
    // The first of them a transfer of ether (the wallet's send), then eight of USDC, and last a
    // swap of USDC through two pools (the router, an extended operation of the codec).
    let ether = b.eip1559_ether(chain.chain_id, round * 10, Address::repeat_byte(0x43), U256::from(7u64));
    raws.push(ether.encoded().into());
    for i in 1..10 {
        let call: Bytes = if i < 9 {
            L2System::transferCall { token: USDC, to: Address::repeat_byte(0x42), amount: U256::from(1u64 + i) }
                .abi_encode()
                .into()
        } else {
            L2System::swapPathCall {
                path: vec![USDC, WETH, DAI],
                amountIn: U256::from(1_000_000u64),
                minAmountOut: U256::from(1u64),
                deadline: U256::MAX,
            }
            .abi_encode()
            .into()
        };
        raws.push(b.eip1559(chain.chain_id, round * 10 + i, call).encoded().into());
    }
    devnet.sequencer.node.submit_many(raws).await.into_iter().map(|r| r.expect("accepted")).collect()
}

/// Positions for the money market's forgeries (docs/fraud-proofs.md §9), each step in a block
/// after the previous one's: account 6 supplies 1 WETH (3,000 USDC at the genesis price) and
/// account 7 100,000 USDC; account 6 borrows 1,000 USDC, then 5,000 more (beyond its
/// collateral: refused); account 7 liquidates 10 USDC of account 6's healthy debt (refused).
async fn lending_workload(devnet: &Devnet) {
    use rollup_types::bindings::L2Lending;
    let chain = chain();
    let borrower = Signer::new(&DEV_ACCOUNTS[6].private_key).expect("key");
    let lender = Signer::new(&DEV_ACCOUNTS[7].private_key).expect("key");
    let usdc = |n: u64| U256::from(n) * U256::from(1_000_000u64);
    let one_weth = U256::from(10u64).pow(U256::from(18));
    // (signer, nonce, call, whether the chain carries it out)
    let steps: [Vec<(&Signer, u64, Bytes, bool)>; 3] = [
        vec![
            (&borrower, 0, L2Lending::supplyCall { asset: WETH, amount: one_weth }.abi_encode().into(), true),
            (&lender, 0, L2Lending::supplyCall { asset: USDC, amount: usdc(100_000) }.abi_encode().into(), true),
        ],
        vec![
            (&borrower, 1, L2Lending::borrowCall { asset: USDC, amount: usdc(1_000) }.abi_encode().into(), true),
            (&borrower, 2, L2Lending::borrowCall { asset: USDC, amount: usdc(5_000) }.abi_encode().into(), false),
        ],
        vec![(
            &lender,
            1,
            L2Lending::liquidateCall {
                borrower: borrower.address(),
                debtAsset: USDC,
                collateralAsset: WETH,
                amount: usdc(10),
                minCollateral: U256::ZERO,
            }
            .abi_encode()
            .into(),
            false,
        )],
    ];
    let store = devnet.sequencer.node.store();
    for step in steps {
        let raws =
            step.iter().map(|(s, nonce, call, _)| s.eip1559(chain.chain_id, *nonce, call.clone()).encoded().into());
        let hashes: Vec<B256> =
            devnet.sequencer.node.submit_many(raws.collect()).await.into_iter().map(|r| r.expect("accepted")).collect();
        included(devnet, &hashes).await;
        for (hash, (_, nonce, _, carried)) in hashes.iter().zip(&step) {
            let receipt = store.transaction(*hash).await.expect("db").and_then(|t| t.receipt).expect("receipt");
            let expected = if *carried { TxStatus::Success } else { TxStatus::Revert };
            assert_eq!(receipt.outcome, expected, "lending step of nonce {nonce}");
        }
    }
}

/// Waits until every transaction of `hashes` is in a block, and returns the last block.
async fn included(devnet: &Devnet, hashes: &[B256]) -> u64 {
    let store = devnet.sequencer.node.store();
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let mut last = 0;
            let mut all = true;
            for hash in hashes {
                match store.transaction(*hash).await.expect("db").and_then(|t| t.receipt) {
                    Some(receipt) => last = last.max(receipt.block_number),
                    None => all = false,
                }
            }
            if all {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("transactions included")
}

fn l1(devnet: &Devnet) -> DynProvider {
    ProviderBuilder::new().connect_http(devnet.l1_rpc.clone()).erased()
}

async fn l1_view<C: SolCall>(provider: &DynProvider, inbox: Address, call: C) -> C::Return {
    let out = provider
        .call(TransactionRequest::default().with_to(inbox).with_input(call.abi_encode()))
        .await
        .expect("L1 call");
    C::abi_decode_returns(&out).expect("decode")
}

async fn status_until(devnet: &Devnet, what: &str, f: impl Fn(&ChallengerStatus) -> bool) -> ChallengerStatus {
    let mut rx = devnet.challenger.clone();
    let found = tokio::time::timeout(Duration::from_secs(90), rx.wait_for(|s| f(s))).await;
    match found {
        Ok(Ok(status)) => status.clone(),
        _ => panic!("timed out waiting for {what}; challenger status: {:#?}", *devnet.challenger.borrow()),
    }
}

/// The chunk the inbox must name for each injected kind (`None`: not checked); the kind
/// itself is the injection's (`Fault::proven_as`).
fn expected_chunk(fault: Fault) -> Option<u64> {
    match fault {
        // The block's beginning.
        Fault::RootFirstChunk => Some(0),
        // The faulty batch holds the 16-transaction block: its beginning and 4 chunks.
        Fault::RootMiddleChunk => Some(2),
        Fault::RootLastChunk => Some(4),
        Fault::Operation(Op::CreateToken | Op::CreatePool | Op::AddLiquidity | Op::Swap) => Some(1),
        Fault::Operation(Op::RemoveLiquidity | Op::Transfer) => Some(2),
        // The router's swap is the block's last transaction.
        Fault::Operation(Op::SwapPath) => Some(4),
        Fault::ForgedSignature | Fault::ReplayedNonce | Fault::MalformedChunk => Some(1),
        // Money: the block's base fee from its beginning on, its fees from its first chunk of
        // items on, the ether transfer (the 7th transaction) in the second.
        Fault::WrongBaseFee => Some(0),
        Fault::WrongFee => Some(1),
        Fault::WrongEtherTransfer => Some(2),
        // The L1 price is bound as the beginning enters the block; the unpaid transaction is the
        // block's second.
        Fault::WrongL1Price => Some(0),
        Fault::CannotPay => Some(1),
        // Header faults name no chunk; a blob mismatch names the segment holding the data's
        // middle byte; the workload holds no other operation; the queue's faults and a
        // forged state root are proven in bridge.rs.
        Fault::MalformedHeader | Fault::WrongFirstBlock | Fault::WrongLastBlock => None,
        // A blob's proofs name the segment, or nothing for its roots.
        Fault::BlobMismatch | Fault::BlobRoots => None,
        Fault::Operation(_) | Fault::QueueChunkRoot | Fault::SkippedQueue | Fault::StateRoot(_) => None,
        // Where the forged chunk falls depends on how the lending steps' blocks were batched.
        Fault::Forged(_) => None,
    }
}

async fn fraud_is_overturned(fault: Fault, da: DaMode) {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let devnet = devnet_posting(dir.path(), Some(fault), da).await;
    if let Fault::Forged(_) = fault {
        lending_workload(&devnet).await;
    }
    workload(&devnet, 0).await;
    overturned(&devnet, dir.path(), fault, 1).await;
    devnet.stop().await.expect("stop");
}

/// The challenger proves the fault injected into the chain of `devnet` (data in `dir`); the
/// inbox rolls back, pays the prover, and the honest chain goes on (with workload round
/// `next_round`) to be verified. Returns the proven batch's index.
async fn overturned(devnet: &Devnet, dir: &std::path::Path, fault: Fault, next_round: u64) -> u64 {
    let inbox = devnet.deployment.batch_inbox;
    let provider = l1(devnet);
    // The challenger finds the fault, commits, proves; the inbox rolls back.
    let status = status_until(devnet, "the fraud proof", |s| {
        s.proofs.iter().any(|p| p.state == ProofState::Proven) && s.rollbacks >= 1
    })
    .await;
    let proof = status.proofs.iter().find(|p| p.state == ProofState::Proven).expect("proven");
    let logs = provider
        .get_logs(&Filter::new().address(inbox).event_signature(BatchInbox::FraudProven::SIGNATURE_HASH).from_block(0))
        .await
        .expect("logs");
    assert_eq!(logs.len(), 1, "one fraud proven");
    let event = BatchInbox::FraudProven::decode_log_data(&logs[0].inner.data).expect("event");
    assert_eq!(event.index, U256::from(proof.batch_index));
    // A blob batch is proven as a calldata batch of the same data (docs/fraud-proofs.md §8).
    let proven = FaultKind::from_u8(event.fault);
    assert!(proven.is_some_and(|k| fault.proven_as().contains(&k)), "{fault}: {proven:?}, {proof:?}");
    if let Some(chunk) = expected_chunk(fault) {
        assert_eq!(event.chunkIndex, U256::from(chunk), "{fault}: {proof:?}");
    }
    // A claim to half the slashed stake, for the challenger's account.
    assert_eq!(event.prover, DEV_ACCOUNTS[2].address);
    assert_eq!(event.claim, U256::ZERO, "the inbox's first claim");
    assert_eq!(proof.claim, Some(0), "{proof:?}");
    let rolled = provider
        .get_logs(
            &Filter::new().address(inbox).event_signature(BatchInbox::BatchesRolledBack::SIGNATURE_HASH).from_block(0),
        )
        .await
        .expect("logs");
    let rolled = BatchInbox::BatchesRolledBack::decode_log_data(&rolled[0].inner.data).expect("event");
    assert_eq!(rolled.fromIndex, event.index);
    // The challenger's database keeps the proof, with its transaction.
    let db = format!("sqlite://{}", dir.join("challenger.sqlite").display());
    let store = rollup_fraud_proof::store::VerdictStore::open(&db).await.expect("challenger db");
    let recorded = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let proofs = store.proofs().await.expect("proofs");
            if proofs.iter().any(|(_, state, _)| state == "proven") {
                return proofs;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the proof recorded as proven");
    assert_eq!(recorded, vec![(proof.batch_index, "proven".to_owned(), proof.proof_tx)]);

    // The honest chain continues: the batcher posts again from the last valid root, more
    // traffic goes through, and the challenger verifies up to the sequencer's head.
    let hashes = workload(devnet, next_round).await;
    let last_block = included(devnet, &hashes).await;
    let verified = status_until(devnet, "the honest chain verified", |s| {
        s.last_verified_l2_block.is_some_and(|b| b >= last_block)
    })
    .await;
    assert_eq!(verified.proofs.iter().filter(|p| p.state == ProofState::Proven).count(), 1);
    // The challenger collects its reward once the batch before the one it proved is final:
    // at once when it proved batch 0, else a challenge window later. The faulty batch is not
    // always the first (the batcher may post the sequencer's first empty block before the
    // workload lands): move the L1's clock past the window.
    let _: serde_json::Value =
        provider.raw_request("evm_increaseTime".into(), (U256::from(CHALLENGE_WINDOW + 1),)).await.expect("time");
    // A few blocks, past the challenger's confirmations.
    let _: serde_json::Value = provider.raw_request("anvil_mine".into(), (U256::from(4u8),)).await.expect("mine");
    let paid = status_until(devnet, "the reward collected", |s| {
        s.proofs.iter().any(|p| p.reward == Some(rollup_types::status::RewardState::Paid))
    })
    .await;
    let paid = paid.proofs.iter().find(|p| p.state == ProofState::Proven).expect("proven");
    assert_eq!(paid.reward_wei, Some(devnet.deployment.stake / U256::from(2u64)), "{paid:?}");
    assert!(paid.reward_tx.is_some());
    let root: B256 = l1_view(&provider, inbox, BatchInbox::lastStateRootCall {}).await;
    let last: u64 = l1_view(&provider, inbox, BatchInbox::lastL2BlockCall {}).await;
    let node_root = devnet.sequencer.node.store().block(last).await.expect("db").expect("block").header.state_root;
    assert_eq!(root, node_root, "the inbox's root is the honest chain's");
    proof.batch_index
}

/// A fault in a batch that its post carries in its second blob or later (consecutive blob
/// batches in one L1 transaction, `postBatchesBlobs`, docs/fraud-proofs.md §8.7): the challenger
/// reads that batch's own blob, proves it on the anvil every test runs (EIP-7825 enforced), and
/// the batches before it in the same post stand. Posting is held while two workload blocks
/// are sealed, a batch each, then released with the fault for the second of them on: the
/// round posts both (and whatever waited before them) in one post.
async fn fraud_in_a_multi_blob_post_is_overturned(fault: Fault) {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = devnet_config(dir.path(), None, DaMode::Blobs);
    config.max_batch_blocks = 1;
    // No empty blocks: the blocks waiting are those the test seals.
    config.empty_block_interval = Duration::ZERO;
    let devnet = Devnet::start(config).await.expect("devnet");
    let provider = l1(&devnet);
    let inbox = devnet.deployment.batch_inbox;
    devnet.faults.hold();
    // Anvil mines each post at once: what was in flight is recorded within a few rounds.
    let store = devnet.sequencer.node.store();
    let mut next = 0;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let on_l1: U256 = l1_view(&provider, inbox, BatchInbox::batchCountCall {}).await;
        let recorded = store.latest_batch().await.expect("db").map_or(0, |b| b.index + 1);
        if U256::from(recorded) == on_l1 {
            next = recorded;
            break;
        }
    }
    let first = workload(&devnet, 0).await;
    included(&devnet, &first).await;
    let second = workload(&devnet, 1).await;
    included(&devnet, &second).await;
    devnet.faults.release_from(Some(fault), next + 1);
    let proven = overturned(&devnet, dir.path(), fault, 2).await;
    // The proven batch went out in the same post as the batch before it, in a later blob.
    let logs = provider
        .get_logs(&Filter::new().address(inbox).event_signature(BatchInbox::BatchPosted::SIGNATURE_HASH).from_block(0))
        .await
        .expect("logs");
    let posted = logs
        .iter()
        .find(|l| BatchInbox::BatchPosted::decode_log_data(&l.inner.data).is_ok_and(|e| e.index == U256::from(proven)))
        .expect("the proven batch's post");
    let tx = provider.get_transaction_by_hash(posted.transaction_hash.expect("mined")).await.expect("rpc").expect("tx");
    let input = alloy::consensus::Transaction::input(tx.inner.inner());
    let batches = PostCall::decode_all(input).expect("a post");
    let place = batches.iter().position(|b| b.index == proven).expect("the post holds the batch");
    assert!(batches.len() >= 2 && place >= 1, "batch {proven} is blob {place} of a post of {}", batches.len());
    assert_eq!(
        alloy::consensus::Transaction::blob_versioned_hashes(tx.inner.inner()).map(<[B256]>::len),
        Some(batches.len())
    );
    let before: u64 = l1_view(&provider, inbox, BatchInbox::batchCountCall {}).await.to();
    assert!(before > proven, "the honest chain went on past the proven batch");
    devnet.stop().await.expect("stop");
}

/// The fault sweep, twice: every kind posted in calldata and in a blob. A blob batch is
/// proven as a calldata batch of the same data (its header and chunk proofs carry the data in
/// calldata, checked against the same commitment); a blob that does not hold the data its post
/// committed to is proven from the blob's cells (docs/fraud-proofs.md §8).
macro_rules! fault_sweep {
    ($($name:ident => $fault:expr,)*) => {
        mod calldata {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    fraud_is_overturned($fault, DaMode::Calldata).await;
                }
            )*
        }
        mod blob {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    fraud_is_overturned($fault, DaMode::Blobs).await;
                }
            )*

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn fraud_blob_mismatch() {
                fraud_is_overturned(Fault::BlobMismatch, DaMode::Blobs).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn fraud_blob_roots() {
                fraud_is_overturned(Fault::BlobRoots, DaMode::Blobs).await;
            }
        }
    };
}

/// Faults in a later blob of a multi-blob post: a header proof, a chunk proof (the first
/// chunk, a replayed operation, the last chunk) and the blob proof, each reading the blob
/// the batch names.
mod multi_blob {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fraud_blob_mismatch() {
        fraud_in_a_multi_blob_post_is_overturned(Fault::BlobMismatch).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fraud_blob_roots() {
        fraud_in_a_multi_blob_post_is_overturned(Fault::BlobRoots).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fraud_wrong_swap() {
        fraud_in_a_multi_blob_post_is_overturned(Fault::Operation(Op::Swap)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fraud_wrong_root_last_chunk() {
        fraud_in_a_multi_blob_post_is_overturned(Fault::RootLastChunk).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fraud_malformed_header() {
        fraud_in_a_multi_blob_post_is_overturned(Fault::MalformedHeader).await;
    }
}

fault_sweep! {
    fraud_wrong_root_first_chunk => Fault::RootFirstChunk,
    fraud_wrong_root_middle_chunk => Fault::RootMiddleChunk,
    fraud_wrong_root_last_chunk => Fault::RootLastChunk,
    fraud_wrong_transfer => Fault::Operation(Op::Transfer),
    fraud_wrong_swap => Fault::Operation(Op::Swap),
    fraud_wrong_create_pool => Fault::Operation(Op::CreatePool),
    fraud_wrong_add_liquidity => Fault::Operation(Op::AddLiquidity),
    fraud_wrong_remove_liquidity => Fault::Operation(Op::RemoveLiquidity),
    fraud_wrong_create_token => Fault::Operation(Op::CreateToken),
    fraud_wrong_swap_path => Fault::Operation(Op::SwapPath),
    fraud_forged_signature => Fault::ForgedSignature,
    fraud_replayed_nonce => Fault::ReplayedNonce,
    fraud_malformed_chunk => Fault::MalformedChunk,
    fraud_malformed_header => Fault::MalformedHeader,
    fraud_wrong_first_block => Fault::WrongFirstBlock,
    fraud_wrong_last_block => Fault::WrongLastBlock,
    fraud_wrong_fee => Fault::WrongFee,
    fraud_wrong_base_fee => Fault::WrongBaseFee,
    fraud_wrong_ether_transfer => Fault::WrongEtherTransfer,
    fraud_cannot_pay => Fault::CannotPay,
    fraud_wrong_l1_price => Fault::WrongL1Price,
    fraud_wrong_accrual => Fault::Forged(Forgery::WrongAccrual),
    fraud_healthy_liquidation => Fault::Forged(Forgery::HealthyLiquidation),
    fraud_borrow_beyond_collateral => Fault::Forged(Forgery::BorrowBeyondCollateral),
    fraud_wrong_twap => Fault::Forged(Forgery::WrongTwap),
}

/// Every batch posted so far, as the challenger reads it from L1 (a blob post's blob from the
/// beacon endpoint anvil serves at `l1_rpc`).
async fn posted_batches(provider: &DynProvider, inbox: Address, l1_rpc: &url::Url) -> Vec<PostedBatch> {
    let logs = provider
        .get_logs(&Filter::new().address(inbox).event_signature(BatchInbox::BatchPosted::SIGNATURE_HASH).from_block(0))
        .await
        .expect("logs");
    let mut batches = Vec::new();
    for log in logs {
        let event = BatchInbox::BatchPosted::decode_log_data(&log.inner.data).expect("event");
        let tx_hash = log.transaction_hash.expect("hash");
        let l1_block = log.block_number.expect("block");
        let tx = provider.get_transaction_by_hash(tx_hash).await.expect("tx").expect("found");
        let call = PostCall::decode_batch(alloy::consensus::Transaction::input(tx.inner.inner()), event.index.to())
            .expect("a post")
            .expect("the post holds the batch");
        let (data, blob, chunk_roots) = match call.data {
            PostData::Calldata(data) => {
                let PostRoots::Listed(roots) = call.chunk_roots else { panic!("a calldata post lists its roots") };
                (data, None, roots)
            }
            PostData::Blob { blob, length, segment_hashes, kzg_hint } => {
                assert!(kzg_hint.is_some(), "batch {} posted without its KZG hint", event.index);
                let hashes = alloy::consensus::Transaction::blob_versioned_hashes(tx.inner.inner()).expect("blobs");
                let raw = rollup_fraud_proof::fetch_blob(l1_rpc, l1_block, hashes[blob], kzg_hint)
                    .await
                    .expect("the post's blob");
                let data = rollup_types::blob::payload(&raw, length as usize).expect("a blob").into();
                let roots = rollup_types::blob::chunk_roots(&raw, call.chunk_roots.count() as usize).expect("roots");
                let chunk_roots_hash = call.chunk_roots.hash();
                (data, Some(BlobPost { versioned_hash: hashes[blob], segment_hashes, chunk_roots_hash, raw }), roots)
            }
        };
        batches.push(PostedBatch {
            index: event.index.saturating_to(),
            l1_block,
            l1_tx_hash: tx_hash,
            data_hash: event.dataHash,
            data,
            blob,
            prev_state_root: call.prev_state_root,
            chunk_roots,
            state_root: event.stateRoot,
            last_block: event.lastL2Block,
            queue_end: event.queueEnd,
            queue: Vec::new(),
            queue_acc: B256::ZERO,
        });
    }
    batches
}

/// Commits to `calldata` from `prover`, then asks the node what the reveal would do.
async fn try_proof(prover: &DynProvider, inbox: Address, from: Address, calldata: Vec<u8>) -> Result<u64, String> {
    let commitment = prove::commitment(from, &calldata);
    let commit = BatchInbox::commitProofCall { commitment }.abi_encode();
    let receipt = prover
        .send_transaction(TransactionRequest::default().with_to(inbox).with_input(commit))
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status());
    prover
        .estimate_gas(TransactionRequest::default().with_from(from).with_to(inbox).with_input(calldata))
        .block(BlockNumberOrTag::Pending.into())
        .await
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_batches_cannot_be_proven_fraudulent() {
    honest_batches_cannot_be_proven(DaMode::Calldata).await;
}

/// The same with every batch in a blob: no header, chunk or blob segment of an honest blob
/// batch can be proven fraudulent (docs/fraud-proofs.md §8).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_blob_batches_cannot_be_proven_fraudulent() {
    honest_batches_cannot_be_proven(DaMode::Blobs).await;
}

async fn honest_batches_cannot_be_proven(da: DaMode) {
    let dir = tempfile::tempdir().expect("tempdir");
    let devnet = devnet_posting(dir.path(), None, da).await;
    let inbox = devnet.deployment.batch_inbox;
    let provider = l1(&devnet);
    let mut hashes = workload(&devnet, 0).await;
    hashes.extend(workload(&devnet, 1).await);
    let last_block = included(&devnet, &hashes).await;
    status_until(&devnet, "two workloads verified", |s| {
        s.last_verified_l2_block.is_some_and(|b| b >= last_block) && s.mismatches.is_empty()
    })
    .await;
    let key = DEV_ACCOUNTS[7].private_key;
    let from = DEV_ACCOUNTS[7].address;
    let prover = ProviderBuilder::new()
        .wallet(EthereumWallet::from(PrivateKeySigner::from_bytes(&key).expect("key")))
        .connect_http(devnet.l1_rpc.clone())
        .erased();

    // Replay the chain from L1 and, before each batch is applied, try to prove every one of
    // its chunks and its header fraudulent, and variations of those proofs.
    let mut verifier =
        Verifier::new(rollup_executor::Executor::genesis(chain(), &GenesisSpec::devnet()).expect("genesis"));
    let mut attempts = 0;
    for batch in posted_batches(&provider, inbox, &devnet.l1_rpc).await {
        assert_eq!(batch.blob.is_some(), da == DaMode::Blobs, "batch {} as posted", batch.index);
        let header = BatchInbox::proveHeaderFraudCall { index: U256::from(batch.index), data: batch.data.clone() };
        let result = try_proof(&prover, inbox, from, header.abi_encode()).await;
        assert!(result.is_err(), "batch {}'s header was proven fraudulent", batch.index);
        attempts += 1;
        if batch.blob.is_some() {
            for segment in 0..batch.data.len().div_ceil(rollup_types::codec::SEGMENT_BYTES) {
                let proof = prove::build_blob(&batch, segment).expect("a blob proof to try");
                let result = try_proof(&prover, inbox, from, proof.calldata()).await;
                let error = result.expect_err("an honest blob segment was proven fraudulent");
                let no_fraud = alloy_primitives::hex::encode(BatchInbox::NoFraud::SELECTOR);
                assert!(error.contains(&no_fraud), "segment {segment} of batch {}: {error}", batch.index);
                attempts += 1;
            }
        }
        for chunk in 0..batch.chunk_roots.len() {
            let proof = verifier.prove_chunk(&batch, chunk).expect("a proof to try");
            let FraudProof::Chunk { keys, .. } = &proof else { panic!("a chunk proof") };
            let mut variants = vec![proof.clone()];
            if keys.len() > 1 {
                // A key left out, and the keys reversed.
                let mut fewer = proof.clone();
                let FraudProof::Chunk { keys, .. } = &mut fewer else { unreachable!() };
                keys.remove(keys.len() / 2);
                variants.push(fewer);
                let mut reversed = proof.clone();
                let FraudProof::Chunk { keys, .. } = &mut reversed else { unreachable!() };
                keys.reverse();
                variants.push(reversed);
            }
            for variant in variants {
                let result = try_proof(&prover, inbox, from, variant.calldata()).await;
                assert!(result.is_err(), "batch {} chunk {chunk} was proven fraudulent: {variant:?}", batch.index);
                attempts += 1;
            }
        }
        assert!(matches!(verifier.verify(&batch).expect("in order").0, Verdict::Verified { .. }));
    }
    assert!(attempts >= 8, "tried {attempts} proofs");
    let count: U256 = l1_view(&provider, inbox, BatchInbox::batchCountCall {}).await;
    assert!(count >= U256::from(1u64));
    let rolled = provider
        .get_logs(
            &Filter::new().address(inbox).event_signature(BatchInbox::BatchesRolledBack::SIGNATURE_HASH).from_block(0),
        )
        .await
        .expect("logs");
    assert!(rolled.is_empty(), "nothing was rolled back");
    devnet.stop().await.expect("stop");
}

/// What happened on L1 stays recorded as it happened: after a fraud proof, a clean restart of
/// the devnet resumes the challenger from its snapshot, and a restart without any snapshot (as
/// after a crash before the first) derives the chain from genesis again, reading the fraudulent
/// batch and the rollback once more; neither rewrites the proof's record, in the status or in
/// the database, and neither sends anything to L1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_keep_the_record_of_a_proof_and_resume_from_a_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let devnet = devnet(dir.path(), Some(Fault::RootFirstChunk)).await;
    let inbox = devnet.deployment.batch_inbox;
    workload(&devnet, 0).await;
    status_until(&devnet, "the fraud proof", |s| s.proofs.iter().any(|p| p.state == ProofState::Proven)).await;
    let hashes = workload(&devnet, 1).await;
    let last_block = included(&devnet, &hashes).await;
    let before = status_until(&devnet, "the honest chain verified", |s| {
        s.last_verified_l2_block.is_some_and(|b| b >= last_block)
    })
    .await;
    assert_eq!(before.resumed_from, None, "a first start derives from genesis");
    let proven: Vec<_> = before.proofs.clone();
    assert_eq!(proven.iter().filter(|p| p.state == ProofState::Proven).count(), 1, "{proven:?}");
    let db = format!("sqlite://{}", dir.path().join("challenger.sqlite").display());
    let recorded =
        rollup_fraud_proof::store::VerdictStore::open(&db).await.expect("db").proof_reports().await.expect("proofs");
    assert_eq!(recorded, proven);
    devnet.stop().await.expect("clean stop");

    let on_l1 = |provider: DynProvider| async move {
        let filter = Filter::new()
            .address(inbox)
            .event_signature(vec![BatchInbox::ProofCommitted::SIGNATURE_HASH, BatchInbox::FraudProven::SIGNATURE_HASH])
            .from_block(0);
        provider.get_logs(&filter).await.expect("logs").len()
    };
    for round in ["from its snapshot", "from genesis"] {
        if round == "from genesis" {
            let pool = sqlx::SqlitePool::connect(&db).await.expect("db");
            sqlx::query("DELETE FROM snapshots").execute(&pool).await.expect("delete");
            pool.close().await;
        }
        let devnet = devnet_resumed(dir.path()).await;
        let head = devnet.sequencer.node.head().header.number;
        let status = status_until(&devnet, "the chain verified again", |s| {
            s.last_verified_l2_block.is_some_and(|b| b >= head) && s.l1_block >= before.l1_block
        })
        .await;
        if round == "from its snapshot" {
            assert!(status.resumed_from.is_some(), "resumed from a snapshot: {status:?}");
            assert_eq!(status.batches_checked, before.batches_checked, "nothing was judged again");
        } else {
            assert_eq!(status.resumed_from, None);
        }
        assert_eq!(status.proofs, proven, "{round}: the proof's record is unchanged");
        assert_eq!(status.mismatch_verdicts, u64::from(round == "from genesis"), "{round}");
        // A few more polls change nothing either.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(devnet.challenger.borrow().proofs, proven);
        let store = rollup_fraud_proof::store::VerdictStore::open(&db).await.expect("db");
        assert_eq!(store.proof_reports().await.expect("proofs"), proven, "{round}: the database too");
        assert_eq!(on_l1(l1(&devnet)).await, 2, "{round}: one commitment and one proof on L1, no more");
        devnet.stop().await.expect("clean stop");
    }
}

/// The devnet of `dir` started again, injecting nothing.
async fn devnet_resumed(dir: &std::path::Path) -> Devnet {
    let mut config = DevnetConfig::test(dir.to_path_buf()).expect("config");
    config.chain = chain();
    config.challenge_window = 600;
    config.block_time = Duration::from_millis(1_000);
    Devnet::start(config).await.expect("devnet restarts")
}

/// A challenger killed between its commitment and its reveal: the one that takes over (same
/// key, same database) finds the commitment on L1 and reveals without committing again.
/// Before: it sent the same `commitProof` again after the restart, one wasted L1 transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenger_restarted_between_commitment_and_reveal_does_not_commit_again() {
    use rollup_fraud_proof::{Challenger, ChallengerConfig};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = DevnetConfig::test(dir.path().to_path_buf()).expect("config");
    config.chain = chain();
    config.challenge_window = 600;
    config.block_time = Duration::from_millis(1_000);
    config.fault = Some(Fault::RootFirstChunk);
    // The devnet's challenger only verifies; the two below prove.
    config.challenger_key = None;
    let devnet = Devnet::start(config).await.expect("devnet");
    let inbox = devnet.deployment.batch_inbox;
    let challenger_config = |poll: Duration| ChallengerConfig {
        l1_rpc: devnet.l1_rpc.clone(),
        inbox,
        from_block: devnet.deployment.inbox_block,
        db_url: format!("sqlite://{}", dir.path().join("prover.sqlite").display()),
        chain: chain(),
        genesis: GenesisSpec::devnet(),
        poll,
        confirmations: 0,
        l1_beacon: None,
        l1_beacon_fallbacks: Vec::new(),
        prover_key: Some(DEV_ACCOUNTS[3].private_key),
        undo_blocks: ChallengerConfig::DEFAULT_UNDO_BLOCKS,
        snapshot_txs: ChallengerConfig::DEFAULT_SNAPSHOT_TXS,
    };
    workload(&devnet, 0).await;
    // Runs a challenger until one of its proofs reaches `state`, then stops it.
    async fn run_until(config: ChallengerConfig, state: ProofState) {
        let challenger = Challenger::new(config).await.expect("challenger");
        let mut status = challenger.subscribe();
        let stop = tokio_util::sync::CancellationToken::new();
        let running = tokio::spawn(challenger.run(stop.clone()));
        tokio::time::timeout(Duration::from_secs(90), status.wait_for(|s| s.proofs.iter().any(|p| p.state == state)))
            .await
            .expect("in time")
            .expect("status");
        stop.cancel();
        running.await.expect("joined").expect("stopped cleanly");
    }
    // The faulty batch is on L1 (the devnet's own challenger has judged it) before the first
    // prover starts: its first round reads, judges and commits, and its next round (the
    // reveal) is a minute away; it is stopped long before.
    let mut verdicts = devnet.challenger.clone();
    tokio::time::timeout(Duration::from_secs(90), verdicts.wait_for(|s| !s.mismatches.is_empty()))
        .await
        .expect("the fault is posted in time")
        .expect("status");
    run_until(challenger_config(Duration::from_secs(60)), ProofState::Committed).await;
    let provider = l1(&devnet);
    let count = |provider: DynProvider, event: B256| async move {
        provider.get_logs(&Filter::new().address(inbox).event_signature(event).from_block(0)).await.expect("logs").len()
    };
    let commitments = |provider| count(provider, BatchInbox::ProofCommitted::SIGNATURE_HASH);
    let proven = |provider| count(provider, BatchInbox::FraudProven::SIGNATURE_HASH);
    assert_eq!(commitments(provider.clone()).await, 1);
    assert_eq!(proven(provider.clone()).await, 0, "stopped before the reveal");

    run_until(challenger_config(Duration::from_millis(300)), ProofState::Proven).await;
    assert_eq!(proven(provider.clone()).await, 1);
    assert_eq!(commitments(provider.clone()).await, 1);
    // Its L1 transactions: the one commitment and the reveal, no second commitProof (and the
    // claim of the reward, if it was due by then).
    let claimed = count(provider.clone(), BatchInbox::RewardPaid::SIGNATURE_HASH).await;
    let sent = provider.get_transaction_count(DEV_ACCOUNTS[3].address).await.expect("nonce");
    assert_eq!(sent, 2 + claimed as u64, "the commitment on L1 was used, not sent again");
    devnet.stop().await.expect("stopped");
}
