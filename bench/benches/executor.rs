//! Criterion bench of the executor over the workloads of `rollup bench executor` (the same
//! definitions): the sequential path against the parallel path on the machine's cores.
//!
//! `cargo bench -p rollup-bench --bench executor` (add `-- <filter>` for one workload). Smaller
//! than the command-line runs so that criterion's repetitions stay short.

#![allow(missing_docs)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rollup_bench::executor::{ExecutorBench, Workload};
use rollup_executor::{KeyPrediction, ParallelConfig};
use std::{hint::black_box, sync::OnceLock};

fn executor(c: &mut Criterion) {
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    for workload in Workload::suite() {
        let bench = ExecutorBench {
            workload,
            txs: 4_000,
            block_size: 1_000,
            accounts: 2_000,
            seed: 1,
            threads,
            prediction: KeyPrediction::Operations,
            runs: 1,
            pipeline: true,
        };
        // Prepared on first use, so that a filtered run generates only what it measures.
        let prepared = OnceLock::new();
        let prepare = || {
            prepared.get_or_init(|| {
                let p = bench.prepare().expect("workload");
                let parallel = p.executor.clone().with_parallelism(ParallelConfig::threads(threads)).expect("threads");
                (p, parallel)
            })
        };
        let mut group = c.benchmark_group(format!("executor/{workload}"));
        group.sample_size(10);
        group.throughput(criterion::Throughput::Elements(bench.txs as u64));
        group.bench_function("sequential", |b| {
            let (p, _) = prepare();
            b.iter_batched(|| p.executor.clone(), |e| black_box(p.execute_all(e)), BatchSize::LargeInput)
        });
        group.bench_function(format!("parallel-{threads}"), |b| {
            let (p, parallel) = prepare();
            b.iter_batched(|| parallel.clone(), |e| black_box(p.execute_all(e)), BatchSize::LargeInput)
        });
        group.finish();
    }
}

criterion_group!(benches, executor);
criterion_main!(benches);
