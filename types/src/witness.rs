//! State witnesses: a partial sparse Merkle tree that reveals the keys one chunk of L2
//! transactions reads or writes, so that a fraud-proof verifier can read them against the
//! agreed pre-state root, apply the chunk's final values and compute the post-state root
//! exactly as the full tree would.
//!
//! Normative text: `docs/state-commitment.md` §8. Encoding, in pre-order from the root
//! (depth 0):
//!
//! | Bytes | Record |
//! | --- | --- |
//! | `0x00` | EMPTY: a subtree with no leaves |
//! | `0x01 ‖ key ‖ value` | LEAF: a subtree holding exactly this leaf (value non-zero, key on the path) |
//! | `0x02 ‖ hash` | OPAQUE: an unrevealed, non-empty subtree with this hash |
//! | `0x03 ‖ left ‖ right` | BRANCH: a node (never at depth 256), its children follow |
//!
//! [`PartialTree`] decodes, reads, updates and re-hashes a witness;
//! [`SparseMerkleTree::witness`](crate::smt::SparseMerkleTree::witness) builds the minimal one
//! for a set of keys. The Solidity mirror is `contracts/src/lib/StateWitness.sol`, and both
//! check `testdata/smt-witness-vectors.json`.
//!
//! Soundness: for a witness that hashes to an honestly built root, [`PartialTree::get`] and
//! [`PartialTree::post_root`] either give the answer the full tree gives or fail with
//! [`WitnessError::Incomplete`]; they never give a wrong answer.

use crate::smt::{EMPTY, bit_at, leaf_hash, node_hash};
use alloy_primitives::B256;

/// Record tag of an empty subtree.
pub const TAG_EMPTY: u8 = 0x00;
/// Record tag of a single-leaf subtree, followed by the key and the value.
pub const TAG_LEAF: u8 = 0x01;
/// Record tag of an unrevealed subtree, followed by its hash.
pub const TAG_OPAQUE: u8 = 0x02;
/// Record tag of a node, followed by its left and right children.
pub const TAG_BRANCH: u8 = 0x03;

/// Length of a LEAF record.
const LEAF_LEN: usize = 65;
/// Length of an OPAQUE record.
const OPAQUE_LEN: usize = 33;
/// Keys have 256 bits: a BRANCH sits at depth 255 at most.
const MAX_DEPTH: usize = 256;

/// Why a witness cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// The bytes are not a witness (docs/state-commitment.md §8.1).
    #[error("malformed witness at byte {offset}: {reason}")]
    Malformed {
        /// Offset of the offending record's tag, or of the first byte missing or left over.
        offset: usize,
        /// What is wrong there.
        reason: &'static str,
    },
    /// The witness hides a subtree the operation needs. The key is the one read or written,
    /// or zero when [`PartialTree::post_root`] cannot tell whether a subtree holds one leaf.
    #[error("the witness does not reveal enough of the tree (key {0})")]
    Incomplete(B256),
}

impl WitnessError {
    /// A stable, machine-readable code: `malformed` or `incomplete`.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "malformed",
            Self::Incomplete(_) => "incomplete",
        }
    }
}

/// A subtree of the partial tree. Children are indices into [`PartialTree::slots`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    Empty,
    Leaf { key: B256, value: B256 },
    Opaque(B256),
    Branch { left: usize, right: usize },
}

/// One position of the tree. `set` rewrites a position's node in place, so the flag stays with
/// the position whatever it holds later.
#[derive(Clone, Copy, Debug)]
struct Slot {
    node: Node,
    /// The position was EMPTY in the witness as decoded (no leaves in the pre-state).
    decoded_empty: bool,
}

impl Slot {
    const fn new(node: Node) -> Self {
        Self { node, decoded_empty: false }
    }
}

/// What the levels above a subtree need to know of it after the updates (§8.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Empty,
    /// Exactly one leaf.
    One,
    /// Two or more leaves.
    Many,
    /// An OPAQUE subtree: not empty, but one leaf or more is unknown.
    Unknown,
}

/// A position in the tree: its depth and the key bits above it (the bits from `depth` on are
/// zero).
pub(crate) type Position = (usize, B256);

/// A decoded state witness: a partial sparse Merkle tree that can be read, updated and
/// re-hashed.
#[derive(Clone, Debug)]
pub struct PartialTree {
    /// Slot 0 is the root; a branch's children follow it in pre-order as decoded, and
    /// positions created by [`Self::set`] are appended.
    slots: Vec<Slot>,
    pre_root: B256,
}

