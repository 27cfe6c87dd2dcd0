//! Properties of the money market over random operation sequences, checked from the Rust side
//! (docs/lending.md): blocks of random supplies, withdrawals, borrows, repayments,
//! liquidations and price-moving swaps from a few accounts (`rollup_types::testing::lending`), executed by revm as the chain runs
//! them, and after every block the state read by the Rust views (`read::state::markets`,
//! `read::state::positions`, `read::state::health`), which compute the indices, totals and health factors
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
use alloy_sol_types::SolEvent;
use rand::{Rng, SeedableRng, rngs::StdRng};
use rollup_executor::{BlockEnvInput, Executor, TxResult, TxStatus};
use rollup_sequencer::read;
use rollup_types::{
    ChainConfig, Op, RecoveredTx,
    bindings::L2Lending,
    genesis::{DEV_ACCOUNTS, GenesisSpec},
    signer::Signer,
    testing::lending::{leveraged_position, random_call},
};
use std::collections::HashMap;

const CHAIN: ChainConfig = ChainConfig { chain_id: 42_069, chunk_size: 4 };

#[test]
fn the_money_markets_properties_hold_over_random_operations() {
    let seed = std::env::var("LENDING_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(54);
    let mut rng = StdRng::seed_from_u64(seed);
    let accounts: Vec<Signer> = DEV_ACCOUNTS[1..7].iter().map(|a| Signer::new(&a.private_key).expect("key")).collect();
    let mut executor = Executor::genesis(CHAIN, &GenesisSpec::devnet()).expect("genesis");
    let borrowers: Vec<Address> = accounts.iter().map(Signer::address).collect();
    let mut nonces = vec![0u64; accounts.len()];
    let mut written_off: HashMap<Address, U256> = HashMap::new();
    let mut last_indices: Vec<(U256, U256)> = Vec::new();
    let (mut borrows, mut refused, mut liquidations) = (0, 0, 0);
    // A leveraged position to be liquidated as the WETH sales drag the oracle's mean down.
    let setup = leveraged_position();
    for (i, (a, call)) in setup.into_iter().enumerate() {
        nonces[a] += 1;
        let tx = accounts[a].eip1559(CHAIN.chain_id, nonces[a] - 1, call);
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
                let tx = accounts[a].eip1559(CHAIN.chain_id, nonces[a] - 1, random_call(&mut rng, &borrowers));
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
        let markets = read::state::markets(&state);
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
                for p in read::state::positions(&state, &a.address()).iter().filter(|p| p.market == m.index) {
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
            let health = read::state::health(&state, &who).expect("priced");
            assert!(health.debt <= health.borrowable, "block {number}: {who} past its borrowing power: {health:?}");
        }
    }
    // The sequence exercised what it checks.
    assert!(borrows > 50 && refused >= 5, "{borrows} borrows and withdrawals, {refused} refused");
    assert!(liquidations > 0, "seed {seed}: no liquidation went through");
}
