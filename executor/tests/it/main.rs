//! Integration tests of the executor over the real L2 system contract.

mod parallel;
mod queue;
mod trace;

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use rollup_executor::{BlockEnvInput, CallRequest, Executor, TxResult, TxStatus};
use rollup_types::{
    ChainConfig, RecoveredTx, SYSTEM_CONTRACT, TokenCall,
    bindings::L2System,
    genesis::{DAI, DEV_ACCOUNTS, GenesisSpec, USDC, WETH},
    keys,
    signer::Signer,
    smt,
};

fn chain(chunk_size: u32) -> ChainConfig {
    ChainConfig { chunk_size, ..ChainConfig::default() }
}

fn signer(i: usize) -> Signer {
    Signer::new(&DEV_ACCOUNTS[i].private_key).expect("dev key")
}

fn recovered(chain: &ChainConfig, signer: &Signer, nonce: u64, input: Bytes) -> RecoveredTx {
    RecoveredTx::from_signed(signer.eip1559(chain.chain_id, nonce, input), chain).expect("admissible")
}

fn transfer(token: Address, to: Address, amount: u64) -> Bytes {
    L2System::transferCall { token, to, amount: U256::from(amount) }.abi_encode().into()
}

fn swap(token_in: Address, token_out: Address, amount_in: U256, min_out: U256) -> Bytes {
    L2System::swapCall { tokenIn: token_in, tokenOut: token_out, amountIn: amount_in, minAmountOut: min_out }
        .abi_encode()
        .into()
}

fn balance(exec: &Executor, token: Address, owner: Address) -> U256 {
    let input = L2System::balanceOfCall { token, owner }.abi_encode().into();
    let out = exec
        .call(&CallRequest { to: Some(SYSTEM_CONTRACT), input, ..Default::default() }, env(1))
        .expect("call executes");
    assert_eq!(out.status, TxStatus::Success);
    L2System::balanceOfCall::abi_decode_returns(&out.output).expect("uint256")
}

fn env(number: u64) -> BlockEnvInput {
    BlockEnvInput { number, timestamp: 1_700_000_000 + number, l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE }
}

fn assert_root_matches_state(exec: &Executor) {
    let mut leaves = exec.state().leaves();
    leaves.sort();
    assert_eq!(exec.state_root(), smt::compute_root(&leaves), "incremental root equals a from-scratch root");
}

#[test]
fn genesis_is_deterministic_and_funded() {
    let spec = GenesisSpec::devnet();
    let a = Executor::genesis(chain(64), &spec).expect("genesis");
    let b = Executor::genesis(chain(64), &spec).expect("genesis");
    assert_eq!(a.state_root(), b.state_root());
    assert_ne!(a.state_root(), B256::ZERO);
    assert_root_matches_state(&a);
    // Account 1 holds exactly its allowance of USDC (6 decimals).
    assert_eq!(balance(&a, USDC, DEV_ACCOUNTS[1].address), U256::from(5_000_000u64 * 1_000_000));
    // A different genesis gives a different root.
    let c = Executor::genesis(chain(64), &spec.clone().with_funded([Address::repeat_byte(9)])).expect("genesis");
    assert_ne!(a.state_root(), c.state_root());
}

#[test]
fn transfer_and_swap_change_state_and_record_their_writes() {
    let chain = chain(64);
    let mut exec = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let alice = signer(1);
    let bob = Address::repeat_byte(0xb0);
    let weth_before = balance(&exec, WETH, alice.address());
    let txs = vec![
        recovered(&chain, &alice, 0, transfer(USDC, bob, 1_000_000)),
        recovered(&chain, &alice, 1, swap(WETH, DAI, U256::from(10u64.pow(18)), U256::from(1))),
    ];
    let block = exec.execute_block(env(1), &txs);
    let TxResult::Executed(t0) = &block.results[0] else { panic!("transfer executed") };
    let TxResult::Executed(t1) = &block.results[1] else { panic!("swap executed") };
    assert_eq!((t0.status, t1.status), (TxStatus::Success, TxStatus::Success));
    assert!(!t0.logs.is_empty(), "transfer logs an event");
    // The transfer writes: the sender's nonce, its ether (the fee) and two balances.
    let mut written: Vec<B256> = t0.writes.iter().map(|(k, _)| *k).collect();
    written.sort();
    let mut expected = vec![
        keys::nonce(&alice.address()),
        keys::ether_balance(&alice.address()),
        keys::balance(&USDC, &alice.address()),
        keys::balance(&USDC, &bob),
    ];
    expected.sort();
    assert_eq!(written, expected);
    assert_eq!(balance(&exec, USDC, bob), U256::from(1_000_000u64));
    assert_eq!(balance(&exec, WETH, alice.address()), weth_before - U256::from(10u64.pow(18)));
    assert_eq!(exec.state().nonce(&alice.address()), 2);
    // The block's beginning, then its two transactions in one chunk.
    assert_eq!(block.chunk_roots.len(), 2);
    assert_eq!(block.chunk_roots.last(), Some(&block.state_root));
    assert_root_matches_state(&exec);
    // Each move is also the token's own ERC-20 Transfer, at the token's address: the
    // transfer's, and the swap's two against the pool (its liquidity token's address).
    let erc20 = |logs: &[alloy_primitives::Log]| -> Vec<(Address, Address, Address)> {
        logs.iter()
            .filter(|l| l.topics().first() == Some(&rollup_types::bindings::L2Token::Transfer::SIGNATURE_HASH))
            .map(|l| (l.address, Address::from_word(l.topics()[1]), Address::from_word(l.topics()[2])))
            .collect()
    };
    assert_eq!(erc20(&t0.logs), vec![(USDC, alice.address(), bob)]);
    let (token0, token1) = keys::sort_pair(WETH, DAI);
    let pool = keys::lp_token(&token0, &token1);
    assert_eq!(erc20(&t1.logs), vec![(WETH, alice.address(), pool), (DAI, pool, alice.address())]);
}

