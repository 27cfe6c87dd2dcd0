//! The state commitment: a binary sparse Merkle tree over 256-bit keys in which a subtree
//! holding a single leaf is represented by that leaf.
//!
//! The hashing rules (normative text in `docs/state-commitment.md`):
//! - a subtree with no leaves hashes to `0x00…00`;
//! - a subtree with exactly one leaf `(k, v)` hashes to `keccak256(0x00 ‖ k ‖ v)`,
//!   whatever its depth;
//! - a subtree with two or more leaves hashes to `keccak256(H(left) ‖ H(right))`;
//! - bit `d` of a key (most significant first) chooses the side at depth `d`: 0 left, 1 right;
//! - a zero value means the key is absent.
//!
//! The same rules are implemented in Solidity (`contracts/src/lib/SparseMerkle.sol`) and
//! both sides check the vectors in `testdata/smt-vectors.json`.
//!
//! [`SparseMerkleTree`] keeps every node with its hash, so a batch of updates rehashes only
//! the paths it touches: about `log2(N)` hashes per updated key.

use crate::witness::{self, PartialTree, Position};
use alloy_primitives::{B256, keccak256};
use rayon::prelude::*;
use std::collections::HashSet;

/// Hash of an empty subtree.
pub const EMPTY: B256 = B256::ZERO;

/// `keccak256(0x00 ‖ key ‖ value)`: the hash of a subtree holding one leaf.
pub fn leaf_hash(key: &B256, value: &B256) -> B256 {
    let mut buf = [0u8; 65];
    buf[1..33].copy_from_slice(key.as_slice());
    buf[33..].copy_from_slice(value.as_slice());
    keccak256(buf)
}

/// `keccak256(left ‖ right)`: the hash of a subtree holding two or more leaves.
pub fn node_hash(left: &B256, right: &B256) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(left.as_slice());
    buf[32..].copy_from_slice(right.as_slice());
    keccak256(buf)
}

/// Bit `depth` of `key`, most significant first (`depth` < 256).
#[inline]
pub fn bit_at(key: &B256, depth: usize) -> bool {
    (key[depth / 8] >> (7 - depth % 8)) & 1 == 1
}

/// Root of the tree holding exactly `leaves`, computed from scratch: the reference
/// definition. Order does not matter; a zero value is an absent key; for a key given twice
/// the last value wins.
pub fn compute_root(leaves: &[(B256, B256)]) -> B256 {
    fn subtree(leaves: &[(B256, B256)], depth: usize) -> B256 {
        match leaves {
            [] => EMPTY,
            [(k, v)] => leaf_hash(k, v),
            _ => {
                let mid = leaves.partition_point(|(k, _)| !bit_at(k, depth));
                node_hash(&subtree(&leaves[..mid], depth + 1), &subtree(&leaves[mid..], depth + 1))
            }
        }
    }
    let mut live = sorted_last_wins(leaves.to_vec());
    live.retain(|(_, v)| !v.is_zero());
    subtree(&live, 0)
}

/// Sorts updates by key, keeping the last value given for each key.
fn sorted_last_wins(mut batch: Vec<(B256, B256)>) -> Vec<(B256, B256)> {
    // A stable sort keeps equal keys in the order they were given.
    batch.sort_by_key(|(k, _)| *k);
    let mut out: Vec<(B256, B256)> = Vec::with_capacity(batch.len());
    for (k, v) in batch {
        match out.last_mut() {
            Some(last) if last.0 == k => last.1 = v,
            _ => out.push((k, v)),
        }
    }
    out
}

/// What a proof finds at the end of a key's path.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Terminal {
    /// An empty subtree: the key is absent.
    Empty,
    /// A single-leaf subtree: the key itself (inclusion) or another key sharing the path
    /// so far (exclusion).
    Leaf {
        /// The leaf's key.
        key: B256,
        /// The leaf's value.
        value: B256,
    },
}

impl Terminal {
    /// Hash of the terminal subtree.
    pub fn hash(&self) -> B256 {
        match self {
            Self::Empty => EMPTY,
            Self::Leaf { key, value } => leaf_hash(key, value),
        }
    }
}

