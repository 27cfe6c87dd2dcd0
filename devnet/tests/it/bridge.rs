//! The bridge end to end against a real anvil (docs/bridge.md): deposits made on L1 are read
//! from the bridge's events, credited at the start of an L2 block, posted with the queue
//! position the inbox checks, and verified by the challenger from L1 data alone; the bridged
//! tokens move, leave through `withdraw`, and are paid on L1 against a final batch.

use super::{all_succeed, eventually, get, l1_view};
use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    providers::{Provider, ProviderBuilder},
    rpc::types::{Filter, TransactionRequest},
    signers::local::PrivateKeySigner,
};
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use alloy_sol_types::SolEvent;
use rollup_batcher::fault::Fault;
use rollup_devnet::{
    Deployment, Devnet, DevnetConfig,
    bridge::{self, Endpoints},
};
use rollup_executor::{BlockEnvInput, CallRequest};
use rollup_types::{
    SYSTEM_CONTRACT,
    bindings::{BatchInbox, L1Bridge, L2System, TestToken},
    fees::schedule,
    genesis::DEV_ACCOUNTS,
    keys,
    signer::Signer,
};
use rollup_types::{
    genesis::USDC,
    status::{ChallengerStatus, ProofState},
};
use std::time::Duration;

/// A view of the L2 system contract on the sequencer's committed state.
fn l2_view<C: SolCall>(devnet: &Devnet, call: C) -> C::Return {
    let state = devnet.sequencer.node.committed_state();
    let chain =
        rollup_types::ChainConfig { chain_id: devnet.deployment.l2_chain_id, chunk_size: devnet.deployment.chunk_size };
    let request = CallRequest { to: Some(SYSTEM_CONTRACT), input: call.abi_encode().into(), ..Default::default() };
    let out = rollup_executor::call(
        &chain,
        &state,
        &request,
        BlockEnvInput { number: 1, timestamp: 1, l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE },
        None,
    )
    .expect("the call runs");
    C::abi_decode_returns(&out.output).expect("the view's result")
}

/// A balance on the devnet's L2, read from the sequencer's committed state.
fn l2_balance(devnet: &Devnet, token: Address, owner: Address) -> U256 {
    l2_view(devnet, L2System::balanceOfCall { token, owner })
}

/// Waits for the challenger to have proven a fraud and the inbox to have rolled back, and
/// returns its status with the inbox's `FraudProven` events.
async fn proven_fraud(devnet: &Devnet) -> (ChallengerStatus, Vec<BatchInbox::FraudProven>) {
    let mut challenger = devnet.challenger.clone();
    let status = eventually(Duration::from_secs(60), "the fraud proven", || {
        let status = challenger.borrow_and_update().clone();
        async move {
            (status.proofs.iter().any(|p| p.state == ProofState::Proven) && status.rollbacks >= 1).then_some(status)
        }
    })
    .await;
    let l1 = ProviderBuilder::new().connect_http(devnet.l1_rpc.clone());
    let filter = Filter::new()
        .address(devnet.deployment.batch_inbox)
        .event_signature(BatchInbox::FraudProven::SIGNATURE_HASH)
        .from_block(0);
    let logs = l1.get_logs(&filter).await.expect("logs");
    let events = logs.iter().map(|l| BatchInbox::FraudProven::decode_log_data(&l.inner.data).expect("event")).collect();
    (status, events)
}

/// Mines an anvil block every `period` (anvil here mines only when sent something; a
/// finality window needs its clock to move).
fn mine_every<P: Provider + Clone + 'static>(l1: &P, period: Duration) -> tokio::task::JoinHandle<()> {
    let l1 = l1.clone();
    tokio::spawn(async move {
        loop {
            let _: Result<serde_json::Value, _> = l1.raw_request("evm_mine".into(), serde_json::json!([])).await;
            tokio::time::sleep(period).await;
        }
    })
}

