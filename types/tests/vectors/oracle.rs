//! The price oracle's arithmetic (`testdata/oracle-vectors.json`, docs/lending.md §4): the
//! table of `2^(2^−k)`, `log2` and `logPrice` at their bounds and on a keccak stream of
//! inputs, `exp2` over its whole range, and the mean's rounding. Checked here with
//! `rollup_types::oracle` and by `contracts/test/OracleMath.t.sol` with `OracleMath.sol`.
//! Signed values are written as their 256-bit two's complement.

use super::{word, write_or_check};
use alloy_primitives::{I256, U256};
use rollup_types::oracle::{self, ONE};
use serde::{Deserialize, Serialize};

const FILE: &str = "oracle-vectors.json";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OracleVectors {
    comment: String,
    /// `2^(2^−k)` in Q1.127 for k = 1…40.
    constants: Vec<U256>,
    /// `log2(v)`.
    log_in: Vec<U256>,
    log_out: Vec<U256>,
    /// `logPrice(numeraire, asset)`.
    price_numeraire: Vec<U256>,
    price_asset: Vec<U256>,
    price_log: Vec<U256>,
    /// `exp2(x)`.
    exp_in: Vec<U256>,
    exp_out: Vec<U256>,
    /// `mean(sum, span)`.
    mean_sum: Vec<U256>,
    mean_span: Vec<U256>,
    mean_out: Vec<U256>,
    /// An oracle's state machine (`OracleLogic`): its two words at genesis at `sampleSpot[0]`,
    /// then after each sample of `sampleSpot[i]` at time `sampleTime[i]` weighing at most
    /// `sampleMaxWeight`, the words and the logarithm sampled.
    sample_max_weight: u64,
    sample_spot: Vec<U256>,
    sample_time: Vec<U256>,
    sample_log: Vec<U256>,
    sample_window: Vec<U256>,
    sample_latest: Vec<U256>,
}

fn signed(v: i128) -> U256 {
    I256::try_from(v).expect("fits").into_raw()
}

fn unsigned(v: U256) -> i128 {
    I256::from_raw(v).try_into().expect("fits")
}

/// A number of up to `bits` bits from the stream `label`.
fn num(label: &str, i: u64, bits: usize) -> U256 {
    let w = U256::from_be_bytes(word(label, i).0);
    let bits = (U256::from_be_bytes(word(&format!("{label}.bits"), i).0) % U256::from(bits + 1)).to::<usize>();
    if bits == 0 { U256::ZERO } else { w >> (256 - bits) }
}

