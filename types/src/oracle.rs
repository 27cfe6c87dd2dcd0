//! The arithmetic of the chain's price oracle (docs/lending.md §4): base-2 logarithms of pool
//! prices in fixed point, accumulated over time, and the power of two that turns a mean of
//! them back into a price. A geometric mean: pushing a price up by a factor moves it as much as
//! pushing it down by the same factor, and a spike held briefly moves it little. Written once
//! more in Solidity (`contracts/src/logic/OracleMath.sol`); both check
//! `testdata/oracle-vectors.json`.
//!
//! Every function is total and exact in integers (no floating point): the L1 verifier computes
//! the same bits. Each rounds down.

use alloy_primitives::U256;
use std::sync::OnceLock;

/// Fractional bits of a logarithm: `log2(v)` is returned as `⌊log2(v) · 2^40⌋`.
pub const FRAC_BITS: u32 = 40;

/// One in the fixed point of [`log2`].
pub const ONE: i64 = 1 << FRAC_BITS;

/// `log2` of the largest value, `2^256 − 1`: just below 256.
pub const MAX_LOG2: i64 = 256 * ONE - 1;

/// `2^(2^−k)` for `k` = 1…40 in Q1.127 (`2^127` is one), rounded down: `C₀ = 2`, and each
/// `C_k = ⌊√(C_(k−1) · 2^127)⌋`, the integer square root of the one before.
pub fn exp2_constants() -> &'static [U256; FRAC_BITS as usize] {
    static TABLE: OnceLock<[U256; FRAC_BITS as usize]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut c = U256::from(1u8) << 128usize;
        let mut out = [U256::ZERO; FRAC_BITS as usize];
        for slot in &mut out {
            c = (c << 127usize).root(2);
            *slot = c;
        }
        out
    })
}

/// `⌊log2(v) · 2^40⌋` for `v ≥ 1`; `v = 0` counts as one (a pool's reserve is never zero).
/// The integer part is `v`'s highest bit; the fraction is read one bit at a time by squaring
/// `v`'s mantissa in Q1.127 and halving it whenever it reaches two.
pub fn log2(v: U256) -> i64 {
    let v = v.max(U256::from(1u8));
    let n = v.bit_len() - 1;
    let mut m = if n >= 127 { v >> (n - 127) } else { v << (127 - n) };
    let two = U256::from(1u8) << 128;
    let mut r = (n as i64) << FRAC_BITS;
    for bit in (0..FRAC_BITS).rev() {
        // m < 2^128: the square fits.
        m = (m * m) >> 127;
        if m >= two {
            m >>= 1;
            r |= 1 << bit;
        }
    }
    r
}

/// The logarithm of a pool's price of its asset in the numeraire, `numeraire / asset` in raw
/// units: `log2(numeraire) − log2(asset)`, each rounded down.
pub fn log_price(numeraire: U256, asset: U256) -> i64 {
    log2(numeraire) - log2(asset)
}

/// `⌊2^(x / 2^40) · 2^128⌋`: the price a logarithm stands for, in Q128.128. `2^256 − 1` from
/// `x ≥ 128 · 2^40` on, zero below `−128 · 2^40`.
pub fn exp2(x: i64) -> U256 {
    if x >= 128 * ONE {
        return U256::MAX;
    }
    if x < -128 * ONE {
        return U256::ZERO;
    }
    let int = x >> FRAC_BITS;
    let frac = (x - (int << FRAC_BITS)) as u64;
    let constants = exp2_constants();
    let mut r = U256::from(1u8) << 127;
    for (k, c) in constants.iter().enumerate() {
        if frac & (1 << (FRAC_BITS as usize - 1 - k)) != 0 {
            // r, c < 2^128: the product fits.
            r = (r * c) >> 127;
        }
    }
    // r is in [2^127, 2^128): the value r / 2^127 times 2^int, in Q128.128.
    let shift = int + 1;
    if shift >= 0 { r << shift as usize } else { r >> (-shift) as usize }
}

/// The mean of logarithms accumulated as `sum` over a clock of `span` seconds, rounded toward
/// minus infinity; zero for an empty span.
pub fn mean(sum: i128, span: u64) -> i64 {
    if span == 0 {
        return 0;
    }
    sum.div_euclid(i128::from(span)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The logarithm is within one unit of its last place of the true one, and the power of
    /// two within a relative 2^−38 of it.
    #[test]
    fn log2_and_exp2_match_floating_point_and_invert_each_other() {
        let one = U256::from(1u8);
        for v in [1u64, 2, 3, 5, 10, 1_000, 1 << 40, u64::MAX] {
            let got = log2(U256::from(v)) as f64 / ONE as f64;
            assert!((got - (v as f64).log2()).abs() < 2e-12, "{v}: {got}");
        }
        assert_eq!(log2(U256::ZERO), 0);
        assert_eq!(log2(one << 200), 200 * ONE);
        assert_eq!(log2(U256::MAX), MAX_LOG2);
        for x in [-127 * ONE, -ONE, -ONE / 3, 0, 1, ONE / 2, ONE, 3 * ONE + 12345, 127 * ONE + ONE - 1] {
            let got = exp2(x);
            let want = (x as f64 / ONE as f64 + 128.0).exp2();
            let rel = (f64::from(got) - want).abs() / want;
            assert!(rel < 4e-12, "exp2({x}): {got} against {want}: {rel}");
        }
        assert_eq!(exp2(0), one << 128);
        assert_eq!(exp2(-128 * ONE), one);
        assert_eq!(exp2(128 * ONE), U256::MAX);
        assert_eq!(exp2(i64::MIN), U256::ZERO);
        // A price through its logarithm and back loses at most a relative 2^−38.
        for (num, asset) in [(3_000_000_000_000u64, 10u64.pow(19)), (7, 3), (1, u64::MAX)] {
            let back = exp2(log_price(U256::from(num), U256::from(asset)));
            let want = num as f64 / asset as f64 * 2f64.powi(128);
            assert!((f64::from(back) - want).abs() / want < 4e-12, "{num}/{asset}");
        }
    }

    #[test]
    fn the_constants_are_the_powers_of_two() {
        for (k, c) in exp2_constants().iter().enumerate() {
            let want = 2f64.powf(2f64.powi(-(k as i32 + 1)));
            assert!((f64::from(*c) / 2f64.powi(127) - want).abs() < 1e-15, "C{}", k + 1);
        }
        assert_eq!(exp2_constants()[0], U256::from_str_radix("b504f333f9de6484597d89b3754abe9f", 16).expect("hex"));
    }

    #[test]
    fn the_mean_rounds_toward_minus_infinity() {
        assert_eq!(mean(7, 2), 3);
        assert_eq!(mean(-7, 2), -4);
        assert_eq!(mean(-8, 2), -4);
        assert_eq!(mean(5, 0), 0);
    }
}