/// Sets bit `depth` of `key` (most significant first, as [`crate::smt::bit_at`] reads it) to
/// `bit`.
pub fn set_bit(key: &mut B256, depth: usize, bit: bool) {
    let mask = 0x80u8 >> (depth % 8);
    if bit {
        key[depth / 8] |= mask;
    } else {
        key[depth / 8] &= !mask;
    }
}

/// Whether the first `depth` bits of `a` and `b` agree.
fn same_prefix(a: &B256, b: &B256, depth: usize) -> bool {
    first_difference(a, b) >= depth
}

/// Index of the first bit (most significant first) in which `a` and `b` differ; 256 when they
/// are equal.
fn first_difference(a: &B256, b: &B256) -> usize {
    for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        let d = x ^ y;
        if d != 0 {
            return i * 8 + d.leading_zeros() as usize;
        }
    }
    256
}

struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    slots: Vec<Slot>,
}

impl Decoder<'_> {
    /// Decodes the subtree at `depth` whose key bits so far are `path` (bits from `depth` on
    /// are zero) and returns its slot and its hash as given. Recursion is bounded: a BRANCH at
    /// depth 256 is rejected before its children are read.
    fn subtree(&mut self, depth: usize, path: &mut B256) -> Result<(usize, B256), WitnessError> {
        let at = self.pos;
        let malformed = |reason| WitnessError::Malformed { offset: at, reason };
        let tag = *self.buf.get(at).ok_or(malformed("truncated: a subtree is missing"))?;
        let index = self.slots.len();
        match tag {
            TAG_EMPTY => {
                self.pos += 1;
                self.slots.push(Slot { node: Node::Empty, decoded_empty: true });
                Ok((index, EMPTY))
            }
            TAG_LEAF => {
                let body = self.buf.get(at + 1..at + LEAF_LEN).ok_or(malformed("truncated leaf"))?;
                let key = B256::from_slice(&body[..32]);
                let value = B256::from_slice(&body[32..]);
                if value.is_zero() {
                    return Err(malformed("leaf with a zero value"));
                }
                if !same_prefix(&key, path, depth) {
                    return Err(malformed("leaf key off the path to it"));
                }
                self.pos += LEAF_LEN;
                self.slots.push(Slot::new(Node::Leaf { key, value }));
                Ok((index, leaf_hash(&key, &value)))
            }
            TAG_OPAQUE => {
                let body = self.buf.get(at + 1..at + OPAQUE_LEN).ok_or(malformed("truncated opaque subtree"))?;
                let hash = B256::from_slice(body);
                if hash.is_zero() {
                    return Err(malformed("opaque subtree with a zero hash"));
                }
                self.pos += OPAQUE_LEN;
                self.slots.push(Slot::new(Node::Opaque(hash)));
                Ok((index, hash))
            }
            TAG_BRANCH => {
                if depth >= MAX_DEPTH {
                    return Err(malformed("branch at depth 256"));
                }
                self.pos += 1;
                // A placeholder until both children are known.
                self.slots.push(Slot::new(Node::Empty));
                let (left, hl) = self.subtree(depth + 1, path)?;
                set_bit(path, depth, true);
                let right = self.subtree(depth + 1, path);
                set_bit(path, depth, false);
                let (right, hr) = right?;
                self.slots[index].node = Node::Branch { left, right };
                Ok((index, node_hash(&hl, &hr)))
            }
            _ => Err(malformed("unknown tag")),
        }
    }
}

impl PartialTree {
    /// Decodes a witness (§8.1) and computes its root as given (§8.2).
    pub fn decode(witness: &[u8]) -> Result<Self, WitnessError> {
        let mut decoder = Decoder { buf: witness, pos: 0, slots: Vec::new() };
        let mut path = B256::ZERO;
        let (_, pre_root) = decoder.subtree(0, &mut path)?;
        if decoder.pos != witness.len() {
            return Err(WitnessError::Malformed { offset: decoder.pos, reason: "bytes after the root's encoding" });
        }
        Ok(Self { slots: decoder.slots, pre_root })
    }

    /// The root hash of the witness as decoded, without lifting (§8.2): the pre-state root it
    /// claims. Unchanged by [`Self::set`].
    pub fn root(&self) -> B256 {
        self.pre_root
    }

    /// The value under `key` in the current state (the pre-state, with every [`Self::set`] so
    /// far applied); zero when absent.
    pub fn get(&self, key: &B256) -> Result<B256, WitnessError> {
        let mut index = 0;
        let mut depth = 0;
        loop {
            match self.slots[index].node {
                Node::Branch { left, right } => {
                    index = if bit_at(key, depth) { right } else { left };
                    depth += 1;
                }
                Node::Leaf { key: k, value } => return Ok(if k == *key { value } else { B256::ZERO }),
                Node::Empty => return Ok(B256::ZERO),
                Node::Opaque(_) => return Err(WitnessError::Incomplete(*key)),
            }
        }
    }

