//! Fee rule vectors (`testdata/fee-vectors.json`, docs/fees.md §2–§4): the gas schedule, the
//! base fee's update, the L1 part in gas units, the price a transaction pays and the bound on a
//! block's L1 price, each at its bounds. Checked here with `rollup_types::fees` and by
//! `contracts/test/FeeLogic.t.sol` with `FeeLogic.sol`.
//!
//! Fields are parallel arrays, the shape forge's JSON cheatcodes read best; every number is a
//! hex quantity, so that none loses precision in a JSON number.

use super::{word, write_or_check};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use rollup_types::{SYSTEM_CONTRACT, TokenCall, bindings::L2System, fees};
use serde::{Deserialize, Serialize};

const FILE: &str = "fee-vectors.json";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FeeVectors {
    comment: String,
    /// `scheduledGas(to, input)`; 0: no operation.
    schedule_to: Vec<Address>,
    schedule_input: Vec<Bytes>,
    schedule_gas: Vec<U256>,
    /// `nextBaseFee(baseFee, gas)`.
    base_fee: Vec<U256>,
    base_gas: Vec<U256>,
    base_next: Vec<U256>,
    /// `l1Gas(billedBytes, l1BytePrice, baseFee)`.
    l1_bytes: Vec<U256>,
    l1_price: Vec<U256>,
    l1_base_fee: Vec<U256>,
    l1_units: Vec<U256>,
    /// `effectivePrice(eip1559, maxFee, tip, baseFee)`.
    price_eip1559: Vec<bool>,
    price_max_fee: Vec<U256>,
    price_tip: Vec<U256>,
    price_base_fee: Vec<U256>,
    price_price: Vec<U256>,
    /// `l1PriceInBounds(parent, proposed, cap)`.
    bound_parent: Vec<U256>,
    bound_proposed: Vec<U256>,
    bound_cap: Vec<U256>,
    bound_ok: Vec<bool>,
    /// `l1PriceCap(l1FeesWord)`: the cap the chain's reading of the L1's fees puts on a block's
    /// L1 price (docs/fees.md §4).
    cap_l1_fees: Vec<U256>,
    cap_cap: Vec<U256>,
    /// `charge(eip1559, gasLimit, maxFee, tip, value, scheduled, l1Gas, baseFee, balance)`:
    /// whether it pays, its fee, its gas used and whether it ran out of gas.
    charge_eip1559: Vec<bool>,
    charge_gas_limit: Vec<U256>,
    charge_max_fee: Vec<U256>,
    charge_tip: Vec<U256>,
    charge_value: Vec<U256>,
    charge_scheduled: Vec<U256>,
    charge_l1_gas: Vec<U256>,
    charge_base_fee: Vec<U256>,
    charge_balance: Vec<U256>,
    charge_paid: Vec<bool>,
    charge_fee: Vec<U256>,
    charge_gas_used: Vec<U256>,
    charge_out_of_gas: Vec<bool>,
    /// `enterBlock(word, number, l1BytePrice, cap)` then `addGas(·, gas)`: the fee state
    /// (docs/fees.md §6) as a block's chunk starts and after a transaction; `stateEnters` false
    /// when the price breaks the bound of §4 (the word is then unchanged), `stateFits` false
    /// when the block cannot hold the transaction (the state is then unchanged).
    state_word: Vec<U256>,
    state_number: Vec<U256>,
    state_price: Vec<U256>,
    state_cap: Vec<U256>,
    state_enters: Vec<bool>,
    state_entered: Vec<U256>,
    state_gas: Vec<U256>,
    state_after: Vec<U256>,
    state_fits: Vec<bool>,
}

/// A charge case: EIP-1559, gas limit, fee cap, tip, value, scheduled gas, L1 gas, base fee and
/// balance.
type ChargeCase = (bool, u64, u128, u128, U256, u64, u64, u128, U256);

fn u(v: u128) -> U256 {
    U256::from(v)
}

/// A number from the keccak stream below `2^bits`.
fn draw(label: &str, i: u64, bits: usize) -> u128 {
    (U256::from_be_bytes(word(label, i).0) >> (256 - bits)).saturating_to()
}

