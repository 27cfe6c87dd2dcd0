//! The arithmetic of the money market (docs/lending.md §3), as pure functions: utilization,
//! the kinked borrow rate, the supply rate, the accrual of an index, and the conversion between
//! amounts and scaled balances. Every rounding favours the market: rates and debts round up,
//! supply and payouts down. Written once more in Solidity
//! (`contracts/src/logic/LendingMath.sol`); both check `testdata/lending-vectors.json`.
//!
//! Every function is total: inputs beyond the stated bounds are clamped, as the Solidity side
//! does, and nothing overflows.

use alloy_primitives::U256;

/// The shards each market's totals and cash are split in (`StateKeys.SHARD_COUNT`,
/// `LendingLogic.SHARDS`).
pub const SHARDS: u64 = 8;

/// Fixed point one: rates are per second and indices start at one, in rays.
pub const RAY: U256 = U256::from_limbs([0x9fd0_803c_e800_0000, 0x0000_0000_033b_2e3c, 0, 0]);
/// The highest borrow rate a market may reach, per second, in rays (about 0.47 % a second).
pub const MAX_RATE: U256 = U256::from_limbs([u64::MAX, 0xff, 0, 0]);
/// The longest interval one accrual covers, in seconds (about 136 years).
pub const MAX_INTERVAL: u64 = u32::MAX as u64;
/// The highest value of an index, and of an amount or a scaled balance.
pub const MAX_VALUE: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0, 0]);

fn div_up(a: U256, b: U256) -> U256 {
    if a.is_zero() { U256::ZERO } else { (a - U256::from(1u8)) / b + U256::from(1u8) }
}

/// The share of a market's supply that is borrowed, in rays, rounded down: 0 for an empty
/// market, at most one (debt beyond the supply counts as all of it).
pub fn utilization(debt: U256, supply: U256) -> U256 {
    if supply.is_zero() {
        return U256::ZERO;
    }
    let (debt, supply) = (debt.min(MAX_VALUE), supply.min(MAX_VALUE));
    if debt >= supply { RAY } else { debt * RAY / supply }
}

/// The kinked borrow rate at utilization `u`, rounded up (see `LendingMath.borrowRate`).
pub fn borrow_rate(u: U256, base: U256, slope1: U256, slope2: U256, kink: U256) -> U256 {
    let (u, kink) = (u.min(RAY), kink.min(RAY));
    let (base, slope1, slope2) = (base.min(MAX_RATE), slope1.min(MAX_RATE), slope2.min(MAX_RATE));
    let rate = if u <= kink {
        if kink.is_zero() { base } else { base + div_up(slope1 * u, kink) }
    } else {
        base + slope1 + div_up(slope2 * (u - kink), RAY - kink)
    };
    rate.min(MAX_RATE)
}

/// What suppliers earn at borrow rate `rate` and utilization `u`, less the reserve's share,
/// rounded down.
pub fn supply_rate(rate: U256, u: U256, reserve_factor: U256) -> U256 {
    let (rate, u, reserve_factor) = (rate.min(MAX_RATE), u.min(RAY), reserve_factor.min(RAY));
    rate * u / RAY * (RAY - reserve_factor) / RAY
}

/// `index` after `interval` seconds at `rate` a second (simple within the interval), rounded up
/// for a borrow index and down for a supply index, at most [`MAX_VALUE`]; never decreases.
pub fn accrue(index: U256, rate: U256, interval: u64, round_up: bool) -> U256 {
    let index = index.min(MAX_VALUE);
    let factor = rate.min(MAX_RATE) * U256::from(interval.min(MAX_INTERVAL));
    let growth = if round_up { div_up(index * factor, RAY) } else { index * factor / RAY };
    (index + growth).min(MAX_VALUE)
}

/// The scaled balance worth `amount` at `index` (below one ray counts as one), rounded up or
/// down.
pub fn to_scaled(amount: U256, index: U256, round_up: bool) -> U256 {
    let amount = amount.min(MAX_VALUE);
    let index = if index < RAY { RAY } else { index.min(MAX_VALUE) };
    if round_up { div_up(amount * RAY, index) } else { amount * RAY / index }
}

/// The amount `scaled` is worth at `index`, rounded up (a debt) or down (a supply).
pub fn from_scaled(scaled: U256, index: U256, round_up: bool) -> U256 {
    let product = scaled.min(MAX_VALUE) * index.min(MAX_VALUE);
    if round_up { div_up(product, RAY) } else { product / RAY }
}

