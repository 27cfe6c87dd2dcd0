//! The money market's arithmetic (`testdata/lending-vectors.json`, docs/lending.md §3):
//! utilization, the kinked borrow rate, the supply rate, index accrual and scaled balances, at
//! their bounds and on a keccak stream of inputs. Checked here with `rollup_types::lending` and
//! by `contracts/test/LendingMath.t.sol` with `LendingMath.sol`.

use super::{word, write_or_check};
use alloy_primitives::U256;
use rollup_types::lending::{self, MAX_RATE, MAX_VALUE, RAY};
use serde::{Deserialize, Serialize};

const FILE: &str = "lending-vectors.json";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LendingVectors {
    comment: String,
    /// `utilization(debt, supply)`.
    util_debt: Vec<U256>,
    util_supply: Vec<U256>,
    util_u: Vec<U256>,
    /// `borrowRate(u, base, slope1, slope2, kink)`.
    rate_u: Vec<U256>,
    rate_base: Vec<U256>,
    rate_slope1: Vec<U256>,
    rate_slope2: Vec<U256>,
    rate_kink: Vec<U256>,
    rate_rate: Vec<U256>,
    /// `supplyRate(rate, u, reserveFactor)`.
    supply_rate: Vec<U256>,
    supply_u: Vec<U256>,
    supply_reserve_factor: Vec<U256>,
    supply_supply_rate: Vec<U256>,
    /// `accrue(index, rate, interval, roundUp)`.
    accrue_index: Vec<U256>,
    accrue_rate: Vec<U256>,
    accrue_interval: Vec<U256>,
    accrue_round_up: Vec<bool>,
    accrue_out: Vec<U256>,
    /// `toScaled(amount, index, roundUp)` and `fromScaled(amount, index, roundUp)` of the same
    /// inputs.
    scale_amount: Vec<U256>,
    scale_index: Vec<U256>,
    scale_round_up: Vec<bool>,
    scale_to: Vec<U256>,
    scale_from: Vec<U256>,
}

/// A number of up to `bits` bits from the stream `label`.
fn num(label: &str, i: u64, bits: usize) -> U256 {
    let w = U256::from_be_bytes(word(label, i).0);
    let bits = (U256::from_be_bytes(word(&format!("{label}.bits"), i).0) % U256::from(bits + 1)).to::<usize>();
    if bits == 0 { U256::ZERO } else { w >> (256 - bits) }
}