fn generate() -> OracleVectors {
    let one = U256::from(1u8);
    let mut logs: Vec<U256> = vec![U256::ZERO, one, U256::from(2u8), U256::from(3u8), U256::from(10u8)];
    logs.extend([127usize, 128, 129, 255].iter().flat_map(|&b| [(one << b) - one, one << b, (one << b) + one]));
    logs.push(U256::MAX);
    logs.extend((0..40).map(|i| num("oracle.log", i, 256)));
    // Pool-like reserves: the devnet's, extremes, and a stream of 128-bit ones.
    let mut prices: Vec<(U256, U256)> = vec![
        (U256::from(3_000_000_000_000u64), U256::from(10u64).pow(U256::from(21u8))),
        (U256::from(10u64).pow(U256::from(21u8)), U256::from(3_000_000_000_000u64)),
        (one, (one << 128) - one),
        ((one << 128) - one, one),
        (U256::from(7u8), U256::from(7u8)),
    ];
    prices.extend((0..24).map(|i| (num("oracle.num", i, 128), num("oracle.asset", i, 128))));
    let mut exps: Vec<i128> = vec![0, 1, -1, ONE as i128, -(ONE as i128), ONE as i128 / 2, -(ONE as i128) / 2];
    for edge in [127i128, 128, -127, -128, -129] {
        let e = edge * ONE as i128;
        exps.extend([e - 1, e, e + 1]);
    }
    exps.extend([i128::from(i64::MAX), i128::from(i64::MIN)]);
    exps.extend((0..40).map(|i| {
        let w = i128::from_be_bytes(word("oracle.exp", i).0[..16].try_into().expect("16 bytes"));
        w.rem_euclid(260 * ONE as i128) - 130 * ONE as i128
    }));
    let means: Vec<(i128, u64)> =
        vec![(7, 2), (-7, 2), (-8, 2), (5, 0), (-1, 3), (i128::from(i64::MIN) * 1_000, 1_000)];
    // A random walk of the devnet's WETH price with jumps past the truncation and past the
    // clamp, at times 0 to 14 seconds apart (three oracles in turn: weights up to 36), long
    // enough for the window to rotate twice.
    let max_weight = 3 * oracle::MAX_SAMPLE_WEIGHT;
    let mut spot = oracle::log_price(U256::from(3_000_000_000u64), U256::from(10u64).pow(U256::from(18u8)));
    let mut state = oracle::OracleState::genesis(spot);
    let (window, latest) = state.words();
    let (mut sample_spot, mut sample_time) = (vec![signed(spot.into())], vec![U256::ZERO]);
    let (mut sample_log, mut sample_window, mut sample_latest) =
        (vec![signed(spot.into())], vec![window], vec![latest]);
    let mut now = 1_700_000_000u64;
    let start = spot;
    for i in 0..600 {
        let step = num("oracle.sample", i, 40).to::<i64>() - (1 << 39);
        spot = match i % 50 {
            7 => spot + step * 64,
            31 => oracle::MAX_LOG + 5,
            32 => -oracle::MAX_LOG - 5,
            33 => start,
            _ => spot + step / 8,
        };
        // Now and then the same second again: a sample that weighs nothing.
        now += if i % 97 == 5 { 0 } else { 1 + u64::from(word("oracle.time", i).0[0]) % 14 };
        let log = state.sample(spot, now, max_weight);
        let (window, latest) = state.words();
        sample_spot.push(signed(spot.into()));
        sample_time.push(U256::from(now));
        sample_log.push(signed(log.into()));
        sample_window.push(window);
        sample_latest.push(latest);
    }
    OracleVectors {
        sample_max_weight: max_weight,
        sample_spot,
        sample_time,
        sample_log,
        sample_window,
        sample_latest,
        comment: "The price oracle's arithmetic (docs/lending.md §4): rollup_types::oracle and OracleMath.sol. \
                  Signed values are 256-bit two's complement. Generated by types/tests/vectors/oracle.rs: do not \
                  edit; regenerate with UPDATE_VECTORS=1 cargo test -p rollup-types --test vectors."
            .to_owned(),
        constants: oracle::exp2_constants().to_vec(),
        log_out: logs.iter().map(|v| signed(oracle::log2(*v).into())).collect(),
        log_in: logs,
        price_log: prices.iter().map(|(n, a)| signed(oracle::log_price(*n, *a).into())).collect(),
        price_numeraire: prices.iter().map(|p| p.0).collect(),
        price_asset: prices.iter().map(|p| p.1).collect(),
        exp_out: exps.iter().map(|&x| oracle::exp2(x.clamp(i64::MIN.into(), i64::MAX.into()) as i64)).collect(),
        exp_in: exps.iter().map(|&x| signed(x)).collect(),
        mean_out: means.iter().map(|&(s, n)| signed(oracle::mean(s, n).into())).collect(),
        mean_sum: means.iter().map(|&(s, _)| signed(s)).collect(),
        mean_span: means.iter().map(|&(_, n)| U256::from(n)).collect(),
    }
}

fn check(v: &OracleVectors) {
    assert_eq!(v.constants, oracle::exp2_constants().to_vec());
    for (i, (input, out)) in v.log_in.iter().zip(&v.log_out).enumerate() {
        assert_eq!(i128::from(oracle::log2(*input)), unsigned(*out), "log2 {i}");
    }
    for i in 0..v.price_log.len() {
        let got = oracle::log_price(v.price_numeraire[i], v.price_asset[i]);
        assert_eq!(i128::from(got), unsigned(v.price_log[i]), "logPrice {i}");
    }
    for (i, (input, out)) in v.exp_in.iter().zip(&v.exp_out).enumerate() {
        let x = unsigned(*input);
        assert_eq!(oracle::exp2(x as i64), *out, "exp2 {i}");
    }
    for i in 0..v.mean_out.len() {
        let got = oracle::mean(unsigned(v.mean_sum[i]), v.mean_span[i].to::<u64>());
        assert_eq!(i128::from(got), unsigned(v.mean_out[i]), "mean {i}");
    }
    let spot = |i: usize| unsigned(v.sample_spot[i]) as i64;
    let mut state = oracle::OracleState::genesis(spot(0));
    assert_eq!(state.words(), (v.sample_window[0], v.sample_latest[0]), "genesis");
    let mut rotations = 0;
    for i in 1..v.sample_spot.len() {
        let before = state.oldest;
        let log = state.sample(spot(i), v.sample_time[i].to::<u64>(), v.sample_max_weight);
        rotations += usize::from(state.oldest != before);
        assert_eq!(i128::from(log), unsigned(v.sample_log[i]), "sample {i}");
        assert_eq!(state.words(), (v.sample_window[i], v.sample_latest[i]), "sample {i}");
    }
    assert!(rotations >= 2, "the window rotates: {rotations}");
    // Known values: log2(1024) is 10; 2^0 is one in Q128.128.
    assert_eq!(oracle::log2(U256::from(1024u16)), 10 * ONE);
    assert_eq!(oracle::exp2(0), U256::from(1u8) << 128);
}

#[test]
fn oracle_vectors() {
    write_or_check(FILE, &generate(), check);
}
