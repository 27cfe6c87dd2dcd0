//! `rollup bench codec` (bytes and L1 gas per transaction of the batch codec against zstd
//! and brotli on the same blocks) and `rollup bench codec-fuzz` (millions of random and
//! mutated inputs through the decoder). See docs/batch-codec.md §7.

use crate::executor::{ExecutorBench, Pools, Rng, Workload};
use anyhow::{Result, bail, ensure};
use rollup_executor::KeyPrediction;
use rollup_types::{
    ChainConfig, SignedTx,
    codec::{self, Batch, BatchBlock, CodecError},
};
use serde::Serialize;
use std::{
    collections::BTreeMap,
    fmt,
    io::Write,
    panic::{AssertUnwindSafe, catch_unwind},
    time::{Duration, Instant},
};

/// The mixes the codec bench encodes.
const MIXES: [(&str, Workload); 3] = [
    ("transfers", Workload::TransfersIndependent),
    ("swaps", Workload::Swaps(Pools::Count(8))),
    ("mixed", Workload::Mixed),
];

/// Parameters of a codec run.
#[derive(Clone, Debug)]
pub struct CodecBench {
    /// Transactions per mix.
    pub txs: usize,
    /// Transactions per block.
    pub block_size: usize,
    /// Largest batch, as the batcher cuts them.
    pub max_bytes: usize,
    /// Seed of the workloads.
    pub seed: u64,
}

/// Bytes and gas of one mix.
#[derive(Clone, Debug, Serialize)]
pub struct MixReport {
    /// Name of the mix.
    pub mix: String,
    /// Transactions encoded.
    pub txs: usize,
    /// Batches they were cut into.
    pub batches: usize,
    /// EIP-2718 bytes per transaction (what users signed).
    pub raw: f64,
    /// Codec bytes per transaction.
    pub codec: f64,
    /// zstd level 3 over the EIP-2718 bytes of each batch, per transaction.
    pub zstd3: f64,
    /// zstd level 19, same input.
    pub zstd19: f64,
    /// brotli quality 11, same input.
    pub brotli11: f64,
    /// L1 calldata gas per transaction at EIP-2028 prices (4 per zero byte, 16 otherwise).
    pub calldata_gas: f64,
    /// L1 calldata gas per transaction at the EIP-7623 floor (10 per zero byte, 40
    /// otherwise), which is what a data-heavy post pays since Prague.
    pub floor_gas: f64,
    /// Encoding time per transaction, nanoseconds.
    pub encode_ns: f64,
    /// Decoding time per transaction, nanoseconds.
    pub decode_ns: f64,
    /// Codec bytes by field, summed over the mix's batches.
    pub fields: codec::FieldBytes,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct CodecReport {
    /// Chunk size used.
    pub chunk_size: u32,
    /// Transactions per block.
    pub block_size: usize,
    /// Largest batch in bytes.
    pub max_bytes: usize,
    /// One row per mix.
    pub mixes: Vec<MixReport>,
}

impl fmt::Display for CodecReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "codec v{}: blocks of {} txs, batches up to {} bytes, chunks of {}; bytes per transaction",
            codec::VERSION,
            self.block_size,
            self.max_bytes,
            self.chunk_size
        )?;
        writeln!(
            f,
            "| mix | txs | batches | EIP-2718 | codec | zstd-3 | zstd-19 | brotli-11 | L1 gas (EIP-2028) | L1 gas (EIP-7623 floor) | encode | decode |"
        )?;
        writeln!(f, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")?;
        for m in &self.mixes {
            writeln!(
                f,
                "| {} | {} | {} | {:.1} | **{:.1}** | {:.1} | {:.1} | {:.1} | {:.0} | {:.0} | {:.2} µs | {:.2} µs |",
                m.mix,
                m.txs,
                m.batches,
                m.raw,
                m.codec,
                m.zstd3,
                m.zstd19,
                m.brotli11,
                m.calldata_gas,
                m.floor_gas,
                m.encode_ns / 1000.0,
                m.decode_ns / 1000.0
            )?;
        }
        writeln!(f)?;
        write!(f, "codec bytes per transaction by field\n| mix |")?;
        let names = codec::FieldBytes::default().named().map(|(name, _)| name);
        for name in names {
            write!(f, " {name} |")?;
        }
        write!(f, "\n| --- |{}", " ---: |".repeat(names.len()))?;
        for m in &self.mixes {
            write!(f, "\n| {} |", m.mix)?;
            for (_, bytes) in m.fields.named() {
                write!(f, " {:.2} |", bytes as f64 / m.txs as f64)?;
            }
        }
        writeln!(f)
    }
}