fn schedule_cases() -> Vec<(Address, Bytes)> {
    let a = Address::from_word(word("fees-address", 0));
    let b = Address::from_word(word("fees-address", 1));
    let amount = U256::from(12_345u64);
    let token_call = |c: TokenCall| Bytes::from(c.encode());
    vec![
        (a, Bytes::new()),
        (SYSTEM_CONTRACT, L2System::transferCall { token: a, to: b, amount }.abi_encode().into()),
        (
            SYSTEM_CONTRACT,
            L2System::swapCall { tokenIn: a, tokenOut: b, amountIn: amount, minAmountOut: amount }.abi_encode().into(),
        ),
        (SYSTEM_CONTRACT, L2System::withdrawCall { l2Token: a, l1Recipient: b, amount }.abi_encode().into()),
        // The fee vault's withdrawal: its selector alone, and with a byte more (no operation).
        (SYSTEM_CONTRACT, L2System::withdrawFeesCall {}.abi_encode().into()),
        (SYSTEM_CONTRACT, [L2System::withdrawFeesCall::SELECTOR.as_slice(), &[0]].concat().into()),
        (
            SYSTEM_CONTRACT,
            L2System::addLiquidityCall {
                tokenA: a,
                tokenB: b,
                amountADesired: amount,
                amountBDesired: amount,
                minLiquidity: amount,
            }
            .abi_encode()
            .into(),
        ),
        (
            SYSTEM_CONTRACT,
            L2System::removeLiquidityCall {
                tokenA: a,
                tokenB: b,
                liquidity: amount,
                minAmountA: amount,
                minAmountB: amount,
            }
            .abi_encode()
            .into(),
        ),
        (
            SYSTEM_CONTRACT,
            L2System::createTokenCall { salt: B256::ZERO, symbol: "FEE".into(), decimals: 6, supply: amount }
                .abi_encode()
                .into(),
        ),
        (
            SYSTEM_CONTRACT,
            L2System::createPoolCall { tokenA: a, tokenB: b, amountA: amount, amountB: amount }.abi_encode().into(),
        ),
        (a, token_call(TokenCall::Transfer { to: b, amount })),
        (a, token_call(TokenCall::Approve { spender: b, amount })),
        (a, token_call(TokenCall::TransferFrom { from: a, to: b, amount })),
        // No operation: a view, nothing at the system contract, a selector alone, the system's
        // transfer at a token.
        (SYSTEM_CONTRACT, L2System::balanceOfCall { token: a, owner: b }.abi_encode().into()),
        (SYSTEM_CONTRACT, Bytes::new()),
        (SYSTEM_CONTRACT, Bytes::from_static(&[0xbe, 0xab, 0xac])),
        (a, L2System::transferCall { token: a, to: b, amount }.abi_encode().into()),
    ]
}

