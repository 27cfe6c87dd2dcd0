//! Properties of the money market over random operation sequences, checked from the Rust side
//! (docs/lending.md): blocks of random supplies, withdrawals, borrows, repayments,
//! liquidations and price-moving swaps from a few accounts, executed by revm as the chain runs
//! them, and after every block the state read by the Rust views (`view::markets`,
//! `view::positions`, `view::health`), which compute the indices, totals and health factors
//! from the state words independently of the Solidity:
//! - indices never decrease;
//! - solvency: each market's cash plus its debts, plus what bad debt wrote off, covers what
//!   it owes its suppliers;
//! - no borrow or withdrawal of supply leaves its account past its borrowing power;
//! - the positions add up to the market's totals (to the rounding of one unit a position).
//!
//! Account 0 holds a leveraged position that the WETH sales make liquidatable; the others
//! liquidate at random, so that liquidations go through (4 seeds tried: 5 to 8 each).
//! `LENDING_SEED` picks another sequence.

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolEvent};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rollup_executor::{BlockEnvInput, Executor, TxResult, TxStatus};
use rollup_sequencer::view;
use rollup_types::{
    ChainConfig, Op, RecoveredTx,
    bindings::{L2Lending, L2System},
    genesis::{DAI, DEV_ACCOUNTS, GenesisSpec, USDC, WBTC, WETH},
    signer::Signer,
};
use std::collections::HashMap;

const CHAIN: ChainConfig = ChainConfig { chain_id: 42_069, chunk_size: 4 };
const ASSETS: [Address; 4] = [WETH, USDC, DAI, WBTC];

/// A random call of the money market, or a swap that moves a pool's price (and so, over the
/// blocks, the oracle's mean): amounts in the asset's own units, from a tenth of a unit to
/// thousands, so that borrows and withdrawals now pass, now go past the borrowing power.
fn random_call(rng: &mut StdRng, accounts: &[Signer]) -> Vec<u8> {
    let asset = ASSETS[rng.random_range(0..4)];
    let decimals = if asset == USDC {
        6
    } else if asset == WBTC {
        8
    } else {
        18
    };
    let scale = if asset == WETH {
        1
    } else if asset == WBTC {
        0
    } else {
        3_000
    };
    let units = rng.random_range(1..=50u64) * scale.max(1) + rng.random_range(0..10);
    let amount = U256::from(units) * U256::from(10u64).pow(U256::from(decimals)) / U256::from(10u8);
    match rng.random_range(0..20) {
        0..6 => L2Lending::supplyCall { asset, amount }.abi_encode(),
        6..8 => L2Lending::withdrawSupplyCall { asset, amount }.abi_encode(),
        8..12 => L2Lending::borrowCall { asset, amount: amount / U256::from(2u8) }.abi_encode(),
        12..14 => L2Lending::repayCall { asset, amount: U256::MAX }.abi_encode(),
        14..17 => L2Lending::liquidateCall {
            borrower: accounts[rng.random_range(0..accounts.len())].address(),
            debtAsset: asset,
            collateralAsset: ASSETS[rng.random_range(0..4)],
            amount: amount / U256::from(10u8),
            minCollateral: U256::ZERO,
        }
        .abi_encode(),
        _ => {
            // A sale of WETH or WBTC into its pool: the collateral's price falls.
            let (token_in, amount_in) = if rng.random_bool(0.7) {
                (WETH, U256::from(rng.random_range(1..40u64)) * U256::from(10u64).pow(U256::from(18u8)))
            } else {
                (WBTC, U256::from(rng.random_range(1..3u64)) * U256::from(10u64).pow(U256::from(8u8)))
            };
            let token_out = if token_in == WETH { USDC } else { WETH };
            L2System::swapCall { tokenIn: token_in, tokenOut: token_out, amountIn: amount_in, minAmountOut: U256::ZERO }
                .abi_encode()
        }
    }
}