/// Cuts blocks into batches the way the batcher does: add blocks while the encoding stays
/// within `max_bytes` and the codec's bounds (one block always fits).
fn cut(blocks: Vec<BatchBlock>, chain: &ChainConfig, max_bytes: usize) -> Result<Vec<(Batch, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut current: Vec<BatchBlock> = Vec::new();
    let mut encoded: Vec<u8> = Vec::new();
    for block in blocks {
        current.push(block);
        let candidate = match codec::encode(&Batch { blocks: current.clone() }, chain) {
            Err(codec::CodecError::TooLarge(_)) if current.len() > 1 => None,
            other => Some(other?),
        };
        match candidate.filter(|c| c.len() <= max_bytes || current.len() == 1) {
            Some(candidate) => encoded = candidate,
            None => {
                let last = current.pop().expect("two blocks at least");
                out.push((Batch { blocks: std::mem::take(&mut current) }, std::mem::take(&mut encoded)));
                current.push(last);
                encoded = codec::encode(&Batch { blocks: current.clone() }, chain)?;
            }
        }
    }
    if !current.is_empty() {
        out.push((Batch { blocks: current }, encoded));
    }
    Ok(out)
}

fn brotli11(data: &[u8]) -> Result<usize> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 1 << 16, 11, 22);
        w.write_all(data)?;
    }
    Ok(out.len())
}

fn gas(data: &[u8]) -> (u64, u64) {
    let zeros = data.iter().filter(|&&b| b == 0).count() as u64;
    let other = data.len() as u64 - zeros;
    (4 * zeros + 16 * other, 10 * zeros + 40 * other)
}

impl CodecBench {
    /// Encodes every mix and measures it.
    pub fn run(&self) -> Result<CodecReport> {
        ensure!(self.txs > 0 && self.block_size > 0, "a run needs transactions and a block size above zero");
        let chain = ChainConfig::default();
        let mut mixes = Vec::new();
        for (name, workload) in MIXES {
            let bench = ExecutorBench {
                workload,
                txs: self.txs,
                block_size: self.block_size,
                accounts: 4_000,
                seed: self.seed,
                threads: 1,
                prediction: KeyPrediction::Operations,
                runs: 1,
                pipeline: true,
            };
            let (_, txs) = bench.generate(&chain);
            let blocks: Vec<BatchBlock> = txs
                .chunks(self.block_size)
                .enumerate()
                .map(|(i, t)| BatchBlock {
                    number: i as u64 + 1,
                    timestamp: 1_700_000_000 + i as u64,
                    queue_count: 0,
                    l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                    txs: t.to_vec(),
                })
                .collect();
            let batches = cut(blocks, &chain, self.max_bytes)?;
            let n = txs.len() as f64;
            let (mut codec_bytes, mut raw_bytes, mut z3, mut z19, mut br) = (0usize, 0usize, 0usize, 0usize, 0usize);
            let (mut calldata_gas, mut floor_gas) = (0u64, 0u64);
            let (mut encode_time, mut decode_time) = (Duration::ZERO, Duration::ZERO);
            let mut fields = codec::FieldBytes::default();
            for (batch, data) in &batches {
                codec_bytes += data.len();
                let (g, f) = gas(data);
                calldata_gas += g;
                floor_gas += f;
                // Timed with the count of bytes by field: the encoder counts them either way.
                let started = Instant::now();
                let (again, by_field) = codec::encode_fields(batch, &chain)?;
                encode_time += started.elapsed();
                let started = Instant::now();
                let decoded = codec::decode(data, &chain)?;
                decode_time += started.elapsed();
                ensure!(again == *data && decoded.blocks.len() == batch.blocks.len(), "codec round trip failed");
                fields += by_field;
                let raw: Vec<u8> = batch.blocks.iter().flat_map(|b| &b.txs).flat_map(SignedTx::encoded).collect();
                raw_bytes += raw.len();
                z3 += zstd::bulk::compress(&raw, 3)?.len();
                z19 += zstd::bulk::compress(&raw, 19)?.len();
                br += brotli11(&raw)?;
            }
            mixes.push(MixReport {
                mix: name.to_owned(),
                txs: txs.len(),
                batches: batches.len(),
                raw: raw_bytes as f64 / n,
                codec: codec_bytes as f64 / n,
                zstd3: z3 as f64 / n,
                zstd19: z19 as f64 / n,
                brotli11: br as f64 / n,
                calldata_gas: calldata_gas as f64 / n,
                floor_gas: floor_gas as f64 / n,
                encode_ns: encode_time.as_nanos() as f64 / n,
                decode_ns: decode_time.as_nanos() as f64 / n,
                fields,
            });
        }
        Ok(CodecReport { chunk_size: chain.chunk_size, block_size: self.block_size, max_bytes: self.max_bytes, mixes })
    }
}

// ---------------------------------------------------------------------------------------------
// Fuzzing.