fn generate() -> FeeVectors {
    let schedule = schedule_cases();
    // Base fees: the floor, ordinary values, the top; gas at 0, the target, the limit, beyond.
    let mut base: Vec<(u128, u64)> = vec![
        (fees::MIN_BASE_FEE, 0),
        (fees::MIN_BASE_FEE, fees::GAS_TARGET),
        (fees::MIN_BASE_FEE, fees::BLOCK_GAS_LIMIT),
        (0, 0),
        (1_000_000_000, fees::GAS_TARGET - 1),
        (1_000_000_000, fees::GAS_TARGET + 1),
        (1_000_000_000, fees::BLOCK_GAS_LIMIT),
        (u128::MAX, fees::BLOCK_GAS_LIMIT),
        (u128::MAX, 0),
        (u128::MAX >> 3, u64::MAX),
    ];
    base.extend((0..8).map(|i| (draw("fees-base", i, 1 + (i as usize * 16)), draw("fees-gas", i, 27) as u64)));
    let mut l1: Vec<(u64, u64, u128)> = vec![
        (0, 0, fees::MIN_BASE_FEE),
        (100, 3, 7),
        (1, 1, 0),
        (u64::MAX, u64::MAX, 1),
        (90, fees::MIN_L1_BYTE_PRICE, fees::MIN_BASE_FEE),
        (120, 40_000_000_000, fees::MIN_BASE_FEE),
        (120, 40_000_000_000, 40_000_000_000),
    ];
    l1.extend(
        (0..8)
            .map(|i| (draw("fees-bytes", i, 11) as u64, draw("fees-price", i, 40) as u64, draw("fees-l1-base", i, 34))),
    );
    let mut price: Vec<(bool, u128, u128, u128)> = vec![
        (true, 100, 5, 90),
        (true, 100, 50, 90),
        (true, 100, u128::MAX, u128::MAX),
        (true, 0, 0, 0),
        (false, 7, 0, 3),
        (false, 7, 99, 1_000),
    ];
    price
        .extend((0..6).map(|i| (i % 2 == 0, draw("fees-max", i, 40), draw("fees-tip", i, 36), draw("fees-pb", i, 38))));
    let none = u64::MAX;
    let mut bound: Vec<(u64, u64, u64)> = vec![
        (800, 900, none),
        (800, 901, none),
        (800, 700, none),
        (800, 699, none),
        (8, 9, none),
        (8, 8, none),
        (8, 7, none),
        (0, 8, none),
        (u64::MAX, u64::MAX, none),
        // Under a cap: it binds going up, and a parent above it falls to it at once.
        (800, 850, 850),
        (800, 851, 850),
        (800, 700, 750),
        (800, 500, 500),
        (800, 499, 500),
        (800, 501, 500),
        (u64::MAX, 1_000, 1_000),
    ];
    bound.extend((0..6).map(|i| {
        let parent = draw("fees-parent", i, 48) as u64;
        let step = parent / 8;
        let proposed =
            [parent + step, parent - step, parent + step + 1, parent - step - 1, parent, parent / 2][i as usize];
        let cap = [none, parent, parent + step / 2, parent / 2, none, parent / 2][i as usize];
        (parent, proposed, cap)
    }));
    let gwei = 1_000_000_000u128;
    let mut caps: Vec<U256> = vec![
        U256::ZERO,
        fees::L1Fees { base_fee: gwei, blob_base_fee: 1 }.to_word(),
        fees::L1Fees { base_fee: 7, blob_base_fee: 0 }.to_word(),
        fees::L1Fees { base_fee: 0, blob_base_fee: 1 }.to_word(),
        fees::L1Fees { base_fee: 28_823_037_615, blob_base_fee: 1 }.to_word(),
        fees::L1Fees { base_fee: 28_823_037_616, blob_base_fee: 1 }.to_word(),
        fees::L1Fees { base_fee: u128::MAX, blob_base_fee: u128::MAX }.to_word(),
    ];
    caps.extend((0..4).map(|i| {
        fees::L1Fees { base_fee: draw("fees-l1-base", i, 40), blob_base_fee: draw("fees-l1-blob", i, 40) }.to_word()
    }));
    // Fee states: the same block, the next, gaps of blocks without items (short, long, to the
    // floor), a full block, a saturated base fee, and words no honest chain holds.
    let mut charge: Vec<ChargeCase> = vec![
        (true, 100_000, 10, 3, u(5), 30_000, 0, 4, u(1_000_005)),
        (true, 100_000, 10, 3, u(5), 30_000, 0, 4, u(1_000_004)),
        (true, 100_000, 10, 3, u(5), 30_000, 1_000, 4, u(1_000_005)),
        (true, 100_000, 10, 3, u(5), 30_000, 70_000, 4, u(1_000_005)),
        (true, 100_000, 10, 3, u(5), 30_000, 70_001, 4, u(1_000_005)),
        (true, 100_000, 10, 3, u(5), 30_000, u64::MAX, 4, u(1_000_005)),
        (true, 100_000, 10, 3, u(0), 30_000, 0, 11, U256::MAX),
        (false, 21_000, 7, 0, u(0), 21_000, 0, 1, u(147_000)),
        (true, u64::MAX, u128::MAX, u128::MAX, U256::MAX, 21_000, 0, 1, U256::MAX),
        (true, 30_000_000, u128::MAX, 1, u(0), 160_000, 29_840_000, u128::MAX, U256::MAX),
    ];
    charge.extend((0..6).map(|i| {
        let limit = 21_000 + draw("fees-limit", i, 20) as u64;
        let max_fee = draw("fees-cmax", i, 32);
        (
            i % 3 != 0,
            limit,
            max_fee,
            draw("fees-ctip", i, 30),
            u(draw("fees-value", i, 60)),
            21_000,
            draw("fees-cl1", i, 20) as u64,
            draw("fees-cbase", i, 32),
            u(draw("fees-balance", i, 80)),
        )
    }));
    let charged = |&(e, limit, max_fee, tip, value, scheduled, l1, base, balance): &ChargeCase| {
        let offer = fees::Offer { gas_limit: limit, max_fee, tip: e.then_some(tip), value };
        fees::charge(&offer, scheduled, l1, base, Address::ZERO, balance).ok()
    };
    let state = |number: u64, gas: u64, l1_byte_price: u64, base_fee: u128| {
        fees::FeeState { number, gas, l1_byte_price, base_fee }.to_word()
    };
    // (word, number, price, cap, gas)
    let mut states: Vec<(U256, u64, u64, u64, u64)> = vec![
        (state(0, 0, 8, fees::MIN_BASE_FEE), 1, 9, none, 21_000),
        (state(0, 0, 8, fees::MIN_BASE_FEE), 1, 10, none, 21_000),
        (state(7, 90_000, 800, 2_000_000), 7, 800, none, 160_000),
        (state(7, 90_000, 800, 2_000_000), 7, 801, none, 160_000),
        (state(7, 90_000, 800, 2_000_000), 7, 800, 0, 160_000),
        (state(7, fees::BLOCK_GAS_LIMIT, 800, 1_000_000_000), 8, 900, none, 30_000),
        (state(7, fees::BLOCK_GAS_LIMIT, 800, 1_000_000_000), 8, 901, none, 30_000),
        (state(7, fees::BLOCK_GAS_LIMIT, 800, 1_000_000_000), 8, 699, none, 30_000),
        (state(7, fees::BLOCK_GAS_LIMIT, 800, 1_000_000_000), 8, 900, 899, 30_000),
        (state(7, fees::BLOCK_GAS_LIMIT, 800, 1_000_000_000), 8, 400, 400, 30_000),
        (state(7, fees::BLOCK_GAS_LIMIT, 800, 1_000_000_000), 7, 800, none, 1),
        (state(7, fees::BLOCK_GAS_LIMIT - 30_000, 800, 1_000_000_000), 7, 800, none, 30_000),
        (state(7, 0, 800, 1_000_000_000), 10, 700, none, 60_000),
        (state(7, 0, 800, 1_000_000_000), 1_000, 800, none, 60_000),
        (state(0, fees::BLOCK_GAS_LIMIT, u64::MAX, fees::MAX_BASE_FEE), u64::MAX, u64::MAX, none, 0),
        (state(u64::MAX - 1, fees::BLOCK_GAS_LIMIT, 8, fees::MAX_BASE_FEE), u64::MAX, 8, none, 120_000),
        (state(9, 5, 8, 3), 2, 8, none, 90_000),
        (U256::MAX, 3, u64::MAX, none, u64::MAX),
        (U256::ZERO, 0, 0, none, 26_000),
        (U256::ZERO, 1, 8, none, 26_000),
    ];
    states.extend((0..6).map(|i| {
        let word = U256::from_be_bytes(word("fees-state", i).0);
        let from = fees::FeeState::from_word(word);
        let number = from.number.saturating_add(draw("fees-gap", i, 4) as u64);
        let cap = if i % 2 == 0 { none } else { draw("fees-state-cap", i, 63) as u64 };
        let price = from.propose_l1_price(number, draw("fees-l1-target", i, 63) as u64, cap);
        (word, number, price, cap, draw("fees-tx-gas", i, 18) as u64)
    }));
    type State = (U256, u64, u64, u64, u64);
    let entered = |(w, number, price, cap, _): &State| fees::FeeState::from_word(*w).enter(*number, *price, *cap);
    let after = |s: &State| {
        let from = fees::FeeState::from_word(s.0);
        let entered = entered(s).unwrap_or(from);
        entered.with_gas(s.4)
    };
    FeeVectors {
        comment: "Fee rules (docs/fees.md sections 2 to 4). Generated by types/tests/vectors/fees.rs: do not edit; \
                  regenerate with UPDATE_VECTORS=1 cargo test -p rollup-types --test vectors."
            .to_owned(),
        schedule_to: schedule.iter().map(|(to, _)| *to).collect(),
        schedule_gas: schedule.iter().map(|(to, i)| U256::from(fees::scheduled_gas(*to, i).unwrap_or(0))).collect(),
        schedule_input: schedule.into_iter().map(|(_, i)| i).collect(),
        base_fee: base.iter().map(|(b, _)| u(*b)).collect(),
        base_gas: base.iter().map(|(_, g)| U256::from(*g)).collect(),
        base_next: base.iter().map(|(b, g)| u(fees::next_base_fee(*b, *g))).collect(),
        l1_bytes: l1.iter().map(|(n, _, _)| U256::from(*n)).collect(),
        l1_price: l1.iter().map(|(_, p, _)| U256::from(*p)).collect(),
        l1_base_fee: l1.iter().map(|(_, _, b)| u(*b)).collect(),
        l1_units: l1.iter().map(|(n, p, b)| U256::from(fees::l1_gas(*n, *p, *b))).collect(),
        price_eip1559: price.iter().map(|(e, ..)| *e).collect(),
        price_max_fee: price.iter().map(|(_, m, _, _)| u(*m)).collect(),
        price_tip: price.iter().map(|(_, _, t, _)| u(*t)).collect(),
        price_base_fee: price.iter().map(|(_, _, _, b)| u(*b)).collect(),
        price_price: price.iter().map(|(e, m, t, b)| u(fees::effective_price(*m, e.then_some(*t), *b))).collect(),
        bound_parent: bound.iter().map(|(p, _, _)| U256::from(*p)).collect(),
        bound_proposed: bound.iter().map(|(_, q, _)| U256::from(*q)).collect(),
        bound_cap: bound.iter().map(|(_, _, c)| U256::from(*c)).collect(),
        bound_ok: bound.iter().map(|(p, q, c)| fees::l1_price_in_bounds(*p, *q, *c)).collect(),
        cap_cap: caps.iter().map(|w| U256::from(fees::l1_price_cap(*w))).collect(),
        cap_l1_fees: caps,
        charge_eip1559: charge.iter().map(|c| c.0).collect(),
        charge_gas_limit: charge.iter().map(|c| U256::from(c.1)).collect(),
        charge_max_fee: charge.iter().map(|c| u(c.2)).collect(),
        charge_tip: charge.iter().map(|c| u(c.3)).collect(),
        charge_value: charge.iter().map(|c| c.4).collect(),
        charge_scheduled: charge.iter().map(|c| U256::from(c.5)).collect(),
        charge_l1_gas: charge.iter().map(|c| U256::from(c.6)).collect(),
        charge_base_fee: charge.iter().map(|c| u(c.7)).collect(),
        charge_balance: charge.iter().map(|c| c.8).collect(),
        charge_paid: charge.iter().map(|c| charged(c).is_some()).collect(),
        charge_fee: charge.iter().map(|c| charged(c).map_or(U256::ZERO, |c| c.fee)).collect(),
        charge_gas_used: charge.iter().map(|c| U256::from(charged(c).map_or(0, |c| c.gas_used))).collect(),
        charge_out_of_gas: charge.iter().map(|c| charged(c).is_some_and(|c| c.out_of_gas)).collect(),
        state_word: states.iter().map(|s| s.0).collect(),
        state_number: states.iter().map(|s| U256::from(s.1)).collect(),
        state_price: states.iter().map(|s| U256::from(s.2)).collect(),
        state_cap: states.iter().map(|s| U256::from(s.3)).collect(),
        state_enters: states.iter().map(|s| entered(s).is_some()).collect(),
        state_entered: states.iter().map(|s| entered(s).map_or(s.0, |e| e.to_word())).collect(),
        state_gas: states.iter().map(|s| U256::from(s.4)).collect(),
        state_after: states
            .iter()
            .map(|s| after(s).map_or_else(|| entered(s).map_or(s.0, |e| e.to_word()), |a| a.to_word()))
            .collect(),
        state_fits: states.iter().map(|s| after(s).is_some()).collect(),
    }
}

