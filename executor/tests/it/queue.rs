//! Queue entries at the start of a block (docs/bridge.md §3): deposits credited by the system
//! call, forced transactions run or skipped, and every path (sequential, parallel, pipelined)
//! giving the same results and roots.

use super::{balance, chain, env, recovered, signer, transfer};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolCall;
use rollup_executor::{BlockEnvInput, Executor, ParallelConfig, Pipeline, QueueResult, TxResult, TxStatus};
use rollup_types::{
    RecoveredTx,
    bindings::L2System,
    genesis::{GenesisSpec, USDC},
    keys,
    queue::{QueueEntry, QueueItem, SYSTEM_CALLER},
    smt,
};

/// The metadata word of bridged ether: "ETH", 18 decimals (`L1Bridge.ETHER_META`).
fn ether_meta() -> U256 {
    let mut word = [0u8; 32];
    word[..3].copy_from_slice(b"ETH");
    word[31] = 18;
    U256::from_be_bytes(word)
}

fn deposit(index: u64, l1_token: Address, to: Address, amount: u64) -> QueueEntry {
    QueueEntry {
        index,
        from: Address::repeat_byte(0x11),
        l1_block: 10 + index,
        item: QueueItem::Deposit { to, l1_token, amount: U256::from(amount), meta: ether_meta() },
    }
}

fn forced(index: u64, raw: Vec<u8>) -> QueueEntry {
    QueueEntry {
        index,
        from: Address::repeat_byte(0x22),
        l1_block: 10 + index,
        item: QueueItem::Forced { raw: raw.into() },
    }
}

fn withdraw(token: Address, to: Address, amount: u64) -> Bytes {
    L2System::withdrawCall { l2Token: token, l1Recipient: to, amount: U256::from(amount) }.abi_encode().into()
}

fn assert_root_matches_state(exec: &Executor) {
    let mut leaves = exec.state().leaves();
    leaves.sort();
    assert_eq!(exec.state_root(), smt::compute_root(&leaves));
}

#[test]
fn a_deposit_registers_the_bridged_token_once_and_credits_the_recipient() {
    let chain = chain(2);
    let mut exec = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let (alice, bob) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb0));
    // An L1 token (ether's bridged token exists from genesis: its deposits only mint).
    let l1_token = Address::repeat_byte(0x40);
    let weth_l2 = keys::bridged_token(&l1_token);
    let queue = [deposit(0, l1_token, alice, 5), deposit(1, l1_token, bob, 7), deposit(2, l1_token, alice, 1)];
    let block = exec.execute_block_with_queue(env(1), &queue, &[]);
    assert_eq!(block.queue.len(), 3);
    for r in &block.queue {
        let QueueResult::Deposit(out) = r else { panic!("{r:?}") };
        assert_eq!(out.status, TxStatus::Success, "{r:?}");
    }
    // Registration at the first deposit only: TokenCreated + Transfer + DepositCredited, then two.
    let logs: Vec<usize> = block.queue.iter().map(|r| r.outcome().map_or(0, |o| o.logs.len())).collect();
    assert_eq!(logs[1], logs[2]);
    assert!(logs[0] > logs[1], "{logs:?}");
    // Each credit is also the bridged token's own ERC-20 Transfer from zero, the first one's
    // too (the token is registered by that deposit, and has its code at once).
    let erc20 = alloy_primitives::keccak256("Transfer(address,address,uint256)");
    for (r, to) in block.queue.iter().zip([alice, bob, alice]) {
        let out = r.outcome().expect("executed");
        let minted = out.logs.iter().find(|l| l.address == weth_l2 && l.topics().first() == Some(&erc20));
        let minted = minted.unwrap_or_else(|| panic!("an ERC-20 Transfer at the bridged token: {:?}", out.logs));
        assert_eq!(minted.topics()[1], alloy_primitives::B256::ZERO);
        assert_eq!(minted.topics()[2], alloy_primitives::B256::left_padding_from(to.as_slice()));
    }
    // The beginning, then a chunk an entry: four chunk roots.
    assert_eq!(block.chunk_roots.len(), 4);
    assert_eq!(balance(&exec, weth_l2, alice), U256::from(6u8));
    assert_eq!(balance(&exec, weth_l2, bob), U256::from(7u8));
    // No nonce for the system caller, no nonce for anyone: deposits use none.
    assert_eq!(exec.state().nonce(&SYSTEM_CALLER), 0);
    assert!(exec.state().nonces().next().is_none());
    assert_root_matches_state(&exec);
}