/// Parameters of a fuzzing run.
#[derive(Clone, Debug)]
pub struct CodecFuzz {
    /// Inputs to try.
    pub iterations: u64,
    /// Seed of the generator.
    pub seed: u64,
}

/// What the decoder did with the inputs.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FuzzReport {
    /// Inputs tried.
    pub iterations: u64,
    /// Inputs that decoded (all re-encoded to an equivalent batch).
    pub accepted: u64,
    /// Accepted inputs whose re-encoding is byte-identical.
    pub identical: u64,
    /// Refusals by error code.
    pub refused: BTreeMap<String, u64>,
    /// Wall time, seconds.
    pub seconds: f64,
}

impl fmt::Display for FuzzReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} inputs in {:.1} s ({:.0}/s): no panic; {} decoded ({} byte-identical on re-encoding, the others \
             re-encode to the same transactions)",
            self.iterations,
            self.seconds,
            self.iterations as f64 / self.seconds.max(1e-9),
            self.accepted,
            self.identical
        )?;
        for (code, n) in &self.refused {
            writeln!(f, "  refused {code}: {n}")?;
        }
        Ok(())
    }
}

/// Valid encodings the mutations start from: small batches of every mix and several chunk
/// sizes.
fn corpus() -> Result<Vec<(ChainConfig, Vec<u8>)>> {
    let mut out = Vec::new();
    for (i, (_, workload)) in MIXES.iter().enumerate() {
        let bench = ExecutorBench {
            workload: *workload,
            txs: 24,
            block_size: 8,
            accounts: 16,
            seed: 7 + i as u64,
            threads: 1,
            prediction: KeyPrediction::Operations,
            runs: 1,
            pipeline: true,
        };
        for chunk_size in [1, 3, 64] {
            let chain = ChainConfig { chunk_size, ..ChainConfig::default() };
            let (_, txs) = bench.generate(&chain);
            let mut blocks: Vec<BatchBlock> = txs
                .chunks(8)
                .enumerate()
                .map(|(b, t)| BatchBlock {
                    number: 10 + b as u64,
                    timestamp: 100 + 3 * b as u64,
                    queue_count: 0,
                    l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                    txs: t.to_vec(),
                })
                .collect();
            // An empty block in the middle.
            blocks.insert(
                1,
                BatchBlock {
                    number: 11,
                    timestamp: 103,
                    queue_count: 0,
                    l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                    txs: Vec::new(),
                },
            );
            for (k, b) in blocks.iter_mut().enumerate() {
                b.number = 10 + k as u64;
                b.timestamp = 100 + 3 * k as u64;
            }
            out.push((chain, codec::encode(&Batch { blocks }, &chain)?));
        }
    }
    Ok(out)
}

/// One input: random bytes, a mutated corpus entry, or a splice of two.
fn input(rng: &mut Rng, corpus: &[(ChainConfig, Vec<u8>)]) -> (ChainConfig, Vec<u8>) {
    let (chain, base) = &corpus[rng.below(corpus.len())];
    let random_byte = |rng: &mut Rng| rng.next() as u8;
    match rng.below(10) {
        0 => {
            let len = rng.below(300);
            let mut data: Vec<u8> = (0..len).map(|_| random_byte(rng)).collect();
            if let Some(first) = data.first_mut() {
                *first = codec::VERSION;
            }
            (*chain, data)
        }
        1 => {
            let (_, other) = &corpus[rng.below(corpus.len())];
            let cut_a = rng.below(base.len() + 1);
            let cut_b = rng.below(other.len() + 1);
            (*chain, [&base[..cut_a], &other[cut_b..]].concat())
        }
        _ => {
            let mut data = base.clone();
            for _ in 0..=rng.below(4) {
                if data.is_empty() {
                    break;
                }
                let i = rng.below(data.len());
                match rng.below(6) {
                    0 => data[i] = random_byte(rng),
                    1 => data[i] ^= 1 << rng.below(8),
                    2 => data.insert(i, random_byte(rng)),
                    3 => {
                        data.remove(i);
                    }
                    4 => data.truncate(i),
                    _ => {
                        let j = (i + 1 + rng.below(40)).min(data.len());
                        let slice = data[i..j].to_vec();
                        data.splice(i..i, slice);
                    }
                }
            }
            (*chain, data)
        }
    }
}

