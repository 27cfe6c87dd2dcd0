//! State witness vectors (`testdata/smt-witness-vectors.json`, docs/state-commitment.md §8),
//! checked here with `rollup_types::witness` and by `contracts/test/StateWitness.t.sol` with
//! `StateWitness.sol`.
//!
//! Valid cases are witnesses built by `SparseMerkleTree::witness` for a tree and a set of
//! reads and updates, with the values the full tree gives and its root after the updates.
//! Invalid cases are hand-assembled byte strings, one per rule of §8.1, and honest witnesses
//! that lack what a read, an update or the post-root needs (§8.5), each with the phase that
//! fails and the error.

use super::{diverge, random_leaves, value, word, write_or_check};
use alloy_primitives::{B256, Bytes};
use rollup_types::{
    smt::{SparseMerkleTree, Terminal, bit_at, leaf_hash},
    witness::{PartialTree, TAG_BRANCH, TAG_EMPTY, TAG_LEAF, TAG_OPAQUE, WitnessError},
};
use serde::{Deserialize, Serialize};

const FILE: &str = "smt-witness-vectors.json";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WitnessVectors {
    comment: String,
    valid_count: usize,
    valid: Vec<ValidCase>,
    invalid_count: usize,
    invalid: Vec<InvalidCase>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ValidCase {
    name: String,
    description: String,
    /// Leaves of the full tree the witness was cut from (informative).
    leaf_count: usize,
    witness: Bytes,
    /// The pre-state root: the witness's hash as given.
    root: B256,
    /// Reads against the pre-state, in order, with the values they give.
    read_count: usize,
    reads: Vec<Entry>,
    /// Updates applied after the reads, in order; a zero value deletes.
    update_count: usize,
    updates: Vec<Entry>,
    /// The root after the updates.
    post_root: B256,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    key: B256,
    value: B256,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InvalidCase {
    name: String,
    description: String,
    witness: Bytes,
    /// Keys read after decoding, in order.
    read_count: usize,
    reads: Vec<B256>,
    /// Updates applied after the reads, in order.
    update_count: usize,
    updates: Vec<Entry>,
    /// The phase that fails: `decode`, `get`, `set` or `postRoot`.
    phase: String,
    /// `malformed` or `incomplete`.
    error: String,
    /// For `malformed`: the offset of the error. Zero otherwise.
    offset: usize,
    /// For `incomplete`: the key read or written, zero in `postRoot`. Zero otherwise.
    key: B256,
}

fn entries(pairs: &[(B256, B256)]) -> Vec<Entry> {
    pairs.iter().map(|&(key, value)| Entry { key, value }).collect()
}

fn tree_of(leaves: &[(B256, B256)]) -> SparseMerkleTree {
    let mut tree = SparseMerkleTree::new();
    tree.update(leaves.iter().copied());
    tree
}

/// A valid case: the minimal witness of `tree` for `reads` and `updates`, with the full tree's
/// answers.
fn valid(
    name: &str,
    description: &str,
    tree: &SparseMerkleTree,
    reads: &[B256],
    updates: &[(B256, B256)],
) -> ValidCase {
    let witness = tree.witness(reads, updates);
    let mut post = tree.clone();
    let post_root = post.update(updates.iter().copied());
    let reads: Vec<(B256, B256)> = reads.iter().map(|k| (*k, tree.get(k))).collect();
    ValidCase {
        name: name.to_owned(),
        description: description.to_owned(),
        leaf_count: tree.len(),
        witness: witness.into(),
        root: tree.root(),
        read_count: reads.len(),
        reads: entries(&reads),
        update_count: updates.len(),
        updates: entries(updates),
        post_root,
    }
}

/// [`valid`], for a case whose updates need openings beyond the paths of their keys.
fn valid_with_openings(
    name: &str,
    description: &str,
    tree: &SparseMerkleTree,
    reads: &[B256],
    updates: &[(B256, B256)],
) -> ValidCase {
    let case = valid(name, description, tree, reads, updates);
    let keys: Vec<B256> = reads.iter().chain(updates.iter().map(|(k, _)| k)).copied().collect();
    assert!(case.witness.len() > tree.witness(&keys, &[]).len(), "{name}: openings");
    case
}

/// Number of records of each kind in a witness: EMPTY, LEAF, OPAQUE, BRANCH.
fn census(witness: &[u8]) -> [usize; 4] {
    let mut counts = [0; 4];
    let mut at = 0;
    while at < witness.len() {
        let tag = witness[at];
        counts[tag as usize] += 1;
        at += match tag {
            TAG_LEAF => 65,
            TAG_OPAQUE => 33,
            _ => 1,
        };
    }
    counts
}

/// Sorted leaves `i`, `i + 1` that are alone under their parent: each is the other's sibling.
fn sibling_pair(tree: &SparseMerkleTree) -> (B256, B256) {
    let leaves = tree.leaves();
    let shared = |a: &B256, b: &B256| (0..256).take_while(|&d| bit_at(a, d) == bit_at(b, d)).count();
    (0..leaves.len() - 1)
        .find_map(|i| {
            let (a, b) = (leaves[i].0, leaves[i + 1].0);
            let p = shared(&a, &b);
            let before = i == 0 || shared(&leaves[i - 1].0, &a) < p;
            let after = i + 2 == leaves.len() || shared(&b, &leaves[i + 2].0) < p;
            (before && after).then_some((a, b))
        })
        .expect("a pair of sibling leaves")
}

/// A leaf whose sibling subtree (at the depth its path ends) holds two or more leaves.
fn leaf_next_to_branch(tree: &SparseMerkleTree) -> B256 {
    let leaves = tree.leaves();
    leaves
        .iter()
        .map(|(k, _)| *k)
        .find(|k| {
            let depth = tree.prove(k).siblings.len();
            depth > 0
                && leaves.iter().filter(|(other, _)| (0..depth - 1).all(|d| bit_at(other, d) == bit_at(k, d))).count()
                    >= 3
        })
        .expect("a leaf next to a branch")
}

fn valid_cases() -> Vec<ValidCase> {
    let z = B256::ZERO;
    let v = |i: u64| value("witness/value", i);
    let mut cases = Vec::new();

    // The empty tree.
    let empty = SparseMerkleTree::new();
    let k = |i: u64| word("witness/key", i);
    cases.push(valid("empty", "The empty tree: reads of absent keys, no updates.", &empty, &[k(0), k(1)], &[]));
    let near = diverge(&k(0), 30, k(2));
    cases.push(valid(
        "empty-inserts",
        "Inserts into the empty tree, two of them sharing 30 bits.",
        &empty,
        &[k(0)],
        &[(k(0), v(0)), (k(1), v(1)), (near, v(2))],
    ));

    // One leaf.
    let one = tree_of(&[(k(0), v(0))]);
    cases.push(valid(
        "single-leaf",
        "A one-leaf tree: the root is the leaf's hash; read it and an absent key, update it, split it.",
        &one,
        &[k(0), k(1)],
        &[(k(0), v(10)), (near, v(2))],
    ));
    cases.push(valid("single-leaf-delete", "Deleting the only leaf: the empty root.", &one, &[k(0)], &[(k(0), z)]));

    let tree64 = tree_of(&random_leaves("witness/64", 64));
    let leaves64 = tree64.leaves();
    let key64 = |i: usize| leaves64[i].0;
    cases.push(valid("no-keys", "No reads and no updates: the witness is the root as OPAQUE.", &tree64, &[], &[]));
    let absent: Vec<B256> = (0..6).map(|i| word("witness/64-absent", i)).collect();
    cases.push(valid(
        "reads",
        "Reads of present keys and of absent keys (ending at other keys' leaves next to OPAQUE siblings).",
        &tree64,
        &[&[key64(0), key64(31), key64(63)][..], &absent].concat(),
        &[],
    ));
    cases.push(valid(
        "update-values",
        "Updates of present keys to new non-zero values.",
        &tree64,
        &[key64(5)],
        &[(key64(5), v(5)), (key64(40), v(40)), (key64(41), v(41))],
    ));
    let split = diverge(&key64(10), 30, word("witness/split", 0));
    cases.push(valid(
        "split-leaf",
        "An insert of a key sharing 30 bits with an existing key: that leaf is split into a 30-bit chain.",
        &tree64,
        &[split],
        &[(split, v(7))],
    ));
    let (a, b) = sibling_pair(&tree64);
    cases.push(valid_with_openings(
        "delete-lifts-leaf",
        "A delete next to a single leaf: the witness reveals that leaf, which is lifted.",
        &tree64,
        &[],
        &[(a, z)],
    ));
    cases.push(valid_with_openings(
        "delete-both-siblings",
        "Deleting two sibling leaves: their parent empties and the OPAQUE subtree next to it is opened.",
        &tree64,
        &[],
        &[(a, z), (b, z)],
    ));
    let c = leaf_next_to_branch(&tree64);
    cases.push(valid_with_openings(
        "delete-opens-branch",
        "A delete next to a subtree of two or more leaves: the witness opens it one level as a BRANCH.",
        &tree64,
        &[c],
        &[(c, z)],
    ));
    let small = tree_of(&random_leaves("witness/small", 5));
    let all: Vec<(B256, B256)> = small.leaves().iter().map(|(k, _)| (*k, z)).collect();
    cases.push(valid(
        "delete-all",
        "Deleting every leaf of a five-leaf tree: the deletes cascade up to the empty root.",
        &small,
        &[],
        &all,
    ));
    cases.push(valid_with_openings(
        "delete-all-but-one",
        "Deleting four leaves of five: the last one, not read, is revealed and becomes the root.",
        &small,
        &[],
        &[all[0], all[1], all[3], all[4]],
    ));

    // A deep shared prefix: a chain of branches with empty sides.
    let base = word("witness/prefix", 0);
    let at24 = diverge(&base, 24, word("witness/prefix", 1));
    let at30 = diverge(&base, 30, word("witness/prefix", 2));
    let mut prefix_leaves = random_leaves("witness/prefix-rest", 30);
    prefix_leaves.extend([(base, v(100)), (at24, v(101)), (at30, v(102))]);
    let prefix = tree_of(&prefix_leaves);
    let empty_side = diverge(&base, 20, word("witness/prefix", 3));
    assert_eq!(prefix.prove(&empty_side).terminal, Terminal::Empty);
    cases.push(valid(
        "shared-prefix-read-empty-side",
        "A read ending at the EMPTY side of a deep chain, no updates: the post-root keeps the branch \
         between that EMPTY and the OPAQUE rest of the chain.",
        &prefix,
        &[empty_side],
        &[],
    ));
    cases.push(valid(
        "shared-prefix-insert-then-delete",
        "An insert into the EMPTY side of the chain, then its deletion: nothing more is revealed.",
        &prefix,
        &[],
        &[(empty_side, v(3)), (empty_side, z)],
    ));
    let at40 = diverge(&base, 40, word("witness/prefix", 4));
    cases.push(valid(
        "shared-prefix-24",
        "Three keys sharing 24 and 30 bits: deleting two lifts the third up the chain, then an insert \
         sharing 40 bits with it splits it again; an insert into the EMPTY side of the chain.",
        &prefix,
        &[base, at24],
        &[(at30, z), (at24, z), (at40, v(104)), (empty_side, v(105))],
    ));

    // Two keys differing only in the last bit: leaves at depth 256.
    let mut last = base;
    last[31] ^= 1;
    let mut deep_leaves = random_leaves("witness/deep-rest", 6);
    deep_leaves.extend([(base, v(200)), (last, v(201))]);
    let deep = tree_of(&deep_leaves);
    cases.push(valid_with_openings(
        "last-bit-split",
        "Two keys differing only in bit 255: a 256-deep chain; deleting one reveals the other and \
         lifts it up the chain.",
        &deep,
        &[],
        &[(last, z)],
    ));

    let tree16 = tree_of(&random_leaves("witness/16", 16));
    let every: Vec<B256> = tree16.leaves().iter().map(|(k, _)| *k).collect();
    cases.push(valid(
        "full-reveal",
        "Every key of a 16-leaf tree read: no OPAQUE at all; then inserts, updates and deletes.",
        &tree16,
        &every,
        &[(every[0], z), (every[1], v(1)), (every[2], z), (word("witness/16-new", 0), v(2))],
    ));

    // A chunk-sized case: 200 keys over 2,000 leaves.
    let large = tree_of(&random_leaves("witness/2000", 2000));
    let large_leaves = large.leaves();
    let present = |i: usize| large_leaves[i * 10].0;
    let mut reads: Vec<B256> = (0..70).map(present).collect();
    reads.extend((0..30).map(|i| word("witness/2000-absent", i)));
    let mut updates: Vec<(B256, B256)> = (70..110).map(|i| (present(i), v(i as u64))).collect();
    updates.extend((0..30).map(|i| (word("witness/2000-new", i), v(1000 + i))));
    updates.extend((110..140).map(|i| (present(i), z)));
    cases.push(valid(
        "chunk-200-of-2000",
        "200 keys over a 2,000-leaf tree: 70 present and 30 absent keys read; 40 updates, 30 inserts \
         and 30 deletes.",
        &large,
        &reads,
        &updates,
    ));
    cases
}

fn leaf_record(key: &B256, value: &B256) -> Vec<u8> {
    [&[TAG_LEAF][..], key.as_slice(), value.as_slice()].concat()
}

fn opaque_record(hash: &B256) -> Vec<u8> {
    [&[TAG_OPAQUE][..], hash.as_slice()].concat()
}

fn malformed(name: &str, description: &str, witness: Vec<u8>, offset: usize) -> InvalidCase {
    InvalidCase {
        name: name.to_owned(),
        description: description.to_owned(),
        witness: witness.into(),
        read_count: 0,
        reads: vec![],
        update_count: 0,
        updates: vec![],
        phase: "decode".to_owned(),
        error: "malformed".to_owned(),
        offset,
        key: B256::ZERO,
    }
}

fn incomplete(
    name: &str,
    description: &str,
    witness: Vec<u8>,
    reads: &[B256],
    updates: &[(B256, B256)],
    phase: &str,
    key: B256,
) -> InvalidCase {
    InvalidCase {
        name: name.to_owned(),
        description: description.to_owned(),
        witness: witness.into(),
        read_count: reads.len(),
        reads: reads.to_vec(),
        update_count: updates.len(),
        updates: entries(updates),
        phase: phase.to_owned(),
        error: "incomplete".to_owned(),
        offset: 0,
        key,
    }
}

fn invalid_cases() -> Vec<InvalidCase> {
    let key = word("witness/bad", 0);
    let value = B256::with_last_byte(1);
    let leaf = leaf_record(&key, &value);
    let opaque = opaque_record(&word("witness/bad", 1));
    // A key with bit 0 = 1 and one with bit 0 = 0.
    let mut right = key;
    right[0] |= 0x80;
    let mut left = key;
    left[0] &= 0x7f;
    // 24 branches down the all-zero path, each with an EMPTY right side, then a leaf at depth 24
    // whose key agrees with the path on 23 bits only.
    let mut off_deep = B256::repeat_byte(0x11);
    off_deep[0] = 0;
    off_deep[1] = 0;
    off_deep[2] = 0x01;
    let chain = |record: Vec<u8>| [vec![TAG_BRANCH; 24], record, vec![TAG_EMPTY; 24]].concat();
    let mut cases = vec![
        malformed("empty-input", "No bytes at all.", vec![], 0),
        malformed("unknown-tag", "Tag 0x04.", vec![0x04], 0),
        malformed("unknown-tag-ff", "Tag 0xff.", vec![0xff], 0),
        malformed(
            "unknown-tag-in-branch",
            "A branch whose right child has tag 0x07.",
            vec![TAG_BRANCH, TAG_EMPTY, 0x07],
            2,
        ),
        malformed("truncated-leaf", "A leaf one byte short.", leaf[..64].to_vec(), 0),
        malformed("truncated-leaf-key", "A leaf with its key only.", leaf[..33].to_vec(), 0),
        malformed("truncated-opaque", "An OPAQUE record one byte short.", opaque[..32].to_vec(), 0),
        malformed("truncated-branch", "A branch without children.", vec![TAG_BRANCH], 1),
        malformed("truncated-branch-right", "A branch without its right child.", vec![TAG_BRANCH, TAG_EMPTY], 2),
        malformed(
            "truncated-deep",
            "A leaf cut short under two branches.",
            [&[TAG_BRANCH, TAG_BRANCH, TAG_EMPTY][..], &leaf[..40]].concat(),
            3,
        ),
        malformed("leaf-zero-value", "A leaf with value zero.", leaf_record(&key, &B256::ZERO), 0),
        malformed(
            "leaf-off-path",
            "A leaf whose key has bit 0 = 1, as the left child of the root.",
            [&[TAG_BRANCH][..], &leaf_record(&right, &value), &[TAG_EMPTY]].concat(),
            1,
        ),
        malformed(
            "leaf-off-path-right",
            "A leaf whose key has bit 0 = 0, as the right child of the root.",
            [&[TAG_BRANCH, TAG_EMPTY][..], &leaf_record(&left, &value)].concat(),
            2,
        ),
        malformed(
            "leaf-off-path-deep",
            "A leaf at depth 24 on the all-zero path whose key has bit 23 = 1.",
            chain(leaf_record(&off_deep, &value)),
            24,
        ),
        malformed(
            "opaque-zero-hash",
            "An OPAQUE record with hash zero (EMPTY must be used).",
            opaque_record(&B256::ZERO),
            0,
        ),
        malformed(
            "branch-at-depth-256",
            "257 nested branches: the last one is at depth 256.",
            vec![TAG_BRANCH; 257],
            256,
        ),
        malformed("trailing-byte", "An EMPTY root followed by another byte.", vec![TAG_EMPTY, TAG_EMPTY], 1),
        malformed("trailing-after-leaf", "A leaf root followed by a byte.", [&leaf[..], &[TAG_EMPTY]].concat(), 65),
    ];
    // The same chain with a leaf on its path is fine; a trailing byte after it is not.
    let mut on_path = off_deep;
    on_path[2] = 0;
    let good_chain = chain(leaf_record(&on_path, &value));
    assert!(PartialTree::decode(&good_chain).is_ok());
    let len = good_chain.len();
    cases.push(malformed(
        "trailing-after-chain",
        "A valid 24-deep chain followed by an EMPTY record.",
        [good_chain, vec![TAG_EMPTY]].concat(),
        len,
    ));

    // Honest witnesses that lack something.
    let z = B256::ZERO;
    let tree = tree_of(&random_leaves("witness/64", 64));
    let leaves = tree.leaves();
    let (k0, k63) = (leaves[0].0, leaves[63].0);
    // k0 starts with bit 0 = 0 and k63 with 1 (64 random keys): k63's path leaves k0's at
    // the root, into an OPAQUE subtree.
    assert!(!bit_at(&k0, 0) && bit_at(&k63, 0));
    let only_k0 = tree.witness(&[k0], &[]);
    cases.push(incomplete(
        "read-opaque-root",
        "A read against a witness that is only the root, as OPAQUE.",
        tree.witness(&[], &[]),
        &[k0],
        &[],
        "get",
        k0,
    ));
    cases.push(incomplete(
        "read-through-opaque",
        "A read whose path ends at an OPAQUE subtree.",
        only_k0.clone(),
        &[k0, k63],
        &[],
        "get",
        k63,
    ));
    cases.push(incomplete(
        "update-through-opaque",
        "An update whose path ends at an OPAQUE subtree.",
        only_k0.clone(),
        &[k0],
        &[(k0, B256::with_last_byte(5)), (k63, B256::with_last_byte(6))],
        "set",
        k63,
    ));
    cases.push(incomplete(
        "delete-through-opaque",
        "A delete whose path ends at an OPAQUE subtree.",
        only_k0.clone(),
        &[],
        &[(k63, z)],
        "set",
        k63,
    ));
    let (a, b) = sibling_pair(&tree);
    let only_a = tree.witness(&[a], &[]);
    assert!(census(&only_a)[1] == 1, "only a's leaf is revealed");
    cases.push(incomplete(
        "delete-next-to-opaque-leaf",
        "A delete next to an unopened OPAQUE sibling that holds one leaf: it would have to be lifted.",
        only_a,
        &[],
        &[(a, z)],
        "postRoot",
        z,
    ));
    cases.push(incomplete(
        "delete-siblings-next-to-opaque",
        "Deleting two sibling leaves, both revealed, empties their parent next to an unopened OPAQUE subtree.",
        tree.witness(&[a, b], &[]),
        &[a, b],
        &[(a, z), (b, z)],
        "postRoot",
        z,
    ));
    let c = leaf_next_to_branch(&tree);
    cases.push(incomplete(
        "delete-next-to-opaque-branch",
        "A delete next to an unopened OPAQUE subtree of two or more leaves.",
        tree.witness(&[c], &[]),
        &[c],
        &[(c, z)],
        "postRoot",
        z,
    ));
    // The one-leaf tree whose leaf is hidden: an insert next to it cannot be placed.
    let single = tree_of(&[(k0, B256::with_last_byte(9))]);
    assert_eq!(single.witness(&[], &[]), opaque_record(&leaf_hash(&k0, &B256::with_last_byte(9))));
    cases.push(incomplete(
        "insert-into-opaque-leaf",
        "A one-leaf tree given as OPAQUE: an insert has nowhere to go.",
        single.witness(&[], &[]),
        &[],
        &[(k63, B256::with_last_byte(1))],
        "set",
        k63,
    ));
    cases
}

fn generate() -> WitnessVectors {
    let valid = valid_cases();
    let invalid = invalid_cases();
    WitnessVectors {
        comment: "State witness vectors (docs/state-commitment.md section 8). Generated by \
                  types/tests/vectors/witness.rs: do not edit; regenerate with UPDATE_VECTORS=1 cargo test -p \
                  rollup-types --test vectors."
            .to_owned(),
        valid_count: valid.len(),
        valid,
        invalid_count: invalid.len(),
        invalid,
    }
}

/// Runs the phases of a case in order and returns the first failure with its phase.
fn run(
    witness: &[u8],
    reads: &[B256],
    updates: &[Entry],
) -> Result<(PartialTree, Vec<B256>, B256), (&'static str, WitnessError)> {
    let mut tree = PartialTree::decode(witness).map_err(|e| ("decode", e))?;
    let values = reads.iter().map(|k| tree.get(k)).collect::<Result<Vec<_>, _>>().map_err(|e| ("get", e))?;
    for u in updates {
        tree.set(u.key, u.value).map_err(|e| ("set", e))?;
    }
    let post_root = tree.post_root().map_err(|e| ("postRoot", e))?;
    Ok((tree, values, post_root))
}

fn check(file: &WitnessVectors) {
    assert!(file.valid.len() >= 12 && file.invalid.len() >= 20, "vector counts");
    assert_eq!((file.valid_count, file.invalid_count), (file.valid.len(), file.invalid.len()));
    for case in &file.valid {
        assert_eq!((case.read_count, case.update_count), (case.reads.len(), case.updates.len()), "{}", case.name);
        let reads: Vec<B256> = case.reads.iter().map(|r| r.key).collect();
        let (tree, values, post_root) = run(&case.witness, &reads, &case.updates)
            .unwrap_or_else(|(phase, e)| panic!("{}: {phase}: {e}", case.name));
        assert_eq!(tree.root(), case.root, "{}: root", case.name);
        assert_eq!(values, case.reads.iter().map(|r| r.value).collect::<Vec<_>>(), "{}: reads", case.name);
        assert_eq!(post_root, case.post_root, "{}: post-root", case.name);
        // After the updates, each updated key reads as its last value.
        for u in &case.updates {
            let last = case.updates.iter().rev().find(|w| w.key == u.key).expect("itself");
            assert_eq!(tree.get(&u.key), Ok(last.value), "{}: read back", case.name);
        }
        let decoded = PartialTree::decode(&case.witness).expect("decodes");
        assert_eq!(decoded.encode(), case.witness.to_vec(), "{}: round trip", case.name);
    }
    for case in &file.invalid {
        assert_eq!((case.read_count, case.update_count), (case.reads.len(), case.updates.len()), "{}", case.name);
        let (phase, error) = match run(&case.witness, &case.reads, &case.updates) {
            Ok(_) => panic!("{}: accepted", case.name),
            Err(failure) => failure,
        };
        let (offset, key) = match error {
            WitnessError::Malformed { offset, .. } => (offset, B256::ZERO),
            WitnessError::Incomplete(key) => (0, key),
        };
        assert_eq!(
            (phase, error.code(), offset, key),
            (case.phase.as_str(), case.error.as_str(), case.offset, case.key),
            "{}",
            case.name
        );
    }
}

#[test]
fn witness_vectors() {
    let generated = generate();
    // What the cases claim about their witnesses.
    let case = |name: &str| generated.valid.iter().find(|c| c.name == name).expect("case");
    assert_eq!(case("empty").witness.to_vec(), vec![TAG_EMPTY]);
    assert_eq!(census(&case("no-keys").witness), [0, 0, 1, 0]);
    assert_eq!(census(&case("full-reveal").witness)[2], 0, "nothing hidden");
    assert!(census(&case("last-bit-split").witness)[3] >= 256, "a 256-deep chain");
    let large = case("chunk-200-of-2000");
    assert_eq!((large.leaf_count, large.read_count, large.update_count), (2000, 100, 100));
    write_or_check(FILE, &generated, check);
}