/// Ether and a test-token deposit on L1 (`rollup deposit`'s code) reach the recipient on L2 as
/// bridged tokens; the recipient moves and withdraws them; the batches consuming the deposits
/// are posted with their queue position and verified by the challenger; once its batch is
/// final the withdrawal is paid on L1 with the API's proof (`rollup finalize-withdrawal`'s
/// code), once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_move_withdraw_and_finalize_on_l1() {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = DevnetConfig::test(dir.path().to_path_buf()).expect("config");
    // Only the head's state is kept: eth_getProof at a batch's last block is answered from the
    // node's batch state (docs/api.md §3.0f).
    config.state_history = 0;
    let devnet = Devnet::start(config).await.expect("devnet");
    let d = devnet.deployment.clone();
    let token = d.test_token.expect("the devnet deploys a test token");
    let depositor = PrivateKeySigner::from_bytes(&DEV_ACCOUNTS[6].private_key).expect("key");
    let l1 = ProviderBuilder::new().wallet(EthereumWallet::from(depositor)).connect_http(devnet.l1_rpc.clone());
    let alice = Signer::new(&DEV_ACCOUNTS[3].private_key).expect("key");
    let send = |to: Address, input: Vec<u8>, value: U256| {
        let l1 = l1.clone();
        async move {
            let request = TransactionRequest::default().with_to(to).with_input(input).with_value(value);
            let receipt = l1.send_transaction(request).await.expect("sent").get_receipt().await.expect("receipt");
            assert!(receipt.status(), "L1 call to {to} reverted");
        }
    };

    // Entry 0: one ether. Entry 1: 500 TST (minted; `rollup deposit` approves and deposits).
    let ends = Endpoints { l2: devnet.url(), l1: devnet.l1_rpc.clone(), bridge: None };
    let key = DEV_ACCOUNTS[6].private_key;
    let one_ether = U256::from(10u64).pow(U256::from(18));
    let first = bridge::deposit(&ends, &key, alice.address(), one_ether, None).await.expect("ether deposit");
    assert_eq!((first.queue_index, first.l2_token, first.amount), (0, keys::bridged_token(&Address::ZERO), one_ether));
    let tst = U256::from(500u64) * one_ether;
    let me = DEV_ACCOUNTS[6].address;
    send(token, TestToken::mintCall { to: me, amount: tst }.abi_encode(), U256::ZERO).await;
    let second = bridge::deposit(&ends, &key, alice.address(), tst, Some(token)).await.expect("token deposit");
    assert_eq!(second.queue_index, 1);
    // The queue reader takes entries two L1 blocks deep.
    let raw_l1 = ProviderBuilder::new().connect_http(devnet.l1_rpc.clone());
    for _ in 0..3 {
        let _: serde_json::Value = raw_l1.raw_request("evm_mine".into(), serde_json::json!([])).await.expect("mine");
    }

    let (weth_l2, tst_l2) = (keys::bridged_token(&Address::ZERO), keys::bridged_token(&token));
    eventually(Duration::from_secs(30), "both deposits credited on L2", || async {
        // A development account holds its genesis ether too.
        (l2_balance(&devnet, weth_l2, alice.address()) == rollup_types::genesis::DEVNET_ETHER_PER_ACCOUNT + one_ether
            && l2_balance(&devnet, tst_l2, alice.address()) == tst)
            .then_some(())
    })
    .await;
    let url = devnet.url();
    for index in 0..2 {
        let entry = get(&format!("{url}/v1/deposits/{index}")).await;
        assert_eq!((entry["kind"].as_str(), entry["outcome"].as_str()), (Some("deposit"), Some("credited")), "{entry}");
        assert_eq!(entry["to"], alice.address().to_string().to_lowercase(), "{entry}");
    }

    // Alice pools both bridged tokens, swaps, moves and withdraws: ordinary L2 transactions.
    let chain = d.l2_chain_id;
    let l1_recipient = Address::repeat_byte(0x77);
    let (pool_weth, pool_tst) = (one_ether / U256::from(2u8), U256::from(200u64) * one_ether);
    let pool = L2System::createPoolCall { tokenA: weth_l2, tokenB: tst_l2, amountA: pool_weth, amountB: pool_tst };
    let created = devnet.sequencer.node.submit_raw(alice.eip1559(chain, 0, pool.abi_encode().into()).encoded().into());
    all_succeed(&url, &[created.await.expect("accepted")]).await;
    let tst_in = U256::from(50u64) * one_ether;
    let quote = L2System::getAmountOutCall { tokenIn: tst_l2, tokenOut: weth_l2, amountIn: tst_in };
    let weth_out = l2_view(&devnet, quote);
    assert!(weth_out > U256::ZERO && weth_out < pool_weth, "{weth_out}");
    let (eth_out, tst_out) = (one_ether / U256::from(4u8), U256::from(20u64) * one_ether);
    let calls = [
        L2System::swapCall { tokenIn: tst_l2, tokenOut: weth_l2, amountIn: tst_in, minAmountOut: weth_out }
            .abi_encode(),
        L2System::transferCall { token: weth_l2, to: Address::repeat_byte(0xb0), amount: U256::from(1_000u64) }
            .abi_encode(),
        L2System::withdrawCall { l2Token: weth_l2, l1Recipient: l1_recipient, amount: eth_out }.abi_encode(),
        L2System::withdrawCall { l2Token: tst_l2, l1Recipient: l1_recipient, amount: tst_out }.abi_encode(),
    ];
    let raws =
        calls.iter().enumerate().map(|(n, c)| alice.eip1559(chain, 1 + n as u64, c.clone().into()).encoded().into());
    let hashes: Vec<B256> =
        devnet.sequencer.node.submit_many(raws.collect()).await.into_iter().map(|r| r.expect("accepted")).collect();
    all_succeed(&url, &hashes).await;
    // Her five transactions paid their scheduled gas at the base fee (docs/fees.md §2).
    let fees = fees_at_floor(schedule::CREATE_POOL + schedule::SWAP + schedule::TRANSFER + 2 * schedule::WITHDRAW);
    assert_eq!(
        l2_balance(&devnet, weth_l2, alice.address()),
        rollup_types::genesis::DEVNET_ETHER_PER_ACCOUNT + one_ether - pool_weth + weth_out
            - U256::from(1_000u64)
            - eth_out
            - fees
    );
    assert_eq!(l2_balance(&devnet, tst_l2, alice.address()), tst - pool_tst - tst_in - tst_out);
    let supply = |token| l2_view(&devnet, L2System::totalSupplyCall { token });
    let genesis_ether = rollup_types::genesis::GenesisSpec::devnet().genesis_ether();
    assert_eq!(
        (supply(weth_l2), supply(tst_l2)),
        (genesis_ether + one_ether - eth_out, tst - tst_out),
        "withdrawals burn"
    );
    let leaf = keys::withdrawal_leaf(&Address::ZERO, &l1_recipient, &eth_out);
    let state = devnet.sequencer.node.committed_state();
    assert_eq!(state.storage(&keys::withdrawal(&alice.address(), 0).into()), U256::from_be_bytes(leaf.0));

    // The fee vault leaves for L1 too (docs/fees.md §6): anyone asks, and its ether becomes
    // withdrawal 0 of the vault, payable to the genesis fee recipient (the deployer's account).
    let vault = rollup_types::fees::FEE_VAULT;
    let ask = alice.eip1559(chain, 5, L2System::withdrawFeesCall {}.abi_encode().into()).encoded();
    let asked = devnet.sequencer.node.submit_raw(ask.into()).await.expect("accepted");
    let last_block = all_succeed(&url, &[asked]).await;
    let fee_leaf = devnet.sequencer.node.committed_state().storage(&keys::withdrawal(&vault, 0).into());
    assert!(!fee_leaf.is_zero(), "the vault's withdrawal is recorded");

    // Everything is posted with the queue position and verified by the challenger.
    let mut challenger = devnet.challenger.clone();
    let verified = eventually(Duration::from_secs(60), "the challenger's verdict", || {
        let status = challenger.borrow_and_update().clone();
        async move { status.last_verified_l2_block.filter(|b| *b >= last_block).map(|_| status) }
    })
    .await;
    assert!(verified.mismatches.is_empty(), "{:?}", verified.mismatches);
    let input = BatchInbox::lastQueueEndCall {}.abi_encode();
    let out = raw_l1
        .call(TransactionRequest::default().with_to(d.batch_inbox).with_input(input))
        .await
        .expect("lastQueueEnd");
    let queue_end = BatchInbox::lastQueueEndCall::abi_decode_returns(&out).expect("u64");
    assert_eq!(queue_end, 2, "the batches consumed both entries on L1");

    // eth_getProof at the newest batch's last block, through alloy: the withdrawal's leaf
    // proven against the root that batch posted on L1.
    let batch = devnet.sequencer.node.store().latest_batch().await.expect("database").expect("a batch");
    let l2 = ProviderBuilder::new().connect_http(url.parse().expect("url"));
    let slot = keys::withdrawal(&alice.address(), 0);
    let got = l2.get_proof(SYSTEM_CONTRACT, vec![slot]).block_id(batch.last_block.into()).await.expect("eth_getProof");
    assert_eq!(got.storage_hash, batch.state_root);
    let (terminal, siblings) = got.storage_proof[0].proof.split_last().expect("a terminal");
    let proof = rollup_types::smt::Proof {
        siblings: siblings.iter().map(|s| B256::from_slice(s)).collect(),
        terminal: rollup_types::smt::Terminal::Leaf {
            key: B256::from_slice(&terminal[..32]),
            value: B256::from_slice(&terminal[32..]),
        },
    };
    assert_eq!(proof.verify(&batch.state_root, &slot), Some(leaf), "the withdrawal against the batch's root");

    // Both withdrawals are paid on L1 once their batch is final, with the proof from the L2
    // API (anvil here mines only when sent something: a block every 300 ms moves its clock).
    let w = get(&format!("{url}/v1/withdrawals/{}/0", alice.address())).await;
    assert_eq!(
        (w["l1Token"].as_str(), w["amount"].as_str()),
        (Some(&*Address::ZERO.to_string()), Some("250000000000000000")),
        "{w}"
    );
    let mining = mine_every(&raw_l1, Duration::from_millis(300));
    let before = raw_l1.get_balance(l1_recipient).await.expect("balance");
    let paid = bridge::finalize_withdrawal(&ends, &key, alice.address(), 0, Duration::from_secs(60))
        .await
        .expect("finalized on L1");
    assert_eq!((paid.recipient, paid.amount), (l1_recipient, eth_out));
    assert_eq!(raw_l1.get_balance(l1_recipient).await.expect("balance") - before, eth_out);
    // The API says it was paid, with the L1 transaction, once the queue reader reads its block.
    let path = format!("{url}/v1/withdrawals/{}/0", alice.address());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let payout = loop {
        let w = get(&path).await;
        if !w["payout"].is_null() {
            break w["payout"].clone();
        }
        assert!(std::time::Instant::now() < deadline, "the payout never showed: {w}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(payout["l1TxHash"], paid.l1_tx.to_string(), "{payout}");
    assert_eq!(payout["batchIndex"], paid.batch_index, "{payout}");
    assert!(get(&format!("{url}/v1/withdrawals/{}/1", alice.address())).await["payout"].is_null(), "not paid yet");
    let paid = bridge::finalize_withdrawal(&ends, &key, alice.address(), 1, Duration::from_secs(60))
        .await
        .expect("finalized on L1");
    assert_eq!((paid.recipient, paid.amount), (l1_recipient, tst_out));
    let tst_of = |owner| {
        let l1 = raw_l1.clone();
        async move {
            let call = TestToken::balanceOfCall(owner);
            let out = l1
                .call(TransactionRequest::default().with_to(token).with_input(call.abi_encode()))
                .await
                .expect("balanceOf");
            TestToken::balanceOfCall::abi_decode_returns(&out).expect("u256")
        }
    };
    assert_eq!(tst_of(l1_recipient).await, tst_out);
    assert_eq!(tst_of(d.bridge).await, tst - tst_out, "the bridge keeps what is still on L2");
    // Once only.
    let again = bridge::finalize_withdrawal(&ends, &key, alice.address(), 0, Duration::ZERO).await;
    assert!(again.is_err(), "a withdrawal is paid once");
    // The fees, to the fee recipient, by anyone who sends the proof (here account 6).
    let recipient = rollup_types::genesis::GenesisSpec::devnet().fee_recipient;
    let before = raw_l1.get_balance(recipient).await.expect("balance");
    let paid = bridge::finalize_withdrawal(&ends, &key, vault, 0, Duration::from_secs(60))
        .await
        .expect("the fees finalized on L1");
    assert_eq!(paid.recipient, recipient);
    assert!(paid.amount > U256::ZERO, "the vault held the fees");
    assert_eq!(
        U256::from_be_bytes(keys::withdrawal_leaf(&Address::ZERO, &recipient, &paid.amount).0),
        fee_leaf,
        "what L1 paid is the leaf the L2 wrote"
    );
    assert_eq!(raw_l1.get_balance(recipient).await.expect("balance") - before, paid.amount);
    mining.abort();
    devnet.stop().await.expect("clean stop");
}

/// A deposit and a forced transaction, then a batcher that lies about the batch consuming
/// them: the challenger proves it on L1 (the proof carries the entries' contents, checked
/// against the bridge), the inbox rolls the batch back, and the honest chain goes on with
/// both entries credited and verified.
async fn a_lie_about_the_queue_is_proven_and_the_chain_goes_on(fault: Fault) {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = DevnetConfig::test(dir.path().to_path_buf()).expect("config");
    config.fault = Some(fault);
    let devnet = Devnet::start(config).await.expect("devnet");
    let d = devnet.deployment.clone();
    let ends = Endpoints { l2: devnet.url(), l1: devnet.l1_rpc.clone(), bridge: None };
    let key = DEV_ACCOUNTS[6].private_key;
    let alice = DEV_ACCOUNTS[3].address;
    let amount = U256::from(10u64).pow(U256::from(17));
    bridge::deposit(&ends, &key, alice, amount, None).await.expect("deposit");
    // A transfer signed on L2 by account 4, sent through L1 by account 6.
    let bob = Address::repeat_byte(0xb0);
    let transfer = L2System::transferCall { token: USDC, to: bob, amount: U256::from(4_321u64) };
    let signer = Signer::new(&DEV_ACCOUNTS[4].private_key).expect("key");
    let raw = signer.eip1559(d.l2_chain_id, 0, transfer.abi_encode().into()).encoded();
    let forced = bridge::force_transaction(&ends, &key, raw.into()).await.expect("forced");
    assert_eq!(forced.queue_index, 1);
    let l1 = ProviderBuilder::new().connect_http(devnet.l1_rpc.clone());
    for _ in 0..3 {
        let _: serde_json::Value = l1.raw_request("evm_mine".into(), serde_json::json!([])).await.expect("mine");
    }

    let (status, proven) = proven_fraud(&devnet).await;
    let event = &proven[0];
    let proven_as = rollup_types::FaultKind::from_u8(event.fault);
    assert!(
        proven_as.is_some_and(|k| fault.proven_as().contains(&k)),
        "{fault}: fault {} ({:?})",
        event.fault,
        status.proofs
    );
    let mut challenger = devnet.challenger.clone();

    // The honest chain: both entries consumed by a batch the challenger verifies.
    let url = devnet.url();
    let entry = eventually(Duration::from_secs(30), "the forced transaction run on L2", || async {
        let e = get(&format!("{url}/v1/deposits/1")).await;
        (e["outcome"] == "success").then_some(e)
    })
    .await;
    let block = entry["blockNumber"].as_u64().expect("block");
    eventually(Duration::from_secs(60), "the honest batch verified", || {
        let status = challenger.borrow_and_update().clone();
        async move { status.last_verified_l2_block.filter(|b| *b >= block).map(|_| ()) }
    })
    .await;
    let out = l1
        .call(
            TransactionRequest::default()
                .with_to(d.batch_inbox)
                .with_input(BatchInbox::lastQueueEndCall {}.abi_encode()),
        )
        .await
        .expect("lastQueueEnd");
    // Both entries consumed; a reading of the L1's fees, which posts queue now and then
    // (docs/fees.md §4.1), may have been queued and consumed after them.
    let queue_end = BatchInbox::lastQueueEndCall::abi_decode_returns(&out).expect("u64");
    assert!(queue_end >= 2, "queue end {queue_end}");
    assert_eq!(
        l2_balance(&devnet, keys::bridged_token(&Address::ZERO), alice),
        rollup_types::genesis::DEVNET_ETHER_PER_ACCOUNT + amount
    );
    devnet.stop().await.expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_root_over_queue_entries_is_proven_with_their_contents() {
    a_lie_about_the_queue_is_proven_and_the_chain_goes_on(Fault::QueueChunkRoot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_that_censor_the_queue_are_proven() {
    a_lie_about_the_queue_is_proven_and_the_chain_goes_on(Fault::SkippedQueue).await;
}

/// A poster that claims a withdrawal nobody made: posting is held while Alice's real
/// withdrawal is included, then the batch holding it is posted with a state root that also
/// holds a forged withdrawal leaf paying a thief half of the locked ether (the honest state
/// plus one leaf, so the thief has a valid proof against the posted root). The thief cannot
/// be paid while the batch is open, the challenger proves the root wrong and the batch is
/// rolled back, and the thief's proof never pays after; Alice's withdrawal, re-posted in the
/// honest batch, is paid once it is final.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_in_a_batch_proven_fraudulent_is_never_paid() {
    use alloy_sol_types::SolError;
    use rollup_batcher::fault::Fault;
    use rollup_types::{bindings::L1Bridge, smt::SparseMerkleTree};
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = DevnetConfig::test(dir.path().to_path_buf()).expect("config");
    // The chain stays at the withdrawal's block while the forged root is computed.
    config.empty_block_interval = Duration::ZERO;
    let devnet = Devnet::start(config).await.expect("devnet");
    let d = devnet.deployment.clone();
    let ends = Endpoints { l2: devnet.url(), l1: devnet.l1_rpc.clone(), bridge: None };
    let key = DEV_ACCOUNTS[6].private_key;
    let alice = Signer::new(&DEV_ACCOUNTS[3].private_key).expect("key");
    let one_ether = U256::from(10u64).pow(U256::from(18));
    bridge::deposit(&ends, &key, alice.address(), one_ether, None).await.expect("deposit");
    let l1 = ProviderBuilder::new().connect_http(devnet.l1_rpc.clone());
    let _: serde_json::Value = l1.raw_request("anvil_mine".into(), (U256::from(3),)).await.expect("mine");
    let weth_l2 = keys::bridged_token(&Address::ZERO);
    eventually(Duration::from_secs(30), "the deposit credited", || async {
        (l2_balance(&devnet, weth_l2, alice.address()) == rollup_types::genesis::DEVNET_ETHER_PER_ACCOUNT + one_ether)
            .then_some(())
    })
    .await;

    // Posting held (a round already building ends first), Alice withdraws a quarter.
    devnet.faults.hold();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let url = devnet.url();
    let (recipient, amount) = (Address::repeat_byte(0x77), one_ether / U256::from(4u8));
    // As `rollup withdraw` sends it: signed with eth_estimateGas's gas and eth_gasPrice's fee.
    let withdrawn =
        bridge::withdraw(&ends, &DEV_ACCOUNTS[3].private_key, weth_l2, recipient, amount).await.expect("withdrawn");
    assert_eq!((withdrawn.sender, withdrawn.index), (alice.address(), 0));
    let block = all_succeed(&url, &[withdrawn.tx_hash]).await;
    assert_eq!(block, withdrawn.block);
    assert!(
        l1_view(&devnet.l1_rpc, d.batch_inbox, BatchInbox::lastL2BlockCall {}).await < block,
        "the withdrawal's block is not posted yet"
    );

    // The forged root: the state after the withdrawal's block plus the thief's leaf.
    let head = devnet.sequencer.node.head();
    assert_eq!(head.header.number, block, "the chain is idle");
    let mut tree = SparseMerkleTree::new();
    tree.update(devnet.sequencer.node.committed_state().leaves());
    assert_eq!(tree.root(), head.header.state_root, "the state rebuilt as the block's");
    let thief = DEV_ACCOUNTS[7].address;
    let stolen = L1Bridge::Withdrawal {
        l2Sender: thief,
        index: U256::ZERO,
        l1Token: Address::ZERO,
        recipient: thief,
        amount: one_ether / U256::from(2u8),
    };
    let stolen_key = keys::withdrawal(&thief, 0);
    let forged_root = tree.insert(stolen_key, keys::withdrawal_leaf(&Address::ZERO, &thief, &stolen.amount));
    let siblings = tree.prove(&stolen_key).siblings;
    devnet.faults.release(Some(Fault::StateRoot(forged_root)));

    // The thief's claim, as an L1 call: refused, and why.
    let claim = |batch: u64| {
        let l1 = l1.clone();
        let call = L1Bridge::finalizeWithdrawalCall {
            batchIndex: U256::from(batch),
            w: stolen.clone(),
            siblings: siblings.clone(),
        };
        async move {
            let request = TransactionRequest::default().from(thief).with_to(d.bridge).with_input(call.abi_encode());
            let err = l1.call(request).await.expect_err("the thief is never paid");
            let data = err.as_error_resp().and_then(|e| e.as_revert_data()).expect("a revert with data");
            <[u8; 4]>::try_from(&data[..4]).expect("a selector")
        }
    };
    let forged_batch = eventually(Duration::from_secs(30), "the forged root posted", || async {
        let count = l1_view(&devnet.l1_rpc, d.batch_inbox, BatchInbox::batchCountCall {}).await;
        let last = count.checked_sub(U256::from(1))?;
        let batch = l1_view(&devnet.l1_rpc, d.batch_inbox, BatchInbox::getBatchCall { index: last }).await;
        (batch.stateRoot == forged_root).then_some(last.to::<u64>())
    })
    .await;
    // While open (unless the challenger was faster still): not final, or already rolled back.
    let early = claim(forged_batch).await;
    assert!(
        [L1Bridge::BatchNotFinal::SELECTOR, BatchInbox::UnknownBatch::SELECTOR].contains(&early),
        "refused for another reason: {early:?}"
    );

    let (status, proven) = proven_fraud(&devnet).await;
    assert_eq!(proven.len(), 1, "{:?}", status.proofs);
    assert_eq!(proven[0].index, U256::from(forged_batch));
    let mut challenger = devnet.challenger.clone();

    // The honest chain re-posts Alice's block; past every window, the thief's proof still
    // pays nothing (the index now holds the honest root) and Alice's withdrawal is paid once.
    let mining = mine_every(&l1, Duration::from_millis(300));
    eventually(Duration::from_secs(60), "the honest batch verified", || {
        let status = challenger.borrow_and_update().clone();
        async move { status.last_verified_l2_block.filter(|b| *b >= block).map(|_| ()) }
    })
    .await;
    let _: serde_json::Value =
        l1.raw_request("evm_increaseTime".into(), (U256::from(d.challenge_window + 1),)).await.expect("time");
    let paid = bridge::finalize_withdrawal(&ends, &key, alice.address(), 0, Duration::from_secs(60))
        .await
        .expect("Alice's withdrawal finalized");
    assert_eq!((paid.recipient, paid.amount), (recipient, amount));
    let late = claim(forged_batch).await;
    assert!(
        [L1Bridge::InvalidWithdrawalProof::SELECTOR, BatchInbox::UnknownBatch::SELECTOR].contains(&late),
        "refused for another reason: {late:?}"
    );
    let thief_paid = l1
        .get_logs(
            &Filter::new()
                .address(d.bridge)
                .event_signature(L1Bridge::WithdrawalFinalized::SIGNATURE_HASH)
                .topic1(stolen_key)
                .from_block(0),
        )
        .await
        .expect("logs");
    assert!(thief_paid.is_empty(), "the forged withdrawal was paid");
    mining.abort();
    devnet.stop().await.expect("clean stop");
}

/// The escape hatch on anvil: deposits are credited and posted; on L2 one depositor puts part
/// of its ether in a pool with USDC (a token created at genesis, with no L1 asset) and
/// withdraws another part; then the operator stops (the devnet is shut down, its L1 runs on,
/// no L2 API answers). A later deposit goes overdue, anyone freezes the inbox, and once the last
/// batch is final every unit bridged in leaves on L1 with proofs derived from L1 data alone:
/// the balances, the bridged side of the mixed pool, the withdrawal written before the freeze,
/// and the never-included deposit, refunded; each once, and nothing but the pool's locked
/// minimum liquidity stays in the bridge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_operator_stops_users_exit_through_the_escape_hatch() {
    use rollup_devnet::escape::{self, FrozenState};
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (anvil, l1_url) = own_anvil(dir.path()).await;
    let mut config = DevnetConfig::test(dir.path().join("devnet")).expect("config");
    config.l1_rpc = Some(l1_url.clone());
    let chain = config.chain;
    let devnet = Devnet::start(config).await.expect("devnet");
    let d = devnet.deployment.clone();
    let ends = Endpoints { l2: devnet.url(), l1: l1_url.clone(), bridge: Some(d.bridge) };
    let key = DEV_ACCOUNTS[6].private_key;
    let alice = Address::repeat_byte(0xa1);
    let one_ether = U256::from(10u64).pow(U256::from(18));
    bridge::deposit(&ends, &key, alice, one_ether, None).await.expect("deposit");
    let l1 = ProviderBuilder::new().connect_http(l1_url.clone());
    let mine = |n: u64| {
        let l1 = l1.clone();
        async move {
            let _: serde_json::Value = l1.raw_request("anvil_mine".into(), (U256::from(n),)).await.expect("mine");
        }
    };
    mine(3).await;
    let weth_l2 = keys::bridged_token(&Address::ZERO);
    eventually(Duration::from_secs(30), "the deposit credited", || async {
        (l2_balance(&devnet, weth_l2, alice) == one_ether).then_some(())
    })
    .await;
    // Carol deposits two ether, pools half an ether with USDC and withdraws a quarter.
    let carol = Signer::new(&DEV_ACCOUNTS[8].private_key).expect("key");
    let two_ether = one_ether * U256::from(2u8);
    bridge::deposit(&ends, &key, carol.address(), two_ether, None).await.expect("deposit");
    mine(3).await;
    eventually(Duration::from_secs(30), "carol's deposit credited", || async {
        (l2_balance(&devnet, weth_l2, carol.address()) == rollup_types::genesis::DEVNET_ETHER_PER_ACCOUNT + two_ether)
            .then_some(())
    })
    .await;
    let (pooled, withdrawn) = (one_ether / U256::from(2u8), one_ether / U256::from(4u8));
    let carol_calls = [
        L2System::createPoolCall {
            tokenA: weth_l2,
            tokenB: USDC,
            amountA: pooled,
            amountB: U256::from(1_000_000_000u64),
        }
        .abi_encode(),
        L2System::withdrawCall { l2Token: weth_l2, l1Recipient: carol.address(), amount: withdrawn }.abi_encode(),
    ];
    submit_in_order(&devnet, &carol, &carol_calls).await;
    verified_to_head(&devnet, "the deposit's block posted and verified").await;
    // The operator stops; the L1 runs on.
    devnet.stop().await.expect("clean stop");

    // Bob's deposit is never included; once it has waited two windows anyone may freeze the inbox.
    let bob = Address::repeat_byte(0xb0);
    let late = bridge::deposit(&ends, &key, bob, one_ether / U256::from(2u8), None).await.expect("deposit");
    let escape_config = escape_config(&l1_url, &d, chain, rollup_types::genesis::GenesisSpec::devnet(), dir.path());
    freeze_when_overdue(&escape_config, &ends, &d, &key).await;
    assert!(FrozenState::derive(&escape_config).await.is_err(), "the last batch is not final yet");
    pass_the_challenge_window(&l1_url, &d).await;

    // Alice's balance, proven against the frozen root derived from L1, is paid on L1.
    let frozen = FrozenState::derive(&escape_config).await.expect("the frozen state");
    // The last post's reading of the L1's fees (docs/fees.md §4.1) may wait unconsumed before
    // Bob's deposit: the frozen state consumed every deposit before his.
    assert!(frozen.queue_end() <= late.queue_index, "the frozen state did not consume Bob's deposit");
    assert!(late.queue_index - frozen.queue_end() <= 1, "at most the last post's reading before it");
    assert_eq!(frozen.balance(Address::ZERO, alice), one_ether);
    let before = l1.get_balance(alice).await.expect("balance");
    let (paid, _) = frozen.escape_balance(&escape_config, &key, Address::ZERO, alice).await.expect("escaped");
    assert_eq!(paid, one_ether);
    assert_eq!(l1.get_balance(alice).await.expect("balance") - before, one_ether);
    let twice = frozen.escape_balance(&escape_config, &key, Address::ZERO, alice).await.expect_err("once");
    assert!(format!("{twice:#}").contains("AlreadyEscaped { claim: "), "the revert by name: {twice:#}");
    // Carol's bridged side of the pool of ether and USDC: its USDC has no L1 asset and pays
    // nothing (the bridge holds it, for nothing), its ether is paid pro rata of the proven
    // reserves.
    let carol_before = l1.get_balance(carol.address()).await.expect("balance");
    let pool_escape = frozen
        .escape_liquidity(&escape_config, &key, weth_l2, USDC, carol.address())
        .await
        .expect("the bridged side of the mixed pool");
    let paid_weth = pool_escape.paid(Address::ZERO);
    assert!(
        matches!(pool_escape.sides[1].1, escape::Side::Held { pair: None, .. }),
        "USDC came from no L1 asset: {pool_escape:?}"
    );
    assert!(
        paid_weth < pooled && pooled - paid_weth < pooled / U256::from(1_000_000u64),
        "{paid_weth}: all but the locked minimum"
    );
    assert!(frozen.escape_liquidity(&escape_config, &key, weth_l2, USDC, carol.address()).await.is_err(), "once");
    // Her withdrawal, written before the freeze and never finalized, with a proof from L1.
    let w = |amount| L1Bridge::Withdrawal {
        l2Sender: carol.address(),
        index: U256::ZERO,
        l1Token: Address::ZERO,
        recipient: carol.address(),
        amount,
    };
    assert!(frozen.escape_withdrawal(&escape_config, &key, w(one_ether)).await.is_err(), "not that amount");
    frozen.escape_withdrawal(&escape_config, &key, w(withdrawn)).await.expect("the withdrawal paid");
    let again = frozen.escape_withdrawal(&escape_config, &key, w(withdrawn)).await.expect_err("once");
    assert!(again.to_string().contains("already paid"), "{again}");
    // And the rest of her balance, from a derivation that resumes from the last one's snapshot.
    let resumed = FrozenState::derive(&escape_config).await.expect("the frozen state again");
    assert!(resumed.resumed_from().is_some(), "the second derivation starts from the first one's snapshot");
    // Her genesis ether is locked in the bridge by the deployer, and escapes with the rest (but
    // the fees of her two transactions, which the fee vault holds).
    let carol_fees = fees_at_floor(schedule::CREATE_POOL + schedule::WITHDRAW);
    let rest = rollup_types::genesis::DEVNET_ETHER_PER_ACCOUNT + two_ether - pooled - withdrawn - carol_fees;
    resumed.escape_balance(&escape_config, &key, Address::ZERO, carol.address()).await.expect("her balance");
    assert_eq!(
        l1.get_balance(carol.address()).await.expect("balance") - carol_before,
        paid_weth + withdrawn + rest,
        "carol's ether, every part of it but the pool's locked minimum"
    );
    // Bob's deposit goes back to the account that made it.
    let depositor = DEV_ACCOUNTS[6].address;
    let before = l1.get_balance(depositor).await.expect("balance");
    let refund_key = DEV_ACCOUNTS[7].private_key;
    escape::refund_deposit(&escape_config, &refund_key, late.queue_index).await.expect("refunded");
    assert_eq!(l1.get_balance(depositor).await.expect("balance") - before, one_ether / U256::from(2u8));
    assert!(escape::refund_deposit(&escape_config, &refund_key, late.queue_index).await.is_err(), "once");
    // A deposit the frozen state consumed is not refunded (it was credited on L2).
    assert!(escape::refund_deposit(&escape_config, &refund_key, 0).await.is_err());
    // Every unit bridged in left but the pool's share of the liquidity locked at creation, the
    // genesis ether of the nine development accounts that did not escape theirs, and the fees
    // (the vault's ether, not claimed here: its claim pays the fee recipient, tested below).
    let locked: U256 = l1_view(&l1_url, d.bridge, rollup_types::bindings::L1Bridge::lockedCall(Address::ZERO)).await;
    let unclaimed =
        rollup_types::genesis::GenesisSpec::devnet().genesis_ether() - rollup_types::genesis::DEVNET_ETHER_PER_ACCOUNT;
    assert_eq!(resumed.balance(Address::ZERO, rollup_types::fees::FEE_VAULT), carol_fees, "the vault");
    assert_eq!(
        locked,
        pooled - paid_weth + unclaimed + carol_fees,
        "only the pool's minimum liquidity, unclaimed genesis ether and the fees"
    );
    drop(anvil);
}

/// Nested liquidity and the fee vault through the escape hatch on anvil (docs/bridge.md §7.2,
/// §7.3): on L2 Carol pools her genesis ether with USDC (a token created at genesis, no L1
/// asset), giving LP1; pools half her LP1 with ether (LP2), and half her LP2 with ether (LP3): a
/// pool whose side is the liquidity token of a pool whose side is itself a liquidity token.
/// The operator stops, a later deposit goes overdue, the inbox is frozen, and from L1 data alone:
/// her LP3 pays its ether and leaves LP2 held, which pays its ether and leaves LP1 held, which
/// pays its ether (its USDC side has no L1 asset); her own LP2 (followed down with
/// `escape_held_below`) and LP1 are paid beside. Each amount is the pro rata of the reserves
/// read on L2 before the stop, rounded down, and her L1 balance grows by their sum; claims are
/// refused twice and a held claim naming a pair she holds none of is refused. The fee vault's
/// ether goes to the genesis fee recipient, nothing to the vault's L1 address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_liquidity_and_the_fee_vault_leave_through_the_escape_hatch() {
    use rollup_devnet::escape::{self, FrozenState, Side};
    use rollup_types::{fees::FEE_VAULT, genesis::GenesisSpec};
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (anvil, l1_url) = own_anvil(dir.path()).await;
    let mut config = DevnetConfig::test(dir.path().join("devnet")).expect("config");
    config.l1_rpc = Some(l1_url.clone());
    let chain = config.chain;
    let devnet = Devnet::start(config).await.expect("devnet");
    let d = devnet.deployment.clone();
    let ends = Endpoints { l2: devnet.url(), l1: l1_url.clone(), bridge: Some(d.bridge) };
    let key = DEV_ACCOUNTS[6].private_key;
    let l1 = ProviderBuilder::new().connect_http(l1_url.clone());
    let mine = |n: u64| {
        let l1 = l1.clone();
        async move {
            let _: serde_json::Value = l1.raw_request("anvil_mine".into(), (U256::from(n),)).await.expect("mine");
        }
    };
    let one_ether = U256::from(10u64).pow(U256::from(18));
    let weth = keys::bridged_token(&Address::ZERO);
    let carol = Signer::new(&DEV_ACCOUNTS[8].private_key).expect("key");
    let lp = |a: Address, b: Address| {
        let (t0, t1) = keys::sort_pair(a, b);
        keys::lp_token(&t0, &t1)
    };
    let (lp1, lp2, lp3) = (lp(weth, USDC), lp(lp(weth, USDC), weth), lp(lp(lp(weth, USDC), weth), weth));
    // Carol's three pools, one transaction each: each seeds the next with half of its shares.
    let mut nonce = 0;
    let mut create = |a: Address, b: Address, amount_a: U256, amount_b: U256| {
        let call = L2System::createPoolCall { tokenA: a, tokenB: b, amountA: amount_a, amountB: amount_b };
        let raw = carol.eip1559(chain.chain_id, nonce, call.abi_encode().into()).encoded().into();
        nonce += 1;
        raw
    };
    let raws = vec![create(weth, USDC, one_ether, U256::from(1_000_000_000u64))];
    let hashes: Vec<B256> =
        devnet.sequencer.node.submit_many(raws).await.into_iter().map(|r| r.expect("accepted")).collect();
    all_succeed(&devnet.url(), &hashes).await;
    let raws = vec![create(
        lp1,
        weth,
        l2_balance(&devnet, lp1, carol.address()) / U256::from(2u8),
        one_ether / U256::from(4u8),
    )];
    let hashes: Vec<B256> =
        devnet.sequencer.node.submit_many(raws).await.into_iter().map(|r| r.expect("accepted")).collect();
    all_succeed(&devnet.url(), &hashes).await;
    let raws = vec![create(
        lp2,
        weth,
        l2_balance(&devnet, lp2, carol.address()) / U256::from(2u8),
        one_ether / U256::from(8u8),
    )];
    let hashes: Vec<B256> =
        devnet.sequencer.node.submit_many(raws).await.into_iter().map(|r| r.expect("accepted")).collect();
    all_succeed(&devnet.url(), &hashes).await;
    // The pools and her shares, as L2 has them: (ether reserve, other side's reserve, supply).
    let pool = |a: Address, b: Address| {
        let p = l2_view(&devnet, L2System::getPoolCall { tokenA: a, tokenB: b });
        (p.reserveA, p.reserveB, p.totalLiquidity)
    };
    let (p1, p2, p3) = (pool(weth, USDC), pool(weth, lp1), pool(weth, lp2));
    let shares = |token| l2_balance(&devnet, token, carol.address());
    let (c1, c2, c3) = (shares(lp1), shares(lp2), shares(lp3));
    assert!(!c1.is_zero() && !c2.is_zero() && !c3.is_zero() && !p3.1.is_zero(), "three levels of pools");
    let head = devnet.sequencer.node.head().header.number;
    let mut challenger = devnet.challenger.clone();
    eventually(Duration::from_secs(60), "the pools' blocks posted and verified", || {
        let status = challenger.borrow_and_update().clone();
        async move { status.last_verified_l2_block.filter(|b| *b >= head).map(|_| ()) }
    })
    .await;
    // The operator stops; a later deposit waits the freeze delay and the inbox is frozen.
    devnet.stop().await.expect("clean stop");
    bridge::deposit(&ends, &key, Address::repeat_byte(0xb0), one_ether, None).await.expect("deposit");
    mine(d.freeze_delay + 2).await;
    let escape_config = escape_config(&l1_url, &d, chain, GenesisSpec::devnet(), dir.path());
    escape::freeze(&escape_config, &key).await.expect("frozen");
    let _: serde_json::Value =
        l1.raw_request("evm_increaseTime".into(), (U256::from(d.challenge_window + 1),)).await.expect("time");
    mine(1).await;
    let frozen = FrozenState::derive(&escape_config).await.expect("the frozen state");
    let carol_before = l1.get_balance(carol.address()).await.expect("balance");
    let of = |reserve: U256, shares: U256, supply: U256| reserve * shares / supply;

    // LP3: its ether is paid, its LP2 side held for her (the pool of LP1 and ether to name next).
    let outer = frozen.escape_liquidity(&escape_config, &key, lp2, weth, carol.address()).await.expect("her LP3");
    let held_lp2 = of(p3.1, c3, p3.2);
    assert_eq!(outer.sides[0].1, Side::Held { amount: held_lp2, pair: Some(keys::sort_pair(lp1, weth)) });
    assert_eq!(outer.sides[1].1, Side::Paid { l1_token: Address::ZERO, amount: of(p3.0, c3, p3.2) });
    assert_eq!(frozen.held_shares(&escape_config, weth, lp1, carol.address()).await.expect("held"), held_lp2);
    let twice = frozen.escape_liquidity(&escape_config, &key, lp2, weth, carol.address()).await.expect_err("once");
    assert!(format!("{twice:#}").contains("AlreadyEscaped { claim: "), "the revert by name: {twice:#}");
    // Nothing of LP1 is held for her yet: naming its pool finds nothing.
    let wrong = frozen.escape_held_shares(&escape_config, &key, weth, USDC, carol.address()).await.expect_err("none");
    assert!(format!("{wrong:#}").contains("holds no shares"), "{wrong:#}");
    // Held LP2: its ether paid, LP1 held.
    let middle =
        frozen.escape_held_shares(&escape_config, &key, weth, lp1, carol.address()).await.expect("her held LP2");
    let held_lp1 = of(p2.1, held_lp2, p2.2);
    assert_eq!(middle.shares, held_lp2);
    assert_eq!(middle.sides[1].1, Side::Held { amount: held_lp1, pair: Some(keys::sort_pair(weth, USDC)) });
    assert_eq!(middle.sides[0].1, Side::Paid { l1_token: Address::ZERO, amount: of(p2.0, held_lp2, p2.2) });
    let again = frozen.escape_held_shares(&escape_config, &key, lp1, weth, carol.address()).await.expect_err("once");
    assert!(format!("{again:#}").contains("holds no shares"), "{again:#}");
    // Held LP1: its ether paid; USDC has no L1 asset.
    let inner =
        frozen.escape_held_shares(&escape_config, &key, weth, USDC, carol.address()).await.expect("her held LP1");
    assert_eq!(inner.sides[0].1, Side::Paid { l1_token: Address::ZERO, amount: of(p1.0, held_lp1, p1.2) });
    assert!(matches!(inner.sides[1].1, Side::Held { pair: None, .. }), "{inner:?}");
    assert!(inner.held_pairs().next().is_none(), "nothing below");
    // Her own LP2, followed down every level at once, and her own LP1.
    let own2 = frozen.escape_liquidity(&escape_config, &key, lp1, weth, carol.address()).await.expect("her LP2");
    let below = frozen.escape_held_below(&escape_config, &key, &own2).await.expect("the levels below");
    assert_eq!(below.len(), 1, "one level below LP2: {below:?}");
    assert_eq!(below[0].shares, of(p2.1, c2, p2.2), "the LP1 her LP2 holds");
    assert_eq!(below[0].paid(Address::ZERO), of(p1.0, of(p2.1, c2, p2.2), p1.2));
    let own1 = frozen.escape_liquidity(&escape_config, &key, weth, USDC, carol.address()).await.expect("her LP1");
    assert_eq!(own1.paid(Address::ZERO), of(p1.0, c1, p1.2));
    let paid: U256 = [&outer, &middle, &inner, &own2, &below[0], &own1].iter().map(|e| e.paid(Address::ZERO)).sum();
    assert_eq!(
        l1.get_balance(carol.address()).await.expect("balance") - carol_before,
        paid,
        "every level of her liquidity, in L1 ether"
    );
    assert!(paid < one_ether + one_ether / U256::from(4u8) + one_ether / U256::from(8u8), "at most what she pooled");

    // The fee vault's ether goes to the fee recipient laid out at genesis, once.
    let recipient = GenesisSpec::devnet().fee_recipient;
    assert_eq!(frozen.fee_recipient(), Some(recipient));
    let vault = frozen.balance(Address::ZERO, FEE_VAULT);
    assert!(!vault.is_zero(), "the fees of her transactions");
    let recipient_before = l1.get_balance(recipient).await.expect("balance");
    let (fees, _) = frozen.escape_balance(&escape_config, &key, Address::ZERO, FEE_VAULT).await.expect("the vault");
    assert_eq!(fees, vault);
    assert_eq!(l1.get_balance(recipient).await.expect("balance") - recipient_before, vault, "to the recipient");
    assert_eq!(l1.get_balance(FEE_VAULT).await.expect("balance"), U256::ZERO, "nothing to the vault's address");
    let twice = frozen.escape_balance(&escape_config, &key, Address::ZERO, FEE_VAULT).await.expect_err("once");
    assert!(format!("{twice:#}").contains("AlreadyEscaped { claim: "), "the revert by name: {twice:#}");
    drop(anvil);
}

/// Mines `n` anvil blocks (anvil here mines only when sent something).
async fn mine_blocks(l1: &url::Url, n: u64) {
    let l1 = ProviderBuilder::new().connect_http(l1.clone());
    let _: serde_json::Value = l1.raw_request("anvil_mine".into(), (U256::from(n),)).await.expect("mine");
}

/// The money market at an escape (docs/bridge.md §7.4), on a genesis with a market of the
/// chain's bridged ether (priced by a pool of ether and USDC): Alice supplies 10 ether, Bob
/// supplies 3 and borrows 1, Carol borrows 2 against USDC, born on L2 and worth nothing on L1.
/// The operator stops, the inbox is frozen, and from L1 data alone: the totals are proven,
/// Carol's shortfall registered, and after the settlement window Alice and Bob are each paid
/// their net as a share of the market's ether, `W / (N + B)`, to the unit; Carol nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_money_market_pays_its_supplier_and_borrower_through_the_escape_hatch() {
    use rollup_devnet::escape::FrozenState;
    use rollup_types::{
        bindings::L2Lending,
        genesis::{GenesisMarket, GenesisOracle, GenesisPool, GenesisSpec},
    };
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (anvil, l1_url) = own_anvil(dir.path()).await;
    let mut genesis = GenesisSpec::devnet();
    genesis.pools.push(GenesisPool { token_a: keys::ETHER, amount_a: 10, token_b: USDC, amount_b: 30_000 });
    genesis.oracles.push(GenesisOracle { asset: keys::ETHER, via: None });
    let weth = *genesis.markets.iter().find(|m| m.asset == rollup_types::genesis::WETH).expect("WETH");
    genesis.markets.push(GenesisMarket { asset: keys::ETHER, ..weth });
    let ether_market = genesis.markets.len() as u64 - 1;
    let mut config = DevnetConfig::test(dir.path().join("devnet")).expect("config");
    config.l1_rpc = Some(l1_url.clone());
    config.genesis = genesis.clone();
    let chain = config.chain;
    let devnet = Devnet::start(config).await.expect("devnet");
    let d = devnet.deployment.clone();
    let ends = Endpoints { l2: devnet.url(), l1: l1_url.clone(), bridge: Some(d.bridge) };
    let e18 = U256::from(10u64).pow(U256::from(18u8));
    let [alice, bob, carol] = [3, 4, 5].map(|i| Signer::new(&DEV_ACCOUNTS[i].private_key).expect("key"));
    let steps: [(&Signer, Vec<Vec<u8>>); 3] = [
        (&alice, vec![L2Lending::supplyCall { asset: keys::ETHER, amount: e18 * U256::from(10u8) }.abi_encode()]),
        (
            &bob,
            vec![
                L2Lending::supplyCall { asset: keys::ETHER, amount: e18 * U256::from(3u8) }.abi_encode(),
                L2Lending::borrowCall { asset: keys::ETHER, amount: e18 }.abi_encode(),
            ],
        ),
        (
            &carol,
            vec![
                L2Lending::supplyCall { asset: USDC, amount: U256::from(30_000_000_000u64) }.abi_encode(),
                L2Lending::borrowCall { asset: keys::ETHER, amount: e18 * U256::from(2u8) }.abi_encode(),
            ],
        ),
    ];
    for (signer, calls) in &steps {
        submit_in_order(&devnet, signer, calls).await;
    }
    verified_to_head(&devnet, "the positions posted and verified").await;
    devnet.stop().await.expect("clean stop");

    // A deposit no batch includes; the inbox is frozen; the last batch becomes final.
    let key = DEV_ACCOUNTS[6].private_key;
    bridge::deposit(&ends, &key, Address::repeat_byte(0xb0), e18, None).await.expect("deposit");
    let escape_config = escape_config(&l1_url, &d, chain, genesis, dir.path());
    freeze_when_overdue(&escape_config, &ends, &d, &key).await;
    pass_the_challenge_window(&l1_url, &d).await;
    let frozen = FrozenState::derive(&escape_config).await.expect("the frozen state");
    let (a, b, c) = (alice.address(), bob.address(), carol.address());
    // Nets in USDC's raw units: ether at about 3,000 USDC; Carol's USDC counts for nothing.
    let three_thousand = 3_000_000_000i128;
    let near = |net: i128, ether: i128| (net - ether * three_thousand).abs() < three_thousand / 10;
    assert!(near(frozen.lending_net(a), 10), "{}", frozen.lending_net(a));
    assert!(near(frozen.lending_net(b), 2), "{}", frozen.lending_net(b));
    assert!(near(frozen.lending_net(c), -2), "{}", frozen.lending_net(c));
    let shortfalls: Vec<Address> = frozen.shortfalls().into_iter().map(|(u, _)| u).collect();
    assert_eq!(shortfalls, [c], "Carol alone owes more than she holds");

    frozen.prove_lending_totals(&escape_config, &key).await.expect("the totals").expect("sent");
    assert!(frozen.prove_lending_totals(&escape_config, &key).await.expect("read").is_none(), "once");
    frozen.register_shortfall(&escape_config, &key, c).await.expect("Carol's shortfall");
    let early = frozen.escape_lending(&escape_config, &key, a).await.expect_err("the window is open");
    assert!(format!("{early:#}").contains("SettlementWindow"), "the revert by name: {early:#}");
    pass_the_challenge_window(&l1_url, &d).await;

    let l1 = ProviderBuilder::new().connect_http(l1_url.clone());
    let net: alloy_primitives::I256 = l1_view(&l1_url, d.bridge, L1Bridge::lendingNetCall {}).await;
    let shortfall: U256 = l1_view(&l1_url, d.bridge, L1Bridge::lendingShortfallCall {}).await;
    let market = l1_view(&l1_url, d.bridge, L1Bridge::frozenMarketsCall(U256::from(ether_market))).await;
    assert_eq!(market.asset, keys::ETHER);
    // Ten ether supplied and three borrowed out of thirteen; the debts' interest is in N.
    assert_eq!(market.cash, e18 * U256::from(10u8), "the market's ether");
    let denominator = net.into_raw() + shortfall;
    let mut paid = U256::ZERO;
    for (who, w) in [(a, frozen.lending_net(a)), (b, frozen.lending_net(b))] {
        let before = l1.get_balance(who).await.expect("balance");
        let amounts = frozen.escape_lending(&escape_config, &key, who).await.expect("paid");
        let expected = market.cash * U256::from(w as u128) / denominator;
        assert_eq!(amounts[ether_market as usize], expected, "{who}: W / (N + B) of the ether");
        assert_eq!(l1.get_balance(who).await.expect("balance") - before, expected, "{who} on L1");
        assert!(amounts.iter().enumerate().all(|(i, x)| i == ether_market as usize || x.is_zero()), "{amounts:?}");
        paid += expected;
    }
    // The nets are in USDC's raw units (10^-6 USDC, about 3.3 × 10^8 wei), each rounded in the
    // market's favour: what stays is below a raw unit's worth of ether an account.
    assert!(market.cash - paid < U256::from(1_000_000_000u64), "all the ether but the rounding: {paid}");
    let nothing = frozen.escape_lending(&escape_config, &key, c).await.expect_err("Carol is owed nothing");
    assert!(format!("{nothing:#}").contains("nothing is owed"), "{nothing:#}");
    let twice = frozen.escape_lending(&escape_config, &key, a).await.expect_err("once");
    assert!(format!("{twice:#}").contains("AlreadyEscaped"), "{twice:#}");
    drop(anvil);
}