    /// Sets `key` to `value`; a zero value deletes the key (§8.3). Fails, changing nothing,
    /// when the key's path ends at an OPAQUE subtree.
    pub fn set(&mut self, key: B256, value: B256) -> Result<(), WitnessError> {
        let mut index = 0;
        let mut depth = 0;
        loop {
            match self.slots[index].node {
                Node::Branch { left, right } => {
                    index = if bit_at(&key, depth) { right } else { left };
                    depth += 1;
                }
                Node::Opaque(_) => return Err(WitnessError::Incomplete(key)),
                Node::Empty => {
                    if !value.is_zero() {
                        self.slots[index].node = Node::Leaf { key, value };
                    }
                    return Ok(());
                }
                Node::Leaf { key: k, .. } if k == key => {
                    self.slots[index].node = if value.is_zero() { Node::Empty } else { Node::Leaf { key, value } };
                    return Ok(());
                }
                Node::Leaf { key: k, value: v } => {
                    if !value.is_zero() {
                        self.split(index, depth, (k, v), (key, value));
                    }
                    return Ok(());
                }
            }
        }
    }

    /// Replaces the leaf `old` at `index` (depth `depth`) with the subtree holding it and
    /// `new`: branches down to the first bit in which the keys differ, the two leaves as the
    /// children there, empty subtrees on the other sides.
    fn split(&mut self, mut index: usize, depth: usize, old: (B256, B256), new: (B256, B256)) {
        // Both keys follow the path to `index`, so they differ at or below `depth`, and
        // before bit 256 since they are distinct.
        let fork = first_difference(&old.0, &new.0);
        debug_assert!(depth <= fork && fork < MAX_DEPTH);
        for d in depth..fork {
            let next = self.slots.len();
            let empty = next + 1;
            self.slots.extend([Slot::new(Node::Empty), Slot::new(Node::Empty)]);
            let (left, right) = if bit_at(&new.0, d) { (empty, next) } else { (next, empty) };
            self.slots[index].node = Node::Branch { left, right };
            index = next;
        }
        let old_leaf = self.slots.len();
        let new_leaf = old_leaf + 1;
        self.slots.extend([
            Slot::new(Node::Leaf { key: old.0, value: old.1 }),
            Slot::new(Node::Leaf { key: new.0, value: new.1 }),
        ]);
        let (left, right) = if bit_at(&new.0, fork) { (old_leaf, new_leaf) } else { (new_leaf, old_leaf) };
        self.slots[index].node = Node::Branch { left, right };
    }

    /// The root of the current state (§8.4), as the full tree would compute it. Fails with
    /// [`WitnessError::Incomplete`] (key zero) when a branch with no leaves left on one side has
    /// an OPAQUE subtree on the other that could be a single leaf to lift.
    pub fn post_root(&self) -> Result<B256, WitnessError> {
        let mut path = B256::ZERO;
        self.summary(0, 0, &mut path, None).map(|(_, hash)| hash)
    }

    /// The OPAQUE subtrees that [`Self::post_root`] needs opened one level, as positions.
    /// Empty when it succeeds (or fails for a reason opening cannot fix).
    pub(crate) fn openings_needed(&self) -> Vec<Position> {
        let mut needs = Vec::new();
        // In collecting mode a branch that needs an opening counts as holding two or more
        // leaves, which is what it holds if the opening shows a branch. If it shows a leaf
        // instead, the branch becomes a single leaf, and that creates no new need above: a
        // need arises only next to an empty side, and emptiness does not change.
        let mut path = B256::ZERO;
        let _ = self.summary(0, 0, &mut path, Some(&mut needs));
        needs
    }

