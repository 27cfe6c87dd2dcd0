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

use crate::idle::IdleThreads;
use crate::keccak::keccak256_batch;
use crate::witness::{self, PartialTree, Position};
use alloy_primitives::{B256, keccak256};
use rayon::prelude::*;
use std::collections::HashSet;

/// Hash of an empty subtree.
pub const EMPTY: B256 = B256::ZERO;

/// `0x00 ‖ key ‖ value`: what a leaf's hash is taken of.
fn leaf_preimage(key: &B256, value: &B256) -> [u8; 65] {
    let mut buf = [0u8; 65];
    buf[1..33].copy_from_slice(key.as_slice());
    buf[33..].copy_from_slice(value.as_slice());
    buf
}

/// `left ‖ right`: what a branch's hash is taken of.
fn node_preimage(left: &B256, right: &B256) -> [u8; 64] {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(left.as_slice());
    buf[32..].copy_from_slice(right.as_slice());
    buf
}

/// `keccak256(0x00 ‖ key ‖ value)`: the hash of a subtree holding one leaf.
pub fn leaf_hash(key: &B256, value: &B256) -> B256 {
    keccak256(leaf_preimage(key, value))
}

/// `keccak256(left ‖ right)`: the hash of a subtree holding two or more leaves.
pub fn node_hash(left: &B256, right: &B256) -> B256 {
    keccak256(node_preimage(left, right))
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

/// Depth at which the tree is cut into shards: shard `s` holds the keys whose first byte is `s`.
const SHARD_BITS: usize = 8;

/// Number of shards.
const SHARDS: usize = 1 << SHARD_BITS;

/// Most levels [`SparseMerkleTree::update_chunks`] cuts the tree at (one task per shard).
const MAX_SPLIT_LEVELS: u32 = SHARD_BITS as u32;

/// A node of a shard: an index into its leaves or branches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Ref {
    #[default]
    Empty,
    Leaf(u32),
    /// A subtree holding at least two leaves.
    Branch(u32),
}

#[derive(Clone, Debug)]
struct Leaf {
    key: B256,
    value: B256,
    hash: B256,
}

#[derive(Clone, Debug)]
struct Branch {
    left: Ref,
    right: Ref,
    hash: B256,
}

/// The subtree at depth [`SHARD_BITS`] holding the keys of one prefix, its nodes laid out in
/// two arenas.
#[derive(Clone, Debug, Default)]
struct Shard {
    root: Ref,
    leaves: Vec<Leaf>,
    branches: Vec<Branch>,
    free_leaves: Vec<u32>,
    free_branches: Vec<u32>,
}

/// Branches whose hash an update made stale, by depth: `(shard, branch)` pairs.
#[derive(Default)]
struct Dirty {
    by_depth: Vec<Vec<(u16, u32)>>,
}

impl Dirty {
    fn push(&mut self, depth: usize, shard: u16, branch: u32) {
        if self.by_depth.len() <= depth {
            self.by_depth.resize_with(depth + 1, Vec::new);
        }
        self.by_depth[depth].push((shard, branch));
    }
}

impl Shard {
    fn hash_of(&self, node: Ref) -> B256 {
        match node {
            Ref::Empty => EMPTY,
            Ref::Leaf(i) => self.leaves[i as usize].hash,
            Ref::Branch(i) => self.branches[i as usize].hash,
        }
    }

    fn summary(&self) -> Summary {
        match self.root {
            Ref::Empty => Summary::Empty,
            Ref::Leaf(i) => Summary::Leaf(self.leaves[i as usize].hash),
            Ref::Branch(i) => Summary::Branch(self.branches[i as usize].hash),
        }
    }

    fn alloc_leaf(&mut self, key: B256, value: B256, hash: B256) -> u32 {
        alloc(&mut self.leaves, &mut self.free_leaves, Leaf { key, value, hash })
    }

    /// A branch over two children; its hash is left for [`Dirty`] to compute.
    fn alloc_branch(&mut self, left: Ref, right: Ref) -> u32 {
        alloc(&mut self.branches, &mut self.free_branches, Branch { left, right, hash: EMPTY })
    }