fn check(file: &FeeVectors) {
    let n = |v: &U256| v.saturating_to::<u128>();
    for ((to, input), gas) in file.schedule_to.iter().zip(&file.schedule_input).zip(&file.schedule_gas) {
        assert_eq!(U256::from(fees::scheduled_gas(*to, input).unwrap_or(0)), *gas, "schedule of {input}");
    }
    for ((b, g), next) in file.base_fee.iter().zip(&file.base_gas).zip(&file.base_next) {
        assert_eq!(u(fees::next_base_fee(n(b), g.saturating_to())), *next, "next base fee of {b}, {g}");
    }
    let n64 = |v: &U256| v.saturating_to::<u64>();
    for (((bytes, p), b), units) in file.l1_bytes.iter().zip(&file.l1_price).zip(&file.l1_base_fee).zip(&file.l1_units)
    {
        assert_eq!(U256::from(fees::l1_gas(n64(bytes), n64(p), n(b))), *units, "l1 gas of {bytes}");
    }
    for i in 0..file.price_price.len() {
        let tip = file.price_eip1559[i].then(|| n(&file.price_tip[i]));
        let got = fees::effective_price(n(&file.price_max_fee[i]), tip, n(&file.price_base_fee[i]));
        assert_eq!(u(got), file.price_price[i], "price case {i}");
    }
    for (((p, q), c), ok) in file.bound_parent.iter().zip(&file.bound_proposed).zip(&file.bound_cap).zip(&file.bound_ok)
    {
        assert_eq!(fees::l1_price_in_bounds(n64(p), n64(q), n64(c)), *ok, "bound {p} -> {q} under {c}");
    }
    for (word, cap) in file.cap_l1_fees.iter().zip(&file.cap_cap) {
        assert_eq!(U256::from(fees::l1_price_cap(*word)), *cap, "cap of {word}");
    }
    assert!(file.cap_cap.iter().any(|c| *c == U256::from(u64::MAX)), "no bound, or saturated");
    assert!(file.bound_ok.iter().any(|b| *b) && file.bound_ok.iter().any(|b| !*b), "both verdicts");
    for i in 0..file.charge_paid.len() {
        let offer = fees::Offer {
            gas_limit: n64(&file.charge_gas_limit[i]),
            max_fee: n(&file.charge_max_fee[i]),
            tip: file.charge_eip1559[i].then(|| n(&file.charge_tip[i])),
            value: file.charge_value[i],
        };
        let (scheduled, l1, base) =
            (n64(&file.charge_scheduled[i]), n64(&file.charge_l1_gas[i]), n(&file.charge_base_fee[i]));
        let got = fees::charge(&offer, scheduled, l1, base, Address::ZERO, file.charge_balance[i]).ok();
        assert_eq!(got.is_some(), file.charge_paid[i], "charge {i} paid");
        assert_eq!(got.map_or(U256::ZERO, |c| c.fee), file.charge_fee[i], "charge {i} fee");
        assert_eq!(U256::from(got.map_or(0, |c| c.gas_used)), file.charge_gas_used[i], "charge {i} gas used");
        assert_eq!(got.is_some_and(|c| c.out_of_gas), file.charge_out_of_gas[i], "charge {i} out of gas");
    }
    assert!(file.charge_out_of_gas.iter().any(|b| *b) && file.charge_paid.iter().any(|b| !*b), "every verdict");
    for i in 0..file.state_word.len() {
        let from = fees::FeeState::from_word(file.state_word[i]);
        let entered = from.enter(n64(&file.state_number[i]), n64(&file.state_price[i]), n64(&file.state_cap[i]));
        assert_eq!(entered.is_some(), file.state_enters[i], "fee state {i} enters");
        let entered = entered.unwrap_or(from);
        assert_eq!(entered.to_word(), file.state_entered[i], "fee state {i} entered");
        let after = entered.with_gas(n64(&file.state_gas[i]));
        assert_eq!(after.is_some(), file.state_fits[i], "fee state {i} fits");
        assert_eq!(after.unwrap_or(entered).to_word(), file.state_after[i], "fee state {i} after");
    }
    assert!(file.state_fits.iter().any(|b| *b) && file.state_fits.iter().any(|b| !*b), "both verdicts");
    assert!(file.state_enters.iter().any(|b| *b) && file.state_enters.iter().any(|b| !*b), "both verdicts");
}

#[test]
fn fee_vectors() {
    write_or_check(FILE, &generate(), check);
}