/// A proof of the value (or absence) of one key: the sibling hashes along its path from the
/// root down, and the subtree found at depth `siblings.len()`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Proof {
    /// `siblings[i]` is the hash of the sibling subtree at depth `i + 1`.
    pub siblings: Vec<B256>,
    /// The subtree at the end of the path.
    pub terminal: Terminal,
}

impl Proof {
    /// The root this proof hashes up to for `key`.
    pub fn root(&self, key: &B256) -> B256 {
        let mut h = self.terminal.hash();
        for (depth, sibling) in self.siblings.iter().enumerate().rev() {
            h = if bit_at(key, depth) { node_hash(sibling, &h) } else { node_hash(&h, sibling) };
        }
        h
    }

    /// The value the proof shows for `key` (zero when absent), if it is a well-formed proof for
    /// that key against `root`.
    pub fn verify(&self, root: &B256, key: &B256) -> Option<B256> {
        if self.siblings.len() > 256 || self.root(key) != *root {
            return None;
        }
        match &self.terminal {
            Terminal::Empty => Some(B256::ZERO),
            Terminal::Leaf { key: k, value } if k == key => Some(*value),
            Terminal::Leaf { key: k, .. } => {
                // Exclusion: another key on the same path so far.
                (0..self.siblings.len()).all(|d| bit_at(k, d) == bit_at(key, d)).then_some(B256::ZERO)
            }
        }
    }
}

#[derive(Clone, Debug)]
enum Node {
    Empty,
    Leaf {
        key: B256,
        value: B256,
        hash: B256,
    },
    /// A subtree holding at least two leaves.
    Branch {
        left: Box<Node>,
        right: Box<Node>,
        hash: B256,
    },
}

impl Node {
    fn hash(&self) -> B256 {
        match self {
            Self::Empty => EMPTY,
            Self::Leaf { hash, .. } | Self::Branch { hash, .. } => *hash,
        }
    }

    fn leaf(key: B256, value: B256) -> Self {
        Self::Leaf { key, value, hash: leaf_hash(&key, &value) }
    }

    /// Joins two children at some depth, lifting a lone leaf.
    fn join(left: Self, right: Self) -> Self {
        match (left, right) {
            (Self::Empty, Self::Empty) => Self::Empty,
            (leaf @ Self::Leaf { .. }, Self::Empty) | (Self::Empty, leaf @ Self::Leaf { .. }) => leaf,
            (left, right) => {
                let hash = node_hash(&left.hash(), &right.hash());
                Self::Branch { left: Box::new(left), right: Box::new(right), hash }
            }
        }
    }

    /// Builds the subtree at `depth` holding `leaves` (sorted, unique, non-zero values).
    fn build(depth: usize, leaves: &[(B256, B256)]) -> Self {
        match leaves {
            [] => Self::Empty,
            [(k, v)] => Self::leaf(*k, *v),
            _ => {
                let mid = leaves.partition_point(|(k, _)| !bit_at(k, depth));
                Self::join(Self::build(depth + 1, &leaves[..mid]), Self::build(depth + 1, &leaves[mid..]))
            }
        }
    }