    /// Summary (§8.4) of the subtree in slot `index`, at `depth` with key bits `path`. Depth is
    /// below 257: branches sit at depth 255 at most.
    fn summary(
        &self,
        index: usize,
        depth: usize,
        path: &mut B256,
        mut needs: Option<&mut Vec<Position>>,
    ) -> Result<(Class, B256), WitnessError> {
        let (left, right) = match self.slots[index].node {
            Node::Empty => return Ok((Class::Empty, EMPTY)),
            Node::Leaf { key, value } => return Ok((Class::One, leaf_hash(&key, &value))),
            Node::Opaque(hash) => return Ok((Class::Unknown, hash)),
            Node::Branch { left, right } => (left, right),
        };
        let (lc, lh) = self.summary(left, depth + 1, path, needs.as_deref_mut())?;
        set_bit(path, depth, true);
        let r = self.summary(right, depth + 1, path, needs.as_deref_mut());
        set_bit(path, depth, false);
        let (rc, rh) = r?;
        let (empty_side, other, other_class, other_hash) = match (lc, rc) {
            (Class::Empty, Class::Empty) => return Ok((Class::Empty, EMPTY)),
            (Class::Empty, _) => (left, true, rc, rh),
            (_, Class::Empty) => (right, false, lc, lh),
            _ => return Ok((Class::Many, node_hash(&lh, &rh))),
        };
        match other_class {
            // Lift the single leaf.
            Class::One => Ok((Class::One, other_hash)),
            Class::Unknown if !self.slots[empty_side].decoded_empty => match needs {
                Some(needs) => {
                    let mut at = *path;
                    set_bit(&mut at, depth, other);
                    needs.push((depth + 1, at));
                    Ok((Class::Many, node_hash(&lh, &rh)))
                }
                None => Err(WitnessError::Incomplete(B256::ZERO)),
            },
            // Two or more leaves on one side; or an unchanged honest branch, which holds two
            // or more leaves, all on its OPAQUE side.
            _ => Ok((Class::Many, node_hash(&lh, &rh))),
        }
    }

    /// Encodes the partial tree in its current state (§8.1). For a tree just decoded this
    /// gives back the witness.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(0, &mut out);
        out
    }

    fn encode_into(&self, index: usize, out: &mut Vec<u8>) {
        match self.slots[index].node {
            Node::Empty => out.push(TAG_EMPTY),
            Node::Leaf { key, value } => {
                out.push(TAG_LEAF);
                out.extend_from_slice(key.as_slice());
                out.extend_from_slice(value.as_slice());
            }
            Node::Opaque(hash) => {
                out.push(TAG_OPAQUE);
                out.extend_from_slice(hash.as_slice());
            }
            Node::Branch { left, right } => {
                out.push(TAG_BRANCH);
                self.encode_into(left, out);
                self.encode_into(right, out);
            }
        }
    }
}

/// The key bits of `key` above `depth`, the rest zero: the position of the subtree at `depth`
/// on `key`'s path.
pub(crate) fn prefix(key: &B256, depth: usize) -> B256 {
    let mut out = *key;
    for (i, byte) in out.iter_mut().enumerate() {
        let keep = depth.saturating_sub(i * 8).min(8);
        *byte &= !(0xffu16 >> keep) as u8;
    }
    out
}

