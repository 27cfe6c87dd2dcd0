//! The arithmetic of the chain's price oracle (docs/lending.md §4): base-2 logarithms of pool
//! prices in fixed point, accumulated over time, and the power of two that turns a mean of
//! them back into a price. A geometric mean: pushing a price up by a factor moves it as much as
//! pushing it down by the same factor, and a spike held briefly moves it little. Written once
//! more in Solidity (`contracts/src/logic/OracleMath.sol`); both check
//! `testdata/oracle-vectors.json`.
//!
//! Every function is total and exact in integers (no floating point): the L1 verifier computes
//! the same bits. Each rounds down.

use alloy_primitives::{Address, U256};
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

/// The seconds of sample weight a mean covers at least, and at most twice
/// (`OracleLogic.ORACLE_WINDOW`).
pub const WINDOW: u64 = 1800;

/// The most seconds a sample weighs (`OracleLogic.MAX_SAMPLE_WEIGHT`): every oracle is sampled
/// in every block's beginning.
pub const MAX_SAMPLE_WEIGHT: u64 = 12;

/// The most a sampled logarithm moves from the last sample, a weighed second: `log2(1.01)`
/// (`OracleLogic.MAX_LOG_MOVE_PER_SECOND`).
pub const MAX_LOG_MOVE_PER_SECOND: i64 = 15_783_802_966;

/// The largest logarithm a sample takes, and its negation the smallest (`OracleLogic.MAX_LOG`).
pub const MAX_LOG: i64 = (1 << 47) - 1;

const MASK48: u64 = (1 << 48) - 1;

/// One observation of an oracle: the accumulated logarithms and the seconds of weight they
/// cover.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observation {
    /// The sum of each sample's logarithm times its weight (an `int96` in the state).
    pub acc: i128,
    /// The seconds of weight (a `uint32` in the state).
    pub clock: u64,
}

impl Observation {
    fn pack(self) -> U256 {
        let acc = U256::from(self.acc as u128 & ((1u128 << 96) - 1));
        acc | (U256::from(self.clock & 0xffff_ffff) << 96)
    }

    fn unpack(word: U256) -> Self {
        let low = word.to::<u128>() & ((1u128 << 96) - 1);
        // The low 96 bits as a signed number.
        let acc = ((low << 32) as i128) >> 32;
        let clock = ((word >> 96usize) & U256::from(0xffff_ffffu64)).to::<u64>();
        Self { acc, clock }
    }
}

/// A 48-bit field as a signed number.
fn signed48(v: u64) -> i64 {
    (((v & MASK48) << 16) as i64) >> 16
}

/// An oracle's state (`OracleLogic`, docs/lending.md §4), the two words the state tree holds
/// under `keys::oracle(asset, 0)` and `keys::oracle(asset, 1)`: the window's oldest
/// observation and newest checkpoint, and the latest sample with the window's mean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OracleState {
    /// The oldest observation the mean runs from.
    pub oldest: Observation,
    /// The newest checkpoint: the oldest once a window of weight has passed since it.
    pub checkpoint: Observation,
    /// The latest observation.
    pub latest: Observation,
    /// The mean logarithm from `oldest` to `latest`.
    pub mean: i64,
    /// The last sampled logarithm (clamped and truncated).
    pub last: i64,
    /// The timestamp of the last sample (0: none since genesis; at most `2^32 − 1`).
    pub time: u64,
}

impl OracleState {
    /// The oracle at genesis, as if `spot` had held for a whole window.
    pub fn genesis(spot: i64) -> Self {
        Self {
            latest: Observation { acc: i128::from(spot) * i128::from(WINDOW), clock: WINDOW },
            mean: spot,
            last: spot,
            ..Self::default()
        }
    }

    /// Adds a sample of `spot` at time `now`, weighing the seconds since the last sample, at
    /// most `max_weight`, and returns the logarithm sampled: `spot` within ±[`MAX_LOG`], moved
    /// at most [`MAX_LOG_MOVE_PER_SECOND`] a weighed second from the last. A sample that weighs
    /// nothing, or past a clock of 2^32 seconds, changes nothing.
    pub fn sample(&mut self, spot: i64, now: u64, max_weight: u64) -> i64 {
        let weight = now.saturating_sub(self.time).min(max_weight);
        if weight == 0 || self.latest.clock + weight > u64::from(u32::MAX) {
            return self.last;
        }
        let max_move = MAX_LOG_MOVE_PER_SECOND * weight as i64;
        let log = spot.clamp(-MAX_LOG, MAX_LOG).clamp(self.last - max_move, self.last + max_move);
        let latest = Observation {
            acc: self.latest.acc + i128::from(log) * i128::from(weight),
            clock: self.latest.clock + weight,
        };
        if latest.clock - self.checkpoint.clock >= WINDOW {
            self.oldest = self.checkpoint;
            self.checkpoint = latest;
        }
        self.latest = latest;
        self.last = log;
        self.time = now.min(u64::from(u32::MAX));
        self.mean = mean(latest.acc - self.oldest.acc, latest.clock - self.oldest.clock);
        log
    }