#[test]
fn a_reverted_operation_uses_its_nonce_and_changes_nothing_else() {
    let chain = chain(64);
    let mut exec = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let alice = signer(2);
    let dai_before = balance(&exec, DAI, alice.address());
    // Slippage: ask for more DAI than the pool can give.
    let block = exec.execute_block(env(1), &[recovered(&chain, &alice, 0, swap(WETH, DAI, U256::from(1), U256::MAX))]);
    let TxResult::Executed(out) = &block.results[0] else { panic!("executed") };
    assert_eq!(out.status, TxStatus::Revert);
    assert!(L2System::InsufficientOutput::abi_decode(&out.output).is_ok(), "revert carries the custom error");
    // The nonce moves and the fee is kept.
    let ether = rollup_types::genesis::DEVNET_ETHER_PER_ACCOUNT - out.fee;
    let mut expected = vec![
        (keys::nonce(&alice.address()), B256::from(U256::from(1))),
        (keys::ether_balance(&alice.address()), B256::from(ether)),
    ];
    expected.sort();
    assert_eq!(out.writes, expected);
    assert_eq!(out.fee, U256::from(rollup_types::fees::schedule::SWAP * rollup_types::fees::MIN_BASE_FEE as u64));
    assert_eq!(balance(&exec, DAI, alice.address()), dai_before);
    // A first-time account with ether but no tokens: transfer reverts, nonce still moves.
    let stranger = Signer::new(&B256::repeat_byte(0x42)).expect("key");
    let fund = alice.eip1559_ether(chain.chain_id, 1, stranger.address(), U256::from(10u64).pow(U256::from(16u8)));
    let txs = [
        RecoveredTx::from_signed(fund, &chain).expect("admissible"),
        recovered(&chain, &stranger, 0, transfer(USDC, alice.address(), 1)),
    ];
    let block = exec.execute_block(env(2), &txs);
    let TxResult::Executed(out) = &block.results[1] else { panic!("executed") };
    assert_eq!(out.status, TxStatus::Revert);
    assert_eq!(exec.state().nonce(&stranger.address()), 1);
    assert_root_matches_state(&exec);
}

#[test]
fn wrong_nonces_are_invalid_and_leave_no_trace() {
    let chain = chain(64);
    let mut exec = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let root = exec.state_root();
    let alice = signer(3);
    let block = exec.execute_block(
        env(1),
        &[
            recovered(&chain, &alice, 1, transfer(USDC, Address::repeat_byte(1), 1)),
            recovered(&chain, &alice, 7, transfer(USDC, Address::repeat_byte(1), 1)),
        ],
    );
    assert!(block.results.iter().all(|r| matches!(r, TxResult::Invalid(_))));
    assert!(block.chunk_roots.is_empty());
    assert_eq!(block.state_root, root);
    assert_eq!(exec.state_root(), root);
}

#[test]
fn chunk_roots_follow_the_chunk_size_and_end_at_the_block_root() {
    let txs_for = |chain: &ChainConfig| -> Vec<RecoveredTx> {
        (0..5)
            .map(|i| {
                let s = signer(i);
                recovered(chain, &s, 0, transfer(USDC, Address::repeat_byte(7), 1 + i as u64))
            })
            .collect()
    };
    let small = chain(2);
    let mut a = Executor::genesis(small, &GenesisSpec::devnet()).expect("genesis");
    let block_a = a.execute_block(env(1), &txs_for(&small));
    // The block's beginning, then five items in chunks of two.
    assert_eq!(block_a.chunk_roots.len(), 4);
    assert_eq!(block_a.chunk_roots.last(), Some(&block_a.state_root));
    assert!(block_a.chunk_roots.windows(2).all(|w| w[0] != w[1]), "each chunk changes the state");

    let big = chain(64);
    let mut b = Executor::genesis(big, &GenesisSpec::devnet()).expect("genesis");
    let block_b = b.execute_block(env(1), &txs_for(&big));
    assert_eq!(block_b.chunk_roots.len(), 2);
    assert_eq!(block_a.state_root, block_b.state_root, "chunking does not change the final root");
    assert_eq!(block_a.chunk_roots[0], block_b.chunk_roots[0], "the beginning holds no item");

    // The first chunk of items ends where executing only the first two transactions ends.
    let mut c = Executor::genesis(big, &GenesisSpec::devnet()).expect("genesis");
    let block_c = c.execute_block(env(1), &txs_for(&big)[..2]);
    assert_eq!(block_c.state_root, block_a.chunk_roots[1]);
    // The beginning run alone ends at the first root.
    let mut d = Executor::genesis(big, &GenesisSpec::devnet()).expect("genesis");
    assert_eq!(d.execute_beginning(env(1)), block_a.chunk_roots[0]);
    // And the items after it, run as a block of their own, do not begin the block again.
    let rest = d.execute_block(env(1), &txs_for(&big)[..2]);
    assert_eq!(rest.state_root, block_a.chunk_roots[1]);
}

