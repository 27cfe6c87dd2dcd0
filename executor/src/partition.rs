//! Partitioning: conflict groups by union-find over predicted keys, packed into tasks.

use crate::predict::Prediction;
use std::{
    collections::{HashMap, hash_map::Entry},
    hash::{BuildHasherDefault, Hasher},
};

/// Hashes an already well-mixed `u64` fingerprint by passing it through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in so the hasher stays total.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// How a run of transactions is spread over workers.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Block positions of each task's transactions, ascending; no task is empty.
    pub(crate) tasks: Vec<Vec<u32>>,
    /// Number of conflict groups.
    pub(crate) groups: usize,
    /// Predicted cost of the largest group.
    pub(crate) largest_cost: u64,
}

struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self { parent: (0..n as u32).collect() }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        // Path halving.
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// Joins the sets of `a` and `b`; the smaller index becomes the root, so that a group's
    /// root is its first transaction.
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi as usize] = lo;
        }
    }
}

/// Groups the transactions at block positions `offset..offset + predictions.len()` by shared
/// keys and packs the groups into at most `tasks` tasks, largest group first into the least
/// loaded task (LPT), so that a hot group runs beside the rest of the block.
pub(crate) fn plan(predictions: &[&Prediction], offset: u32, tasks: usize) -> Plan {
    let n = predictions.len();
    let mut uf = UnionFind::new(n);
    let capacity: usize = predictions.iter().map(|p| p.keys().len()).sum();
    let mut owner: HashMap<u64, u32, BuildHasherDefault<PassThrough>> =
        HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default());
    for (i, p) in predictions.iter().enumerate() {
        for key in p.keys() {
            match owner.entry(*key) {
                Entry::Occupied(e) => uf.union(i as u32, *e.get()),
                Entry::Vacant(e) => {
                    e.insert(i as u32);
                }
            }
        }
    }
    // Group cost, indexed by root.
    let mut cost = vec![0u64; n];
    let mut root_of = vec![0u32; n];
    for (i, p) in predictions.iter().enumerate() {
        let r = uf.find(i as u32);
        root_of[i] = r;
        cost[r as usize] += u64::from(p.cost);
    }
    let mut roots: Vec<u32> = (0..n as u32).filter(|&i| root_of[i as usize] == i).collect();
    let groups = roots.len();
    let largest_cost = roots.iter().map(|r| cost[*r as usize]).max().unwrap_or(0);

    let width = tasks.clamp(1, groups.max(1));
    let mut task_of_root = vec![0u32; n];
    if width > 1 {
        // Largest first; ties by position, so the plan is deterministic.
        roots.sort_unstable_by_key(|r| (std::cmp::Reverse(cost[*r as usize]), *r));
        let mut load = vec![0u64; width];
        for r in roots {
            let (t, _) = load.iter().enumerate().min_by_key(|(t, l)| (**l, *t)).unwrap_or((0, &0));
            load[t] += cost[r as usize];
            task_of_root[r as usize] = t as u32;
        }
    }
    let mut tasks: Vec<Vec<u32>> = (0..width).map(|_| Vec::with_capacity(n / width + 1)).collect();
    for (i, r) in root_of.iter().enumerate() {
        tasks[task_of_root[*r as usize] as usize].push(offset + i as u32);
    }
    tasks.retain(|t| !t.is_empty());
    Plan { tasks, groups, largest_cost }
}