#[test]
fn the_money_markets_properties_hold_over_random_operations() {
    let seed = std::env::var("LENDING_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(54);
    let mut rng = StdRng::seed_from_u64(seed);
    let accounts: Vec<Signer> = DEV_ACCOUNTS[1..7].iter().map(|a| Signer::new(&a.private_key).expect("key")).collect();
    let mut executor = Executor::genesis(CHAIN, &GenesisSpec::devnet()).expect("genesis");
    let mut nonces = vec![0u64; accounts.len()];
    let mut written_off: HashMap<Address, U256> = HashMap::new();
    let mut last_indices: Vec<(U256, U256)> = Vec::new();
    let (mut borrows, mut refused, mut liquidations) = (0, 0, 0);
    // A leveraged position to be liquidated as the WETH sales drag the oracle's mean down:
    // account 1 lends a million USDC, account 0 borrows 24,000 against 10 WETH.
    let e18 = U256::from(10u64).pow(U256::from(18u8));
    let setup = [
        (1, L2Lending::supplyCall { asset: USDC, amount: U256::from(1_000_000_000_000u64) }.abi_encode()),
        (0, L2Lending::supplyCall { asset: WETH, amount: e18 * U256::from(10u8) }.abi_encode()),
        (0, L2Lending::borrowCall { asset: USDC, amount: U256::from(24_000_000_000u64) }.abi_encode()),
    ];
    for (i, (a, call)) in setup.into_iter().enumerate() {
        nonces[a] += 1;
        let tx = accounts[a].eip1559(CHAIN.chain_id, nonces[a] - 1, call.into());
        let env = BlockEnvInput {
            number: i as u64 + 1,
            timestamp: 1_800_000_000 + 12 * (i as u64 + 1),
            l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
        };
        let block = executor.execute_block(env, &[RecoveredTx::from_signed(tx, &CHAIN).expect("valid")]);
        assert!(matches!(&block.results[0], TxResult::Executed(o) if o.status == TxStatus::Success), "setup {i}");
    }
    for number in 4..=150u64 {
        let txs: Vec<RecoveredTx> = (0..24)
            .map(|_| {
                // Account 0 holds its leveraged position and sends nothing else.
                let a = rng.random_range(1..accounts.len());
                nonces[a] += 1;
                let tx = accounts[a].eip1559(CHAIN.chain_id, nonces[a] - 1, random_call(&mut rng, &accounts).into());
                RecoveredTx::from_signed(tx, &CHAIN).expect("valid")
            })
            .collect();
        // Twelve seconds a block: the oracles' samples weigh their most, the markets accrue.
        let env = BlockEnvInput {
            number,
            timestamp: 1_800_000_000 + 12 * number,
            l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
        };
        let block = executor.execute_block(env, &txs);
        let state = executor.state();
        // Who borrowed or withdrew in the block, and what bad debt it wrote off.
        let mut took = Vec::new();
        for (tx, result) in txs.iter().zip(&block.results) {
            let TxResult::Executed(outcome) = result else { panic!("block {number}: {result:?}") };
            let op = Op::of_call(*tx.tx.kind().to().expect("a call"), tx.tx.input());
            let ok = outcome.status == TxStatus::Success;
            match op {
                Some(Op::Borrow | Op::WithdrawSupply) if ok => {
                    borrows += 1;
                    took.push(tx.sender);
                }
                Some(Op::Borrow | Op::WithdrawSupply) => refused += 1,
                Some(Op::Liquidate) if ok => liquidations += 1,
                _ => {}
            }
            for log in &outcome.logs {
                if let Ok(bad) = L2Lending::BadDebt::decode_log_data(&log.data) {
                    *written_off.entry(bad.asset).or_default() += bad.amount;
                }
            }
        }
        let markets = view::markets(&state);
        if last_indices.is_empty() {
            last_indices = markets.iter().map(|m| (m.supply_index, m.borrow_index)).collect();
        }
        for (m, (supply_index, borrow_index)) in markets.iter().zip(&mut last_indices) {
            assert!(m.supply_index >= *supply_index && m.borrow_index >= *borrow_index, "block {number}: {m:?}");
            (*supply_index, *borrow_index) = (m.supply_index, m.borrow_index);
            let bad = written_off.get(&m.asset).copied().unwrap_or_default();
            assert!(
                m.cash + m.total_debt + bad >= m.total_supply,
                "block {number}: insolvent {m:?}, {bad} written off"
            );
            // Each position rounds its own way: the sums agree with the totals to a unit each.
            let (mut supplied, mut owed) = (U256::ZERO, U256::ZERO);
            for a in &accounts {
                for p in view::positions(&state, &a.address()).iter().filter(|p| p.market == m.index) {
                    supplied += p.supplied;
                    owed += p.borrowed;
                }
            }
            let n = U256::from(accounts.len());
            assert!(supplied <= m.total_supply && m.total_supply <= supplied + n, "block {number}: supplies {m:?}");
            assert!(owed + n >= m.total_debt && owed <= m.total_debt + n, "block {number}: debts {m:?}");
        }
        // Interest accrues only at a block's beginning and prices move only there: at the
        // block's end an account that borrowed or withdrew is still within its power (a
        // liquidation of it after, in the same block, only lowers its debt).
        for who in took {
            let health = view::health(&state, &who).expect("priced");
            assert!(health.debt <= health.borrowable, "block {number}: {who} past its borrowing power: {health:?}");
        }
    }
    // The sequence exercised what it checks.
    assert!(borrows > 50 && refused >= 5, "{borrows} borrows and withdrawals, {refused} refused");
    assert!(liquidations > 0, "seed {seed}: no liquidation went through");
}