/// A block with items begins (`L2System.beginBlock`) in a chunk of its own before its items:
/// the chain's clock moves to the block's timestamp in that chunk, never back, and a block
/// without items leaves no trace; the clock is the state's, in the beginning's root, and
/// `clock()` reads it.
#[test]
fn blocks_with_items_begin_in_a_chunk_of_their_own_and_the_clock_never_goes_back() {
    let chain = chain(2);
    let mut exec = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let clock_slot = U256::from_be_bytes(keys::clock().0);
    let at = |number: u64, timestamp: u64| BlockEnvInput { timestamp, ..env(number) };
    let txs = |from: u64| -> Vec<RecoveredTx> {
        (0..3).map(|i| recovered(&chain, &signer(i), from, transfer(USDC, Address::repeat_byte(9), 1))).collect()
    };
    assert_eq!(exec.state().storage(&clock_slot), U256::ZERO, "no block has begun");
    // An empty block: no chunk, no beginning, the same root.
    let root = exec.state_root();
    let empty = exec.execute_block(at(1, 500), &[]);
    assert_eq!(empty.state_root, root, "an empty block changes nothing");
    assert_eq!(exec.state().storage(&clock_slot), U256::ZERO);
    // Three transactions in chunks of 2 after the beginning, which writes the clock.
    let block = exec.execute_block(at(2, 1_000), &txs(0));
    assert_eq!(block.chunk_roots.len(), 3);
    assert_eq!(exec.state().storage(&clock_slot), U256::from(1_000u64));
    let mut only_first = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    only_first.execute_block(at(1, 500), &[]);
    let first = only_first.execute_beginning(at(2, 1_000));
    assert_eq!(first, block.chunk_roots[0], "the clock is the beginning's write");
    assert_eq!(only_first.state().storage(&clock_slot), U256::from(1_000u64));
    let items = only_first.execute_block(at(2, 1_000), &txs(0)[..2]);
    assert_eq!(items.state_root, block.chunk_roots[1], "the first chunk of items follows it");
    // A later block with an earlier timestamp does not move it back.
    exec.execute_block(at(3, 900), &txs(1));
    assert_eq!(exec.state().storage(&clock_slot), U256::from(1_000u64), "never back");
    exec.execute_block(at(4, 1_200), &txs(2));
    let out = view(&exec, SYSTEM_CONTRACT, L2System::clockCall {}.abi_encode());
    assert_eq!(L2System::clockCall::abi_decode_returns(&out).expect("uint256"), U256::from(1_200u64));
    assert_root_matches_state(&exec);
}

/// The devnet's oracles are all sampled, in the order of genesis, at the beginning of each block
/// whose timestamp moves the clock, from the pools as the previous block left them, exactly as
/// `rollup_types::oracle::OracleState` models them: WETH and DAI against USDC, WBTC through
/// WETH's price sampled just before; `oraclePrice` reads the mean.
#[test]
fn every_oracle_samples_in_every_block_as_the_model_does() {
    use rollup_types::{
        genesis::WBTC,
        oracle::{self, MAX_SAMPLE_WEIGHT, OracleState},
    };
    let chain = chain(4);
    let mut exec = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let word = |exec: &Executor, key: B256| exec.state().storage(&U256::from_be_bytes(key.0));
    let reserves = |exec: &Executor, a: Address, b: Address| {
        let w = word(exec, keys::pool(&a.min(b), &a.max(b)));
        let (r0, r1) = (w & U256::from(u128::MAX), w >> 128usize);
        if a < b { (r0, r1) } else { (r1, r0) }
    };
    // The spot logarithm of an asset in USDC (WBTC's through `weth`, WETH's last sample).
    let spot = |exec: &Executor, asset: Address, weth: i64| {
        if asset == WBTC {
            let (btc, eth) = reserves(exec, WBTC, WETH);
            return oracle::log_price(eth, btc) + weth;
        }
        let (a, usd) = reserves(exec, asset, USDC);
        oracle::log_price(usd, a)
    };
    let assets = [WETH, DAI, WBTC];
    let mut model: Vec<OracleState> = Vec::new();
    for asset in assets {
        let weth = model.first().map_or(0, |o| o.last);
        model.push(OracleState::genesis(spot(&exec, asset, weth)));
    }
    let check = |exec: &Executor, model: &[OracleState], label: &str| {
        for (asset, state) in assets.iter().zip(model) {
            let got = (word(exec, keys::oracle(asset, 0)), word(exec, keys::oracle(asset, 1)));
            assert_eq!(got, state.words(), "{label}: the oracle of {asset}");
        }
    };
    check(&exec, &model, "genesis");
    let genesis_weth = model[0].last;
    let (mut nonce, mut clock) = (0, 0u64);
    let blocks = [(1u64, 1_000u64, 3u64), (2, 1_005, 0), (3, 1_005, 2), (4, 5_000, 4), (5, 5_001, 1), (6, 5_003, 1)];
    for (number, timestamp, swaps) in blocks {
        // Sampled as the block begins, before its own swaps (which push WETH up).
        if timestamp > clock {
            for (i, asset) in assets.iter().enumerate() {
                let s = spot(&exec, *asset, model[0].last);
                model[i].sample(s, timestamp, MAX_SAMPLE_WEIGHT);
            }
            clock = timestamp;
        }
        let mut txs = vec![recovered(&chain, &signer(1), nonce, transfer(USDC, Address::repeat_byte(7), 1))];
        nonce += 1;
        for _ in 0..swaps {
            let input = swap(USDC, WETH, U256::from(200_000_000_000u64), U256::ZERO);
            txs.push(recovered(&chain, &signer(1), nonce, input));
            nonce += 1;
        }
        exec.execute_block(BlockEnvInput { timestamp, ..env(number) }, &txs);
        check(&exec, &model, &format!("block {number}"));
    }
    assert!(model.iter().all(|o| o.time != 0), "each sampled");
    // The view reads the mean; WETH's moved up.
    let out = view(&exec, SYSTEM_CONTRACT, L2System::oraclePriceCall { asset: WETH }.abi_encode());
    let price = L2System::oraclePriceCall::abi_decode_returns(&out).expect("uint256");
    assert_eq!(price, model[0].price());
    assert!(model[0].last > genesis_weth && model[0].mean > genesis_weth, "pushed up");
    assert_root_matches_state(&exec);
}