    /// Builds the subtree at `depth` over `leaves` (allocated, sorted by key, distinct).
    fn build(&mut self, id: u16, depth: usize, leaves: &[u32], dirty: &mut Dirty) -> Ref {
        match leaves {
            [] => Ref::Empty,
            [i] => Ref::Leaf(*i),
            _ => {
                let mid = leaves.partition_point(|&i| !bit_at(&self.leaves[i as usize].key, depth));
                let left = self.build(id, depth + 1, &leaves[..mid], dirty);
                let right = self.build(id, depth + 1, &leaves[mid..], dirty);
                let b = self.alloc_branch(left, right);
                dirty.push(depth, id, b);
                Ref::Branch(b)
            }
        }
    }

    /// Applies sorted, distinct `updates` (zero deletes; `hashes[i]` is the leaf hash of
    /// `updates[i]`) to `node` at `depth`. Returns the node now at that position and the change
    /// in the number of leaves. The structure is final on return; every branch whose hash it
    /// made stale is in `dirty`. A branch in `dirty` is never freed or moved afterwards: it
    /// holds two or more leaves, and so do all its ancestors.
    fn apply(
        &mut self,
        id: u16,
        node: Ref,
        depth: usize,
        updates: &[(B256, B256)],
        hashes: &[B256],
        dirty: &mut Dirty,
    ) -> (Ref, isize) {
        if updates.is_empty() {
            return (node, 0);
        }
        match node {
            Ref::Empty => {
                let leaves: Vec<u32> = updates
                    .iter()
                    .zip(hashes)
                    .filter(|((_, v), _)| !v.is_zero())
                    .map(|((k, v), h)| self.alloc_leaf(*k, *v, *h))
                    .collect();
                (self.build(id, depth, &leaves, dirty), leaves.len() as isize)
            }
            Ref::Leaf(i) => {
                let key = self.leaves[i as usize].key;
                if let [(k, v)] = updates
                    && *k == key
                {
                    // The common case: a new value for the key already here.
                    if v.is_zero() {
                        self.free_leaves.push(i);
                        return (Ref::Empty, -1);
                    }
                    let leaf = &mut self.leaves[i as usize];
                    leaf.value = *v;
                    leaf.hash = hashes[0];
                    return (node, 0);
                }
                // Merge the leaf here with the updates; an update of its key wins.
                let at = updates.partition_point(|(k, _)| *k < key);
                let mut leaves = Vec::with_capacity(updates.len() + 1);
                for ((k, v), h) in updates[..at].iter().zip(hashes) {
                    if !v.is_zero() {
                        leaves.push(self.alloc_leaf(*k, *v, *h));
                    }
                }
                let mut rest = at;
                match updates.get(at) {
                    Some((k, v)) if *k == key => {
                        rest += 1;
                        if v.is_zero() {
                            self.free_leaves.push(i);
                        } else {
                            let leaf = &mut self.leaves[i as usize];
                            leaf.value = *v;
                            leaf.hash = hashes[at];
                            leaves.push(i);
                        }
                    }
                    _ => leaves.push(i),
                }
                for ((k, v), h) in updates[rest..].iter().zip(&hashes[rest..]) {
                    if !v.is_zero() {
                        leaves.push(self.alloc_leaf(*k, *v, *h));
                    }
                }
                (self.build(id, depth, &leaves, dirty), leaves.len() as isize - 1)
            }
            Ref::Branch(b) => {
                let mid = updates.partition_point(|(k, _)| !bit_at(k, depth));
                let Branch { left, right, .. } = self.branches[b as usize];
                let (left, dl) = self.apply(id, left, depth + 1, &updates[..mid], &hashes[..mid], dirty);
                let (right, dr) = self.apply(id, right, depth + 1, &updates[mid..], &hashes[mid..], dirty);
                // Restore the invariants: no empty subtree and no lone leaf below a branch.
                let node = match (left, right) {
                    (Ref::Empty, Ref::Empty) => {
                        self.free_branches.push(b);
                        Ref::Empty
                    }
                    (leaf @ Ref::Leaf(_), Ref::Empty) | (Ref::Empty, leaf @ Ref::Leaf(_)) => {
                        self.free_branches.push(b);
                        leaf
                    }
                    _ => {
                        let branch = &mut self.branches[b as usize];
                        branch.left = left;
                        branch.right = right;
                        dirty.push(depth, id, b);
                        node
                    }
                };
                (node, dl + dr)
            }
        }
    }
}

