//! `testdata/blob-cells.json`: blob openings, checked here and by the Solidity verifier's tests
//! (`contracts/test/BlobVerifier.t.sol`): the KZG setup points the verifier holds, and for each
//! case a blob's versioned hash, its commitment and some of its cells with their proofs, in
//! EIP-2537's encoding.
//!
//! The data is `(i × 131 + 7) mod 256` for byte `i`, laid out by `rollup_types::blob`, with the
//! bytes in `flips` inverted in the blob (the batcher's lie the fraud proof shows), and the case's
//! chunk roots, root `i` being `keccak256(uint256(i))`, at the end of the payload. The setup's
//! G1 points are not copied from the ceremony's file: `[τ^i]_1` is c-kzg's commitment to the
//! blob of the polynomial `X^i`, and `[τ^64]_2` (the one G2 point the check needs besides the
//! generator) is checked against `[τ^64]_1` with a pairing. A plain run checks that the file is
//! what this generator writes; `UPDATE_VECTORS=1 cargo test -p rollup-fraud-proof --test it
//! blob_vectors` rewrites it.

use alloy_primitives::{B256, Bytes, U256, hex};
use rollup_fraud_proof::blob::{self as opening, G1_BYTES};
use rollup_types::blob;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

const FILE: &str = "blob-cells.json";

/// The BLS12-381 scalar field's modulus.
const R: U256 = U256::from_be_slice(&hex!("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001"));
/// The G2 generator, compressed (the ceremony's `[τ^0]_2`).
const G2_GENERATOR: [u8; 96] = hex!(
    "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
    "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
);
/// `[τ^64]_2` of the Ethereum KZG ceremony, compressed.
const G2_TAU_64: [u8; 96] = hex!(
    "92dcc5a1c8c3e1b28b1524e3dd6dbecd63017c9201da9dbe077f1b82adc08c50169f56fc7b5a3b28ec6b89254de3e2fd"
    "12838a761053437883c3e01ba616670cea843754548ef84bcc397de2369adcca2ab54cd73c55dc68d87aec3fc2fe4f10"
);

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct File {
    setup: Setup,
    cases: Vec<Case>,
}

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Setup {
    /// `[τ^0]_1 … [τ^63]_1`, EIP-2537 encoded, concatenated.
    g1_monomial: Bytes,
    g2_generator: Bytes,
    /// `−[τ^64]_2`.
    g2_tau64_neg: Bytes,
}

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Case {
    name: String,
    length: usize,
    flips: Vec<usize>,
    /// The chunk roots at the end of the blob's payload (none for most cases).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    roots: Vec<B256>,
    versioned_hash: B256,
    commitment: Bytes,
    cells: Vec<Cell>,
}

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cell {
    index: usize,
    values: Bytes,
    proof: Bytes,
}

fn data(length: usize) -> Vec<u8> {
    (0..length).map(|i| ((i * 131 + 7) % 256) as u8).collect()
}

/// The blob of `X^i`: its value at each point of the blob's domain, `ω^brp(j)`, to the `i`.
fn monomial_blob(i: u64) -> Vec<u8> {
    let omega = U256::from(7).pow_mod((R - U256::from(1)) / U256::from(blob::ELEMENTS_PER_BLOB), R);
    let mut raw = Vec::with_capacity(blob::BYTES_PER_BLOB);
    for j in 0..blob::ELEMENTS_PER_BLOB as u64 {
        let point = omega.pow_mod(U256::from(j.reverse_bits() >> (64 - 12)), R);
        raw.extend_from_slice(&point.pow_mod(U256::from(i), R).to_be_bytes::<32>());
    }
    raw
}

fn setup() -> Setup {
    let mut g1 = Vec::with_capacity(64 * G1_BYTES);
    for i in 0..64 {
        g1.extend_from_slice(&opening::open(&monomial_blob(i), 0, 1).expect("opens").commitment);
    }
    let tau64 = opening::open(&monomial_blob(64), 0, 1).expect("opens").commitment;
    assert!(pairs_equal(&tau64, &G2_GENERATOR, &g1[..G1_BYTES], &G2_TAU_64), "[τ^64]_2 is the ceremony's");
    Setup {
        g1_monomial: g1.into(),
        g2_generator: opening::g2_uncompressed(&G2_GENERATOR, false).expect("a G2 point").to_vec().into(),
        g2_tau64_neg: opening::g2_uncompressed(&G2_TAU_64, true).expect("a G2 point").to_vec().into(),
    }
}