/// An undo log takes blocks back exactly: the state, its leaves and the state root are those
/// from before the blocks, and the blocks executed again give the same roots. New accounts
/// (nonce from zero) and emptied balances (a slot back to zero) come back to absent.
#[test]
fn undo_takes_blocks_back_to_the_exact_state_before_them() {
    let chain = chain(4);
    let mut exec = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let (alice, bob) = (signer(1), signer(2));
    // A first block that stays.
    let first = vec![recovered(&chain, &alice, 0, transfer(USDC, bob.address(), 5))];
    exec.execute_block_sequential(env(1), &first);
    let before_root = exec.state_root();
    let mut before: Vec<_> = exec.state().leaves();
    before.sort();

    // Two blocks taken back: a fresh recipient, a balance emptied to zero, a swap, a revert.
    let fresh = Address::repeat_byte(0x5e);
    let all_dai = balance(&exec, DAI, bob.address());
    let blocks = [
        vec![
            recovered(&chain, &alice, 1, transfer(USDC, fresh, 7)),
            recovered(
                &chain,
                &bob,
                0,
                L2System::transferCall { token: DAI, to: fresh, amount: all_dai }.abi_encode().into(),
            ),
            recovered(&chain, &alice, 2, swap(WETH, USDC, U256::from(10u64).pow(U256::from(16)), U256::ZERO)),
        ],
        vec![
            recovered(&chain, &alice, 3, transfer(USDC, fresh, 1)),
            // Asks for an impossible minimum: reverts, its nonce is still used.
            recovered(&chain, &bob, 1, swap(WETH, USDC, U256::from(1_000u64), U256::MAX)),
        ],
    ];
    let mut undo = rollup_executor::Undo::default();
    let mut roots = Vec::new();
    for (i, txs) in blocks.iter().enumerate() {
        let done = exec.execute_block_undoable(env(2 + i as u64), &[], txs, &mut undo);
        roots.push((done.chunk_roots, done.state_root));
    }
    assert!(!undo.is_empty());
    assert_ne!(exec.state_root(), before_root);
    exec.undo(undo).expect("the root comes back");
    assert_eq!(exec.state_root(), before_root);
    let mut after: Vec<_> = exec.state().leaves();
    after.sort();
    assert_eq!(after, before, "the same leaves, nothing left behind");
    assert_eq!(exec.state().nonce(&fresh), 0);
    assert_root_matches_state(&exec);
    // Executed again, the blocks give the same roots.
    for (i, txs) in blocks.iter().enumerate() {
        let done = exec.execute_block_sequential(env(2 + i as u64), txs);
        assert_eq!((done.chunk_roots, done.state_root), roots[i]);
    }
}

#[test]
fn recent_states_are_the_newest_seen_through_what_later_blocks_overwrote() {
    use rollup_executor::{ParallelConfig, StateAt};
    let chain = chain(4);
    let genesis = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    // On the parallel path (two threads), as the sequencer runs blocks.
    let mut exec = genesis.with_parallelism(ParallelConfig::threads(2)).expect("threads").recording_overwritten();
    let (alice, bob) = (signer(1), signer(2));
    let fresh = Address::repeat_byte(0x5e);
    let all_dai = balance(&exec, DAI, bob.address());
    let blocks = [
        vec![recovered(&chain, &alice, 0, transfer(USDC, fresh, 7))],
        vec![
            // A balance emptied to zero (a deleted leaf), a fresh account's first nonce.
            recovered(
                &chain,
                &bob,
                0,
                L2System::transferCall { token: DAI, to: fresh, amount: all_dai }.abi_encode().into(),
            ),
            recovered(&chain, &alice, 1, swap(WETH, USDC, U256::from(10u64).pow(U256::from(16)), U256::ZERO)),
        ],
        vec![],
        vec![
            recovered(&chain, &alice, 2, transfer(USDC, fresh, 1)),
            recovered(&chain, &bob, 1, transfer(DAI, fresh, 0)),
        ],
    ];
    let mut states = vec![(exec.state(), exec.state_root())];
    let mut records = Vec::new();
    for (i, txs) in blocks.iter().enumerate() {
        let done = exec.execute_block(env(1 + i as u64), txs);
        records.push(done.overwritten.expect("recorded"));
        states.push((exec.state(), done.state_root));
    }
    let head = exec.state();
    let at = |k: usize| StateAt::new(head.clone(), records[k..].to_vec());
    for (k, (state, root)) in states.iter().enumerate() {
        let view = at(k);
        assert_eq!(view.tree().root(), *root, "the tree of the state after block {k}");
        for account in [alice.address(), bob.address(), fresh] {
            assert_eq!(view.nonce(&account), state.nonce(&account), "nonce of {account} after block {k}");
        }
        for (slot, value) in state.slots() {
            assert_eq!(view.storage(&slot), value, "slot {slot} after block {k}");
        }
        for token in [USDC, DAI] {
            let slot = U256::from_be_bytes(keys::balance(&token, &fresh).0);
            assert_eq!(view.storage(&slot), state.storage(&slot), "a balance that may be absent");
        }
        // A call on it sees it.
        let input: Bytes = L2System::balanceOfCall { token: DAI, owner: bob.address() }.abi_encode().into();
        let request = CallRequest { to: Some(SYSTEM_CONTRACT), input, ..Default::default() };
        let out = rollup_executor::call(&chain, &view, &request, env(10), None).expect("call");
        let expected = rollup_executor::call(&chain, state.as_ref(), &request, env(10), None).expect("call");
        assert_eq!(out.output, expected.output, "balanceOf after block {k}");
    }
    // One tree moved between them, both ways, with the records in between.
    let mut tree = at(1).tree();
    let root = at(4).update_tree(&mut tree, &records[1..4]);
    assert_eq!(root, states[4].1, "forward from block 1 to 4");
    let root = at(2).update_tree(&mut tree, &records[2..4]);
    assert_eq!(root, states[2].1, "back from block 4 to 2");
    let root = at(0).update_tree(&mut tree, &records[0..2]);
    assert_eq!(root, states[0].1, "back to genesis");
}