/// What `scaled` at `index` is worth at `price` (Q128.128) in the numeraire, rounded up (a debt)
/// or down (a supply): `LendingLogic`'s and `L1Bridge`'s value of a position.
pub fn value(scaled: U256, index: U256, price: U256, round_up: bool) -> U256 {
    mul_q128(from_scaled(scaled, index, round_up), price, round_up)
}

/// `a · price / 2^128` with `price` in Q128.128 (`LendingMath.mulQ128`): `2^256 − 1` when it
/// would not fit, rounded as asked.
pub fn mul_q128(a: U256, price: U256, round_up: bool) -> U256 {
    let low = U256::from(u128::MAX);
    let (a1, a0, p1, p0) = (a >> 128usize, a & low, price >> 128usize, price & low);
    if !a1.is_zero() && !p1.is_zero() {
        return U256::MAX;
    }
    let product = a0 * p0;
    let mut result = add_capped(add_capped(a1 * p0, a0 * p1), product >> 128usize);
    if round_up && !(product & low).is_zero() {
        result = add_capped(result, U256::from(1u8));
    }
    result
}

/// `a · b`, `2^256 − 1` when it would not fit (`LendingMath.mulCapped`).
pub fn mul_capped(a: U256, b: U256) -> U256 {
    a.checked_mul(b).unwrap_or(U256::MAX)
}

/// `a + b`, `2^256 − 1` when it would not fit (`LendingMath.addCapped`).
pub fn add_capped(a: U256, b: U256) -> U256 {
    a.saturating_add(b)
}

#[cfg(test)]
mod shard_tests {
    #[test]
    fn the_shard_count_is_the_contracts() {
        let keys = include_str!("../../contracts/src/logic/StateKeys.sol");
        assert!(keys.contains(&format!("SHARD_COUNT = {};", super::SHARDS)), "StateKeys.SHARD_COUNT");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    #[test]
    fn the_constants_are_what_they_say() {
        assert_eq!(RAY, U256::from(10u8).pow(U256::from(27u8)));
        assert_eq!(MAX_RATE, (U256::from(1u8) << 72) - U256::from(1u8));
        assert_eq!(MAX_VALUE, U256::from(u128::MAX));
    }

    fn random(rng: &mut StdRng, bits: usize) -> U256 {
        let v = U256::from_limbs([rng.random(), rng.random(), rng.random(), rng.random()]);
        let bits = rng.random_range(0..=bits);
        if bits == 0 { U256::ZERO } else { v >> (256 - bits) }
    }

    #[test]
    fn roundings_never_favour_the_user_and_indices_never_fall() {
        let mut rng = StdRng::seed_from_u64(54);
        for _ in 0..20_000 {
            let (amount, index) = (random(&mut rng, 130), RAY + random(&mut rng, 100));
            // Supplying then withdrawing the credited balance pays at most what was supplied.
            let credited = to_scaled(amount, index, false);
            assert!(from_scaled(credited, index, false) <= amount.min(MAX_VALUE));
            // A withdrawal of `amount` burns at least its worth; a borrow owes at least it.
            let burned = to_scaled(amount, index, true);
            assert!(burned >= credited);
            assert!(from_scaled(burned, index, true) >= amount.min(MAX_VALUE) || burned == MAX_VALUE);
            let (rate, interval) = (random(&mut rng, 80), rng.random_range(0..=u64::from(u32::MAX) + 10));
            let up = accrue(index, rate, interval, true);
            let down = accrue(index, rate, interval, false);
            assert!(down >= index.min(MAX_VALUE) && up >= down);
            // The rate does not fall as utilization rises.
            let (u1, u2) = (random(&mut rng, 91), random(&mut rng, 91));
            let (lo, hi) = (u1.min(u2), u1.max(u2));
            let params = (random(&mut rng, 70), random(&mut rng, 70), random(&mut rng, 75), random(&mut rng, 90));
            let rate_at = |u| borrow_rate(u, params.0, params.1, params.2, params.3);
            assert!(rate_at(lo) <= rate_at(hi), "{lo} {hi} {params:?}");
            assert!(supply_rate(rate_at(hi), hi, random(&mut rng, 89)) <= rate_at(hi));
        }
    }
}
