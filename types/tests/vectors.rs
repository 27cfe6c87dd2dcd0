//! Shared test vectors of the state commitment, checked here and by the Solidity tests
//! (`contracts/test/Vectors.t.sol`):
//!
//! - `testdata/smt-vectors.json`: roots and proofs of the sparse Merkle tree;
//! - `testdata/state-keys.json`: the state key derivations;
//! - `testdata/codec-vectors.json`: batches of the codec (`vectors/codec.rs`, checked by
//!   `contracts/test/BatchCodec.t.sol`);
//! - `testdata/smt-witness-vectors.json`: state witnesses (`vectors/witness.rs`, checked by
//!   `contracts/test/StateWitness.t.sol`);
//! - `testdata/fee-vectors.json`: the fee rules (`vectors/fees.rs`, checked by
//!   `contracts/test/FeeLogic.t.sol`);
//! - `testdata/queue-vectors.json`: the bridge queue's entry hashes and accumulator
//!   (`vectors/queue.rs`, checked by `contracts/test/Vectors.t.sol`);
//! - `testdata/operation-vectors.json`: the operation table and the inbox's fault kinds
//!   (`vectors/ops.rs`, checked by `contracts/test/Operations.t.sol`);
//! - `testdata/lending-vectors.json`: the money market's arithmetic (`vectors/lending.rs`,
//!   checked by `contracts/test/LendingMath.t.sol`);
//! - `testdata/oracle-vectors.json`: the price oracle's logarithms and powers of two
//!   (`vectors/oracle.rs`, checked by `contracts/test/OracleMath.t.sol`).
//!
//! A plain run recomputes every expected value in the files from their inputs with
//! `rollup_types::smt` and `rollup_types::keys` and then checks that the files are exactly
//! what the generator below writes. `UPDATE_VECTORS=1 cargo test -p rollup-types --test
//! vectors` rewrites them instead. Inputs come from a keccak-256 stream with fixed labels, so
//! the output never depends on a random number generator's version.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolValue;
use rollup_types::{
    genesis::{DAI, DEV_ACCOUNTS, USDC, WBTC, WETH},
    keys,
    smt::{EMPTY, Proof, SparseMerkleTree, Terminal, bit_at, compute_root, leaf_hash, node_hash},
    witness::set_bit,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::{collections::BTreeMap, path::PathBuf};

#[path = "vectors/codec.rs"]
mod codec;
#[path = "vectors/fees.rs"]
mod fees;
#[path = "vectors/lending.rs"]
mod lending;
#[path = "vectors/ops.rs"]
mod ops;
#[path = "vectors/oracle.rs"]
mod oracle;
#[path = "vectors/queue.rs"]
mod queue;
#[path = "vectors/witness.rs"]
mod witness;

const SMT_FILE: &str = "smt-vectors.json";
const KEYS_FILE: &str = "state-keys.json";

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("testdata").join(name)
}

fn updating() -> bool {
    std::env::var("UPDATE_VECTORS").is_ok_and(|v| v == "1")
}

fn to_json<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("vectors serialise");
    s.push('\n');
    s
}

/// Writes the generated file, or checks it: first semantically (`check`, from the file's own
/// inputs), then byte for byte against what the generator produces.
fn write_or_check<T>(name: &str, generated: &T, check: impl FnOnce(&T))
where
    T: Serialize + DeserializeOwned,
{
    let file = path(name);
    let text = to_json(generated);
    if updating() {
        std::fs::create_dir_all(file.parent().expect("testdata has a parent")).expect("create testdata");
        std::fs::write(&file, &text).expect("write vectors");
        // The written file must pass its own check.
        check(generated);
        return;
    }
    let on_disk = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!("{}: {e}; run UPDATE_VECTORS=1 cargo test -p rollup-types --test vectors", file.display())
    });
    let parsed: T = serde_json::from_str(&on_disk).unwrap_or_else(|e| panic!("{}: malformed: {e}", file.display()));
    check(&parsed);
    assert!(
        on_disk == text,
        "{} differs from the generator's output; if the change is intended, run \
         UPDATE_VECTORS=1 cargo test -p rollup-types --test vectors",
        file.display()
    );
}

// ---------------------------------------------------------------------------------------------
// Deterministic inputs.

/// The `i`-th word of the stream `label`: `keccak256(label ‖ uint64_be(i))`.
fn word(label: &str, i: u64) -> B256 {
    let mut buf = label.as_bytes().to_vec();
    buf.extend_from_slice(&i.to_be_bytes());
    keccak256(buf)
}

/// A value as the state stores it: alternately a small integer and a full random word.
fn value(label: &str, i: u64) -> B256 {
    let w = word(label, i);
    if i.is_multiple_of(2) {
        B256::from(U256::from(u64::from_be_bytes(w[24..].try_into().expect("8 bytes")) >> 20))
    } else {
        w
    }
}

/// A key equal to `base` on bits `0..at`, different at bit `at`, and `tail` after it: its
/// path shares exactly `at` bits with `base`'s.
fn diverge(base: &B256, at: usize, tail: B256) -> B256 {
    let mut k = tail;
    for d in 0..at {
        set_bit(&mut k, d, bit_at(base, d));
    }
    set_bit(&mut k, at, !bit_at(base, at));
    k
}

fn common_prefix(a: &B256, b: &B256) -> usize {
    (0..256).take_while(|&d| bit_at(a, d) == bit_at(b, d)).count()
}