/// Puts `item` in a free slot of `arena`, or at its end; returns its index.
fn alloc<T>(arena: &mut Vec<T>, free: &mut Vec<u32>, item: T) -> u32 {
    match free.pop() {
        Some(i) => {
            arena[i as usize] = item;
            i
        }
        None => {
            arena.push(item);
            (arena.len() - 1) as u32
        }
    }
}

/// Reused buffers of one updating task.
#[derive(Default)]
struct Scratch {
    dirty: Dirty,
    leaf_inputs: Vec<[u8; 65]>,
    node_inputs: Vec<[u8; 64]>,
    /// Leaf hashes of the updates being applied.
    leaf_hashes: Vec<B256>,
    /// Output of [`Self::hash_nodes`].
    hashes: Vec<B256>,
    /// Which nodes of one level above the shards changed, and of the level above it.
    changed_below: Vec<bool>,
    changed_here: Vec<bool>,
    /// Nodes of one level above the shards that need a hash.
    pairs: Vec<usize>,
}

impl Scratch {
    /// Leaf hashes of `updates`, several at a time, into `self.leaf_hashes`.
    fn hash_leaves(&mut self, updates: &[(B256, B256)]) {
        self.leaf_inputs.clear();
        self.leaf_inputs.extend(updates.iter().map(|(k, v)| leaf_preimage(k, v)));
        self.leaf_hashes.clear();
        self.leaf_hashes.resize(updates.len(), EMPTY);
        keccak256_batch(&self.leaf_inputs, &mut self.leaf_hashes);
    }

    /// Hashes `pairs` (left, right) several at a time into `self.hashes`.
    fn hash_nodes(&mut self, pairs: impl Iterator<Item = (B256, B256)>) {
        self.node_inputs.clear();
        self.node_inputs.extend(pairs.map(|(l, r)| node_preimage(&l, &r)));
        self.hashes.clear();
        self.hashes.resize(self.node_inputs.len(), EMPTY);
        keccak256_batch(&self.node_inputs, &mut self.hashes);
    }

    /// Rehashes the stale branches of `shards`, deepest first, each level several at a time.
    fn rehash(&mut self, shards: &mut [Shard]) {
        let mut by_depth = std::mem::take(&mut self.dirty.by_depth);
        for list in by_depth.iter_mut().rev() {
            if list.is_empty() {
                continue;
            }
            self.hash_nodes(list.iter().map(|&(s, b)| {
                let shard = &shards[s as usize];
                let branch = &shard.branches[b as usize];
                (shard.hash_of(branch.left), shard.hash_of(branch.right))
            }));
            for (&(s, b), hash) in list.iter().zip(&self.hashes) {
                shards[s as usize].branches[b as usize].hash = *hash;
            }
            list.clear();
        }
        self.dirty.by_depth = by_depth;
    }
}