#[test]
fn a_call_past_its_deadline_is_stopped() {
    let chain = chain(64);
    let exec = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    // Init code that jumps back to itself until its gas runs out.
    let request = CallRequest { input: Bytes::from_static(&[0x5b, 0x60, 0x00, 0x56]), ..Default::default() };
    let state = exec.state();
    let ran = rollup_executor::call(&chain, &state, &request, env(1), None).expect("runs");
    assert_eq!(ran.status, TxStatus::Halt, "it runs until out of gas");
    let stopped = rollup_executor::call(&chain, &state, &request, env(1), Some(std::time::Instant::now()));
    assert_eq!(stopped, Err(rollup_executor::CallError::Deadline));
    // A deadline far away changes nothing.
    let far = std::time::Instant::now() + std::time::Duration::from_secs(3600);
    assert_eq!(rollup_executor::call(&chain, &state, &request, env(1), Some(far)).expect("runs"), ran);
}

/// `eth_call` of `input` at `to`, which must succeed.
fn view(exec: &Executor, to: Address, input: Vec<u8>) -> Bytes {
    let out =
        exec.call(&CallRequest { to: Some(to), input: input.into(), ..Default::default() }, env(1)).expect("call");
    assert_eq!(out.status, TxStatus::Success, "call of {to} reverted: {}", out.output);
    out.output
}

fn token_tx(chain: &ChainConfig, signer: &Signer, nonce: u64, token: Address, call: TokenCall) -> RecoveredTx {
    RecoveredTx::from_signed(signer.eip1559_to(chain.chain_id, nonce, token, call.encode().into()), chain)
        .expect("token calls are admissible")
}