#[test]
fn deposited_tokens_move_and_leave_through_withdraw_after_the_deposit_in_the_same_block() {
    let chain = chain(3);
    let mut exec = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let alice = signer(1);
    let weth_l2 = keys::bridged_token(&Address::ZERO);
    let l1_recipient = Address::repeat_byte(0x77);
    let queue = [deposit(0, Address::ZERO, alice.address(), 1_000)];
    let txs = vec![
        recovered(&chain, &alice, 0, transfer(weth_l2, Address::repeat_byte(0xb0), 100)),
        recovered(&chain, &alice, 1, withdraw(weth_l2, l1_recipient, 300)),
        // Not bridged: reverts, nonce used.
        recovered(&chain, &alice, 2, withdraw(USDC, l1_recipient, 1)),
    ];
    let held = balance(&exec, weth_l2, alice.address());
    let block = exec.execute_block_with_queue(env(1), &queue, &txs);
    let statuses: Vec<TxStatus> = block
        .results
        .iter()
        .map(|r| match r {
            TxResult::Executed(o) => o.status,
            TxResult::Invalid(e) => panic!("{e}"),
        })
        .collect();
    assert_eq!(statuses, [TxStatus::Success, TxStatus::Success, TxStatus::Revert]);
    // Ether is the bridged token of L1 ether: the three transactions' fees came out of it.
    let fees: U256 = block.results.iter().map(|r| if let TxResult::Executed(o) = r { o.fee } else { U256::ZERO }).sum();
    assert!(!fees.is_zero());
    assert_eq!(balance(&exec, weth_l2, alice.address()), held + U256::from(600u16) - fees);
    // The withdrawal leaf is in the state, under the sender's first index.
    let leaf = keys::withdrawal_leaf(&Address::ZERO, &l1_recipient, &U256::from(300u16));
    let key = keys::withdrawal(&alice.address(), 0);
    assert_eq!(exec.state().storage(&key.into()), U256::from_be_bytes(leaf.0));
    // The beginning, then four items in chunks of three.
    assert_eq!(block.chunk_roots.len(), 3);
    assert_root_matches_state(&exec);
}

#[test]
fn forced_transactions_run_when_admissible_and_are_skipped_otherwise() {
    let chain = chain(4);
    let mut exec = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let alice = signer(1);
    let bob = Address::repeat_byte(0xb0);
    let good = alice.eip1559(chain.chain_id, 0, transfer(USDC, bob, 5)).encoded();
    let wrong_nonce = alice.eip1559(chain.chain_id, 5, transfer(USDC, bob, 5)).encoded();
    let other_chain = alice.eip1559(chain.chain_id + 1, 1, transfer(USDC, bob, 5)).encoded();
    let mut trailing = alice.eip1559(chain.chain_id, 1, transfer(USDC, bob, 5)).encoded();
    trailing.push(0);
    let queue = [
        forced(0, good.clone()),
        forced(1, wrong_nonce),
        forced(2, other_chain),
        forced(3, trailing),
        forced(4, vec![0xde, 0xad]),
        // The same transaction again: its nonce is used.
        forced(5, good.clone()),
    ];
    // A user transaction at the nonce the forced one took is refused, the next one runs.
    let txs = vec![
        recovered(&chain, &alice, 0, transfer(USDC, bob, 1)),
        recovered(&chain, &alice, 1, transfer(USDC, bob, 2)),
    ];
    let before = balance(&exec, USDC, bob);
    let block = exec.execute_block_with_queue(env(1), &queue, &txs);
    match &block.queue[0] {
        QueueResult::Forced { sender, hash, outcome } => {
            assert_eq!((*sender, *hash, outcome.status), (alice.address(), keccak256(&good), TxStatus::Success));
        }
        other => panic!("{other:?}"),
    }
    for (i, r) in block.queue.iter().enumerate().skip(1) {
        assert!(matches!(r, QueueResult::Skipped(_)), "entry {i}: {r:?}");
    }
    assert!(matches!(block.results[0], TxResult::Invalid(_)));
    assert!(matches!(block.results[1], TxResult::Executed(_)));
    assert_eq!(balance(&exec, USDC, bob), before + U256::from(7u8));
    // The beginning, a chunk for each of six entries, then the one executed transaction's.
    assert_eq!(block.chunk_roots.len(), 8);
    assert_root_matches_state(&exec);
}