/// Updates the aligned range of shards `shards` and the levels of the top of the tree above
/// them, down from level `level` (the range's own root, `tops[0][0]` when `level` <
/// [`SHARD_BITS`]): `tops[i]` is this range's part of level `level + i`. Applies `chunks` one
/// after the other and returns the range's summary after each, and the change in the number
/// of leaves.
///
/// With `idle`, the range looks at each chunk boundary for a thread with nothing to do and,
/// if it claims one, splits its shards in two halves that apply the remaining chunks as two
/// tasks ([`update_split`]), the idle thread taking one.
fn update_range(
    shards: &mut [Shard],
    first: usize,
    tops: &mut [&mut [Summary]],
    level: usize,
    chunks: &[Vec<(B256, B256)>],
    idle: Option<&IdleThreads>,
) -> (Vec<Summary>, isize) {
    let mut scratch = Scratch::default();
    let mut summaries = Vec::with_capacity(chunks.len());
    let mut delta = 0;
    for (c, chunk) in chunks.iter().enumerate() {
        if shards.len() > 1
            && let Some(idle) = idle
            && idle.claim()
        {
            let (rest, rest_delta) = update_split(shards, first, tops, level, &chunks[c..], Some(idle), 1);
            summaries.extend(rest);
            return (summaries, delta + rest_delta);
        }
        let lo = chunk.partition_point(|(k, _)| usize::from(k[0]) < first);
        let hi = chunk.partition_point(|(k, _)| usize::from(k[0]) < first + shards.len());
        let updates = &chunk[lo..hi];
        if !updates.is_empty() {
            scratch.hash_leaves(updates);
            scratch.changed_below.clear();
            scratch.changed_below.resize(shards.len(), false);
            let Scratch { dirty, leaf_hashes, changed_below, .. } = &mut scratch;
            let mut start = 0;
            while start < updates.len() {
                let s = usize::from(updates[start].0[0]) - first;
                let end = start + updates[start..].partition_point(|(k, _)| usize::from(k[0]) - first == s);
                let shard = &mut shards[s];
                let (root, d) = shard.apply(
                    s as u16,
                    shard.root,
                    SHARD_BITS,
                    &updates[start..end],
                    &leaf_hashes[start..end],
                    dirty,
                );
                shard.root = root;
                delta += d;
                changed_below[s] = true;
                start = end;
            }
            scratch.rehash(shards);
            update_tops(shards, tops, level, &mut scratch);
        }
        summaries.push(if level == SHARD_BITS { shards[0].summary() } else { tops[0][0] });
    }
    (summaries, delta)
}

/// [`update_range`] on `shards`, cut into `2^splits` ranges first (as far as single shards)
/// that run as tasks on the current rayon pool (and, with `idle`, cut again whenever a thread
/// is idle). Returns the range's summary after each chunk; where it was cut, that is the join
/// of its two halves' summaries by the tree's own rule, and the range's own node
/// (`tops[0][0]`) is set from the last.
fn update_split(
    shards: &mut [Shard],
    first: usize,
    tops: &mut [&mut [Summary]],
    level: usize,
    chunks: &[Vec<(B256, B256)>],
    idle: Option<&IdleThreads>,
    splits: u32,
) -> (Vec<Summary>, isize) {
    if splits == 0 || shards.len() == 1 {
        return update_range(shards, first, tops, level, chunks, idle);
    }
    let half = shards.len() / 2;
    let (lo_shards, hi_shards) = shards.split_at_mut(half);
    let (own, below) = tops.split_first_mut().expect("a range of several shards has its own node above them");
    let (mut lo_tops, mut hi_tops): (Vec<&mut [Summary]>, Vec<&mut [Summary]>) = below
        .iter_mut()
        .map(|part| {
            let half = part.len() / 2;
            part.split_at_mut(half)
        })
        .unzip();
    let lo = || update_split(lo_shards, first, &mut lo_tops, level + 1, chunks, idle, splits - 1);
    let hi = || update_split(hi_shards, first + half, &mut hi_tops, level + 1, chunks, idle, splits - 1);
    let ((lo, lo_delta), (hi, hi_delta)) = match idle {
        Some(idle) => idle.join(lo, hi),
        None => rayon::join(lo, hi),
    };
    let summaries: Vec<Summary> = lo.iter().zip(&hi).map(|(l, h)| Summary::join(*l, *h)).collect();
    if let Some(last) = summaries.last() {
        own[0] = *last;
    }
    (summaries, lo_delta + hi_delta)
}