#[test]
fn tokens_are_erc20_contracts_backed_by_the_ledger() {
    use rollup_types::bindings::{L2Token, Multicall3};
    let chain = chain(64);
    let mut exec = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let (alice, bob) = (signer(1), signer(2));
    let carol = Address::repeat_byte(0xca);

    // The views read the ledger.
    let symbol = L2Token::symbolCall::abi_decode_returns(&view(&exec, USDC, L2Token::symbolCall {}.abi_encode()));
    assert_eq!(symbol.expect("string"), "USDC");
    let decimals = L2Token::decimalsCall::abi_decode_returns(&view(&exec, USDC, L2Token::decimalsCall {}.abi_encode()));
    assert_eq!(decimals.expect("uint8"), 6);
    let of = |exec: &Executor, token: Address, owner: Address| {
        let out = view(exec, token, L2Token::balanceOfCall { owner }.abi_encode());
        let through_token = L2Token::balanceOfCall::abi_decode_returns(&out).expect("uint256");
        assert_eq!(through_token, balance(exec, token, owner), "the token and the ledger agree");
        through_token
    };
    let start = of(&exec, USDC, alice.address());
    assert!(start > U256::ZERO);
    assert!(exec.state().is_token(&USDC) && !exec.state().is_token(&carol));
    assert!(exec.state().code_at(&USDC).is_some_and(|c| !c.is_empty()));
    assert_eq!(exec.state().code_at(&carol), None);

    // transfer, approve, transferFrom (twice: the second overdraws the allowance), and a
    // token call of an address without a token.
    let txs = vec![
        token_tx(&chain, &alice, 0, USDC, TokenCall::Transfer { to: carol, amount: U256::from(500u64) }),
        token_tx(&chain, &alice, 1, USDC, TokenCall::Approve { spender: bob.address(), amount: U256::from(300u64) }),
        token_tx(
            &chain,
            &bob,
            0,
            USDC,
            TokenCall::TransferFrom { from: alice.address(), to: carol, amount: U256::from(200u64) },
        ),
        token_tx(
            &chain,
            &bob,
            1,
            USDC,
            TokenCall::TransferFrom { from: alice.address(), to: carol, amount: U256::from(101u64) },
        ),
        token_tx(&chain, &alice, 2, carol, TokenCall::Transfer { to: bob.address(), amount: U256::from(1u64) }),
    ];
    let block = exec.execute_block(env(1), &txs);
    let outcome = |i: usize| match &block.results[i] {
        TxResult::Executed(o) => o.clone(),
        other => panic!("transaction {i}: {other:?}"),
    };
    assert_eq!(outcome(0).status, TxStatus::Success);
    // ERC-20 Transfer at the token's address, beside the ledger's own event.
    let transfer_log = outcome(0).logs.into_iter().find(|l| l.address == USDC).expect("a log at the token");
    assert_eq!(transfer_log.topics()[0], L2Token::Transfer::SIGNATURE_HASH);
    assert_eq!(outcome(1).status, TxStatus::Success);
    assert!(outcome(1).logs.iter().any(|l| l.address == USDC && l.topics()[0] == L2Token::Approval::SIGNATURE_HASH));
    assert_eq!(outcome(2).status, TxStatus::Success);
    assert_eq!(outcome(3).status, TxStatus::Revert);
    assert!(L2System::InsufficientAllowance::abi_decode(&outcome(3).output).is_ok(), "the ledger's error bubbles up");
    // No token at `carol`: the call succeeds and writes only the nonce.
    assert_eq!(outcome(4).status, TxStatus::Success);
    let writes: Vec<B256> = outcome(4).writes.iter().map(|(k, _)| *k).collect();
    let mut expected = vec![keys::nonce(&alice.address()), keys::ether_balance(&alice.address())];
    expected.sort();
    assert_eq!(writes, expected, "the nonce and the fee");
    assert_eq!(of(&exec, USDC, carol), U256::from(700u64));
    assert_eq!(of(&exec, USDC, alice.address()), start - U256::from(700u64));
    let allowance =
        view(&exec, USDC, L2Token::allowanceCall { owner: alice.address(), spender: bob.address() }.abi_encode());
    assert_eq!(L2Token::allowanceCall::abi_decode_returns(&allowance).expect("uint256"), U256::from(100u64));
    assert_root_matches_state(&exec);

    // Multicall3 batches reads (eth_call only).
    let calls = [USDC, DAI].map(|token| Multicall3::Call3 {
        target: token,
        allowFailure: false,
        callData: L2Token::balanceOfCall { owner: carol }.abi_encode().into(),
    });
    let out =
        view(&exec, rollup_types::chain::MULTICALL3, Multicall3::aggregate3Call { calls: calls.to_vec() }.abi_encode());
    let results = Multicall3::aggregate3Call::abi_decode_returns(&out).expect("results");
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r.success));
    assert_eq!(U256::from_be_slice(&results[0].returnData), U256::from(700u64));
    assert_eq!(U256::from_be_slice(&results[1].returnData), U256::ZERO);
}

#[test]
fn ether_is_the_ledger_balance_of_the_bridged_token_and_moves_by_plain_transfers() {
    let chain = chain(4);
    let mut exec = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let (alice, bob) = (signer(1), signer(2));
    let fresh = Address::repeat_byte(0x5e);
    let ether = rollup_types::genesis::DEVNET_ETHER_PER_ACCOUNT;
    assert_eq!(exec.state().ether_balance(&alice.address()), ether, "genesis ether");
    assert_eq!(balance(&exec, keys::ETHER, alice.address()), ether, "one balance, two faces");
    let one = U256::from(10u64).pow(U256::from(18u8));
    let send = |s: &Signer, nonce, to, value| {
        RecoveredTx::from_signed(s.eip1559_ether(chain.chain_id, nonce, to, value), &chain).expect("admissible")
    };
    let txs = vec![
        send(&alice, 0, fresh, one),
        // A wallet's "cancel": nothing to itself.
        send(&bob, 0, bob.address(), U256::ZERO),
        // To the zero address: reverts, the nonce is used and the fee paid.
        send(&alice, 1, Address::ZERO, one),
        RecoveredTx::from_signed(bob.legacy_ether(chain.chain_id, 1, alice.address(), one + one), &chain)
            .expect("admissible"),
    ];
    let block = exec.execute_block(env(1), &txs);
    let outcomes: Vec<_> = block
        .results
        .iter()
        .map(|r| match r {
            TxResult::Executed(o) => o,
            TxResult::Invalid(e) => panic!("{e}"),
        })
        .collect();
    let statuses: Vec<TxStatus> = outcomes.iter().map(|o| o.status).collect();
    assert_eq!(statuses, [TxStatus::Success, TxStatus::Success, TxStatus::Revert, TxStatus::Success]);
    // The ether's own ERC-20 Transfer, at the token's address, from alice to the fresh address.
    let erc20 = alloy_primitives::keccak256("Transfer(address,address,uint256)");
    let log = outcomes[0].logs.iter().find(|l| l.address == keys::ETHER && l.topics().first() == Some(&erc20));
    let log = log.unwrap_or_else(|| panic!("an ERC-20 Transfer of ether: {:?}", outcomes[0].logs));
    assert_eq!(log.topics()[1], B256::left_padding_from(alice.address().as_slice()));
    assert_eq!(log.topics()[2], B256::left_padding_from(fresh.as_slice()));
    // Each paid 21,000 gas: the EIP-1559 ones at the base fee (they tip nothing), the legacy one
    // at its gas price; a revert keeps its fee.
    let base = U256::from(rollup_types::fees::MIN_BASE_FEE);
    let legacy = U256::from(rollup_types::signer::DEFAULT_MAX_FEE);
    let gas = U256::from(21_000u64);
    let fees: Vec<U256> = outcomes.iter().map(|o| o.fee).collect();
    assert_eq!(fees, [gas * base, gas * base, gas * base, gas * legacy]);
    assert!(outcomes.iter().all(|o| o.gas_used == 21_000));
    let state = exec.state();
    assert_eq!(state.ether_balance(&fresh), one);
    assert_eq!(state.ether_balance(&alice.address()), ether - one + one + one - fees[0] - fees[2]);
    assert_eq!(state.ether_balance(&bob.address()), ether - one - one - fees[1] - fees[3]);
    let vault = state.ether_balance(&rollup_types::fees::FEE_VAULT);
    assert_eq!(vault, fees.iter().copied().sum::<U256>(), "the vault holds every fee");
    assert_eq!((state.nonce(&alice.address()), state.nonce(&bob.address())), (2, 2));
    assert_root_matches_state(&exec);

    // eth_call and eth_estimateGas of a plain send run the same transfer; value on a call with
    // calldata is refused.
    let request = CallRequest { from: alice.address(), to: Some(fresh), value: one, ..Default::default() };
    assert_eq!(exec.call(&request, env(2)).expect("a send runs").status, TxStatus::Success);
    let too_much = CallRequest { value: ether * U256::from(2u8), ..request.clone() };
    let err = exec.call(&too_much, env(2)).expect_err("more than held");
    assert!(err.starts_with("insufficient funds for gas * price + value: address"), "{err}");
    let with_data = CallRequest { to: Some(SYSTEM_CONTRACT), input: transfer(USDC, fresh, 1), ..request };
    let err = exec.call(&with_data, env(2)).expect_err("value with calldata");
    assert!(err.contains("only a transfer of ether"), "{err}");
}