/// Blocks with queue entries give the same results and roots on every path.
#[test]
fn every_path_agrees_with_queue_entries() {
    let chain = chain(3);
    let genesis = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let alice = signer(1);
    let weth_l2 = keys::bridged_token(&Address::ZERO);
    let mut blocks: Vec<(BlockEnvInput, Vec<QueueEntry>, Vec<RecoveredTx>)> = Vec::new();
    let mut nonce = 0;
    let mut index = 0;
    for b in 0..6u64 {
        let queue: Vec<QueueEntry> = (0..b % 3)
            .map(|_| {
                index += 1;
                deposit(
                    index - 1,
                    Address::ZERO,
                    if index % 2 == 0 { alice.address() } else { Address::repeat_byte(9) },
                    50,
                )
            })
            .collect();
        let txs: Vec<RecoveredTx> = (0..(b * 2) % 5)
            .map(|i| {
                nonce += 1;
                let input = if i % 2 == 0 {
                    transfer(USDC, Address::repeat_byte(i as u8 + 1), 3)
                } else {
                    withdraw(weth_l2, Address::repeat_byte(0x77), 1)
                };
                recovered(&chain, &alice, nonce - 1, input)
            })
            .collect();
        blocks.push((env(b + 1), queue, txs));
    }
    let run = |mut exec: Executor| {
        let out: Vec<(Vec<QueueResult>, Vec<TxResult>, Vec<B256>)> = blocks
            .iter()
            .map(|(e, q, t)| {
                let b = exec.execute_block_with_queue(*e, q, t);
                (b.queue, b.results, b.chunk_roots)
            })
            .collect();
        (out, exec.state_root())
    };
    let sequential = run(genesis.clone());
    for threads in [1, 2, 4] {
        let parallel = genesis.clone().with_parallelism(ParallelConfig::threads(threads)).expect("threads");
        assert_eq!(run(parallel), sequential, "{threads} threads");
    }
    let mut pipeline = Pipeline::new(genesis.with_parallelism(ParallelConfig::threads(2)).expect("threads"));
    let mut done = Vec::new();
    for (e, q, t) in &blocks {
        done.extend(pipeline.push_with_queue(*e, q, t));
    }
    let (exec, last) = pipeline.finish();
    done.extend(last);
    let piped: Vec<_> = done.into_iter().map(|b| (b.queue, b.results, b.chunk_roots)).collect();
    assert_eq!((piped, exec.state_root()), sequential);
}

/// A trace of a chunk with queue entries covers what they touch, without the system caller.
#[test]
fn a_trace_covers_the_queue_entries() {
    let chain = chain(8);
    let exec = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let alice = Address::repeat_byte(0xa1);
    let trace = exec.trace_chunk(env(1), &[deposit(0, Address::ZERO, alice, 5)], &[]);
    let weth_l2 = keys::bridged_token(&Address::ZERO);
    assert!(trace.keys.contains(&keys::balance(&weth_l2, &alice)));
    assert!(trace.keys.contains(&keys::token_origin(&weth_l2)));
    assert!(!trace.keys.contains(&keys::nonce(&SYSTEM_CALLER)));
    assert_eq!(trace.queue.len(), 1);
}