/// Recomputes the levels above the shards from [`SHARD_BITS`] - 1 up to `level`, where a
/// node below changed (`scratch.changed_below`: the shards), each level several hashes at a
/// time. `tops` as for [`update_range`].
fn update_tops(shards: &[Shard], tops: &mut [&mut [Summary]], level: usize, scratch: &mut Scratch) {
    for l in (level..SHARD_BITS).rev() {
        let (upper, lower) = tops.split_at_mut(l + 1 - level);
        let child = |i: usize| if l + 1 == SHARD_BITS { shards[i].summary() } else { lower[0][i] };
        let nodes = &mut upper[l - level];
        scratch.changed_here.clear();
        scratch.changed_here.resize(nodes.len(), false);
        scratch.pairs.clear();
        for (n, node) in nodes.iter_mut().enumerate() {
            if !scratch.changed_below[2 * n] && !scratch.changed_below[2 * n + 1] {
                continue;
            }
            scratch.changed_here[n] = true;
            match Summary::join_lifted(child(2 * n), child(2 * n + 1)) {
                Some(lifted) => *node = lifted,
                None => scratch.pairs.push(n),
            }
        }
        let pairs = std::mem::take(&mut scratch.pairs);
        scratch.hash_nodes(pairs.iter().map(|&n| (child(2 * n).hash(), child(2 * n + 1).hash())));
        for (&n, hash) in pairs.iter().zip(&scratch.hashes) {
            nodes[n] = Summary::Branch(*hash);
        }
        scratch.pairs = pairs;
        std::mem::swap(&mut scratch.changed_below, &mut scratch.changed_here);
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
    fn hash(self) -> B256 {
        match self {
            Self::Empty => EMPTY,
            Self::Leaf(h) | Self::Branch(h) => h,
        }
    }

    /// The summary of a branch's two sides when it needs no hash (an empty side), `None`
    /// when it is a branch of the two.
    fn join_lifted(left: Self, right: Self) -> Option<Self> {
        match (left, right) {
            (Self::Empty, Self::Empty) => Some(Self::Empty),
            (leaf @ Self::Leaf(_), Self::Empty) | (Self::Empty, leaf @ Self::Leaf(_)) => Some(leaf),
            _ => None,
        }
    }

    /// The summary of a branch's two sides.
    fn join(left: Self, right: Self) -> Self {
        Self::join_lifted(left, right).unwrap_or_else(|| Self::Branch(node_hash(&left.hash(), &right.hash())))
    }
}

/// A position in the tree, for walking it from the root.
#[derive(Clone, Copy, Debug)]
enum Cursor {
    /// Subtree `index` of the levels above the shards (`level` ≤ [`SHARD_BITS`]).
    Top { level: usize, index: usize },
    /// A node inside shard `shard`.
    Shard { shard: usize, node: Ref },
}

/// What is at a [`Cursor`].
enum View<'a> {
    Empty,
    Leaf(&'a Leaf),
    Branch { hash: B256, left: Cursor, right: Cursor },
}

/// An in-memory sparse Merkle tree with cached node hashes.
///
/// Layout: the levels above depth [`SHARD_BITS`] are kept as summaries (`top[l]` holds the
/// `2^l` subtrees at depth `l`), and each of the `2^SHARD_BITS` subtrees at that depth is a
/// shard whose nodes live in two flat arenas. An update first changes the structure and
/// records the branches it made stale, then rehashes them level by level from the deepest,
/// many hashes at a time ([`keccak256_batch`]).
#[derive(Clone, Debug)]
pub struct SparseMerkleTree {
    shards: Vec<Shard>,
    top: Vec<Vec<Summary>>,
    len: usize,
}

impl Default for SparseMerkleTree {
    fn default() -> Self {
        Self {
            shards: vec![Shard::default(); SHARDS],
            top: (0..SHARD_BITS).map(|l| vec![Summary::Empty; 1 << l]).collect(),
            len: 0,
        }
    }
}

impl SparseMerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The root hash.
    pub fn root(&self) -> B256 {
        self.top[0][0].hash()
    }

    /// Number of leaves (keys with a non-zero value).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// What is at `cursor`.
    fn view(&self, cursor: Cursor) -> View<'_> {
        match cursor {
            Cursor::Top { level, index } if level == SHARD_BITS => {
                self.view(Cursor::Shard { shard: index, node: self.shards[index].root })
            }
            Cursor::Top { level, index } => match self.top[level][index] {
                Summary::Empty => View::Empty,
                Summary::Leaf(_) => {
                    // The one leaf of the subtree sits alone in one of its shards.
                    let width = 1 << (SHARD_BITS - level);
                    let leaf = self.shards[index * width..(index + 1) * width]
                        .iter()
                        .find_map(|s| match s.root {
                            Ref::Leaf(i) => Some(&s.leaves[i as usize]),
                            _ => None,
                        })
                        .expect("a leaf summary has its leaf in a shard below");
                    View::Leaf(leaf)
                }
                Summary::Branch(hash) => View::Branch {
                    hash,
                    left: Cursor::Top { level: level + 1, index: 2 * index },
                    right: Cursor::Top { level: level + 1, index: 2 * index + 1 },
                },
            },
            Cursor::Shard { shard, node } => {
                let s = &self.shards[shard];
                match node {
                    Ref::Empty => View::Empty,
                    Ref::Leaf(i) => View::Leaf(&s.leaves[i as usize]),
                    Ref::Branch(i) => {
                        let b = &s.branches[i as usize];
                        View::Branch {
                            hash: b.hash,
                            left: Cursor::Shard { shard, node: b.left },
                            right: Cursor::Shard { shard, node: b.right },
                        }
                    }
                }
            }
        }
    }

    const ROOT: Cursor = Cursor::Top { level: 0, index: 0 };

    /// The value under `key` (zero when absent).
    pub fn get(&self, key: &B256) -> B256 {
        let shard = &self.shards[usize::from(key[0])];
        let mut node = shard.root;
        let mut depth = SHARD_BITS;
        loop {
            match node {
                Ref::Empty => return B256::ZERO,
                Ref::Leaf(i) => {
                    let leaf = &shard.leaves[i as usize];
                    return if leaf.key == *key { leaf.value } else { B256::ZERO };
                }
                Ref::Branch(i) => {
                    let b = &shard.branches[i as usize];
                    node = if bit_at(key, depth) { b.right } else { b.left };
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
        self.update_chunks(vec![updates.into_iter().collect()], 0);
        self.root()
    }

    /// Applies `chunks` of updates one after the other and returns the root after each: the
    /// same as [`Self::update`] per chunk, in order.
    ///
    /// With `levels > 0`, the shards are split into `2^levels` aligned ranges (subtrees at
    /// depth `levels`, at most one per shard); each applies its share of every chunk in order,
    /// as one task on the current rayon pool, and records its summary after each chunk; the
    /// levels above are then joined per chunk. One fork per range, however many chunks.
    pub fn update_chunks(&mut self, chunks: Vec<Vec<(B256, B256)>>, levels: u32) -> Vec<B256> {
        self.update_chunks_with(chunks, levels, None)
    }

    /// [`Self::update_chunks`], where, with `idle`, a range also splits in two at a chunk
    /// boundary whenever it can claim an idle thread of the pool ([`IdleThreads`]), so that
    /// the update is only cut finer when a thread would otherwise wait. The roots are the
    /// same, however it was cut.
    pub fn update_chunks_with(
        &mut self,
        chunks: Vec<Vec<(B256, B256)>>,
        levels: u32,
        idle: Option<&IdleThreads>,
    ) -> Vec<B256> {
        if chunks.is_empty() {
            return Vec::new();
        }
        let levels = levels.min(MAX_SPLIT_LEVELS);
        let sorted: Vec<Vec<(B256, B256)>> = if levels == 0 && idle.is_none() {
            chunks.into_iter().map(sorted_last_wins).collect()
        } else {
            chunks.into_par_iter().map(sorted_last_wins).collect()
        };
        let mut tops: Vec<&mut [Summary]> = self.top.iter_mut().map(Vec::as_mut_slice).collect();
        let (summaries, delta) = update_split(&mut self.shards, 0, &mut tops, 0, &sorted, idle, levels);
        self.len = self.len.saturating_add_signed(delta);
        summaries.iter().map(|s| s.hash()).collect()
    }

    /// Sets one key; see [`Self::update`].
    pub fn insert(&mut self, key: B256, value: B256) -> B256 {
        self.update([(key, value)])
    }

    /// A proof of the value of `key` (or of its absence) against [`Self::root`].
    pub fn prove(&self, key: &B256) -> Proof {
        let mut siblings = Vec::new();
        let mut at = Self::ROOT;
        let mut depth = 0;
        loop {
            match self.view(at) {
                View::Empty => return Proof { siblings, terminal: Terminal::Empty },
                View::Leaf(leaf) => {
                    return Proof { siblings, terminal: Terminal::Leaf { key: leaf.key, value: leaf.value } };
                }
                View::Branch { left, right, .. } => {
                    let (next, sibling) = if bit_at(key, depth) { (right, left) } else { (left, right) };
                    siblings.push(self.hash_at(sibling));
                    at = next;
                    depth += 1;
                }
            }
        }
    }

    fn hash_at(&self, cursor: Cursor) -> B256 {
        match self.view(cursor) {
            View::Empty => EMPTY,
            View::Leaf(leaf) => leaf.hash,
            View::Branch { hash, .. } => hash,
        }
    }

    /// Writes the witness encoding of the subtree at `cursor`, at `depth` with key bits `path`:
    /// revealed (a LEAF or a BRANCH) when its position is in `open`, OPAQUE otherwise, EMPTY
    /// when it is empty.
    fn encode_witness(&self, at: Cursor, depth: usize, path: B256, open: &HashSet<Position>, out: &mut Vec<u8>) {
        let revealed = open.contains(&(depth, path));
        match self.view(at) {
            View::Empty => out.push(witness::TAG_EMPTY),
            View::Leaf(leaf) if revealed => {
                out.push(witness::TAG_LEAF);
                out.extend_from_slice(leaf.key.as_slice());
                out.extend_from_slice(leaf.value.as_slice());
            }
            View::Branch { left, right, .. } if revealed => {
                out.push(witness::TAG_BRANCH);
                self.encode_witness(left, depth + 1, path, open, out);
                self.encode_witness(right, depth + 1, witness::child_path(&path, depth, true), open, out);
            }
            View::Leaf(Leaf { hash, .. }) => {
                out.push(witness::TAG_OPAQUE);
                out.extend_from_slice(hash.as_slice());
            }
            View::Branch { hash, .. } => {
                out.push(witness::TAG_OPAQUE);
                out.extend_from_slice(hash.as_slice());
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
            let mut at = Self::ROOT;
            let mut depth = 0;
            loop {
                match self.view(at) {
                    View::Empty => break,
                    View::Leaf(_) => {
                        open.insert((depth, witness::prefix(key, depth)));
                        break;
                    }
                    View::Branch { left, right, .. } => {
                        open.insert((depth, witness::prefix(key, depth)));
                        at = if bit_at(key, depth) { right } else { left };
                        depth += 1;
                    }
                }
            }
        }
        loop {
            let mut out = Vec::new();
            self.encode_witness(Self::ROOT, 0, B256::ZERO, &open, &mut out);
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
        fn walk(shard: &Shard, node: Ref, out: &mut Vec<(B256, B256)>) {
            match node {
                Ref::Empty => {}
                Ref::Leaf(i) => {
                    let leaf = &shard.leaves[i as usize];
                    out.push((leaf.key, leaf.value));
                }
                Ref::Branch(i) => {
                    let b = &shard.branches[i as usize];
                    walk(shard, b.left, out);
                    walk(shard, b.right, out);
                }
            }
        }
        let mut out = Vec::with_capacity(self.len);
        for shard in &self.shards {
            walk(shard, shard.root, &mut out);
        }
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
            // The same batch as chunks, cut at 0 to 8 levels, gives the same roots.
            let cut = rng.random_range(0..=batch.len());
            let chunks = vec![batch[..cut].to_vec(), batch[cut..].to_vec()];
            let mut reference = parallel.clone();
            let expected: Vec<B256> = chunks.iter().map(|c| reference.update(c.clone())).collect();
            let roots = parallel.update_chunks(chunks, rng.random_range(0..=8));
            assert_eq!(roots, expected, "chunked update gives the same roots");
            assert_eq!(roots[1], root);
            let leaves: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(root, compute_root(&leaves));
            assert_eq!(tree.len(), model.len());
            assert_eq!(parallel.len(), model.len());
            assert_eq!(tree.leaves(), leaves);
        }
    }

    /// Keys crowded into a few shards and paths, chunk after chunk, at every split level:
    /// every chunk root equals the reference definition over the model, and so do the
    /// leaves, the count, `get` and proofs, down to the empty tree and back.
    #[test]
    fn crowded_keys_and_many_chunks_match_the_reference() {
        let mut rng = rng();
        // Keys sharing their first byte, their first two bytes, all but the last bit, and
        // a few spread over the key space.
        let base = random_b256(&mut rng);
        let mut keys = Vec::new();
        for i in 0..40u8 {
            let mut k = random_b256(&mut rng);
            k[0] = base[0];
            if i % 2 == 0 {
                k[1] = base[1];
            }
            keys.push(k);
            let mut near = base;
            near[31] ^= i;
            keys.push(near);
        }
        keys.extend((0..20).map(|_| random_b256(&mut rng)));
        let mut tree = SparseMerkleTree::new();
        let mut model: BTreeMap<B256, B256> = BTreeMap::new();
        for round in 0..60 {
            let n_chunks = rng.random_range(1..6);
            let mut chunks = Vec::new();
            let mut expected = Vec::new();
            for _ in 0..n_chunks {
                let mut chunk = Vec::new();
                for _ in 0..rng.random_range(0..30) {
                    let k = keys[rng.random_range(0..keys.len())];
                    // Every tenth round deletes more than it writes, emptying the tree.
                    let delete = rng.random_bool(if round % 10 == 9 { 0.9 } else { 0.3 });
                    let v = if delete { B256::ZERO } else { random_b256(&mut rng) };
                    chunk.push((k, v));
                    if v.is_zero() {
                        model.remove(&k);
                    } else {
                        model.insert(k, v);
                    }
                }
                let leaves: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
                expected.push(compute_root(&leaves));
                chunks.push(chunk);
            }
            let roots = tree.update_chunks(chunks, rng.random_range(0..=8));
            assert_eq!(roots, expected, "round {round}");
            assert_eq!(tree.root(), *expected.last().expect("one chunk or more"));
            let leaves: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(tree.leaves(), leaves);
            assert_eq!(tree.len(), model.len());
            for k in &keys {
                let v = model.get(k).copied().unwrap_or_default();
                assert_eq!(tree.get(k), v);
                assert_eq!(tree.prove(k).verify(&tree.root(), k), Some(v));
            }
        }
    }

    #[test]
    fn splits_for_idle_threads_give_the_same_roots() {
        let mut rng = rng();
        let mut keys: Vec<B256> = (0..300).map(|_| random_b256(&mut rng)).collect();
        // Some keys crowded into one shard, so that splits reach single shards.
        let crowd = keys[0];
        keys.extend((0..40u8).map(|i| {
            let mut k = crowd;
            k[31] ^= i;
            k
        }));
        let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build().expect("pool");
        let idle = IdleThreads::new();
        let mut tree = SparseMerkleTree::new();
        let mut reference = SparseMerkleTree::new();
        pool.install(|| {
            // Three of the four threads help, marked idle whenever they have nothing to take.
            idle.with_helpers(4, || {
                for round in 0..40 {
                    let chunks: Vec<Vec<(B256, B256)>> = (0..rng.random_range(1..20))
                        .map(|_| {
                            (0..rng.random_range(0..40))
                                .map(|_| {
                                    let k = keys[rng.random_range(0..keys.len())];
                                    let delete = rng.random_bool(if round % 10 == 9 { 0.9 } else { 0.2 });
                                    (k, if delete { B256::ZERO } else { random_b256(&mut rng) })
                                })
                                .collect()
                        })
                        .collect();
                    let expected = reference.update_chunks(chunks.clone(), 0);
                    let roots = tree.update_chunks_with(chunks, rng.random_range(0..=2), Some(&idle));
                    assert_eq!(roots, expected, "round {round}");
                    assert_eq!(tree.len(), reference.len(), "round {round}");
                    assert_eq!(tree.leaves(), reference.leaves(), "round {round}");
                    // The cached levels above the split ranges, which proofs walk.
                    assert_eq!(tree.root(), reference.root(), "round {round}");
                    for k in keys.iter().step_by(7) {
                        assert_eq!(tree.prove(k), reference.prove(k), "round {round}");
                    }
                }
            });
        });
        // The test is only worth something if ranges did split for idle threads.
        assert!(idle.claims() > 0, "no range split for an idle thread");
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