// ---------------------------------------------------------------------------------------------
// The sparse Merkle tree vectors.

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SmtVectors {
    description: String,
    case_count: usize,
    cases: Vec<Case>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Case {
    name: String,
    description: String,
    /// The leaves of the tree, ascending by key (after the last step when there are steps).
    leaf_count: usize,
    keys: Vec<B256>,
    values: Vec<B256>,
    root: B256,
    /// Proofs against `root`.
    proof_count: usize,
    proofs: Vec<ProofVector>,
    /// Batches of updates applied in order to an empty tree; the last one leaves `keys`,
    /// `values` and `root`. Empty for cases built directly from their leaves.
    step_count: usize,
    steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProofVector {
    key: B256,
    /// The key's value, zero when it is absent.
    value: B256,
    /// `inclusion` or `exclusion`.
    kind: String,
    sibling_count: usize,
    /// Root-down: `siblings[i]` is the sibling subtree's hash at depth `i + 1`.
    siblings: Vec<B256>,
    terminal: Terminal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Step {
    /// Updates in the order given to `SparseMerkleTree::update` (zero deletes; a later entry
    /// for the same key wins).
    update_count: usize,
    update_keys: Vec<B256>,
    update_values: Vec<B256>,
    /// The root after the step.
    root: B256,
    /// The leaves after the step, ascending by key.
    leaf_count: usize,
    keys: Vec<B256>,
    values: Vec<B256>,
}

/// What a generated proof must show; checked while generating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Inclusion,
    /// Exclusion ending at another key's leaf.
    AtLeaf,
    /// Exclusion ending at an empty subtree.
    AtEmpty,
    /// Exclusion, whatever it ends at.
    Absent,
}

fn proof_vector(tree: &SparseMerkleTree, key: B256, expect: Expect) -> ProofVector {
    let Proof { siblings, terminal } = tree.prove(&key);
    let value = tree.get(&key);
    let ok = match (expect, &terminal) {
        (Expect::Inclusion, Terminal::Leaf { key: k, .. }) => *k == key,
        (Expect::AtLeaf, Terminal::Leaf { key: k, .. }) => *k != key,
        (Expect::AtEmpty, Terminal::Empty) => true,
        (Expect::Absent, _) => value.is_zero(),
        _ => false,
    };
    assert!(ok, "generator: proof of {key} is not {expect:?}: {terminal:?}");
    ProofVector {
        key,
        value,
        kind: if value.is_zero() { "exclusion" } else { "inclusion" }.to_owned(),
        sibling_count: siblings.len(),
        siblings,
        terminal,
    }
}

fn split(leaves: &[(B256, B256)]) -> (Vec<B256>, Vec<B256>) {
    leaves.iter().copied().unzip()
}

/// A case built directly from `leaves`, with inclusion proofs of `include` (indices into the
/// sorted leaves) and exclusion proofs of the absent `exclude` keys.
fn case(
    name: &str,
    description: &str,
    leaves: Vec<(B256, B256)>,
    include: &[usize],
    exclude: &[(B256, Expect)],
) -> Case {
    let mut tree = SparseMerkleTree::new();
    tree.update(leaves.iter().copied());
    let sorted = tree.leaves();
    assert_eq!(sorted.len(), leaves.len(), "generator: duplicate keys in {name}");
    let mut proofs: Vec<ProofVector> =
        include.iter().map(|&i| proof_vector(&tree, sorted[i].0, Expect::Inclusion)).collect();
    proofs.extend(exclude.iter().map(|&(k, e)| proof_vector(&tree, k, e)));
    let (keys, values) = split(&sorted);
    Case {
        name: name.to_owned(),
        description: description.to_owned(),
        leaf_count: keys.len(),
        keys,
        values,
        root: tree.root(),
        proof_count: proofs.len(),
        proofs,
        step_count: 0,
        steps: Vec::new(),
    }
}

/// Exclusion proofs derived from the shape of the tree of `leaves`: a key that follows a
/// present key's path and then turns into an empty sibling subtree (when the tree has one),
/// keys that share a leaf's whole path but not its key, and `random` unrelated keys.
fn derived_exclusions(label: &str, leaves: &[(B256, B256)], random: u64) -> Vec<(B256, Expect)> {
    let mut tree = SparseMerkleTree::new();
    tree.update(leaves.iter().copied());
    let mut out = Vec::new();
    // Turning off a path into an empty sibling subtree.
    'empty: for (k, _) in tree.leaves() {
        for (i, s) in tree.prove(&k).siblings.iter().enumerate() {
            if *s == EMPTY {
                out.push((diverge(&k, i, word(label, 1000)), Expect::AtEmpty));
                break 'empty;
            }
        }
    }
    // Sharing a leaf's path (and a few more bits), then differing.
    let sorted = tree.leaves();
    for (n, (k, _)) in sorted.iter().take(2).enumerate() {
        let depth = tree.prove(k).siblings.len();
        out.push((diverge(k, depth + 3 * n, word(label, 2000 + n as u64)), Expect::AtLeaf));
    }
    for i in 0..random {
        out.push((word(label, 3000 + i), Expect::Absent));
    }
    out
}

fn random_leaves(label: &str, n: u64) -> Vec<(B256, B256)> {
    (0..n).map(|i| (word(&format!("{label}/key"), i), value(&format!("{label}/value"), i))).collect()
}

fn steps_case() -> Case {
    let k = |i: u64| word("steps/key", i);
    let v = |i: u64| value("steps/value", i);
    let z = B256::ZERO;
    // Two keys with a 40-bit common prefix, to nest and un-nest a deep path.
    let deep = diverge(&k(0), 40, word("steps/key", 100));
    let batches: Vec<Vec<(B256, B256)>> = vec![
        // Insertions into an empty tree.
        (0..6).map(|i| (k(i), v(i))).collect(),
        // Overwrite, delete, insert.
        vec![(k(1), v(11)), (k(2), z), (k(6), v(6))],
        // A deleted absent key is a no-op; within a batch the last entry of a key wins.
        vec![(k(50), z), (k(3), v(13)), (k(3), z), (k(7), z), (k(7), v(7)), (deep, v(8))],
        // Re-writing a key with its current value changes nothing.
        vec![(k(4), v(4))],
        // Deleting the deep key lifts k(0)'s leaf back up.
        vec![(deep, z)],
        // Delete all but one: the root is that leaf's hash.
        vec![(k(0), z), (k(1), z), (k(4), z), (k(5), z), (k(6), z)],
        // Delete the last: the empty root.
        vec![(k(7), z)],
        // Rebuild.
        (20..28).map(|i| (k(i), v(i))).chain([(k(0), v(30)), (deep, v(31))]).collect(),
    ];
    let mut tree = SparseMerkleTree::new();
    let mut steps = Vec::new();
    for batch in batches {
        let root = tree.update(batch.iter().copied());
        let (update_keys, update_values) = split(&batch);
        let (keys, values) = split(&tree.leaves());
        steps.push(Step {
            update_count: batch.len(),
            update_keys,
            update_values,
            root,
            leaf_count: keys.len(),
            keys,
            values,
        });
    }
    let leaves = tree.leaves();
    let include: Vec<usize> = vec![0, leaves.len() / 2, leaves.len() - 1];
    let mut exclude = derived_exclusions("steps", &leaves, 1);
    // Keys that were present in earlier steps.
    exclude.push((k(2), Expect::Absent));
    exclude.push((k(1), Expect::Absent));
    let mut c = case(
        "updates",
        "Batches of insertions, overwrites and deletions applied in order to an empty tree, \
         with the root after each batch; the case's leaves and root are those after the last batch.",
        leaves,
        &include,
        &exclude,
    );
    c.step_count = steps.len();
    c.steps = steps;
    c
}

fn generate_smt() -> SmtVectors {
    let mut cases = Vec::new();

    cases.push(case(
        "empty",
        "No leaves: the root is zero and every key is absent (no siblings, empty terminal).",
        Vec::new(),
        &[],
        &[(word("empty", 0), Expect::AtEmpty), (B256::ZERO, Expect::AtEmpty)],
    ));

    let (k, v) = (word("single/key", 0), value("single/value", 1));
    cases.push(case(
        "single-leaf",
        "One leaf: the root is its leaf hash; an absent key's proof ends at that leaf with no siblings.",
        vec![(k, v)],
        &[0],
        &[(word("single/absent", 0), Expect::AtLeaf), (diverge(&k, 255, k), Expect::AtLeaf)],
    ));

    let mut k0 = word("first-bit/key", 0);
    set_bit(&mut k0, 0, false);
    let k1 = diverge(&k0, 0, word("first-bit/key", 1));
    cases.push(case(
        "first-bit-split",
        "Two leaves differing in bit 0: the root is node(leaf0, leaf1).",
        vec![(k1, value("first-bit/value", 1)), (k0, value("first-bit/value", 0))],
        &[0, 1],
        &[
            (diverge(&k1, 0, word("first-bit/absent", 0)), Expect::AtLeaf),
            (diverge(&k0, 0, word("first-bit/absent", 1)), Expect::AtLeaf),
        ],
    ));

    let k0 = word("prefix/key", 0);
    let k1 = diverge(&k0, 24, word("prefix/key", 1));
    assert_eq!(common_prefix(&k0, &k1), 24);
    cases.push(case(
        "shared-prefix-24",
        "Two leaves sharing their first 24 bits: 24 branches with an empty side above them.",
        vec![(k0, value("prefix/value", 0)), (k1, value("prefix/value", 1))],
        &[0, 1],
        &[
            (diverge(&k0, 0, word("prefix/absent", 0)), Expect::AtEmpty),
            (diverge(&k0, 10, word("prefix/absent", 1)), Expect::AtEmpty),
            (diverge(&k0, 23, word("prefix/absent", 2)), Expect::AtEmpty),
            (diverge(&k0, 30, word("prefix/absent", 3)), Expect::AtLeaf),
            (diverge(&k1, 25, word("prefix/absent", 4)), Expect::AtLeaf),
        ],
    ));

    let k0 = word("last-bit/key", 0);
    let k1 = diverge(&k0, 255, k0);
    cases.push(case(
        "last-bit-split",
        "Two leaves differing only in bit 255: their proofs have the maximum 256 siblings.",
        vec![(k0, value("last-bit/value", 0)), (k1, value("last-bit/value", 1))],
        &[0, 1],
        &[(diverge(&k0, 100, word("last-bit/absent", 0)), Expect::AtEmpty)],
    ));

    let leaves = random_leaves("random-8", 8);
    let exclude = derived_exclusions("random-8", &leaves, 2);
    cases.push(case("random-8", "Eight leaves with random keys and values.", leaves, &[0, 3, 7], &exclude));

    let leaves = random_leaves("random-64", 64);
    let exclude = derived_exclusions("random-64", &leaves, 3);
    cases.push(case("random-64", "64 leaves with random keys and values.", leaves, &[0, 1, 31, 62, 63], &exclude));

    cases.push(state_sample_case());
    cases.push(steps_case());

    SmtVectors {
        description: "Sparse Merkle tree vectors of the state commitment (docs/state-commitment.md). Generated by \
                      types/tests/vectors.rs: do not edit; regenerate with UPDATE_VECTORS=1 cargo test -p \
                      rollup-types --test vectors."
            .to_owned(),
        case_count: cases.len(),
        cases,
    }
}

/// A small state as the system contract lays it out: real keys and encoded values.
fn state_sample_case() -> Case {
    let alice = DEV_ACCOUNTS[0].address;
    let bob = DEV_ACCOUNTS[1].address;
    let u = |x: u128| B256::from(U256::from(x));
    let addr = |a: Address| B256::left_padding_from(a.as_slice());
    // Token metadata: symbol left-aligned, decimals in the low byte.
    let meta = |symbol: &str, decimals: u8| {
        let mut w = B256::ZERO;
        w[..symbol.len()].copy_from_slice(symbol.as_bytes());
        w[31] = decimals;
        w
    };
    // Alice listed WETH and USDC and seeded their pool with 1,000 WETH and 3,000,000 USDC.
    let (weth, usdc) = (1_000 * 10u128.pow(18), 3_000_000 * 10u128.pow(6));
    let (t0, t1) = keys::sort_pair(USDC, WETH);
    assert_eq!((t0, t1), (WETH, USDC));
    let lp = keys::lp_token(&t0, &t1);
    // Reserves: reserve0 (WETH) in the low 128 bits, reserve1 (USDC) in the high 128 bits.
    let reserves = B256::from(U256::from(weth) | (U256::from(usdc) << 128));
    let shares = (U256::from(weth) * U256::from(usdc)).root(2);
    let leaves = vec![
        (keys::nonce(&alice), u(3)),
        (keys::token(&WETH), meta("WETH", 18)),
        (keys::token(&USDC), meta("USDC", 6)),
        (keys::token(&lp), meta("LP", 18)),
        (keys::token_count(), u(2)),
        (keys::token_at(0), addr(WETH)),
        (keys::token_at(1), addr(USDC)),
        (keys::supply(&WETH), u(2 * weth)),
        (keys::supply(&USDC), u(2 * usdc)),
        (keys::balance(&WETH, &alice), u(weth)),
        (keys::balance(&USDC, &bob), u(usdc)),
        (keys::pool(&t0, &t1), reserves),
        (keys::pool_count(), u(1)),
        (keys::pool_at(0, 0), addr(t0)),
        (keys::pool_at(0, 1), addr(t1)),
        (keys::supply(&lp), B256::from(shares)),
        (keys::balance(&lp, &Address::ZERO), u(1_000)),
        (keys::balance(&lp, &alice), B256::from(shares - U256::from(1_000))),
    ];
    let exclude = vec![
        (keys::nonce(&bob), Expect::Absent),
        (keys::balance(&USDC, &alice), Expect::Absent),
        (keys::token_at(2), Expect::Absent),
    ];
    case(
        "state-sample",
        "A small state under real state keys, values encoded as the system contract stores them: \
         WETH and USDC listed, a WETH/USDC pool seeded by one account (1000 liquidity locked at address zero).",
        leaves,
        &[0, 5, 13],
        &exclude,
    )
}

fn check_proof(tree: &SparseMerkleTree, root: &B256, p: &ProofVector, at: &str) {
    assert_eq!(p.sibling_count, p.siblings.len(), "{at}: siblingCount");
    let proof = Proof { siblings: p.siblings.clone(), terminal: p.terminal.clone() };
    assert_eq!(tree.prove(&p.key), proof, "{at}: the tree proves the key differently");
    assert_eq!(tree.get(&p.key), p.value, "{at}: value");
    assert_eq!(proof.root(&p.key), *root, "{at}: proof root");
    assert_eq!(proof.verify(root, &p.key), Some(p.value), "{at}: verify");
    let inclusion = matches!(&p.terminal, Terminal::Leaf { key, .. } if *key == p.key);
    assert_eq!(p.kind, if inclusion { "inclusion" } else { "exclusion" }, "{at}: kind");
    assert_eq!(inclusion, !p.value.is_zero(), "{at}: an inclusion proof shows a non-zero value");
    // Tampering with a sibling or the terminal, or using another root, breaks the proof.
    assert_eq!(proof.verify(&B256::repeat_byte(0x11), &p.key), None, "{at}: wrong root accepted");
    if let Some(first) = proof.siblings.first() {
        let mut bad = proof.clone();
        bad.siblings[0] = if *first == EMPTY { B256::with_last_byte(1) } else { EMPTY };
        assert_eq!(bad.verify(root, &p.key), None, "{at}: tampered sibling accepted");
    }
    let mut bad = proof.clone();
    bad.terminal = match &proof.terminal {
        Terminal::Empty => Terminal::Leaf { key: p.key, value: B256::with_last_byte(1) },
        Terminal::Leaf { key, value } => Terminal::Leaf { key: *key, value: *value ^ B256::with_last_byte(1) },
    };
    assert_eq!(bad.verify(root, &p.key), None, "{at}: tampered terminal accepted");
}

fn check_leaves(keys: &[B256], values: &[B256], count: usize, at: &str) -> Vec<(B256, B256)> {
    assert_eq!(keys.len(), count, "{at}: leafCount");
    assert_eq!(values.len(), count, "{at}: values");
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{at}: keys not strictly ascending");
    assert!(values.iter().all(|v| !v.is_zero()), "{at}: a leaf has a zero value");
    keys.iter().copied().zip(values.iter().copied()).collect()
}

fn check_smt(file: &SmtVectors) {
    assert_eq!(file.case_count, file.cases.len(), "caseCount");
    for case in &file.cases {
        let at = format!("case {}", case.name);
        let leaves = check_leaves(&case.keys, &case.values, case.leaf_count, &at);
        assert_eq!(compute_root(&leaves), case.root, "{at}: compute_root");
        let mut tree = SparseMerkleTree::new();
        assert_eq!(tree.update(leaves.iter().copied()), case.root, "{at}: tree root");
        assert_eq!(tree.len(), leaves.len(), "{at}: tree len");
        // The hashing rules, spelled out for the smallest trees.
        match leaves.as_slice() {
            [] => assert_eq!(case.root, B256::ZERO, "{at}: empty root"),
            [(k, v)] => assert_eq!(case.root, leaf_hash(k, v), "{at}: single-leaf root"),
            _ => {}
        }
        if case.name == "first-bit-split" {
            let [(k0, v0), (k1, v1)] = leaves.as_slice() else { panic!("{at}: two leaves") };
            assert_eq!(case.root, node_hash(&leaf_hash(k0, v0), &leaf_hash(k1, v1)), "{at}: root");
        }

        assert_eq!(case.proof_count, case.proofs.len(), "{at}: proofCount");
        for (i, p) in case.proofs.iter().enumerate() {
            check_proof(&tree, &case.root, p, &format!("{at} proof {i}"));
        }

        assert_eq!(case.step_count, case.steps.len(), "{at}: stepCount");
        let mut incremental = SparseMerkleTree::new();
        let mut model: BTreeMap<B256, B256> = BTreeMap::new();
        for (i, step) in case.steps.iter().enumerate() {
            let at = format!("{at} step {i}");
            assert_eq!(step.update_count, step.update_keys.len(), "{at}: updateCount");
            assert_eq!(step.update_count, step.update_values.len(), "{at}: updateValues");
            let updates: Vec<(B256, B256)> =
                step.update_keys.iter().copied().zip(step.update_values.iter().copied()).collect();
            for (k, v) in &updates {
                if v.is_zero() {
                    model.remove(k);
                } else {
                    model.insert(*k, *v);
                }
            }
            let expected: Vec<(B256, B256)> = model.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(check_leaves(&step.keys, &step.values, step.leaf_count, &at), expected, "{at}: leaves");
            assert_eq!(incremental.update(updates), step.root, "{at}: incremental root");
            assert_eq!(compute_root(&expected), step.root, "{at}: compute_root");
            assert_eq!(incremental.leaves(), expected, "{at}: tree leaves");
        }
        if let Some(last) = case.steps.last() {
            assert_eq!((&last.keys, &last.values, last.root), (&case.keys, &case.values, case.root), "{at}: final");
        }
    }
}

#[test]
fn smt_vectors() {
    let generated = generate_smt();
    // What the Solidity side relies on: every case and proof kind is represented.
    let proofs = || generated.cases.iter().flat_map(|c| c.proofs.iter());
    assert!(proofs().any(|p| p.kind == "inclusion"));
    assert!(proofs().any(|p| p.terminal == Terminal::Empty && !p.siblings.is_empty()));
    assert!(proofs().any(|p| matches!(&p.terminal, Terminal::Leaf { key, .. } if *key != p.key)));
    assert!(proofs().any(|p| p.siblings.len() == 256));
    write_or_check(SMT_FILE, &generated, check_smt);
}

// ---------------------------------------------------------------------------------------------
// The state key vectors. Each function has parallel arrays of its inputs, the ABI preimage
// (`abi.encode(uint256 tag, fields...)`) and the result: `key = keccak256(preimage)`, or for
// `lpToken`, `newToken`, `bridgedToken` and `shardAccount` the `address` in the low 20 bytes of
// that hash. `shardOf` is no key: a user's shard, the low three bits of its address.

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyVectors {
    description: String,
    tags: Tags,
    nonce: ByAccount,
    token: ByToken,
    balance: Balance,
    supply: ByToken,
    pool: Pool,
    lp_token: LpToken,
    token_count: Fixed,
    token_at: TokenAt,
    pool_count: Fixed,
    pool_at: PoolAt,
    new_token: NewToken,
    bridged_token: BridgedToken,
    token_origin: ByToken,
    withdrawal_count: ByAccount,
    withdrawal: Withdrawal,
    withdrawal_leaf: WithdrawalLeaf,
    allowance: Allowance,
    fee_state: Fixed,
    fee_recipient: Fixed,
    l1_fees: Fixed,
    clock: Fixed,
    oracles: Fixed,
    oracle_at: TokenAt,
    oracle: OracleKey,
    markets: Fixed,
    market: Market,
    market_of: ByAsset,
    market_shard: MarketShard,
    position: Position,
    shard_account: ShardAccount,
    shard_of: ShardOf,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Tags {
    nonce: u64,
    token: u64,
    balance: u64,
    supply: u64,
    pool: u64,
    lp_token: u64,
    token_count: u64,
    token_at: u64,
    pool_count: u64,
    pool_at: u64,
    new_token: u64,
    bridged_token: u64,
    token_origin: u64,
    withdrawal_count: u64,
    withdrawal: u64,
    allowance: u64,
    fee_state: u64,
    fee_recipient: u64,
    l1_fees: u64,
    clock: u64,
    oracles: u64,
    oracle_at: u64,
    oracle: u64,
    markets: u64,
    market: u64,
    market_of: u64,
    market_shard: u64,
    position: u64,
    shard_account: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ByAccount {
    count: usize,
    account: Vec<Address>,
    preimage: Vec<Bytes>,
    key: Vec<B256>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ByToken {
    count: usize,
    token: Vec<Address>,
    preimage: Vec<Bytes>,
    key: Vec<B256>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Balance {
    count: usize,
    token: Vec<Address>,
    owner: Vec<Address>,
    preimage: Vec<Bytes>,
    key: Vec<B256>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Pool {
    count: usize,
    token0: Vec<Address>,
    token1: Vec<Address>,
    preimage: Vec<Bytes>,
    key: Vec<B256>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LpToken {
    count: usize,
    token0: Vec<Address>,
    token1: Vec<Address>,
    preimage: Vec<Bytes>,
    address: Vec<Address>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Fixed {
    preimage: Bytes,
    key: B256,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenAt {
    count: usize,
    index: Vec<u64>,
    preimage: Vec<Bytes>,
    key: Vec<B256>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OracleKey {
    count: usize,
    asset: Vec<Address>,
    part: Vec<u64>,
    preimage: Vec<Bytes>,
    key: Vec<B256>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ByAsset {
    count: usize,
    asset: Vec<Address>,
    preimage: Vec<Bytes>,
    key: Vec<B256>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Market {
    count: usize,
    index: Vec<u64>,
    part: Vec<u64>,
    preimage: Vec<Bytes>,
    key: Vec<B256>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MarketShard {
    count: usize,
    index: Vec<u64>,
    shard: Vec<u64>,
    preimage: Vec<Bytes>,
    key: Vec<B256>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Position {
    count: usize,
    user: Vec<Address>,
    index: Vec<u64>,
    preimage: Vec<Bytes>,
    key: Vec<B256>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ShardAccount {
    count: usize,
    shard: Vec<u64>,
    preimage: Vec<Bytes>,
    address: Vec<Address>,
}

/// A user's shard (`LendingLogic.shardOf`): `uint160(user) & 7`. No hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ShardOf {
    count: usize,
    user: Vec<Address>,
    shard: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PoolAt {
    count: usize,
    index: Vec<u64>,
    side: Vec<u64>,
    preimage: Vec<Bytes>,
    key: Vec<B256>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewToken {
    count: usize,
    creator: Vec<Address>,
    salt: Vec<B256>,
    preimage: Vec<Bytes>,
    address: Vec<Address>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BridgedToken {
    count: usize,
    l1_token: Vec<Address>,
    preimage: Vec<Bytes>,
    address: Vec<Address>,
    /// The word stored at `tokenOrigin(address)`: `uint160(l1Token) | 1 << 160`.
    origin_value: Vec<B256>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Withdrawal {
    count: usize,
    account: Vec<Address>,
    index: Vec<u64>,
    preimage: Vec<Bytes>,
    key: Vec<B256>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Allowance {
    count: usize,
    token: Vec<Address>,
    owner: Vec<Address>,
    spender: Vec<Address>,
    preimage: Vec<Bytes>,
    key: Vec<B256>,
}

/// The withdrawal leaf value `keccak256(abi.encode(l1Token, recipient, amount))` (no tag:
/// it is a value, not a key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WithdrawalLeaf {
    count: usize,
    l1_token: Vec<Address>,
    recipient: Vec<Address>,
    amount: Vec<U256>,
    preimage: Vec<Bytes>,
    leaf: Vec<B256>,
}

/// `abi.encode(uint256 tag, fields...)`, built with `alloy_sol_types` (independently of
/// `rollup_types::keys`).
fn abi<T: SolValue>(tag: u64, fields: T) -> Bytes {
    let mut out = U256::from(tag).abi_encode();
    // Every field is static, so the tuple encodes as its words in order.
    out.extend(fields.abi_encode());
    out.into()
}

fn accounts() -> Vec<Address> {
    vec![
        Address::ZERO,
        Address::repeat_byte(0xff),
        WETH,
        USDC,
        DEV_ACCOUNTS[0].address,
        DEV_ACCOUNTS[1].address,
        Address::from_word(word("keys/address", 0)),
    ]
}

/// Ordered pairs `token0 < token1` as the pool keys require, and one reversed pair: the
/// derivation itself does not sort.
fn pairs() -> Vec<(Address, Address)> {
    let mut out: Vec<_> = [(WETH, USDC), (USDC, DAI), (WBTC, WETH), (Address::ZERO, Address::repeat_byte(0xff))]
        .into_iter()
        .map(|(a, b)| keys::sort_pair(a, b))
        .collect();
    out.push((USDC, WETH));
    out
}

const INDICES: [u64; 5] = [0, 1, 2, 255, u64::MAX];

fn generate_keys() -> KeyVectors {
    let accounts = accounts();
    let tokens = vec![WETH, USDC, DAI, WBTC, Address::ZERO, Address::repeat_byte(0xff)];
    let balances: Vec<(Address, Address)> =
        [WETH, USDC, Address::ZERO].iter().flat_map(|t| accounts.iter().take(5).map(|o| (*t, *o))).collect();
    let pairs = pairs();
    let pool_at: Vec<(u64, u64)> = INDICES.iter().flat_map(|i| [(*i, 0), (*i, 1)]).collect();
    let oracle_parts: Vec<(Address, u64)> =
        [WETH, WBTC, Address::ZERO].iter().flat_map(|a| [(*a, 0), (*a, 1), (*a, u64::MAX)]).collect();
    // Parts 0 to 2 are used; a market's shards are 0 to 7.
    let market_parts: Vec<(u64, u64)> = INDICES.iter().flat_map(|i| [(*i, 0), (*i, 1), (*i, 2)]).collect();
    let market_shards: Vec<(u64, u64)> = INDICES.iter().flat_map(|i| [(*i, 0), (*i, 1), (*i, 7)]).collect();
    let positions: Vec<(Address, u64)> =
        accounts.iter().flat_map(|a| INDICES.iter().take(3).map(|i| (*a, *i))).chain([(WETH, u64::MAX)]).collect();
    let shards: Vec<u64> = (0..8).chain([255, u64::MAX]).collect();
    // The accounts, and every shard with the higher bits of the last byte set.
    let shard_users: Vec<Address> =
        accounts.iter().copied().chain((0..8).map(|s| Address::with_last_byte(0xf8 | s))).collect();
    let new_tokens: Vec<(Address, B256)> = vec![
        (DEV_ACCOUNTS[0].address, B256::ZERO),
        (DEV_ACCOUNTS[0].address, B256::with_last_byte(1)),
        (DEV_ACCOUNTS[1].address, word("keys/salt", 0)),
        (Address::ZERO, B256::repeat_byte(0xff)),
    ];
    let l1_tokens = vec![Address::ZERO, Address::repeat_byte(0xff), WETH, DEV_ACCOUNTS[2].address];
    let withdrawals: Vec<(Address, u64)> = accounts
        .iter()
        .take(5)
        .flat_map(|a| INDICES.iter().take(3).map(|i| (*a, *i)))
        .chain([(WETH, u64::MAX)])
        .collect();
    let leaves: Vec<(Address, Address, U256)> = vec![
        (Address::ZERO, DEV_ACCOUNTS[0].address, U256::from(1)),
        (WETH, DEV_ACCOUNTS[1].address, U256::from(10).pow(U256::from(18))),
        (Address::repeat_byte(0xff), Address::repeat_byte(0xee), (U256::from(1) << 128) - U256::from(1)),
        (Address::ZERO, Address::ZERO, U256::ZERO),
    ];
    KeyVectors {
        description: "State key derivations (contracts/src/logic/StateKeys.sol, rollup_types::keys): preimage = \
                      abi.encode(uint256 tag, fields...), key = keccak256(preimage); for lpToken, newToken, \
                      bridgedToken and shardAccount the address is the low 20 bytes of keccak256(preimage); shardOf \
                      is uint160(user) & 7 (LendingLogic.shardOf), no hash. Generated by types/tests/vectors.rs: do \
                      not edit; regenerate with UPDATE_VECTORS=1 cargo test -p rollup-types --test vectors."
            .to_owned(),
        tags: Tags {
            nonce: keys::TAG_NONCE,
            token: keys::TAG_TOKEN,
            balance: keys::TAG_BALANCE,
            supply: keys::TAG_SUPPLY,
            pool: keys::TAG_POOL,
            lp_token: keys::TAG_LP_TOKEN,
            token_count: keys::TAG_TOKEN_COUNT,
            token_at: keys::TAG_TOKEN_AT,
            pool_count: keys::TAG_POOL_COUNT,
            pool_at: keys::TAG_POOL_AT,
            new_token: keys::TAG_NEW_TOKEN,
            bridged_token: keys::TAG_BRIDGED_TOKEN,
            token_origin: keys::TAG_TOKEN_ORIGIN,
            withdrawal_count: keys::TAG_WITHDRAWAL_COUNT,
            withdrawal: keys::TAG_WITHDRAWAL,
            allowance: keys::TAG_ALLOWANCE,
            fee_state: keys::TAG_FEE_STATE,
            fee_recipient: keys::TAG_FEE_RECIPIENT,
            l1_fees: keys::TAG_L1_FEES,
            clock: keys::TAG_CLOCK,
            oracles: keys::TAG_ORACLES,
            oracle_at: keys::TAG_ORACLE_AT,
            oracle: keys::TAG_ORACLE,
            markets: keys::TAG_MARKETS,
            market: keys::TAG_MARKET,
            market_of: keys::TAG_MARKET_OF,
            market_shard: keys::TAG_MARKET_SHARD,
            position: keys::TAG_POSITION,
            shard_account: keys::TAG_SHARD_ACCOUNT,
        },
        nonce: ByAccount {
            count: accounts.len(),
            preimage: accounts.iter().map(|a| abi(keys::TAG_NONCE, (*a,))).collect(),
            key: accounts.iter().map(keys::nonce).collect(),
            account: accounts.clone(),
        },
        token: ByToken {
            count: tokens.len(),
            token: tokens.clone(),
            preimage: tokens.iter().map(|t| abi(keys::TAG_TOKEN, (*t,))).collect(),
            key: tokens.iter().map(keys::token).collect(),
        },
        balance: Balance {
            count: balances.len(),
            token: balances.iter().map(|p| p.0).collect(),
            owner: balances.iter().map(|p| p.1).collect(),
            preimage: balances.iter().map(|(t, o)| abi(keys::TAG_BALANCE, (*t, *o))).collect(),
            key: balances.iter().map(|(t, o)| keys::balance(t, o)).collect(),
        },
        supply: ByToken {
            count: tokens.len(),
            token: tokens.clone(),
            preimage: tokens.iter().map(|t| abi(keys::TAG_SUPPLY, (*t,))).collect(),
            key: tokens.iter().map(keys::supply).collect(),
        },
        pool: Pool {
            count: pairs.len(),
            token0: pairs.iter().map(|p| p.0).collect(),
            token1: pairs.iter().map(|p| p.1).collect(),
            preimage: pairs.iter().map(|(a, b)| abi(keys::TAG_POOL, (*a, *b))).collect(),
            key: pairs.iter().map(|(a, b)| keys::pool(a, b)).collect(),
        },
        lp_token: LpToken {
            count: pairs.len(),
            token0: pairs.iter().map(|p| p.0).collect(),
            token1: pairs.iter().map(|p| p.1).collect(),
            preimage: pairs.iter().map(|(a, b)| abi(keys::TAG_LP_TOKEN, (*a, *b))).collect(),
            address: pairs.iter().map(|(a, b)| keys::lp_token(a, b)).collect(),
        },
        token_count: Fixed { preimage: abi(keys::TAG_TOKEN_COUNT, ()), key: keys::token_count() },
        token_at: TokenAt {
            count: INDICES.len(),
            index: INDICES.to_vec(),
            preimage: INDICES.iter().map(|i| abi(keys::TAG_TOKEN_AT, (U256::from(*i),))).collect(),
            key: INDICES.iter().map(|i| keys::token_at(*i)).collect(),
        },
        pool_count: Fixed { preimage: abi(keys::TAG_POOL_COUNT, ()), key: keys::pool_count() },
        fee_state: Fixed { preimage: abi(keys::TAG_FEE_STATE, ()), key: keys::fee_state() },
        fee_recipient: Fixed { preimage: abi(keys::TAG_FEE_RECIPIENT, ()), key: keys::fee_recipient() },
        l1_fees: Fixed { preimage: abi(keys::TAG_L1_FEES, ()), key: keys::l1_fees() },
        clock: Fixed { preimage: abi(keys::TAG_CLOCK, ()), key: keys::clock() },
        oracles: Fixed { preimage: abi(keys::TAG_ORACLES, ()), key: keys::oracles() },
        oracle_at: TokenAt {
            count: INDICES.len(),
            index: INDICES.to_vec(),
            preimage: INDICES.iter().map(|i| abi(keys::TAG_ORACLE_AT, (U256::from(*i),))).collect(),
            key: INDICES.iter().map(|i| keys::oracle_at(*i)).collect(),
        },
        oracle: OracleKey {
            count: oracle_parts.len(),
            asset: oracle_parts.iter().map(|p| p.0).collect(),
            part: oracle_parts.iter().map(|p| p.1).collect(),
            preimage: oracle_parts.iter().map(|(a, i)| abi(keys::TAG_ORACLE, (*a, U256::from(*i)))).collect(),
            key: oracle_parts.iter().map(|(a, i)| keys::oracle(a, *i)).collect(),
        },
        markets: Fixed { preimage: abi(keys::TAG_MARKETS, ()), key: keys::markets() },
        market: Market {
            count: market_parts.len(),
            index: market_parts.iter().map(|p| p.0).collect(),
            part: market_parts.iter().map(|p| p.1).collect(),
            preimage: market_parts
                .iter()
                .map(|(i, p)| abi(keys::TAG_MARKET, (U256::from(*i), U256::from(*p))))
                .collect(),
            key: market_parts.iter().map(|(i, p)| keys::market(*i, *p)).collect(),
        },
        market_of: ByAsset {
            count: tokens.len(),
            asset: tokens.clone(),
            preimage: tokens.iter().map(|t| abi(keys::TAG_MARKET_OF, (*t,))).collect(),
            key: tokens.iter().map(keys::market_of).collect(),
        },
        market_shard: MarketShard {
            count: market_shards.len(),
            index: market_shards.iter().map(|p| p.0).collect(),
            shard: market_shards.iter().map(|p| p.1).collect(),
            preimage: market_shards
                .iter()
                .map(|(i, s)| abi(keys::TAG_MARKET_SHARD, (U256::from(*i), U256::from(*s))))
                .collect(),
            key: market_shards.iter().map(|(i, s)| keys::market_shard(*i, *s)).collect(),
        },
        position: Position {
            count: positions.len(),
            user: positions.iter().map(|p| p.0).collect(),
            index: positions.iter().map(|p| p.1).collect(),
            preimage: positions.iter().map(|(a, i)| abi(keys::TAG_POSITION, (*a, U256::from(*i)))).collect(),
            key: positions.iter().map(|(a, i)| keys::position(a, *i)).collect(),
        },
        shard_account: ShardAccount {
            count: shards.len(),
            shard: shards.clone(),
            preimage: shards.iter().map(|s| abi(keys::TAG_SHARD_ACCOUNT, (U256::from(*s),))).collect(),
            address: shards.iter().map(|s| keys::shard_account(*s)).collect(),
        },
        shard_of: ShardOf {
            count: shard_users.len(),
            shard: shard_users.iter().map(keys::shard_of).collect(),
            user: shard_users,
        },
        pool_at: PoolAt {
            count: pool_at.len(),
            index: pool_at.iter().map(|p| p.0).collect(),
            side: pool_at.iter().map(|p| p.1).collect(),
            preimage: pool_at.iter().map(|(i, s)| abi(keys::TAG_POOL_AT, (U256::from(*i), U256::from(*s)))).collect(),
            key: pool_at.iter().map(|(i, s)| keys::pool_at(*i, *s)).collect(),
        },
        new_token: NewToken {
            count: new_tokens.len(),
            creator: new_tokens.iter().map(|p| p.0).collect(),
            salt: new_tokens.iter().map(|p| p.1).collect(),
            preimage: new_tokens.iter().map(|(c, s)| abi(keys::TAG_NEW_TOKEN, (*c, *s))).collect(),
            address: new_tokens.iter().map(|(c, s)| keys::new_token(c, s)).collect(),
        },
        bridged_token: BridgedToken {
            count: l1_tokens.len(),
            preimage: l1_tokens.iter().map(|t| abi(keys::TAG_BRIDGED_TOKEN, (*t,))).collect(),
            address: l1_tokens.iter().map(keys::bridged_token).collect(),
            origin_value: l1_tokens.iter().map(keys::origin_value).collect(),
            l1_token: l1_tokens.clone(),
        },
        token_origin: {
            let l2: Vec<Address> = l1_tokens.iter().map(keys::bridged_token).chain([WETH]).collect();
            ByToken {
                count: l2.len(),
                preimage: l2.iter().map(|t| abi(keys::TAG_TOKEN_ORIGIN, (*t,))).collect(),
                key: l2.iter().map(keys::token_origin).collect(),
                token: l2,
            }
        },
        withdrawal_count: ByAccount {
            count: accounts.len(),
            preimage: accounts.iter().map(|a| abi(keys::TAG_WITHDRAWAL_COUNT, (*a,))).collect(),
            key: accounts.iter().map(keys::withdrawal_count).collect(),
            account: accounts.clone(),
        },
        withdrawal: Withdrawal {
            count: withdrawals.len(),
            account: withdrawals.iter().map(|w| w.0).collect(),
            index: withdrawals.iter().map(|w| w.1).collect(),
            preimage: withdrawals.iter().map(|(a, i)| abi(keys::TAG_WITHDRAWAL, (*a, U256::from(*i)))).collect(),
            key: withdrawals.iter().map(|(a, i)| keys::withdrawal(a, *i)).collect(),
        },
        withdrawal_leaf: WithdrawalLeaf {
            count: leaves.len(),
            l1_token: leaves.iter().map(|l| l.0).collect(),
            recipient: leaves.iter().map(|l| l.1).collect(),
            amount: leaves.iter().map(|l| l.2).collect(),
            preimage: leaves.iter().map(|(t, r, a)| Bytes::from((*t, *r, *a).abi_encode())).collect(),
            leaf: leaves.iter().map(|(t, r, a)| keys::withdrawal_leaf(t, r, a)).collect(),
        },
        allowance: {
            // Owner and spender swapped give another key; the same account may be both.
            let triples: Vec<(Address, Address, Address)> = [WETH, USDC]
                .iter()
                .flat_map(|t| {
                    accounts.iter().take(4).flat_map(|o| accounts.iter().skip(3).take(3).map(|s| (*t, *o, *s)))
                })
                .collect();
            Allowance {
                count: triples.len(),
                token: triples.iter().map(|x| x.0).collect(),
                owner: triples.iter().map(|x| x.1).collect(),
                spender: triples.iter().map(|x| x.2).collect(),
                preimage: triples.iter().map(|(t, o, s)| abi(keys::TAG_ALLOWANCE, (*t, *o, *s))).collect(),
                key: triples.iter().map(|(t, o, s)| keys::allowance(t, o, s)).collect(),
            }
        },
    }
}

/// Checks one derivation against the file: the preimage is the ABI encoding of the inputs,
/// the library function gives the recorded key, and that key is the preimage's hash.
fn check_key(name: &str, i: usize, inputs: Bytes, preimage: &Bytes, derived: B256, recorded: &B256) {
    assert_eq!(*preimage, inputs, "{name}[{i}]: preimage");
    assert_eq!(derived, *recorded, "{name}[{i}]: library key");
    assert_eq!(keccak256(preimage), *recorded, "{name}[{i}]: keccak256(preimage)");
}

/// The same for the address derivations.
fn check_address(name: &str, i: usize, inputs: Bytes, preimage: &Bytes, derived: Address, recorded: &Address) {
    assert_eq!(*preimage, inputs, "{name}[{i}]: preimage");
    assert_eq!(derived, *recorded, "{name}[{i}]: library address");
    assert_eq!(Address::from_word(keccak256(preimage)), *recorded, "{name}[{i}]: keccak256(preimage)");
}

fn check_lengths(name: &str, count: usize, lengths: &[usize]) {
    assert!(lengths.iter().all(|l| *l == count), "{name}: count {count}, array lengths {lengths:?}");
}

fn check_keys(file: &KeyVectors) {
    let t = &file.tags;
    let tags = [
        t.nonce,
        t.token,
        t.balance,
        t.supply,
        t.pool,
        t.lp_token,
        t.token_count,
        t.token_at,
        t.pool_count,
        t.pool_at,
        t.new_token,
        t.bridged_token,
        t.token_origin,
        t.withdrawal_count,
        t.withdrawal,
        t.allowance,
        t.fee_state,
        t.fee_recipient,
        t.l1_fees,
        t.clock,
        t.oracles,
        t.oracle_at,
        t.oracle,
        t.markets,
        t.market,
        t.market_of,
        t.market_shard,
        t.position,
        t.shard_account,
    ];
    let library = [
        keys::TAG_NONCE,
        keys::TAG_TOKEN,
        keys::TAG_BALANCE,
        keys::TAG_SUPPLY,
        keys::TAG_POOL,
        keys::TAG_LP_TOKEN,
        keys::TAG_TOKEN_COUNT,
        keys::TAG_TOKEN_AT,
        keys::TAG_POOL_COUNT,
        keys::TAG_POOL_AT,
        keys::TAG_NEW_TOKEN,
        keys::TAG_BRIDGED_TOKEN,
        keys::TAG_TOKEN_ORIGIN,
        keys::TAG_WITHDRAWAL_COUNT,
        keys::TAG_WITHDRAWAL,
        keys::TAG_ALLOWANCE,
        keys::TAG_FEE_STATE,
        keys::TAG_FEE_RECIPIENT,
        keys::TAG_L1_FEES,
        keys::TAG_CLOCK,
        keys::TAG_ORACLES,
        keys::TAG_ORACLE_AT,
        keys::TAG_ORACLE,
        keys::TAG_MARKETS,
        keys::TAG_MARKET,
        keys::TAG_MARKET_OF,
        keys::TAG_MARKET_SHARD,
        keys::TAG_POSITION,
        keys::TAG_SHARD_ACCOUNT,
    ];
    assert_eq!(tags, library, "tags");

    let v = &file.nonce;
    check_lengths("nonce", v.count, &[v.account.len(), v.preimage.len(), v.key.len()]);
    for (i, a) in v.account.iter().enumerate() {
        check_key("nonce", i, abi(t.nonce, (*a,)), &v.preimage[i], keys::nonce(a), &v.key[i]);
    }
    for (name, tag, v, f) in [
        ("token", t.token, &file.token, keys::token as fn(&Address) -> B256),
        ("supply", t.supply, &file.supply, keys::supply),
    ] {
        check_lengths(name, v.count, &[v.token.len(), v.preimage.len(), v.key.len()]);
        for (i, a) in v.token.iter().enumerate() {
            check_key(name, i, abi(tag, (*a,)), &v.preimage[i], f(a), &v.key[i]);
        }
    }
    let v = &file.balance;
    check_lengths("balance", v.count, &[v.token.len(), v.owner.len(), v.preimage.len(), v.key.len()]);
    for i in 0..v.count {
        let (tk, ow) = (v.token[i], v.owner[i]);
        check_key("balance", i, abi(t.balance, (tk, ow)), &v.preimage[i], keys::balance(&tk, &ow), &v.key[i]);
    }
    let v = &file.pool;
    check_lengths("pool", v.count, &[v.token0.len(), v.token1.len(), v.preimage.len(), v.key.len()]);
    for i in 0..v.count {
        let (a, b) = (v.token0[i], v.token1[i]);
        check_key("pool", i, abi(t.pool, (a, b)), &v.preimage[i], keys::pool(&a, &b), &v.key[i]);
    }
    let v = &file.lp_token;
    check_lengths("lpToken", v.count, &[v.token0.len(), v.token1.len(), v.preimage.len(), v.address.len()]);
    for i in 0..v.count {
        let (a, b) = (v.token0[i], v.token1[i]);
        check_address("lpToken", i, abi(t.lp_token, (a, b)), &v.preimage[i], keys::lp_token(&a, &b), &v.address[i]);
    }
    let v = &file.token_count;
    check_key("tokenCount", 0, abi(t.token_count, ()), &v.preimage, keys::token_count(), &v.key);
    let v = &file.pool_count;
    check_key("poolCount", 0, abi(t.pool_count, ()), &v.preimage, keys::pool_count(), &v.key);
    let v = &file.fee_state;
    check_key("feeState", 0, abi(t.fee_state, ()), &v.preimage, keys::fee_state(), &v.key);
    let v = &file.fee_recipient;
    check_key("feeRecipient", 0, abi(t.fee_recipient, ()), &v.preimage, keys::fee_recipient(), &v.key);
    let v = &file.l1_fees;
    check_key("l1Fees", 0, abi(t.l1_fees, ()), &v.preimage, keys::l1_fees(), &v.key);
    let v = &file.clock;
    check_key("clock", 0, abi(t.clock, ()), &v.preimage, keys::clock(), &v.key);
    let v = &file.oracles;
    check_key("oracles", 0, abi(t.oracles, ()), &v.preimage, keys::oracles(), &v.key);
    let v = &file.oracle_at;
    check_lengths("oracleAt", v.count, &[v.index.len(), v.preimage.len(), v.key.len()]);
    for (i, index) in v.index.iter().enumerate() {
        let inputs = abi(t.oracle_at, (U256::from(*index),));
        check_key("oracleAt", i, inputs, &v.preimage[i], keys::oracle_at(*index), &v.key[i]);
    }
    let v = &file.oracle;
    check_lengths("oracle", v.count, &[v.asset.len(), v.part.len(), v.preimage.len(), v.key.len()]);
    for i in 0..v.count {
        let (asset, part) = (v.asset[i], v.part[i]);
        let inputs = abi(t.oracle, (asset, U256::from(part)));
        check_key("oracle", i, inputs, &v.preimage[i], keys::oracle(&asset, part), &v.key[i]);
    }
    let v = &file.markets;
    check_key("markets", 0, abi(t.markets, ()), &v.preimage, keys::markets(), &v.key);
    let v = &file.market;
    check_lengths("market", v.count, &[v.index.len(), v.part.len(), v.preimage.len(), v.key.len()]);
    for i in 0..v.count {
        let (index, part) = (v.index[i], v.part[i]);
        let inputs = abi(t.market, (U256::from(index), U256::from(part)));
        check_key("market", i, inputs, &v.preimage[i], keys::market(index, part), &v.key[i]);
    }
    let v = &file.market_of;
    check_lengths("marketOf", v.count, &[v.asset.len(), v.preimage.len(), v.key.len()]);
    for (i, a) in v.asset.iter().enumerate() {
        check_key("marketOf", i, abi(t.market_of, (*a,)), &v.preimage[i], keys::market_of(a), &v.key[i]);
    }
    let v = &file.market_shard;
    check_lengths("marketShard", v.count, &[v.index.len(), v.shard.len(), v.preimage.len(), v.key.len()]);
    for i in 0..v.count {
        let (index, shard) = (v.index[i], v.shard[i]);
        let inputs = abi(t.market_shard, (U256::from(index), U256::from(shard)));
        check_key("marketShard", i, inputs, &v.preimage[i], keys::market_shard(index, shard), &v.key[i]);
    }
    let v = &file.position;
    check_lengths("position", v.count, &[v.user.len(), v.index.len(), v.preimage.len(), v.key.len()]);
    for i in 0..v.count {
        let (user, index) = (v.user[i], v.index[i]);
        let inputs = abi(t.position, (user, U256::from(index)));
        check_key("position", i, inputs, &v.preimage[i], keys::position(&user, index), &v.key[i]);
    }
    let v = &file.shard_account;
    check_lengths("shardAccount", v.count, &[v.shard.len(), v.preimage.len(), v.address.len()]);
    for (i, shard) in v.shard.iter().enumerate() {
        let inputs = abi(t.shard_account, (U256::from(*shard),));
        check_address("shardAccount", i, inputs, &v.preimage[i], keys::shard_account(*shard), &v.address[i]);
    }
    let v = &file.shard_of;
    check_lengths("shardOf", v.count, &[v.user.len(), v.shard.len()]);
    for (i, user) in v.user.iter().enumerate() {
        let low = U256::from_be_slice(user.as_slice()) & U256::from(7);
        assert_eq!(U256::from(v.shard[i]), low, "shardOf[{i}]: uint160(user) & 7");
        assert_eq!(keys::shard_of(user), v.shard[i], "shardOf[{i}]: library shard");
    }
    let v = &file.token_at;
    check_lengths("tokenAt", v.count, &[v.index.len(), v.preimage.len(), v.key.len()]);
    for (i, index) in v.index.iter().enumerate() {
        let inputs = abi(t.token_at, (U256::from(*index),));
        check_key("tokenAt", i, inputs, &v.preimage[i], keys::token_at(*index), &v.key[i]);
    }
    let v = &file.pool_at;
    check_lengths("poolAt", v.count, &[v.index.len(), v.side.len(), v.preimage.len(), v.key.len()]);
    for i in 0..v.count {
        let (index, side) = (v.index[i], v.side[i]);
        let inputs = abi(t.pool_at, (U256::from(index), U256::from(side)));
        check_key("poolAt", i, inputs, &v.preimage[i], keys::pool_at(index, side), &v.key[i]);
    }
    let v = &file.new_token;
    check_lengths("newToken", v.count, &[v.creator.len(), v.salt.len(), v.preimage.len(), v.address.len()]);
    for i in 0..v.count {
        let (creator, salt) = (v.creator[i], v.salt[i]);
        let inputs = abi(t.new_token, (creator, salt));
        check_address("newToken", i, inputs, &v.preimage[i], keys::new_token(&creator, &salt), &v.address[i]);
    }
    let v = &file.bridged_token;
    let lengths = [v.l1_token.len(), v.preimage.len(), v.address.len(), v.origin_value.len()];
    check_lengths("bridgedToken", v.count, &lengths);
    for (i, l1) in v.l1_token.iter().enumerate() {
        let inputs = abi(t.bridged_token, (*l1,));
        check_address("bridgedToken", i, inputs, &v.preimage[i], keys::bridged_token(l1), &v.address[i]);
        let expected = U256::from_be_slice(l1.as_slice()) | (U256::from(1) << 160);
        assert_eq!(U256::from_be_bytes(v.origin_value[i].0), expected, "bridgedToken[{i}]: originValue");
        assert_eq!(keys::origin_value(l1), v.origin_value[i], "bridgedToken[{i}]: library originValue");
        assert_eq!(keys::origin_of(&v.origin_value[i]), Some(*l1), "bridgedToken[{i}]: origin_of");
    }
    let v = &file.token_origin;
    check_lengths("tokenOrigin", v.count, &[v.token.len(), v.preimage.len(), v.key.len()]);
    for (i, a) in v.token.iter().enumerate() {
        let inputs = abi(t.token_origin, (*a,));
        check_key("tokenOrigin", i, inputs, &v.preimage[i], keys::token_origin(a), &v.key[i]);
    }
    let v = &file.withdrawal_count;
    check_lengths("withdrawalCount", v.count, &[v.account.len(), v.preimage.len(), v.key.len()]);
    for (i, a) in v.account.iter().enumerate() {
        let inputs = abi(t.withdrawal_count, (*a,));
        check_key("withdrawalCount", i, inputs, &v.preimage[i], keys::withdrawal_count(a), &v.key[i]);
    }
    let v = &file.withdrawal;
    check_lengths("withdrawal", v.count, &[v.account.len(), v.index.len(), v.preimage.len(), v.key.len()]);
    for i in 0..v.count {
        let (a, index) = (v.account[i], v.index[i]);
        let inputs = abi(t.withdrawal, (a, U256::from(index)));
        check_key("withdrawal", i, inputs, &v.preimage[i], keys::withdrawal(&a, index), &v.key[i]);
    }
    let v = &file.withdrawal_leaf;
    let lengths = [v.l1_token.len(), v.recipient.len(), v.amount.len(), v.preimage.len(), v.leaf.len()];
    check_lengths("withdrawalLeaf", v.count, &lengths);
    for i in 0..v.count {
        let (l1, to, amount) = (v.l1_token[i], v.recipient[i], v.amount[i]);
        assert_eq!(v.preimage[i], Bytes::from((l1, to, amount).abi_encode()), "withdrawalLeaf[{i}]: preimage");
        assert_eq!(keys::withdrawal_leaf(&l1, &to, &amount), v.leaf[i], "withdrawalLeaf[{i}]: library leaf");
        assert_eq!(keccak256(&v.preimage[i]), v.leaf[i], "withdrawalLeaf[{i}]: keccak256(preimage)");
    }
    let v = &file.allowance;
    let lengths = [v.token.len(), v.owner.len(), v.spender.len(), v.preimage.len(), v.key.len()];
    check_lengths("allowance", v.count, &lengths);
    for i in 0..v.count {
        let (token, owner, spender) = (v.token[i], v.owner[i], v.spender[i]);
        let inputs = abi(t.allowance, (token, owner, spender));
        check_key("allowance", i, inputs, &v.preimage[i], keys::allowance(&token, &owner, &spender), &v.key[i]);
    }
}

#[test]
fn state_key_vectors() {
    write_or_check(KEYS_FILE, &generate_keys(), check_keys);
}