/// `e(a, b) == e(c, d)`, for `a`, `c` EIP-2537-encoded G1 points and `b`, `d` compressed G2
/// points.
fn pairs_equal(a: &[u8], b: &[u8; 96], c: &[u8], d: &[u8; 96]) -> bool {
    fn g1(p: &[u8]) -> blst::blst_p1_affine {
        let mut xy = [0u8; 96];
        xy[..48].copy_from_slice(&p[16..64]);
        xy[48..].copy_from_slice(&p[80..128]);
        let mut out = blst::blst_p1_affine::default();
        // SAFETY: 96 bytes in, a point out.
        assert_eq!(unsafe { blst::blst_p1_deserialize(&mut out, xy.as_ptr()) }, blst::BLST_ERROR::BLST_SUCCESS);
        out
    }
    fn g2(p: &[u8; 96]) -> blst::blst_p2_affine {
        let mut out = blst::blst_p2_affine::default();
        // SAFETY: 96 bytes in, a point out.
        assert_eq!(unsafe { blst::blst_p2_uncompress(&mut out, p.as_ptr()) }, blst::BLST_ERROR::BLST_SUCCESS);
        out
    }
    let pairing = |p: &blst::blst_p1_affine, q: &blst::blst_p2_affine| {
        let (mut ml, mut out) = (blst::blst_fp12::default(), blst::blst_fp12::default());
        // SAFETY: valid points in, a field element out.
        unsafe {
            blst::blst_miller_loop(&mut ml, q, p);
            blst::blst_final_exp(&mut out, &ml);
        }
        out
    };
    let (left, right) = (pairing(&g1(a), &g2(b)), pairing(&g1(c), &g2(d)));
    // SAFETY: two field elements compared.
    unsafe { blst::blst_fp12_is_equal(&left, &right) }
}

fn roots(count: usize) -> Vec<B256> {
    (0..count).map(|i| alloy_primitives::keccak256(U256::from(i).to_be_bytes::<32>())).collect()
}

fn case(name: &str, length: usize, flips: &[usize], roots: Vec<B256>, cells: &[usize]) -> Case {
    let mut bytes = data(length);
    for &at in flips {
        bytes[at] ^= 0xff;
    }
    let raw = blob::to_blob(&bytes, &roots).expect("fits");
    let first = opening::open(&raw, 0, 1).expect("opens");
    let cells = cells
        .iter()
        .map(|&index| {
            let at = index * blob::PAYLOAD_PER_CELL;
            let cell = opening::open(&raw, at, at + 1).expect("opens").cells.remove(0);
            assert_eq!(cell.index, U256::from(index));
            Cell { index, values: cell.values, proof: cell.proof }
        })
        .collect();
    Case {
        name: name.to_string(),
        length,
        flips: flips.to_vec(),
        roots,
        versioned_hash: first.versioned_hash,
        commitment: first.commitment,
        cells,
    }
}

fn generate() -> File {
    File {
        setup: setup(),
        cases: vec![
            case("short", 100, &[], vec![], &[0]),
            case("small", 5_000, &[], vec![], &[0, 1, 2]),
            case("full", 120_000, &[], vec![], &[0, 1, 30, 31, 32, 60, 63]),
            case("flipped", 5_000, &[1_500, 2_100], vec![], &[0, 1, 2]),
            // Chunk roots after the data: three in the last cell; then 218, as many as fit after
            // 120,000 bytes, in the last four cells (the first of them shared with the data).
            case("roots", 5_000, &[], roots(3), &[0, 1, 2, 63]),
            case("full-roots", 120_000, &[], roots(218), &[60, 61, 62, 63]),
        ],
    }
}

#[test]
fn blob_vectors() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("testdata").join(FILE);
    let generated = generate();
    // What the cases say of the blob: the cells hold the data as laid out, and a cell's values
    // are its 64 elements.
    for case in &generated.cases {
        let mut bytes = data(case.length);
        for &at in &case.flips {
            bytes[at] ^= 0xff;
        }
        let raw = blob::to_blob(&bytes, &case.roots).expect("fits");
        assert_eq!(blob::chunk_roots(&raw, case.roots.len()).expect("reads"), case.roots, "{}", case.name);
        for cell in &case.cells {
            let at = cell.index * 2_048;
            assert_eq!(cell.values[..], raw[at..at + 2_048], "{} cell {}", case.name, cell.index);
        }
    }
    let mut text = serde_json::to_string_pretty(&generated).expect("serialises");
    text.push('\n');
    if std::env::var("UPDATE_VECTORS").is_ok_and(|v| v == "1") {
        std::fs::write(&file, &text).expect("write vectors");
        return;
    }
    let on_disk = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!("{}: {e}; run UPDATE_VECTORS=1 cargo test -p rollup-fraud-proof --test it blob_vectors", file.display())
    });
    let parsed: File = serde_json::from_str(&on_disk).unwrap_or_else(|e| panic!("{}: malformed: {e}", file.display()));
    assert_eq!(parsed, generated, "{} differs from what c-kzg gives", file.display());
    assert!(on_disk == text, "{} is not formatted as the generator writes it", file.display());
}
