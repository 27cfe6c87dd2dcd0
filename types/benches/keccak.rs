//! Keccak-256 of the state tree's 64-byte nodes: one at a time (`keccak-asm`) against
//! [`keccak256_batch_with`] on every backend this CPU has (four per permutation with AVX2,
//! eight with AVX-512F).
//!
//! `cargo bench -p rollup-types --bench keccak`

use alloy_primitives::{B256, keccak256};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rollup_types::keccak::{Backend, keccak256_batch_with};
use std::hint::black_box;

const NODES: usize = 1024;

fn nodes() -> Vec<[u8; 64]> {
    (0..NODES)
        .map(|i| {
            let mut node = [0u8; 64];
            node[..8].copy_from_slice(&(i as u64).to_le_bytes());
            node
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let inputs = nodes();
    let mut out = vec![B256::ZERO; NODES];
    let mut group = c.benchmark_group("keccak256 of 64-byte nodes");
    group.throughput(Throughput::Elements(NODES as u64));
    group.bench_function("one at a time", |b| {
        b.iter(|| {
            for (i, o) in inputs.iter().zip(out.iter_mut()) {
                *o = keccak256(black_box(i));
            }
        })
    });
    for backend in Backend::available().into_iter().filter(|b| *b != Backend::Scalar) {
        group.bench_function(format!("batch, {backend}"), |b| {
            b.iter(|| keccak256_batch_with(backend, black_box(&inputs), &mut out))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