fn generate() -> LendingVectors {
    let one = U256::from(1u8);
    let pct = |p: u64| RAY * U256::from(p) / U256::from(100u8);
    // A year's rate expressed per second, in rays.
    let apr = |p: u64| pct(p) / U256::from(31_536_000u64);
    let mut util: Vec<(U256, U256)> = vec![
        (U256::ZERO, U256::ZERO),
        (U256::from(5u8), U256::ZERO),
        (U256::ZERO, U256::from(10u8)),
        (one, U256::from(3u8)),
        (U256::from(3u8), U256::from(3u8)),
        (U256::from(4u8), U256::from(3u8)),
        (MAX_VALUE, MAX_VALUE),
        (U256::MAX, one),
        (U256::MAX, U256::MAX),
        (MAX_VALUE - one, MAX_VALUE),
    ];
    util.extend((0..24).map(|i| (num("util.debt", i, 130), num("util.supply", i, 130))));
    // Rate models: ordinary ones, a kink at 0 and at one, above one, slopes past the bound.
    let models = [
        (U256::ZERO, apr(4), apr(60), pct(80)),
        (apr(1), apr(5), apr(300), pct(90)),
        (apr(2), apr(7), apr(100), U256::ZERO),
        (U256::ZERO, apr(10), apr(100), RAY),
        (U256::ZERO, apr(10), apr(100), RAY + one),
        (MAX_RATE, MAX_RATE, MAX_RATE, pct(50)),
        (U256::MAX, U256::MAX, U256::MAX, U256::MAX),
    ];
    let mut rate = Vec::new();
    for (base, s1, s2, kink) in models {
        let k = kink.min(RAY);
        let mut us = vec![U256::ZERO, one, k, RAY, RAY + one, U256::MAX];
        if !k.is_zero() {
            us.push(k - one);
        }
        if k < RAY {
            us.push(k + one);
            us.push(RAY - one);
        }
        for u in us {
            rate.push((u, base, s1, s2, kink));
        }
    }
    rate.extend((0..24).map(|i| {
        (
            num("rate.u", i, 92),
            num("rate.base", i, 74),
            num("rate.s1", i, 74),
            num("rate.s2", i, 74),
            num("rate.k", i, 92),
        )
    }));
    let mut supply: Vec<(U256, U256, U256)> = vec![
        (apr(10), pct(80), pct(10)),
        (MAX_RATE, RAY, U256::ZERO),
        (U256::MAX, U256::MAX, U256::MAX),
        (apr(50), RAY, RAY),
    ];
    supply.extend((0..16).map(|i| (num("supply.rate", i, 74), num("supply.u", i, 92), num("supply.rf", i, 92))));
    let mut accrue: Vec<(U256, U256, u64, bool)> = vec![
        (RAY, apr(5), 12, true),
        (RAY, apr(5), 12, false),
        (RAY, U256::ZERO, 1_000, true),
        (MAX_VALUE, MAX_RATE, u64::MAX, true),
        (U256::MAX, U256::MAX, u64::MAX, false),
        (RAY + one, one, 1, true),
        (RAY + one, one, 1, false),
    ];
    accrue.extend((0..24).map(|i| {
        let interval = num("accrue.dt", i, 36).to::<u64>();
        (RAY + num("accrue.index", i, 100), num("accrue.rate", i, 74), interval, i % 2 == 0)
    }));
    let mut scale: Vec<(U256, U256, bool)> = vec![
        (U256::ZERO, RAY, true),
        (one, RAY + one, true),
        (one, RAY + one, false),
        (MAX_VALUE, RAY, true),
        (U256::MAX, U256::ZERO, false),
        (U256::MAX, U256::MAX, true),
        (U256::from(10u8).pow(U256::from(18u8)), RAY * U256::from(3u8) / U256::from(2u8), true),
    ];
    scale.extend((0..24).map(|i| (num("scale.amount", i, 130), RAY + num("scale.index", i, 100), i % 2 == 1)));
    LendingVectors {
        comment: "The money market's arithmetic (docs/lending.md section 3). Generated by \
                  types/tests/vectors/lending.rs: do not edit; regenerate with UPDATE_VECTORS=1 cargo test -p \
                  rollup-types --test vectors."
            .to_owned(),
        util_debt: util.iter().map(|c| c.0).collect(),
        util_supply: util.iter().map(|c| c.1).collect(),
        util_u: util.iter().map(|c| lending::utilization(c.0, c.1)).collect(),
        rate_u: rate.iter().map(|c| c.0).collect(),
        rate_base: rate.iter().map(|c| c.1).collect(),
        rate_slope1: rate.iter().map(|c| c.2).collect(),
        rate_slope2: rate.iter().map(|c| c.3).collect(),
        rate_kink: rate.iter().map(|c| c.4).collect(),
        rate_rate: rate.iter().map(|c| lending::borrow_rate(c.0, c.1, c.2, c.3, c.4)).collect(),
        supply_rate: supply.iter().map(|c| c.0).collect(),
        supply_u: supply.iter().map(|c| c.1).collect(),
        supply_reserve_factor: supply.iter().map(|c| c.2).collect(),
        supply_supply_rate: supply.iter().map(|c| lending::supply_rate(c.0, c.1, c.2)).collect(),
        accrue_index: accrue.iter().map(|c| c.0).collect(),
        accrue_rate: accrue.iter().map(|c| c.1).collect(),
        accrue_interval: accrue.iter().map(|c| U256::from(c.2)).collect(),
        accrue_round_up: accrue.iter().map(|c| c.3).collect(),
        accrue_out: accrue.iter().map(|c| lending::accrue(c.0, c.1, c.2, c.3)).collect(),
        scale_amount: scale.iter().map(|c| c.0).collect(),
        scale_index: scale.iter().map(|c| c.1).collect(),
        scale_round_up: scale.iter().map(|c| c.2).collect(),
        scale_to: scale.iter().map(|c| lending::to_scaled(c.0, c.1, c.2)).collect(),
        scale_from: scale.iter().map(|c| lending::from_scaled(c.0, c.1, c.2)).collect(),
    }
}

/// Recomputes every output from the file's inputs, and checks known values.
fn check(v: &LendingVectors) {
    for i in 0..v.util_u.len() {
        assert_eq!(lending::utilization(v.util_debt[i], v.util_supply[i]), v.util_u[i], "utilization {i}");
        assert!(v.util_u[i] <= RAY);
    }
    for i in 0..v.rate_rate.len() {
        let r = lending::borrow_rate(v.rate_u[i], v.rate_base[i], v.rate_slope1[i], v.rate_slope2[i], v.rate_kink[i]);
        assert_eq!(r, v.rate_rate[i], "rate {i}");
    }
    for i in 0..v.supply_supply_rate.len() {
        let r = lending::supply_rate(v.supply_rate[i], v.supply_u[i], v.supply_reserve_factor[i]);
        assert_eq!(r, v.supply_supply_rate[i], "supply rate {i}");
    }
    for i in 0..v.accrue_out.len() {
        let dt = v.accrue_interval[i].saturating_to::<u64>();
        let out = lending::accrue(v.accrue_index[i], v.accrue_rate[i], dt, v.accrue_round_up[i]);
        assert_eq!(out, v.accrue_out[i], "accrue {i}");
    }
    for i in 0..v.scale_to.len() {
        let (a, x, up) = (v.scale_amount[i], v.scale_index[i], v.scale_round_up[i]);
        assert_eq!(lending::to_scaled(a, x, up), v.scale_to[i], "to scaled {i}");
        assert_eq!(lending::from_scaled(a, x, up), v.scale_from[i], "from scaled {i}");
    }
    // Known values: 1 of 3 borrowed; an index of one ray grows by 5 % a year over 12 s.
    assert_eq!(lending::utilization(U256::from(1u8), U256::from(3u8)), RAY / U256::from(3u8));
    let apr5 = RAY * U256::from(5u8) / U256::from(100u8) / U256::from(31_536_000u64);
    assert_eq!(lending::accrue(RAY, apr5, 12, false), RAY + apr5 * U256::from(12u8));
}

#[test]
fn lending_vectors() {
    write_or_check(FILE, &generate(), check);
}