/// The fee state (docs/fees.md §6) at the end of `exec`'s committed state.
fn fee_state(exec: &Executor) -> rollup_types::fees::FeeState {
    exec.state().fee_state()
}

#[test]
fn the_fee_state_counts_each_blocks_scheduled_gas_and_moves_its_base_fee() {
    use rollup_types::fees::{self, FeeState};
    let chain = chain(2);
    let spec = GenesisSpec::devnet();
    let mut exec = Executor::genesis(chain, &spec).expect("genesis");
    assert_eq!(fee_state(&exec), FeeState::GENESIS, "laid out at genesis");
    let (alice, bob) = (signer(0), signer(1));
    // Block 1: three transfers and a swap, in two chunks of two.
    let txs = vec![
        recovered(&chain, &alice, 0, transfer(WETH, bob.address(), 1)),
        recovered(&chain, &alice, 1, transfer(USDC, bob.address(), 1)),
        recovered(&chain, &alice, 2, transfer(DAI, bob.address(), 1)),
        recovered(&chain, &bob, 0, swap(WETH, USDC, U256::from(10u64).pow(U256::from(15u64)), U256::ZERO)),
    ];
    let block = exec.execute_block(env(1), &txs);
    let scheduled = 3 * fees::schedule::TRANSFER + fees::schedule::SWAP;
    assert_eq!(block.gas_used, scheduled, "the block's gas is its scheduled gas");
    assert_eq!(block.base_fee, fees::MIN_BASE_FEE);
    assert_eq!(
        fee_state(&exec),
        FeeState { number: 1, gas: scheduled, l1_byte_price: fees::MIN_L1_BYTE_PRICE, base_fee: fees::MIN_BASE_FEE }
    );
    for r in &block.results {
        let TxResult::Executed(o) = r else { panic!("executed") };
        assert!(!o.writes.iter().any(|(k, _)| *k == keys::fee_state()), "no transaction writes the fee state");
    }
    assert_root_matches_state(&exec);

    // Each chunk's root commits to the fee state after it: the beginning enters the block at no
    // gas; replaying the first chunk of items alone as the block gives its root, and the second
    // chunk on top of it the block's.
    let mut replay = Executor::genesis(chain, &spec).expect("genesis");
    assert_eq!(replay.execute_beginning(env(1)), block.chunk_roots[0], "chunk 0, the beginning");
    assert_eq!((fee_state(&replay).number, fee_state(&replay).gas), (1, 0), "entered at no gas");
    let first = replay.execute_block(env(1), &txs[..2]);
    assert_eq!(first.state_root, block.chunk_roots[1], "chunk 1");
    assert_eq!(fee_state(&replay).gas, 2 * fees::schedule::TRANSFER, "the first chunk's gas");
    let second = replay.execute_block(env(1), &txs[2..]);
    assert_eq!(second.state_root, block.chunk_roots[2], "chunk 2 continues the block");

    // Block 5 after three blocks without items (2, 3, 4: no trace in the state): its base fee
    // is four updates on from block 1's, the first from block 1's gas.
    let empty = exec.execute_block(env(4), &[]);
    assert_eq!(
        empty.base_fee,
        FeeState { number: 1, gas: scheduled, l1_byte_price: fees::MIN_L1_BYTE_PRICE, base_fee: fees::MIN_BASE_FEE }
            .base_fee_of(4)
    );
    assert_eq!(fee_state(&exec).number, 1, "a block without items leaves no trace");
    let next = exec.execute_block(env(5), &[recovered(&chain, &alice, 3, transfer(WETH, bob.address(), 1))]);
    assert_eq!(next.base_fee, fees::MIN_BASE_FEE, "below the target the floor holds");
    assert_eq!(
        fee_state(&exec),
        FeeState {
            number: 5,
            gas: fees::schedule::TRANSFER,
            l1_byte_price: fees::MIN_L1_BYTE_PRICE,
            base_fee: fees::MIN_BASE_FEE
        }
    );
    assert_root_matches_state(&exec);
}

