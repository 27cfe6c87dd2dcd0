//! `rollup bench history`: what keeping the states of recent blocks costs (docs/api.md
//! §3.0f). The same workload runs through the pipelined parallel path with and without the
//! executor recording what each block overwrites, and with each block's state held by a
//! reader while the next block applies, as the sequencer's calls and unsealed blocks hold it
//! (alternating, the fastest pass of each kept); then, on the recorded pass, reads through
//! the records of the last blocks, a state proof tree built from the head's state, and that
//! tree moved back and forward between blocks, each checked against the block's state root.

use crate::executor::{ExecutorBench, Prepared, Workload};
use alloy_primitives::{Address, B256};
use anyhow::{Result, ensure};
use rollup_executor::{ExecutedBlock, Executor, KeyPrediction, Overwritten, ParallelConfig, Pipeline, StateAt};
use serde::Serialize;
use std::{
    fmt,
    sync::Arc,
    time::{Duration, Instant},
};

/// The kinds of pass over the workload.
#[derive(Clone, Copy, Debug)]
enum Pass {
    /// The pipelined parallel path.
    Plain,
    /// The same, the executor recording what each block overwrites.
    Recording,
    /// The same without recording, block by block, each block's state held until the next
    /// block has been applied.
    Holding,
}

/// What to measure.
#[derive(Clone, Copy, Debug)]
pub struct HistoryBench {
    /// Transactions in all (independent transfers).
    pub txs: usize,
    /// Transactions per block.
    pub block_size: usize,
    /// Funded accounts (the state's size).
    pub accounts: usize,
    /// Worker threads of the parallel path.
    pub threads: usize,
    /// Passes of each kind, alternating; the fastest is kept.
    pub runs: usize,
}

/// What a run measured.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryReport {
    /// Transactions.
    pub txs: usize,
    /// Blocks.
    pub blocks: usize,
    /// Worker threads.
    pub threads: usize,
    /// Leaves of the state tree after the last block.
    pub leaves: usize,
    /// Transactions per second without recording.
    pub plain_tx_per_sec: f64,
    /// Transactions per second with recording.
    pub recording_tx_per_sec: f64,
    /// Transactions per second without recording, each block's state held (a copy of the
    /// `Arc`) until the next block has been applied.
    pub holding_tx_per_sec: f64,
    /// Keys recorded per block (mean).
    pub keys_per_block: f64,
    /// Microseconds per nonce read through the records of every block but the first (the
    /// state after block 1), for keys the blocks did not change (the costliest read: every
    /// record is looked at).
    pub read_oldest_us: f64,
    /// Milliseconds to build the proof tree of the head's state from its leaves.
    pub tree_build_ms: f64,
    /// Milliseconds to move the proof tree one block back, then one forward (mean of both).
    pub move_one_ms: f64,
    /// Milliseconds to move it back over every block, then forward over every block (mean).
    pub move_all_ms: f64,
}