/// Sets bit `depth` of a position's key bits: the child of the subtree at `(depth, path)` on
/// side `bit`.
pub(crate) fn child_path(path: &B256, depth: usize, bit: bool) -> B256 {
    let mut out = *path;
    set_bit(&mut out, depth, bit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smt::{
        SparseMerkleTree,
        tests::{random_b256, rng},
    };
    use rand::{Rng, rngs::StdRng};

    /// A key equal to `base` on its first `at` bits, different at bit `at`, random after.
    fn diverge(base: &B256, at: usize, rng: &mut StdRng) -> B256 {
        let mut k = random_b256(rng);
        for d in 0..at {
            set_bit(&mut k, d, bit_at(base, d));
        }
        set_bit(&mut k, at, !bit_at(base, at));
        k
    }

    fn tree_of(leaves: &[(B256, B256)]) -> SparseMerkleTree {
        let mut tree = SparseMerkleTree::new();
        tree.update(leaves.iter().copied());
        tree
    }

    /// Reads `reads`, then applies `updates` and reads them back; returns the values read and
    /// the post-root.
    fn run(witness: &[u8], reads: &[B256], updates: &[(B256, B256)]) -> Result<(Vec<B256>, B256), WitnessError> {
        let mut tree = PartialTree::decode(witness)?;
        let mut values = reads.iter().map(|k| tree.get(k)).collect::<Result<Vec<_>, _>>()?;
        for (k, v) in updates {
            tree.set(*k, *v)?;
        }
        for (k, _) in updates {
            values.push(tree.get(k)?);
        }
        Ok((values, tree.post_root()?))
    }

    /// What `run` must give for the full tree.
    fn expected(tree: &SparseMerkleTree, reads: &[B256], updates: &[(B256, B256)]) -> (Vec<B256>, B256) {
        let mut values: Vec<B256> = reads.iter().map(|k| tree.get(k)).collect();
        let mut post = tree.clone();
        let root = post.update(updates.iter().copied());
        values.extend(updates.iter().map(|(k, _)| post.get(k)));
        (values, root)
    }

    /// Start and end of every record's subtree in a valid witness, in pre-order.
    fn subtrees(witness: &[u8]) -> Vec<(usize, usize)> {
        fn walk(w: &[u8], at: usize, out: &mut Vec<(usize, usize)>) -> usize {
            let i = out.len();
            out.push((at, at));
            let end = match w[at] {
                TAG_EMPTY => at + 1,
                TAG_LEAF => at + LEAF_LEN,
                TAG_OPAQUE => at + OPAQUE_LEN,
                _ => {
                    let mid = walk(w, at + 1, out);
                    walk(w, mid, out)
                }
            };
            out[i].1 = end;
            end
        }
        let mut out = Vec::new();
        walk(witness, 0, &mut out);
        out
    }

    /// Hash as given of the subtree encoded at `at` in a valid witness, and where it ends.
    fn hash_at(w: &[u8], at: usize) -> (B256, usize) {
        match w[at] {
            TAG_EMPTY => (EMPTY, at + 1),
            TAG_LEAF => {
                (leaf_hash(&B256::from_slice(&w[at + 1..at + 33]), &B256::from_slice(&w[at + 33..at + 65])), at + 65)
            }
            TAG_OPAQUE => (B256::from_slice(&w[at + 1..at + 33]), at + 33),
            _ => {
                let (left, mid) = hash_at(w, at + 1);
                let (right, end) = hash_at(w, mid);
                (node_hash(&left, &right), end)
            }
        }
    }

    /// The witness with the subtree at `start..end` replaced by OPAQUE of its hash.
    fn collapse(witness: &[u8], (start, end): (usize, usize)) -> Vec<u8> {
        let (hash, _) = hash_at(witness, start);
        let mut out = witness[..start].to_vec();
        out.push(TAG_OPAQUE);
        out.extend_from_slice(hash.as_slice());
        out.extend_from_slice(&witness[end..]);
        out
    }

    /// A run on any witness that hashes to `tree`'s root gives the full tree's answers or
    /// `Incomplete`, never anything else.
    fn assert_sound(tree: &SparseMerkleTree, witness: &[u8], reads: &[B256], updates: &[(B256, B256)]) {
        let Ok(decoded) = PartialTree::decode(witness) else { return };
        if decoded.root() != tree.root() {
            return;
        }
        match run(witness, reads, updates) {
            Ok(got) => assert_eq!(got, expected(tree, reads, updates), "a witness of the honest root"),
            Err(e) => assert_eq!(e.code(), "incomplete", "{e}"),
        }
    }

    /// The generated witness decodes to the tree's root, round-trips, gives the full tree's
    /// reads and post-root, and is minimal: hiding any revealed subtree makes it incomplete.
    fn check(tree: &SparseMerkleTree, reads: &[B256], updates: &[(B256, B256)]) -> Vec<u8> {
        let witness = tree.witness(reads, updates);
        let decoded = PartialTree::decode(&witness).expect("decodes");
        assert_eq!(decoded.root(), tree.root());
        assert_eq!(decoded.encode(), witness, "round trip");
        assert_eq!(run(&witness, reads, updates), Ok(expected(tree, reads, updates)));
        for sub in subtrees(&witness) {
            if matches!(witness[sub.0], TAG_LEAF | TAG_BRANCH) {
                let hidden = collapse(&witness, sub);
                let got = run(&hidden, reads, updates).map_err(|e| e.code());
                assert_eq!(got, Err("incomplete"), "hiding the subtree at byte {} is noticed", sub.0);
            }
        }
        witness
    }

    fn random_updates(rng: &mut StdRng, tree: &SparseMerkleTree, n: usize) -> (Vec<B256>, Vec<(B256, B256)>) {
        let leaves = tree.leaves();
        let mut reads = Vec::new();
        let mut updates = Vec::new();
        for _ in 0..n {
            let existing = (!leaves.is_empty()).then(|| leaves[rng.random_range(0..leaves.len())].0);
            let key = match (rng.random_range(0..4), existing) {
                (0, Some(k)) => k,
                // A key sharing a long prefix with an existing one: splits its leaf.
                (1, Some(k)) => diverge(&k, rng.random_range(0..40), rng),
                _ => random_b256(rng),
            };
            match rng.random_range(0..4) {
                0 => reads.push(key),
                1 => updates.push((key, B256::ZERO)),
                _ => updates.push((key, random_b256(rng))),
            }
        }
        (reads, updates)
    }

    #[test]
    fn random_trees_and_updates() {
        let mut rng = rng();
        for round in 0..60 {
            let n = match round % 4 {
                0 => rng.random_range(0..4),
                1 => rng.random_range(4..40),
                _ => rng.random_range(100..400),
            };
            let leaves: Vec<_> = (0..n).map(|_| (random_b256(&mut rng), random_b256(&mut rng))).collect();
            let tree = tree_of(&leaves);
            let size = rng.random_range(1..30);
            let (reads, updates) = random_updates(&mut rng, &tree, size);
            check(&tree, &reads, &updates);
        }
    }

    #[test]
    fn shared_prefixes() {
        let mut rng = rng();
        for _ in 0..20 {
            // Keys around one base at depths 0 to 255: deep branches with empty sides.
            let base = random_b256(&mut rng);
            let mut leaves = vec![(base, random_b256(&mut rng))];
            for _ in 0..rng.random_range(1..12) {
                let at = rng.random_range(0..256);
                leaves.push((diverge(&base, at, &mut rng), random_b256(&mut rng)));
            }
            let tree = tree_of(&leaves);
            let (reads, mut updates) = random_updates(&mut rng, &tree, 12);
            // Delete the base: its sibling may be lifted a long way.
            updates.push((base, B256::ZERO));
            check(&tree, &reads, &updates);
        }
    }

    #[test]
    fn situations() {
        let mut rng = rng();
        let leaves: Vec<_> = (0..300).map(|_| (random_b256(&mut rng), random_b256(&mut rng))).collect();
        let tree = tree_of(&leaves);
        let (k0, v0) = leaves[0];

        // Reads of present and absent keys; absent keys end next to OPAQUE siblings.
        let absent: Vec<B256> = (0..10).map(|_| random_b256(&mut rng)).collect();
        let w = check(&tree, &[&[k0][..], &absent].concat(), &[]);
        assert!(w.contains(&TAG_OPAQUE));
        assert_eq!(PartialTree::decode(&w).expect("decodes").get(&k0), Ok(v0));

        // An update; an insert that splits an existing leaf deep down.
        check(&tree, &[], &[(k0, B256::with_last_byte(9))]);
        let split = diverge(&k0, 30, &mut rng);
        check(&tree, &[split], &[(split, B256::with_last_byte(1))]);

        // An insert into an empty subtree: find a key whose path ends at an empty side.
        let mut shaped = leaves.clone();
        shaped.push((diverge(&k0, 20, &mut rng), B256::with_last_byte(2)));
        let shaped_tree = tree_of(&shaped);
        let into_empty = (0..)
            .map(|_| diverge(&k0, rng.random_range(12..20), &mut rng))
            .find(|k| shaped_tree.prove(k).terminal == crate::smt::Terminal::Empty)
            .expect("a key ending at an empty subtree");
        let w = check(&shaped_tree, &[], &[(into_empty, B256::with_last_byte(3))]);
        // Inserting and deleting it again needs nothing more: the position was EMPTY.
        let again = [(into_empty, B256::with_last_byte(3)), (into_empty, B256::ZERO)];
        assert_eq!(shaped_tree.witness(&[], &again), w);
        check(&shaped_tree, &[], &again);

        // A delete next to a single leaf lifts it: the witness reveals that leaf.
        let (k1, v1) = shaped[300];
        let partner = shaped
            .iter()
            .map(|(k, _)| *k)
            .find(|k| *k != k1 && first_difference(k, &k1) >= 20)
            .expect("the key it was made from");
        let w = check(&shaped_tree, &[], &[(k1, B256::ZERO)]);
        assert!(w.windows(32).any(|s| s == partner.as_slice()), "the sibling leaf is revealed");
        assert!(w.windows(32).any(|s| s == v1.as_slice()));

        // Deletes that cascade up to the empty tree.
        let small: Vec<_> = leaves[..5].to_vec();
        let small_tree = tree_of(&small);
        let all: Vec<_> = small.iter().map(|(k, _)| (*k, B256::ZERO)).collect();
        check(&small_tree, &[], &all);
        let w = small_tree.witness(&[], &all);
        assert_eq!(run(&w, &[], &all).map(|r| r.1), Ok(B256::ZERO));
        // And all but one: the last leaf ends up as the root.
        let (last, lv) = small[4];
        assert_eq!(run(&small_tree.witness(&[], &all[..4]), &[], &all[..4]).map(|r| r.1), Ok(leaf_hash(&last, &lv)));

        // Deleting a leaf whose sibling subtree holds two or more leaves opens it as a branch.
        let (k2, _) = leaves[1];
        check(&tree, &[k2], &[(k2, B256::ZERO), (k0, B256::ZERO)]);
    }

    #[test]
    fn empty_and_single_leaf() {
        let empty = SparseMerkleTree::new();
        let k = B256::with_last_byte(1);
        let v = B256::with_last_byte(2);
        assert_eq!(check(&empty, &[k], &[]), vec![TAG_EMPTY]);
        assert_eq!(check(&empty, &[], &[]), vec![TAG_EMPTY]);
        check(&empty, &[], &[(k, v)]);
        let one = tree_of(&[(k, v)]);
        // Without keys the whole tree is OPAQUE.
        let w = check(&one, &[], &[]);
        assert_eq!(w[0], TAG_OPAQUE);
        assert_eq!(run(&w, &[], &[]), Ok((vec![], leaf_hash(&k, &v))));
        check(&one, &[k], &[(k, B256::ZERO)]);
        check(&one, &[], &[(B256::with_last_byte(3), v)]);
        // Two keys differing in the last bit: a LEAF at depth 256.
        let both = tree_of(&[(k, v), (B256::ZERO, v)]);
        check(&both, &[], &[(k, B256::ZERO)]);
        check(&both, &[B256::ZERO, k], &[(B256::with_last_byte(4), v)]);
    }

    #[test]
    fn missing_openings_are_incomplete() {
        let mut rng = rng();
        let leaves: Vec<_> = (0..64).map(|_| (random_b256(&mut rng), random_b256(&mut rng))).collect();
        let tree = tree_of(&leaves);
        for (k, _) in &leaves[..16] {
            let updates = [(*k, B256::ZERO)];
            let with = tree.witness(&[], &updates);
            let without = tree.witness(&[*k], &[]);
            // Deleting needs the sibling opened; the read-only witness does not have it.
            assert!(with.len() > without.len());
            let mut partial = PartialTree::decode(&without).expect("decodes");
            partial.set(*k, B256::ZERO).expect("the path is revealed");
            assert_eq!(partial.post_root(), Err(WitnessError::Incomplete(B256::ZERO)));
            // Reads and writes past an OPAQUE subtree.
            let other = random_b256(&mut rng);
            let mut partial = PartialTree::decode(&without).expect("decodes");
            if tree.witness(&[*k, other], &[]) != without {
                assert_eq!(partial.get(&other), Err(WitnessError::Incomplete(other)));
                assert_eq!(partial.set(other, B256::ZERO), Err(WitnessError::Incomplete(other)));
            }
        }
    }

    #[test]
    fn malformed() {
        let key = B256::repeat_byte(0x80);
        let value = B256::with_last_byte(1);
        let leaf = [&[TAG_LEAF][..], key.as_slice(), value.as_slice()].concat();
        let opaque = [&[TAG_OPAQUE][..], value.as_slice()].concat();
        let cases: Vec<(Vec<u8>, usize, &str)> = vec![
            (vec![], 0, "truncated: a subtree is missing"),
            (vec![0x04], 0, "unknown tag"),
            (vec![0xff], 0, "unknown tag"),
            (leaf[..64].to_vec(), 0, "truncated leaf"),
            (opaque[..32].to_vec(), 0, "truncated opaque subtree"),
            (vec![TAG_BRANCH], 1, "truncated: a subtree is missing"),
            (vec![TAG_BRANCH, TAG_EMPTY], 2, "truncated: a subtree is missing"),
            ([&[TAG_LEAF][..], key.as_slice(), &[0; 32]].concat(), 0, "leaf with a zero value"),
            // Key bit 0 is 1, but the leaf is on the left.
            ([&[TAG_BRANCH][..], &leaf, &[TAG_EMPTY]].concat(), 1, "leaf key off the path to it"),
            ([&[TAG_OPAQUE][..], &[0; 32]].concat(), 0, "opaque subtree with a zero hash"),
            ([vec![TAG_BRANCH; 256], vec![TAG_BRANCH]].concat(), 256, "branch at depth 256"),
            (vec![TAG_EMPTY, TAG_EMPTY], 1, "bytes after the root's encoding"),
            ([&leaf[..], &[TAG_EMPTY]].concat(), 65, "bytes after the root's encoding"),
            ([&[TAG_BRANCH][..], &[TAG_EMPTY], &[0x07]].concat(), 2, "unknown tag"),
        ];
        for (bytes, offset, reason) in cases {
            assert_eq!(
                PartialTree::decode(&bytes).map(|_| ()),
                Err(WitnessError::Malformed { offset, reason }),
                "{}",
                alloy_primitives::hex::encode(&bytes)
            );
        }
        // On its right the same leaf is fine, and so is a leaf at depth 256 on its own path.
        assert!(PartialTree::decode(&[&[TAG_BRANCH][..], &[TAG_EMPTY], &leaf].concat()).is_ok());
        let path = B256::repeat_byte(0xff);
        // Pre-order: each branch's left child is empty, then the next branch on the right.
        let mut w = Vec::new();
        for _ in 0..256 {
            w.extend([TAG_BRANCH, TAG_EMPTY]);
        }
        w.push(TAG_LEAF);
        w.extend_from_slice(path.as_slice());
        w.extend_from_slice(value.as_slice());
        let decoded = PartialTree::decode(&w).expect("a leaf at depth 256");
        assert_eq!(decoded.get(&path), Ok(value));
        assert_eq!(decoded.post_root(), Ok(leaf_hash(&path, &value)));
    }

    /// Random bytes and mutations of valid witnesses: no panic, and no wrong answer for a
    /// witness that hashes to the honest root.
    #[test]
    fn fuzz() {
        let mut rng = rng();
        let base_leaves: Vec<_> = (0..40).map(|_| (random_b256(&mut rng), random_b256(&mut rng))).collect();
        let tree = tree_of(&base_leaves);
        let mut accepted = 0;
        for round in 0..3000 {
            let (reads, updates) = random_updates(&mut rng, &tree, 8);
            let witness = tree.witness(&reads, &updates);
            let mutated = match round % 3 {
                0 => {
                    // Random bytes, biased to tags.
                    let len = rng.random_range(0..200);
                    (0..len).map(|_| if rng.random_bool(0.5) { rng.random_range(0..5) } else { rng.random() }).collect()
                }
                _ => {
                    let mut w = witness.clone();
                    for _ in 0..rng.random_range(1..4) {
                        let subs = subtrees(&witness);
                        match rng.random_range(0..7) {
                            0 if !w.is_empty() => {
                                let i = rng.random_range(0..w.len());
                                w[i] ^= 1 << rng.random_range(0..8);
                            }
                            1 if !w.is_empty() => {
                                let i = rng.random_range(0..w.len());
                                w[i] = rng.random_range(0..5);
                            }
                            2 => w.truncate(rng.random_range(0..=w.len())),
                            3 => w.insert(rng.random_range(0..=w.len()), rng.random_range(0..4)),
                            4 if !w.is_empty() => {
                                w.remove(rng.random_range(0..w.len()));
                            }
                            // Hide a subtree of the original: still the honest root.
                            _ if w == witness => {
                                let sub = subs[rng.random_range(0..subs.len())];
                                if witness[sub.0] != TAG_EMPTY {
                                    w = collapse(&witness, sub);
                                }
                            }
                            _ => {}
                        }
                    }
                    w
                }
            };
            assert_sound(&tree, &mutated, &reads, &updates);
            if PartialTree::decode(&mutated).is_ok_and(|t| t.root() == tree.root()) {
                accepted += 1;
            }
        }
        assert!(accepted > 100, "some mutations keep the honest root: {accepted}");
    }

    #[test]
    fn every_collapse_is_sound() {
        let mut rng = rng();
        for _ in 0..10 {
            let leaves: Vec<_> =
                (0..rng.random_range(2..30)).map(|_| (random_b256(&mut rng), random_b256(&mut rng))).collect();
            let tree = tree_of(&leaves);
            let all: Vec<B256> = leaves.iter().map(|(k, _)| *k).collect();
            let (reads, updates) = random_updates(&mut rng, &tree, 10);
            // The fully revealed tree, and every way of hiding one or two of its subtrees.
            let full = tree.witness(&[&all[..], &reads].concat(), &[]);
            assert_sound(&tree, &full, &reads, &updates);
            let subs = subtrees(&full);
            for &a in &subs {
                if full[a.0] == TAG_EMPTY {
                    continue;
                }
                let once = collapse(&full, a);
                assert_sound(&tree, &once, &reads, &updates);
                let inner = subtrees(&once);
                let b = inner[rng.random_range(0..inner.len())];
                if once[b.0] != TAG_EMPTY {
                    assert_sound(&tree, &collapse(&once, b), &reads, &updates);
                }
            }
        }
    }

    #[test]
    fn error_codes() {
        assert_eq!(WitnessError::Incomplete(B256::ZERO).code(), "incomplete");
        assert_eq!(WitnessError::Malformed { offset: 0, reason: "x" }.code(), "malformed");
    }
}