/// An anvil of the test's own (a free port, chosen again if taken before anvil binds it),
/// logging into `dir`, and its URL.
async fn own_anvil(dir: &std::path::Path) -> (rollup_devnet::anvil::Anvil, url::Url) {
    use rollup_devnet::anvil::{Anvil, AnvilConfig};
    let anvil = Anvil::spawn(&AnvilConfig {
        port: 0,
        block_time: None,
        gas_limit: None,
        state_file: None,
        log_file: Some(dir.join("anvil.log")),
    })
    .await
    .expect("anvil");
    let url = anvil.url().parse().expect("url");
    (anvil, url)
}

/// The escape hatch's view of the devnet `d` on `l1`, deriving into `dir`'s `escape.sqlite`.
fn escape_config(
    l1: &url::Url,
    d: &Deployment,
    chain: rollup_types::ChainConfig,
    genesis: rollup_types::genesis::GenesisSpec,
    dir: &std::path::Path,
) -> rollup_devnet::escape::EscapeConfig {
    rollup_devnet::escape::EscapeConfig {
        l1: l1.clone(),
        inbox: d.batch_inbox,
        from_block: d.inbox_block,
        chain,
        genesis,
        db_url: format!("sqlite://{}", dir.join("escape.sqlite").display()),
        l1_beacon: None,
        l1_beacon_fallbacks: Vec::new(),
    }
}