    /// Applies sorted, unique `updates` (zero deletes) to the subtree at `depth` in place,
    /// rehashing only the paths of updated keys, and returns the change in the number of
    /// leaves.
    fn update(&mut self, depth: usize, updates: &[(B256, B256)]) -> isize {
        if updates.is_empty() {
            return 0;
        }
        match self {
            Self::Empty => {
                let live: Vec<_> = updates.iter().filter(|(_, v)| !v.is_zero()).copied().collect();
                *self = Self::build(depth, &live);
                live.len() as isize
            }
            Self::Leaf { key, value, .. } => {
                // Merge the existing leaf with the updates; an update of the same key wins.
                let (key, value) = (*key, *value);
                let mut merged = Vec::with_capacity(updates.len() + 1);
                let at = updates.partition_point(|(k, _)| *k < key);
                merged.extend_from_slice(&updates[..at]);
                if updates.get(at).is_none_or(|(k, _)| *k != key) {
                    merged.push((key, value));
                }
                merged.extend_from_slice(&updates[at..]);
                merged.retain(|(_, v)| !v.is_zero());
                *self = Self::build(depth, &merged);
                merged.len() as isize - 1
            }
            Self::Branch { left, right, hash } => {
                let mid = updates.partition_point(|(k, _)| !bit_at(k, depth));
                let delta = left.update(depth + 1, &updates[..mid]) + right.update(depth + 1, &updates[mid..]);
                // Restore the invariants: no empty subtree and no lone leaf below a branch.
                match (&mut **left, &mut **right) {
                    (Self::Empty, Self::Empty) => *self = Self::Empty,
                    (leaf @ Self::Leaf { .. }, Self::Empty) | (Self::Empty, leaf @ Self::Leaf { .. }) => {
                        *self = std::mem::replace(leaf, Self::Empty);
                    }
                    (l, r) => *hash = node_hash(&l.hash(), &r.hash()),
                }
                delta
            }
        }
    }

    /// Cuts the subtree at `depth` into the `2^(levels - depth)` subtrees at depth `levels`,
    /// left to right. A lone leaf above that depth goes down to the subtree on its path.
    fn split(self, depth: usize, levels: usize, out: &mut Vec<Self>) {
        if depth == levels {
            out.push(self);
            return;
        }
        match self {
            Self::Branch { left, right, .. } => {
                left.split(depth + 1, levels, out);
                right.split(depth + 1, levels, out);
            }
            Self::Leaf { key, .. } if bit_at(&key, depth) => {
                Self::Empty.split(depth + 1, levels, out);
                self.split(depth + 1, levels, out);
            }
            Self::Leaf { .. } => {
                self.split(depth + 1, levels, out);
                Self::Empty.split(depth + 1, levels, out);
            }
            Self::Empty => out.extend(std::iter::repeat_with(|| Self::Empty).take(1 << (levels - depth))),
        }
    }
}

/// Writes the witness encoding of `node`, at `depth` with key bits `path`: revealed (a LEAF or
/// a BRANCH) when its position is in `open`, OPAQUE otherwise, EMPTY when it is empty.
fn encode_witness(node: &Node, depth: usize, path: B256, open: &HashSet<Position>, out: &mut Vec<u8>) {
    let revealed = open.contains(&(depth, path));
    match node {
        Node::Empty => out.push(witness::TAG_EMPTY),
        Node::Leaf { key, value, .. } if revealed => {
            out.push(witness::TAG_LEAF);
            out.extend_from_slice(key.as_slice());
            out.extend_from_slice(value.as_slice());
        }
        Node::Branch { left, right, .. } if revealed => {
            out.push(witness::TAG_BRANCH);
            encode_witness(left, depth + 1, path, open, out);
            encode_witness(right, depth + 1, witness::child_path(&path, depth, true), open, out);
        }
        Node::Leaf { hash, .. } | Node::Branch { hash, .. } => {
            out.push(witness::TAG_OPAQUE);
            out.extend_from_slice(hash.as_slice());
        }
    }
}

/// What the levels above a subtree need to know of it.
#[derive(Clone, Copy, Debug)]
enum Summary {
    Empty,
    /// A single leaf, with its hash (lifted through any empty siblings).
    Leaf(B256),
    /// Two or more leaves.
    Branch(B256),
}

impl Summary {
    fn of(node: &Node) -> Self {
        match node {
            Node::Empty => Self::Empty,
            Node::Leaf { hash, .. } => Self::Leaf(*hash),
            Node::Branch { hash, .. } => Self::Branch(*hash),
        }
    }

    fn hash(self) -> B256 {
        match self {
            Self::Empty => EMPTY,
            Self::Leaf(h) | Self::Branch(h) => h,
        }
    }

    /// The summary of a branch's two sides, as [`Node::join`] builds it.
    fn join(left: Self, right: Self) -> Self {
        match (left, right) {
            (Self::Empty, Self::Empty) => Self::Empty,
            (leaf @ Self::Leaf(_), Self::Empty) | (Self::Empty, leaf @ Self::Leaf(_)) => leaf,
            (l, r) => Self::Branch(node_hash(&l.hash(), &r.hash())),
        }
    }
}