/// What one input must satisfy: no panic; if it decodes, decoding chunk by chunk agrees, and
/// the re-encoding decodes to the same transactions.
fn check(chain: &ChainConfig, data: &[u8]) -> Result<bool, CodecError> {
    let batch = codec::decode(data, chain)?;
    let header = codec::decode_header(data, chain)?;
    let mut all = batch.blocks.iter().flat_map(|b| &b.txs);
    for k in 0..header.chunks.len() {
        for tx in codec::decode_chunk(data, chain, k)? {
            assert_eq!(all.next(), Some(&tx), "decode and decode_chunk disagree");
        }
    }
    assert!(all.next().is_none(), "a transaction outside every chunk");
    let again = codec::encode(&batch, chain).expect("a decoded batch re-encodes");
    let back = codec::decode(&again, chain).expect("a re-encoded batch decodes");
    let hashes = |b: &Batch| b.blocks.iter().flat_map(|b| b.txs.iter().map(SignedTx::encoded)).collect::<Vec<_>>();
    assert_eq!(hashes(&back), hashes(&batch), "re-encoding changed a transaction");
    Ok(again == data)
}

impl CodecFuzz {
    /// Runs the fuzzer; fails with the offending input if the decoder panics or breaks a
    /// property.
    pub fn run(&self) -> Result<FuzzReport> {
        let corpus = corpus()?;
        let mut rng = Rng(self.seed);
        let mut report = FuzzReport { iterations: self.iterations, ..FuzzReport::default() };
        let started = Instant::now();
        for i in 0..self.iterations {
            let (chain, data) = input(&mut rng, &corpus);
            match catch_unwind(AssertUnwindSafe(|| check(&chain, &data))) {
                Ok(Ok(identical)) => {
                    report.accepted += 1;
                    report.identical += u64::from(identical);
                }
                Ok(Err(e)) => *report.refused.entry(e.code().to_owned()).or_default() += 1,
                Err(_) => bail!(
                    "input {i} (seed {}, chunk size {}) broke the decoder: 0x{}",
                    self.seed,
                    chain.chunk_size,
                    alloy_primitives::hex::encode(&data)
                ),
            }
        }
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }
}

/// The arguments of `rollup bench codec`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Transactions per mix.
    #[arg(long, default_value_t = 20_000)]
    txs: usize,
    /// Transactions per block.
    #[arg(long = "block-size", default_value_t = 500)]
    block_size: usize,
    /// Largest batch in bytes (the batcher cuts calldata batches at 120000).
    #[arg(long = "max-bytes", default_value_t = 120_000)]
    max_bytes: usize,
    /// Seed of the workloads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the bench and prints its report.
    pub async fn run(self) -> anyhow::Result<()> {
        let args = self;
        let bench =
            CodecBench { txs: args.txs, block_size: args.block_size, max_bytes: args.max_bytes, seed: args.seed };
        let report = bench.run()?;
        crate::report::print(&report, args.json)
    }
}

/// The arguments of `rollup bench codec-fuzz`.
#[derive(Debug, clap::Args)]
pub struct FuzzArgs {
    /// Inputs to try.
    #[arg(long, default_value_t = 1_000_000)]
    iterations: u64,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl FuzzArgs {
    /// Runs the fuzzer and prints its report.
    pub fn run(self) -> anyhow::Result<()> {
        let args = self;
        let report = CodecFuzz { iterations: args.iterations, seed: args.seed }.run()?;
        crate::report::print(&report, args.json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzing_finds_nothing_and_reaches_every_error() {
        let report = CodecFuzz { iterations: 100_000, seed: 42 }.run().expect("no panic, no broken property");
        assert!(report.accepted > 0, "some mutations stay valid: {report}");
        for code in ["truncated", "trailing_bytes", "bad_integer", "invalid_field"] {
            assert!(report.refused.get(code).copied().unwrap_or(0) > 0, "{code} never reached: {report}");
        }
    }

    #[test]
    fn codec_keeps_up_with_zstd_19_on_every_mix() {
        let report = CodecBench { txs: 3_000, block_size: 500, max_bytes: 120_000, seed: 1 }.run().expect("runs");
        for m in &report.mixes {
            // The codec carries what a compressor does not: a chunk-length byte for every chunk
            // of 4 transactions (0.25 B/tx), which a fraud proof needs to find its chunk
            // (docs/fraud-proofs.md §7.2 on why chunks hold 4). With chunks of 8 it beat zstd-19
            // on every mix; issue 56 is to beat every compressor again.
            assert!(m.codec < m.zstd19 + 0.25, "{}: codec {:.1} B/tx, zstd-19 {:.1}", m.mix, m.codec, m.zstd19);
        }
        let mixed = report.mixes.iter().find(|m| m.mix == "mixed").expect("mixed mix");
        assert!(mixed.codec < mixed.zstd19, "mixed: codec {:.1} B/tx, zstd-19 {:.1}", mixed.codec, mixed.zstd19);
        let swaps = report.mixes.iter().find(|m| m.mix == "swaps").expect("swaps mix");
        // 80 bytes before fees; every transaction now signs them: a zero tip and a 1 gwei cap,
        // one byte each (docs/batch-codec.md §2.2); 82.0 with chunks of 8.
        assert!(swaps.codec <= 82.2, "swaps take {:.1} B/tx", swaps.codec);
    }
}