/// Submits `calls` to the system contract from `signer`, its nonces from 0 in order, and
/// waits until every one succeeded.
async fn submit_in_order(devnet: &Devnet, signer: &Signer, calls: &[Vec<u8>]) {
    let chain_id = devnet.deployment.l2_chain_id;
    let raws =
        calls.iter().enumerate().map(|(n, c)| signer.eip1559(chain_id, n as u64, c.clone().into()).encoded().into());
    let hashes: Vec<B256> =
        devnet.sequencer.node.submit_many(raws.collect()).await.into_iter().map(|r| r.expect("accepted")).collect();
    all_succeed(&devnet.url(), &hashes).await;
}

/// Waits until the challenger verified the devnet's head block.
async fn verified_to_head(devnet: &Devnet, what: &str) {
    let head = devnet.sequencer.node.head().header.number;
    let mut challenger = devnet.challenger.clone();
    eventually(Duration::from_secs(60), what, || {
        let status = challenger.borrow_and_update().clone();
        async move { status.last_verified_l2_block.filter(|b| *b >= head).map(|_| ()) }
    })
    .await;
}

/// Once the operator has stopped and a deposit waits that no batch includes: the freeze is
/// refused while nothing is overdue and until the deposit has waited the freeze delay, then
/// taken; from then on the bridge takes no deposit.
async fn freeze_when_overdue(
    config: &rollup_devnet::escape::EscapeConfig,
    ends: &Endpoints,
    d: &Deployment,
    key: &B256,
) {
    use rollup_devnet::escape;
    let early = escape::freeze(config, key).await.expect_err("nothing is overdue yet");
    assert!(format!("{early:#}").contains("FreezeNotDue { index: "), "the revert by name: {early:#}");
    // Overdue after one window (no post may leave it behind), freezable after the delay.
    mine_blocks(&config.l1, d.inclusion_window + 1).await;
    assert!(escape::freeze(config, key).await.is_err(), "the freeze waits the whole delay");
    mine_blocks(&config.l1, d.freeze_delay - d.inclusion_window).await;
    escape::freeze(config, key).await.expect("frozen");
    let late = bridge::deposit(ends, key, Address::repeat_byte(0xb1), U256::from(1u8), None).await;
    let late = late.expect_err("no deposit once frozen");
    assert!(format!("{late:#}").contains("InboxFrozen"), "the revert by name: {late:#}");
}