    /// The price the oracle lends at: `2^mean` in Q128.128.
    pub fn price(&self) -> U256 {
        exp2(self.mean)
    }

    /// The seconds of weight the mean covers.
    pub fn span(&self) -> u64 {
        self.latest.clock - self.oldest.clock
    }

    /// The two words of the state tree: the window (`oracle(asset, 0)`) and the latest sample
    /// (`oracle(asset, 1)`).
    pub fn words(&self) -> (U256, U256) {
        let window = self.oldest.pack() | (self.checkpoint.pack() << 128usize);
        let logs = U256::from(self.mean as u64 & MASK48) | (U256::from(self.last as u64 & MASK48) << 48usize);
        let latest = self.latest.pack() | (logs << 128usize) | (U256::from(self.time) << 224usize);
        (window, latest)
    }

    /// The state the two words hold.
    pub fn from_words(window: U256, latest: U256) -> Self {
        let low = |w: U256| w & ((U256::from(1u8) << 128usize) - U256::from(1u8));
        let field = |shift: usize| (latest >> shift).as_limbs()[0];
        Self {
            oldest: Observation::unpack(low(window)),
            checkpoint: Observation::unpack(window >> 128usize),
            latest: Observation::unpack(low(latest)),
            mean: signed48(field(128)),
            last: signed48(field(176)),
            time: field(224),
        }
    }
}

/// The price the money market lends `asset` at (`OracleLogic._meanLog`, then `exp2`), in the
/// numeraire, Q128.128: one for the numeraire (the address above the low 16 bits of
/// `keys::oracles()`'s word `header`), else `2^mean` of its oracle's latest sample word
/// (`keys::oracle(asset, 1)`); `None` without a sample (the market's call reverts `NoOracle`).
pub fn lending_price(header: U256, asset: &Address, latest: U256) -> Option<U256> {
    if *asset == Address::from_word((header >> 16usize).into()) {
        return Some(U256::from(1u8) << 128usize);
    }
    (!latest.is_zero()).then(|| exp2(OracleState::from_words(U256::ZERO, latest).mean))
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

    /// The state machine: genesis holds the spot for a window; the window rotates once a
    /// window of weight has passed since its checkpoint, so a mean covers one to two windows;
    /// samples are weighed by the time since the last, capped, clamped and truncated; the words
    /// round-trip.
    #[test]
    fn the_oracle_samples_rotates_and_truncates() {
        let spot = log_price(U256::from(3_000_000_000u64), U256::from(10u64.pow(18)));
        let mut o = OracleState::genesis(spot);
        assert_eq!(o.mean, spot);
        assert_eq!(OracleState::from_words(o.words().0, o.words().1), o);
        // A jump of 10 % is truncated to 1 % a weighed second; the first sample after genesis
        // weighs the cap.
        let up = spot + log2(U256::from(110u8)) - log2(U256::from(100u8));
        assert_eq!(o.sample(up, 1_000_000, 1), spot + MAX_LOG_MOVE_PER_SECOND);
        assert_eq!(o.sample(up, 1_000_000, 12), o.last, "the same second weighs nothing");
        assert_eq!(o.sample(up, 1_000_100, 12), up);
        assert_eq!(o.span(), WINDOW + 13);
        let mut now = 1_000_100;
        for _ in 0..1000 {
            now += 12;
            o.sample(up, now, 12);
            assert!(o.span() >= WINDOW && o.span() < 2 * WINDOW + MAX_SAMPLE_WEIGHT, "{}", o.span());
            assert_eq!(OracleState::from_words(o.words().0, o.words().1), o);
        }
        // After two windows at the new price, the mean is it.
        assert_eq!(o.mean, up);
        // Extreme logarithms are clamped, and round-trip.
        let mut neg = OracleState::genesis(-MAX_LOG);
        neg.sample(i64::MIN / 2, 5, 36);
        assert_eq!(neg.last, -MAX_LOG);
        assert_eq!(OracleState::from_words(neg.words().0, neg.words().1), neg);
    }
}