#[test]
fn a_transaction_that_cannot_pay_is_not_part_of_the_block() {
    use rollup_executor::InvalidTx;
    use rollup_types::fees::Unpayable;
    let chain = chain(4);
    let mut exec = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    let alice = signer(1);
    let ether = rollup_types::genesis::DEVNET_ETHER_PER_ACCOUNT;
    let before = exec.state_root();
    // Everything it holds as value leaves nothing for gas; a fee cap of 1 wei is below the
    // base fee. Neither is included, and nothing of the state changes.
    let all = alice.eip1559_ether(chain.chain_id, 0, Address::repeat_byte(7), ether);
    let cheap = alice.sign_eip1559(alloy_consensus::TxEip1559 {
        chain_id: chain.chain_id,
        nonce: 0,
        gas_limit: 30_000,
        max_fee_per_gas: 1,
        max_priority_fee_per_gas: 0,
        to: alloy_primitives::TxKind::Call(SYSTEM_CONTRACT),
        value: U256::ZERO,
        access_list: Default::default(),
        input: transfer(WETH, Address::repeat_byte(7), 1),
    });
    let txs: Vec<RecoveredTx> =
        [all, cheap].into_iter().map(|t| RecoveredTx::from_signed(t, &chain).expect("admissible")).collect();
    let block = exec.execute_block(env(1), &txs);
    match &block.results[..] {
        [
            TxResult::Invalid(InvalidTx::Unpayable(Unpayable::InsufficientFunds(funds))),
            TxResult::Invalid(InvalidTx::Unpayable(Unpayable::FeeCapBelowBaseFee { max_fee: 1, base_fee, .. })),
        ] => {
            assert_eq!(funds.have, ether);
            assert_eq!(
                funds.want,
                ether
                    + U256::from(rollup_types::signer::DEFAULT_GAS_LIMIT)
                        * U256::from(rollup_types::signer::DEFAULT_MAX_FEE)
            );
            assert_eq!(*base_fee, rollup_types::fees::MIN_BASE_FEE);
            assert!(funds.to_string().starts_with("insufficient funds for gas * price + value"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(exec.state_root(), before, "a block without items leaves no trace");
}

/// The fee vault's ether leaves for L1 through the bridge (docs/fees.md §6): anyone may send
/// `withdrawFees()`, which burns the vault's ether into a withdrawal of FEE_VAULT to the
/// genesis fee recipient; the chunk's own fees reach the vault after it.
#[test]
fn the_fee_vault_is_withdrawn_to_the_genesis_fee_recipient() {
    use alloy_sol_types::SolCall;
    use rollup_types::{bindings::L2System, fees::FEE_VAULT};
    let chain = chain(8);
    let spec = GenesisSpec::devnet();
    let mut exec = Executor::genesis(chain, &spec).expect("genesis");
    let recipient_key = U256::from_be_bytes(keys::fee_recipient().0);
    assert_eq!(exec.state().storage(&recipient_key), U256::from_be_slice(spec.fee_recipient.as_slice()));
    let (alice, bob) = (signer(0), signer(1));
    let vault = |exec: &Executor| exec.state().storage(&U256::from_be_bytes(keys::ether_balance(&FEE_VAULT).0));
    // Block 1 collects fees.
    let txs: Vec<_> = (0..3).map(|n| recovered(&chain, &alice, n, transfer(WETH, bob.address(), 1))).collect();
    exec.execute_block(env(1), &txs);
    let collected = vault(&exec);
    assert!(!collected.is_zero());
    let supply_key = U256::from_be_bytes(keys::supply(&keys::ETHER).0);
    let supply = exec.state().storage(&supply_key);
    // Block 2: bob withdraws the vault's fees, then a transfer pays more.
    let withdraw = recovered(&chain, &bob, 0, L2System::withdrawFeesCall {}.abi_encode().into());
    let after = recovered(&chain, &alice, 3, transfer(WETH, bob.address(), 1));
    let block = exec.execute_block(env(2), &[withdraw, after]);
    let fees: U256 = block
        .results
        .iter()
        .map(|r| match r {
            TxResult::Executed(o) => {
                assert_eq!(o.status, TxStatus::Success, "{o:?}");
                o.fee
            }
            TxResult::Invalid(e) => panic!("{e}"),
        })
        .sum();
    assert_eq!(vault(&exec), fees, "the vault holds only this chunk's fees");
    assert_eq!(exec.state().storage(&supply_key), supply - collected, "the withdrawn ether is burned on L2");
    let count = U256::from_be_bytes(keys::withdrawal_count(&FEE_VAULT).0);
    assert_eq!(exec.state().storage(&count), U256::from(1u8), "withdrawal 0 of the vault");
    let leaf = U256::from_be_bytes(keys::withdrawal(&FEE_VAULT, 0).0);
    let expected = keys::withdrawal_leaf(&Address::ZERO, &spec.fee_recipient, &collected);
    assert_eq!(exec.state().storage(&leaf), U256::from_be_bytes(expected.0), "payable to the recipient in ether");
    assert_root_matches_state(&exec);
}