/// Moves the L1's clock past the challenge window: the last batch is final.
async fn pass_the_challenge_window(l1: &url::Url, d: &Deployment) {
    let provider = ProviderBuilder::new().connect_http(l1.clone());
    let _: serde_json::Value =
        provider.raw_request("evm_increaseTime".into(), (U256::from(d.challenge_window + 1),)).await.expect("time");
    mine_blocks(l1, 1).await;
}

/// An L1 RPC URL as an execution node on mainnet serves it: JSON-RPC (POST) forwarded to
/// `l1`, and no beacon API: `404` to every `GET`, such as `/eth/v1/beacon/blobs/{block}`, which
/// it counts.
struct WithoutBeaconApi {
    url: url::Url,
    refused: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

impl WithoutBeaconApi {
    async fn start(l1: url::Url) -> Self {
        use axum::{
            body::Bytes,
            http::{Method, StatusCode, Uri, header::CONTENT_TYPE},
            response::IntoResponse,
        };
        use std::sync::atomic::Ordering;
        // Bound once and kept: the server owns the port from here on.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr")).parse().expect("url");
        let refused = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (counter, client) = (refused.clone(), reqwest::Client::new());
        let app = axum::Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
            let (counter, client, l1) = (counter.clone(), client.clone(), l1.clone());
            async move {
                if method != Method::POST {
                    if uri.path().starts_with("/eth/v1/beacon/") {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                    return StatusCode::NOT_FOUND.into_response();
                }
                let forwarded = client.post(l1).header(CONTENT_TYPE.as_str(), "application/json").body(body).send();
                match forwarded.await {
                    Ok(answer) => {
                        let status = StatusCode::from_u16(answer.status().as_u16()).expect("a status");
                        let body = answer.bytes().await.unwrap_or_default();
                        (status, [(CONTENT_TYPE, "application/json")], body).into_response()
                    }
                    Err(err) => (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
                }
            }
        });
        let server = tokio::spawn(async move { axum::serve(listener, app).await.expect("serves") });
        Self { url, refused, server }
    }

