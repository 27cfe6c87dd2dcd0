//! `rollup bench tree`: how the state tree's chunk updates scale with the number of ranges
//! the shards are cut into (`SparseMerkleTree::update_chunks`), against one thread and
//! against independent copies of the one-thread update running at once.

use alloy_primitives::{B256, keccak256};
use anyhow::{Result, ensure};
use rollup_types::smt::SparseMerkleTree;
use serde::Serialize;
use std::{
    fmt,
    time::{Duration, Instant},
};

/// What to measure.
#[derive(Clone, Copy, Debug)]
pub struct TreeBench {
    /// Leaves in the tree before the blocks.
    pub leaves: u64,
    /// Blocks of chunks applied, each timed.
    pub blocks: usize,
    /// Chunks per block (a chunk root each).
    pub chunks: usize,
    /// Updates per chunk (existing keys, new values).
    pub keys: usize,
    /// Threads of the pool the split updates run on.
    pub threads: usize,
    /// Split levels to measure: `2^level` ranges each.
    pub levels: u32,
    /// Rounds; the fastest of each measurement is kept.
    pub runs: usize,
}

/// One split level's result.
#[derive(Clone, Debug, Serialize)]
pub struct TreeSplit {
    /// Split level.
    pub level: u32,
    /// Ranges (`2^level`).
    pub ranges: usize,
    /// Milliseconds for all the blocks.
    pub ms: f64,
    /// One range on one thread over this.
    pub speedup: f64,
}

/// What a run measured.
#[derive(Clone, Debug, Serialize)]
pub struct TreeReport {
    /// The parameters, as given.
    pub leaves: u64,
    /// Blocks.
    pub blocks: usize,
    /// Chunks per block.
    pub chunks: usize,
    /// Updates per chunk.
    pub keys: usize,
    /// Pool threads.
    pub threads: usize,
    /// Milliseconds for all the blocks as one range on the calling thread.
    pub one_thread_ms: f64,
    /// `threads` copies of the one-range update at once, one per thread, against one alone.
    pub copies_ceiling: f64,
    /// Each split level on the pool.
    pub splits: Vec<TreeSplit>,
    /// How the hashing ran: `scalar`, `four-lane AVX2` or `eight-lane AVX-512`.
    pub hashing: String,
}

impl TreeBench {
    /// Runs the measurement.
    pub fn run(&self) -> Result<TreeReport> {
        let key = |i: u64| keccak256(i.to_le_bytes());
        let mut base = SparseMerkleTree::new();
        base.update((0..self.leaves).map(|i| (key(i), B256::with_last_byte(1))));
        let mut x = 7u64;
        let mut next = move || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            x >> 16
        };
        let blocks: Vec<Vec<Vec<(B256, B256)>>> = (0..self.blocks)
            .map(|_| {
                (0..self.chunks)
                    .map(|_| {
                        (0..self.keys)
                            .map(|_| {
                                (key(next() % self.leaves.max(1)), B256::from(alloy_primitives::U256::from(next())))
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        // One pass over the blocks on a fresh copy of the tree; only the updates are timed.
        // Returns the time and every chunk root, which each split must reproduce.
        let pass = |levels: u32| -> (Duration, Vec<B256>) {
            let mut tree = base.clone();
            let mut total = Duration::ZERO;
            let mut roots = Vec::with_capacity(self.blocks * self.chunks);
            for block in &blocks {
                let chunks = block.clone();
                let started = Instant::now();
                let chunk_roots = tree.update_chunks(chunks, levels);
                total += started.elapsed();
                roots.extend(chunk_roots);
            }
            (total, roots)
        };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(self.threads.max(1)).build()?;
        let (mut one, expected) = pass(0);
        let mut copies = Duration::MAX;
        let mut split = vec![Duration::MAX; self.levels as usize + 1];
        for _ in 0..self.runs.max(1) {
            one = one.min(pass(0).0);
            for (level, best) in split.iter_mut().enumerate() {
                let (time, roots) = pool.install(|| pass(level as u32));
                ensure!(roots == expected, "{} ranges gave other chunk roots than one", 1u32 << level);
                *best = (*best).min(time);
            }
            let slowest = std::thread::scope(|scope| {
                let passes: Vec<_> = (0..self.threads.max(1)).map(|_| scope.spawn(|| pass(0).0)).collect();
                passes.into_iter().map(|p| p.join().unwrap_or(Duration::MAX)).max().unwrap_or(Duration::MAX)
            });
            copies = copies.min(slowest);
        }
        let secs = |d: Duration| d.as_secs_f64().max(f64::MIN_POSITIVE);
        Ok(TreeReport {
            leaves: self.leaves,
            blocks: self.blocks,
            chunks: self.chunks,
            keys: self.keys,
            threads: self.threads,
            one_thread_ms: secs(one) * 1e3,
            copies_ceiling: self.threads as f64 * secs(one) / secs(copies),
            splits: split
                .iter()
                .enumerate()
                .map(|(level, d)| TreeSplit {
                    level: level as u32,
                    ranges: 1 << level,
                    ms: secs(*d) * 1e3,
                    speedup: secs(one) / secs(*d),
                })
                .collect(),
            hashing: rollup_types::keccak::Backend::detect().to_string(),
        })
    }
}

impl fmt::Display for TreeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} leaves, {} blocks of {} chunks of {} updates, {} threads, {} hashing",
            self.leaves, self.blocks, self.chunks, self.keys, self.threads, self.hashing
        )?;
        writeln!(
            f,
            "  one range, one thread: {:.1} ms; copies ceiling {:.2}x",
            self.one_thread_ms, self.copies_ceiling
        )?;
        for s in &self.splits {
            writeln!(f, "  {:>3} ranges: {:>7.1} ms, speedup {:.2}x", s.ranges, s.ms, s.speedup)?;
        }
        Ok(())
    }
}

/// The arguments of `rollup bench tree`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Leaves in the tree before the blocks.
    #[arg(long, default_value_t = 12_000)]
    leaves: u64,
    /// Blocks of chunks.
    #[arg(long, default_value_t = 20)]
    blocks: usize,
    /// Chunks per block.
    #[arg(long, default_value_t = 16)]
    chunks: usize,
    /// Updates per chunk (a chunk of 64 transfers writes 192 keys).
    #[arg(long, default_value_t = 192)]
    keys: usize,
    /// Threads of the pool (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Largest split level measured (2^level ranges).
    #[arg(long = "max-level", default_value_t = 6)]
    max_level: u32,
    /// Rounds; the fastest of each measurement is kept.
    #[arg(long, default_value_t = 15)]
    runs: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the bench and prints its report.
    pub async fn run(self) -> anyhow::Result<()> {
        let args = self;
        let bench = TreeBench {
            leaves: args.leaves.max(1),
            blocks: args.blocks,
            chunks: args.chunks,
            keys: args.keys,
            threads: args
                .threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)),
            levels: args.max_level.min(8),
            runs: args.runs,
        };
        let report = bench.run()?;
        crate::report::print(&report, args.json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_split_reproduces_the_chunk_roots_and_is_reported() {
        let bench = TreeBench { leaves: 300, blocks: 2, chunks: 3, keys: 20, threads: 2, levels: 8, runs: 1 };
        let report = bench.run().expect("every split agrees with one range");
        assert_eq!(report.splits.len(), 9);
        for (level, split) in report.splits.iter().enumerate() {
            assert_eq!(split.ranges, 1 << level);
            assert!(split.ms > 0.0 && split.speedup.is_finite());
        }
    }
}