/// Joins adjacent pairs level by level down to one element.
fn fold_levels<T>(mut level: Vec<T>, join: impl Fn(T, T) -> T) -> Option<T> {
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len() / 2);
        let mut it = level.into_iter();
        while let Some(a) = it.next() {
            match it.next() {
                Some(b) => next.push(join(a, b)),
                None => next.push(a),
            }
        }
        level = next;
    }
    level.into_iter().next()
}

/// Most levels [`SparseMerkleTree::update_chunks`] cuts the tree at.
const MAX_SPLIT_LEVELS: u32 = 8;

/// An in-memory sparse Merkle tree with cached node hashes.
#[derive(Clone, Debug)]
pub struct SparseMerkleTree {
    root: Node,
    len: usize,
}

impl Default for SparseMerkleTree {
    fn default() -> Self {
        Self { root: Node::Empty, len: 0 }
    }
}

impl SparseMerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The root hash.
    pub fn root(&self) -> B256 {
        self.root.hash()
    }

    /// Number of leaves (keys with a non-zero value).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value under `key` (zero when absent).
    pub fn get(&self, key: &B256) -> B256 {
        let mut node = &self.root;
        let mut depth = 0;
        loop {
            match node {
                Node::Empty => return B256::ZERO,
                Node::Leaf { key: k, value, .. } => return if k == key { *value } else { B256::ZERO },
                Node::Branch { left, right, .. } => {
                    node = if bit_at(key, depth) { right } else { left };
                    depth += 1;
                }
            }
        }
    }

    /// Applies a batch of updates (a zero value deletes the key) and returns the new root.
    /// Later entries for the same key win. Only the paths of updated keys are rehashed.
    pub fn update<I>(&mut self, updates: I) -> B256
    where
        I: IntoIterator<Item = (B256, B256)>,
    {
        let deduped = sorted_last_wins(updates.into_iter().collect());
        let delta = self.root.update(0, &deduped);
        self.len = self.len.saturating_add_signed(delta);
        self.root()
    }

    /// Applies `chunks` of updates one after the other and returns the root after each: the
    /// same as [`Self::update`] per chunk, in order.
    ///
    /// With `levels > 0`, the tree is cut at depth `levels` into `2^levels` subtrees; each
    /// applies its share of every chunk in order, as one task on the current rayon pool,
    /// and records its summary after each chunk; the top levels are then hashed per chunk.
    /// One fork per call, however many chunks.
    pub fn update_chunks(&mut self, chunks: Vec<Vec<(B256, B256)>>, levels: u32) -> Vec<B256> {
        if levels == 0 || chunks.is_empty() {
            return chunks.into_iter().map(|c| self.update(c)).collect();
        }
        let levels = levels.min(MAX_SPLIT_LEVELS) as usize;
        let sorted: Vec<Vec<(B256, B256)>> = chunks.into_par_iter().map(sorted_last_wins).collect();
        let mut subtrees = Vec::with_capacity(1 << levels);
        std::mem::replace(&mut self.root, Node::Empty).split(0, levels, &mut subtrees);
        let prefix = |k: &B256| usize::from(k[0]) >> (8 - levels);
        let done: Vec<(Node, Vec<Summary>, isize)> = subtrees
            .into_par_iter()
            .enumerate()
            .map(|(i, mut node)| {
                let mut summaries = Vec::with_capacity(sorted.len());
                let mut delta = 0;
                for chunk in &sorted {
                    let start = chunk.partition_point(|(k, _)| prefix(k) < i);
                    let end = chunk.partition_point(|(k, _)| prefix(k) <= i);
                    delta += node.update(levels, &chunk[start..end]);
                    summaries.push(Summary::of(&node));
                }
                (node, summaries, delta)
            })
            .collect();
        let roots = (0..sorted.len())
            .map(|c| {
                fold_levels(done.iter().map(|(_, s, _)| s[c]).collect(), Summary::join).map_or(EMPTY, Summary::hash)
            })
            .collect();
        let mut nodes = Vec::with_capacity(done.len());
        for (node, _, delta) in done {
            self.len = self.len.saturating_add_signed(delta);
            nodes.push(node);
        }
        self.root = fold_levels(nodes, Node::join).unwrap_or(Node::Empty);
        roots
    }

    /// Sets one key; see [`Self::update`].
    pub fn insert(&mut self, key: B256, value: B256) -> B256 {
        self.update([(key, value)])
    }

    /// A proof of the value of `key` (or of its absence) against [`Self::root`].
    pub fn prove(&self, key: &B256) -> Proof {
        let mut siblings = Vec::new();
        let mut node = &self.root;
        let mut depth = 0;
        loop {
            match node {
                Node::Empty => return Proof { siblings, terminal: Terminal::Empty },
                Node::Leaf { key, value, .. } => {
                    return Proof { siblings, terminal: Terminal::Leaf { key: *key, value: *value } };
                }
                Node::Branch { left, right, .. } => {
                    let (next, sibling) = if bit_at(key, depth) { (right, left) } else { (left, right) };
                    siblings.push(sibling.hash());
                    node = next;
                    depth += 1;
                }
            }
        }
    }

    /// The minimal state witness (docs/state-commitment.md §8) against [`Self::root`] for a
    /// chunk that reads `keys` and writes `post` (in order; a zero value deletes): it reveals
    /// the path of every key in `keys` and in `post` down to its leaf or empty subtree, and
    /// opens one more level each OPAQUE subtree that
    /// [`PartialTree::post_root`](crate::witness::PartialTree::post_root) needs after `post` is
    /// applied. Everything else is OPAQUE, and empty subtrees are always EMPTY.
    pub fn witness(&self, keys: &[B256], post: &[(B256, B256)]) -> Vec<u8> {
        let mut open: HashSet<Position> = HashSet::new();
        for key in keys.iter().chain(post.iter().map(|(k, _)| k)) {
            let mut node = &self.root;
            let mut depth = 0;
            loop {
                match node {
                    Node::Empty => break,
                    Node::Leaf { .. } => {
                        open.insert((depth, witness::prefix(key, depth)));
                        break;
                    }
                    Node::Branch { left, right, .. } => {
                        open.insert((depth, witness::prefix(key, depth)));
                        node = if bit_at(key, depth) { right } else { left };
                        depth += 1;
                    }
                }
            }
        }
        loop {
            let mut out = Vec::new();
            encode_witness(&self.root, 0, B256::ZERO, &open, &mut out);
            let mut partial = PartialTree::decode(&out).expect("the witness of an honest tree decodes");
            for (key, value) in post {
                partial.set(*key, *value).expect("the path of every updated key is revealed");
            }
            let needs = partial.openings_needed();
            if needs.is_empty() {
                return out;
            }
            open.extend(needs);
        }
    }

    /// All leaves in key order.
    pub fn leaves(&self) -> Vec<(B256, B256)> {
        fn walk(node: &Node, out: &mut Vec<(B256, B256)>) {
            match node {
                Node::Empty => {}
                Node::Leaf { key, value, .. } => out.push((*key, *value)),
                Node::Branch { left, right, .. } => {
                    walk(left, out);
                    walk(right, out);
                }
            }
        }
        let mut out = Vec::with_capacity(self.len);
        walk(&self.root, &mut out);
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use alloy_primitives::b256;
    use rand::{Rng, SeedableRng, rngs::StdRng};
    use std::collections::BTreeMap;

    /// The tests' random source: `SEED=<n>` replays a run.
    pub(crate) fn rng() -> StdRng {
        let seed = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
        StdRng::seed_from_u64(seed)
    }

    pub(crate) fn random_b256(rng: &mut StdRng) -> B256 {
        B256::from(rng.random::<[u8; 32]>())
    }

    #[test]
    fn empty_and_single_leaf() {
        let mut tree = SparseMerkleTree::new();
        assert_eq!(tree.root(), B256::ZERO);
        let k = b256!("0x8000000000000000000000000000000000000000000000000000000000000001");
        let v = B256::with_last_byte(7);
        assert_eq!(tree.insert(k, v), leaf_hash(&k, &v));
        assert_eq!(tree.insert(k, B256::ZERO), B256::ZERO);
        assert!(tree.is_empty());
    }

    #[test]
    fn two_leaves_sharing_a_prefix_are_nested() {
        // Keys 0b000… and 0b001… share two bits: root = node(node(node(l0, l1), 0), 0).
        let k0 = B256::ZERO;
        let mut k1 = B256::ZERO;
        k1[0] = 0b0010_0000;
        let v = B256::with_last_byte(1);
        let mut tree = SparseMerkleTree::new();
        tree.update([(k0, v), (k1, v)]);
        let expected = node_hash(&node_hash(&node_hash(&leaf_hash(&k0, &v), &leaf_hash(&k1, &v)), &EMPTY), &EMPTY);
        assert_eq!(tree.root(), expected);
        // Deleting one lifts the other to the root.
        tree.insert(k1, B256::ZERO);
        assert_eq!(tree.root(), leaf_hash(&k0, &v));
    }

    #[test]
    fn incremental_updates_match_the_reference_definition() {
        let mut rng = rng();
        let mut tree = SparseMerkleTree::new();
        let mut parallel = SparseMerkleTree::new();
        let mut model: BTreeMap<B256, B256> = BTreeMap::new();
        let mut keys: Vec<B256> = (0..300).map(|_| random_b256(&mut rng)).collect();
        // A few keys with long shared prefixes exercise deep paths.
        for i in 0..8u8 {
            let mut k = keys[0];
            k[31] ^= 1 << i;
            keys.push(k);
        }
        for _round in 0..40 {
            let max = if rng.random_bool(0.2) { 400 } else { 60 };
            let n = rng.random_range(1..max);
            let mut batch = Vec::new();
            for _ in 0..n {
                let k = keys[rng.random_range(0..keys.len())];
                let v = if rng.random_bool(0.3) { B256::ZERO } else { random_b256(&mut rng) };
                batch.push((k, v));
            }
            for (k, v) in &batch {
                if v.is_zero() {
                    model.remove(k);
                } else {
                    model.insert(*k, *v);
                }
            }
            let root = tree.update(batch.clone());
            // The same batch as chunks, cut at 1 to 4 levels, gives the same roots.
            let cut = rng.random_range(0..=batch.len());
            let chunks = vec![batch[..cut].to_vec(), batch[cut..].to_vec()];
            let mut reference = parallel.clone();
            let expected: Vec<B256> = chunks.iter().map(|c| reference.update(c.clone())).collect();
            let roots = parallel.update_chunks(chunks, rng.random_range(1..=4));
            assert_eq!(roots, expected, "chunked update gives the same roots");
            assert_eq!(roots[1], root);
            let leaves: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(root, compute_root(&leaves));
            assert_eq!(tree.len(), model.len());
            assert_eq!(parallel.len(), model.len());
            assert_eq!(tree.leaves(), leaves);
        }
    }

    #[test]
    fn proofs_verify_inclusion_and_exclusion() {
        let mut rng = rng();
        let mut tree = SparseMerkleTree::new();
        let leaves: Vec<_> = (0..200).map(|_| (random_b256(&mut rng), random_b256(&mut rng))).collect();
        tree.update(leaves.clone());
        let root = tree.root();
        for (k, v) in &leaves {
            let proof = tree.prove(k);
            assert_eq!(proof.verify(&root, k), Some(*v));
            // A wrong root or a tampered sibling fails.
            assert_eq!(proof.verify(&B256::with_last_byte(1), k), None);
        }
        for _ in 0..50 {
            let absent = random_b256(&mut rng);
            let proof = tree.prove(&absent);
            assert_eq!(proof.verify(&root, &absent), Some(B256::ZERO));
            assert_eq!(tree.get(&absent), B256::ZERO);
        }
        // An inclusion proof of one key is not an exclusion proof of another key elsewhere.
        let (k0, _) = leaves[0];
        let mut other = k0;
        other[0] ^= 0x80;
        assert_eq!(tree.prove(&k0).verify(&root, &other), None);
    }
}