    /// The beacon API requests refused so far.
    fn refused(&self) -> usize {
        self.refused.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for WithoutBeaconApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The L1 block and the blob's versioned hash of every batch posted to `inbox`, in order (each
/// batch in a blob of its post).
async fn posted_blobs(l1_url: &url::Url, inbox: Address) -> Vec<(u64, B256)> {
    let l1 = ProviderBuilder::new().connect_http(l1_url.clone());
    let filter = Filter::new().address(inbox).event_signature(BatchInbox::BatchPosted::SIGNATURE_HASH).from_block(0);
    let mut blobs = Vec::new();
    for log in l1.get_logs(&filter).await.expect("logs") {
        let hash = log.transaction_hash.expect("a mined post");
        let tx = l1.get_transaction_by_hash(hash).await.expect("rpc").expect("the post");
        let event = BatchInbox::BatchPosted::decode_log_data(&log.inner.data).expect("event");
        blobs.push((log.block_number.expect("a mined post"), super::blob_of(&tx, event.index.to())));
    }
    blobs
}

/// The escape hatch of a chain whose batches were posted in blobs, derived through an L1 RPC
/// URL that does not serve the beacon API (as mainnet's execution nodes do not): without a
/// beacon the derivation stops on the first blob, naming it; with a first beacon that no longer
/// serves it and a fallback that does (`--l1.beacon`, `--l1.beacon-fallback`), asked in that
/// order, the frozen state is derived and a balance is paid on L1; and from a copy of the
/// challenger's database (`--db.url`), which resumes from its snapshot, no beacon is needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_escape_hatch_reads_blob_batches_from_a_beacon_fallback_or_a_challengers_database() {
    use rollup_devnet::escape::{EscapeConfig, FrozenState};
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (anvil, l1_url) = own_anvil(dir.path()).await;
    let mut config = DevnetConfig::test(dir.path().join("devnet")).expect("config");
    config.l1_rpc = Some(l1_url.clone());
    config.da = rollup_batcher::DaMode::Blobs;
    let chain = config.chain;
    let devnet = Devnet::start(config).await.expect("devnet");
    let d = devnet.deployment.clone();
    let ends = Endpoints { l2: devnet.url(), l1: l1_url.clone(), bridge: Some(d.bridge) };
    let key = DEV_ACCOUNTS[6].private_key;
    let alice = Address::repeat_byte(0xa2);
    let one_ether = U256::from(10u64).pow(U256::from(18));
    bridge::deposit(&ends, &key, alice, one_ether, None).await.expect("deposit");
    mine_blocks(&l1_url, 3).await;
    let weth_l2 = keys::bridged_token(&Address::ZERO);
    eventually(Duration::from_secs(30), "the deposit credited", || async {
        (l2_balance(&devnet, weth_l2, alice) == one_ether).then_some(())
    })
    .await;
    // And a transaction, which the challenger's snapshot at its stop will hold.
    let bob = Signer::new(&DEV_ACCOUNTS[4].private_key).expect("key");
    let transfer = L2System::transferCall { token: USDC, to: alice, amount: U256::from(1u8) }.abi_encode();
    let raw = bob.eip1559(chain.chain_id, 0, transfer.into()).encoded().into();
    let hashes: Vec<B256> =
        devnet.sequencer.node.submit_many(vec![raw]).await.into_iter().map(|r| r.expect("accepted")).collect();
    all_succeed(&devnet.url(), &hashes).await;
    let head = devnet.sequencer.node.head().header.number;
    let mut challenger = devnet.challenger.clone();
    eventually(Duration::from_secs(60), "the deposit's block posted and verified", || {
        let status = challenger.borrow_and_update().clone();
        async move { status.last_verified_l2_block.filter(|b| *b >= head).map(|_| ()) }
    })
    .await;
    // The operator stops, its challenger having read every post (a round already building
    // ends first); the L1 runs on.
    devnet.faults.hold();
    tokio::time::sleep(Duration::from_secs(1)).await;
    eventually(Duration::from_secs(60), "every post verified", || {
        let verified = devnet.challenger.borrow().last_verified_batch;
        let l1_url = l1_url.clone();
        async move {
            let count: U256 = l1_view(&l1_url, d.batch_inbox, BatchInbox::batchCountCall {}).await;
            (verified.map(|v| U256::from(v + 1)) == Some(count)).then_some(())
        }
    })
    .await;
    devnet.stop().await.expect("clean stop");
    let blobs = posted_blobs(&l1_url, d.batch_inbox).await;
    assert!(!blobs.is_empty(), "the deposit's batch was posted in a blob");

    // The escape goes through an L1 RPC URL without the beacon API.
    let rpc = WithoutBeaconApi::start(l1_url.clone()).await;
    let escape_config = |db: &str, l1_beacon: Option<url::Url>, l1_beacon_fallbacks: Vec<url::Url>| EscapeConfig {
        l1: rpc.url.clone(),
        inbox: d.batch_inbox,
        from_block: d.inbox_block,
        chain,
        genesis: rollup_types::genesis::GenesisSpec::devnet(),
        db_url: format!("sqlite://{}", dir.path().join(db).display()),
        l1_beacon,
        l1_beacon_fallbacks,
    };
    bridge::deposit(&ends, &key, Address::repeat_byte(0xb0), one_ether, None).await.expect("a late deposit");
    freeze_when_overdue(&escape_config("escape.sqlite", None, Vec::new()), &ends, &d, &key).await;
    pass_the_challenge_window(&l1_url, &d).await;

    // No beacon: the derivation stops on the first blob, which it names.
    let blind = escape_config("blind.sqlite", None, Vec::new());
    let err = FrozenState::derive(&blind).await.expect_err("no source serves the blobs");
    let message = format!("{err:#}");
    assert!(message.contains(&format!("versioned_hashes={}", blobs[0].1)), "names the blob: {message}");
    assert!(message.contains("blobs asked of") && message.contains("404"), "{message}");

    // A beacon that has pruned the blobs, then a fallback that kept them (anvil's).
    let l1 = ProviderBuilder::new().connect_http(l1_url.clone());
    let refused = rpc.refused();
    let config = escape_config("escape.sqlite", Some(rpc.url.clone()), vec![l1_url.clone()]);
    let frozen = FrozenState::derive(&config).await.expect("the frozen state, from the fallback's blobs");
    assert!(rpc.refused() >= refused + blobs.len(), "the first beacon was asked first, for every blob");
    assert_eq!(frozen.balance(Address::ZERO, alice), one_ether);
    let before = l1.get_balance(alice).await.expect("balance");
    let (paid, _) = frozen.escape_balance(&config, &key, Address::ZERO, alice).await.expect("escaped");
    assert_eq!(paid, one_ether);
    assert_eq!(l1.get_balance(alice).await.expect("balance") - before, one_ether);

    // A copy of the challenger's database: it resumes from the snapshot the challenger left
    // at its stop, after the last post, and needs no blob from anywhere.
    let challenger_db = dir.path().join("devnet/challenger.sqlite");
    for suffix in ["", "-wal"] {
        let from = std::path::PathBuf::from(format!("{}{suffix}", challenger_db.display()));
        if from.exists() {
            std::fs::copy(&from, dir.path().join(format!("copy.sqlite{suffix}"))).expect("copy");
        }
    }
    let copy = escape_config("copy.sqlite", None, Vec::new());
    let resumed = FrozenState::derive(&copy).await.expect("the frozen state, from the challenger's database");
    let (last_post, _) = blobs[blobs.len() - 1];
    assert!(resumed.resumed_from().is_some_and(|b| b >= last_post), "resumed from a snapshot after the last post");
    assert_eq!(resumed.root(), frozen.root());
    drop(rpc);
    drop(anvil);
}

/// What `scheduled` gas costs at the lowest base fee, where a lightly loaded chain stays
/// (docs/fees.md §3): what the development keys' EIP-1559 transactions, which tip nothing, pay.
fn fees_at_floor(scheduled: u64) -> U256 {
    U256::from(scheduled) * U256::from(rollup_types::fees::MIN_BASE_FEE)
}