impl HistoryBench {
    /// Runs the measurement.
    pub fn run(&self) -> Result<HistoryReport> {
        let bench = ExecutorBench {
            workload: Workload::TransfersIndependent,
            txs: self.txs,
            block_size: self.block_size,
            accounts: self.accounts,
            seed: 1,
            threads: self.threads,
            prediction: KeyPrediction::Operations,
            runs: 1,
            pipeline: true,
        };
        let Prepared { executor, txs, block_size, .. } = bench.prepare()?;
        let parallel = executor.with_parallelism(ParallelConfig::threads(self.threads))?;
        let blocks = crate::executor::numbered(txs.chunks(block_size));
        let pass = |executor: Executor| {
            let mut executor = executor;
            let started = Instant::now();
            let out = executor.execute_blocks(&blocks);
            (started.elapsed(), out, executor)
        };
        // The same pipeline block by block, a reader holding the state after each block until
        // the next one is in.
        let holding = |executor: Executor| {
            let mut pipeline = Pipeline::new(executor);
            let started = Instant::now();
            let mut held = None;
            let mut done = 0;
            for &(env, _, txs) in &blocks {
                done += pipeline.push(env, txs).len();
                held = Some(pipeline.state());
            }
            done += pipeline.flush().into_iter().count();
            let wall = started.elapsed();
            drop(held);
            (wall, done)
        };
        let (mut plain, mut recording, mut held) = (Duration::MAX, Duration::MAX, Duration::MAX);
        let mut recorded: Option<(Vec<ExecutedBlock>, Executor)> = None;
        for run in 0..self.runs.max(1) {
            let mut order = [Pass::Plain, Pass::Recording, Pass::Holding];
            if run % 2 == 1 {
                order.reverse();
            }
            for kind in order {
                match kind {
                    Pass::Plain => plain = plain.min(pass(parallel.clone()).0),
                    Pass::Recording => {
                        let (wall, out, executor) = pass(parallel.clone().recording_overwritten());
                        recording = recording.min(wall);
                        recorded = Some((out, executor));
                    }
                    Pass::Holding => {
                        let (wall, done) = holding(parallel.clone());
                        ensure!(done == blocks.len(), "the holding pass completed {done} of {} blocks", blocks.len());
                        held = held.min(wall);
                    }
                }
            }
        }
        let (out, executor) = recorded.ok_or_else(|| anyhow::anyhow!("no run"))?;
        let records: Vec<Arc<Overwritten>> = out
            .iter()
            .map(|b| b.overwritten.clone().ok_or_else(|| anyhow::anyhow!("no record")))
            .collect::<Result<_>>()?;
        let roots: Vec<B256> = out.iter().map(|b| b.state_root).collect();
        let n = records.len();
        ensure!(n >= 2, "the history benchmark needs at least two blocks");
        let head = executor.state();
        // The state after block k (1-based) is the head's seen through the records of blocks
        // k+1..=n, which are records[k..].
        let at = |k: usize| StateAt::new(head.clone(), records[k..].to_vec());

        // Reads at the oldest state, of accounts no block touched.
        let oldest = at(1);
        let untouched: Vec<Address> = (0..10_000u64).map(|i| Address::left_padding_from(&i.to_be_bytes())).collect();
        let started = Instant::now();
        let mut sum = 0u64;
        for a in &untouched {
            sum = sum.wrapping_add(oldest.nonce(a));
        }
        let read_oldest_us = started.elapsed().as_secs_f64() * 1e6 / untouched.len() as f64;
        ensure!(sum == 0, "untouched accounts have no nonce");

        let started = Instant::now();
        let mut tree = at(n).tree();
        let tree_build_ms = started.elapsed().as_secs_f64() * 1e3;
        ensure!(tree.root() == roots[n - 1], "the proof tree of the head has the head's root");
        let leaves = tree.len();
        let timed = |tree: &mut rollup_types::smt::SparseMerkleTree, to: usize, between: &[Arc<Overwritten>]| {
            let started = Instant::now();
            let root = at(to).update_tree(tree, between);
            (started.elapsed(), root)
        };
        let (back, root) = timed(&mut tree, n - 1, &records[n - 1..]);
        ensure!(root == roots[n - 2], "one block back");
        let (forward, root) = timed(&mut tree, n, &records[n - 1..]);
        ensure!(root == roots[n - 1], "one block forward");
        let move_one_ms = (back + forward).as_secs_f64() * 1e3 / 2.0;
        let (back, root) = timed(&mut tree, 1, &records[1..]);
        ensure!(root == roots[0], "back to the first block");
        let (forward, root) = timed(&mut tree, n, &records[1..]);
        ensure!(root == roots[n - 1], "forward to the head");
        let move_all_ms = (back + forward).as_secs_f64() * 1e3 / 2.0;

        Ok(HistoryReport {
            txs: txs.len(),
            blocks: n,
            threads: self.threads,
            leaves,
            plain_tx_per_sec: txs.len() as f64 / plain.as_secs_f64(),
            recording_tx_per_sec: txs.len() as f64 / recording.as_secs_f64(),
            holding_tx_per_sec: txs.len() as f64 / held.as_secs_f64(),
            keys_per_block: records.iter().map(|r| r.len()).sum::<usize>() as f64 / n as f64,
            read_oldest_us,
            tree_build_ms,
            move_one_ms,
            move_all_ms,
        })
    }
}

impl fmt::Display for HistoryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} transfers in {} blocks, {} threads, {} leaves after them",
            self.txs, self.blocks, self.threads, self.leaves
        )?;
        writeln!(
            f,
            "executor: {:.0} tx/s without recording, {:.0} tx/s recording ({:+.1} %), {:.0} keys recorded per block",
            self.plain_tx_per_sec,
            self.recording_tx_per_sec,
            (self.recording_tx_per_sec / self.plain_tx_per_sec - 1.0) * 100.0,
            self.keys_per_block
        )?;
        writeln!(
            f,
            "executor, each block's state held by a reader until the next is applied: {:.0} tx/s ({:+.1} %)",
            self.holding_tx_per_sec,
            (self.holding_tx_per_sec / self.plain_tx_per_sec - 1.0) * 100.0
        )?;
        writeln!(f, "a nonce read through {} records: {:.3} µs", self.blocks - 1, self.read_oldest_us)?;
        write!(
            f,
            "proof tree: built in {:.1} ms; moved one block in {:.2} ms, {} blocks in {:.1} ms",
            self.tree_build_ms,
            self.move_one_ms,
            self.blocks - 1,
            self.move_all_ms
        )
    }
}

/// The arguments of `rollup bench history`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Transactions in all.
    #[arg(long, default_value_t = 128_000)]
    txs: usize,
    /// Transactions per block.
    #[arg(long = "block-size", default_value_t = 1_000)]
    block_size: usize,
    /// Funded accounts (the state's size).
    #[arg(long, default_value_t = 100_000)]
    accounts: usize,
    /// Worker threads (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Passes of each kind, alternating; the fastest is kept.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the bench and prints its report.
    pub async fn run(self) -> anyhow::Result<()> {
        let args = self;
        let bench = HistoryBench {
            txs: args.txs,
            block_size: args.block_size.max(1),
            accounts: args.accounts,
            threads: args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)),
            runs: args.runs,
        };
        let report = tokio::task::spawn_blocking(move || bench.run()).await??;
        crate::report::print(&report, args.json)
    }
}
