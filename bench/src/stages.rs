//! The whole path's CPU time by stage (`rollup bench e2e`): the threads of this process read
//! by name (each part that has threads of its own names them: admission's, the executor's,
//! SQLite's, the API's reads, rayon's), the work on shared threads as the parts charged it
//! ([`rollup_types::cpu::Stage`]), and what is left (the HTTP server and JSON, the load
//! generator, the L1 clients, async tasks) as the process's total less the rest. Set against
//! what one sender recovery costs on this machine: two per transaction (the sequencer's and
//! the challenger's) are the floor of the whole path.

use alloy_primitives::{Address, B256, Bytes};
use rollup_types::cpu::{self, Stage};
use serde::Serialize;
use std::{collections::HashMap, fmt, time::Duration};

/// CPU time of every live thread of this process, by thread id, with its name.
fn threads() -> HashMap<u32, (String, Duration)> {
    let mut out = HashMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return out };
    for task in tasks.flatten() {
        let Some(tid) = task.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else { continue };
        let path = task.path();
        let Ok(name) = std::fs::read_to_string(path.join("comm")) else { continue };
        // The first field of `schedstat`: nanoseconds on a CPU.
        let Some(ns) = std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()))
        else {
            continue;
        };
        out.insert(tid, (name.trim().to_owned(), Duration::from_nanos(ns)));
    }
    out
}

/// A thread's family: its name without a trailing `-<number>` (`admission-1` → `admission`).
fn family(name: &str) -> &str {
    match name.rsplit_once('-') {
        Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => name,
    }
}

/// Where the CPU counters stood at one moment.
#[derive(Debug)]
pub struct CpuSnapshot {
    process: f64,
    threads: HashMap<u32, (String, Duration)>,
    stages: [Duration; Stage::ALL.len()],
}

impl CpuSnapshot {
    /// The counters now.
    pub fn now() -> Self {
        Self { process: crate::load::process_cpu_secs(), threads: threads(), stages: Stage::ALL.map(cpu::spent) }
    }

    /// CPU time the threads of `family` spent since `earlier` (those alive now: a runtime's
    /// threads are read before it stops).
    pub fn family_since(&self, earlier: &Self, family_name: &str) -> Duration {
        self.threads
            .iter()
            .filter(|(_, (name, _))| family(name) == family_name)
            .map(|(tid, (name, now))| {
                let before = earlier.threads.get(tid).filter(|(n, _)| n == name).map_or(Duration::ZERO, |(_, d)| *d);
                now.saturating_sub(before)
            })
            .sum()
    }
}

/// One stage's CPU time over a run.
#[derive(Clone, Debug, Serialize)]
pub struct StageCpu {
    /// What it is.
    pub stage: &'static str,
    /// Seconds of CPU.
    pub secs: f64,
    /// Microseconds per transaction.
    pub us_per_tx: f64,
}

/// The whole path's CPU time by stage.
#[derive(Clone, Debug, Serialize)]
pub struct CpuReport {
    /// Each stage, in the order of the path; the last is what no stage claimed.
    pub stages: Vec<StageCpu>,
    /// The process's CPU time per transaction.
    pub total_us_per_tx: f64,
    /// The same without the load generator's: the whole path's.
    pub system_us_per_tx: f64,
    /// One sender recovery on this machine, microseconds (libsecp256k1, one thread; the faster of
    /// a timing before the load and one after it).
    pub recovery_us: f64,
    /// The whole path's CPU per transaction over two recoveries (issue 56's bound: 1.4).
    pub over_two_recoveries: f64,
}

/// Threads of a family belong to a stage: (family, stage).
const THREAD_STAGES: [(&str, &str); 6] = [
    ("admission", "sequencer: decoding, hashing, sender recovery (admission threads)"),
    ("executor", "sequencer: parallel execution and state tree (executor threads)"),
    ("sqlx-sqlite-wor", "chain store (SQLite's threads)"),
    ("query", "API reads (query threads)"),
    ("call", "API reads (eth_call threads)"),
    ("rayon", "challenger: sender recovery (rayon's threads)"),
];

/// What each charged stage is called in the report.
const fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Pool => "sequencer: checks against the tip and the mempool, holding",
        Stage::Production => "sequencer: block step (its thread: execution's share, roots, receipts)",
        Stage::Sealing => "sequencer: sealing blocks (records, receipts' positions, bloom)",
        Stage::Encoding => "batcher: encoding posts",
        Stage::Blobs => "batcher: blob commitments and proofs (KZG)",
        Stage::Judging => "challenger: decoding, execution, roots (its thread)",
    }
}

impl CpuReport {
    /// What was spent from `start` to `end` over `txs` transactions, against `recovery`, of
    /// which `client` by the load generator (read from its threads before they stopped).
    pub fn between(start: &CpuSnapshot, end: &CpuSnapshot, txs: usize, recovery: Duration, client: Duration) -> Self {
        let per_tx = |secs: f64| secs * 1e6 / txs.max(1) as f64;
        let mut by_family: HashMap<&str, f64> = HashMap::new();
        for (tid, (name, at_end)) in &end.threads {
            let before = start.threads.get(tid).filter(|(n, _)| n == name).map_or(Duration::ZERO, |(_, d)| *d);
            *by_family.entry(family(name)).or_default() += at_end.saturating_sub(before).as_secs_f64();
        }
        let mut stages = Vec::new();
        let mut push = |stage: &'static str, secs: f64| stages.push(StageCpu { stage, secs, us_per_tx: per_tx(secs) });
        for (fam, stage) in THREAD_STAGES {
            push(stage, by_family.get(fam).copied().unwrap_or(0.0));
        }
        let client = client.as_secs_f64();
        push("the load generator (a client: its own runtime's threads)", client);
        for (i, stage) in Stage::ALL.into_iter().enumerate() {
            push(stage_name(stage), end.stages[i].saturating_sub(start.stages[i]).as_secs_f64());
        }
        let total = (end.process - start.process).max(0.0);
        let claimed: f64 = stages.iter().map(|s| s.secs).sum();
        stages.push(StageCpu {
            stage: "the rest: the HTTP server and JSON, L1 clients, async tasks",
            secs: (total - claimed).max(0.0),
            us_per_tx: per_tx((total - claimed).max(0.0)),
        });
        let recovery_us = recovery.as_secs_f64() * 1e6;
        let system = per_tx((total - client).max(0.0));
        Self {
            stages,
            total_us_per_tx: per_tx(total),
            system_us_per_tx: system,
            recovery_us,
            over_two_recoveries: system / (2.0 * recovery_us).max(f64::MIN_POSITIVE),
        }
    }
}

impl fmt::Display for CpuReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "CPU by stage (µs per transaction, seconds in all):")?;
        for s in &self.stages {
            writeln!(f, "  {:>7.1} µs {:>6.2} s  {}", s.us_per_tx, s.secs, s.stage)?;
        }
        write!(
            f,
            "  {:>7.1} µs in all, {:.1} µs without the load generator; one sender recovery here {:.1} µs: the \
             whole path is {:.2}x two recoveries",
            self.total_us_per_tx, self.system_us_per_tx, self.recovery_us, self.over_two_recoveries
        )
    }
}

/// What one sender recovery costs on this thread: the fastest of three rounds of `n`
/// (libsecp256k1, the same call admission and the challenger make).
pub fn recovery_cost(n: usize) -> Duration {
    let signer = rollup_types::signer::Signer::new(&B256::repeat_byte(0x5e)).expect("a valid key");
    let txs: Vec<_> = (0..n.max(1) as u64)
        .map(|nonce| signer.eip1559_to(1, nonce, Address::repeat_byte(0x42), Bytes::from_static(&[1, 2, 3])))
        .collect();
    let signed: Vec<_> = txs.iter().map(|tx| (tx.signature(), tx.signature_hash())).collect();
    (0..3)
        .map(|_| {
            let (recovered, took) = cpu::measured(|| {
                signed.iter().filter(|(sig, hash)| rollup_types::tx::recover_signer(sig, *hash).is_ok()).count()
            });
            assert_eq!(recovered, signed.len(), "every signature recovers");
            took / signed.len() as u32
        })
        .min()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_are_grouped_by_family() {
        assert_eq!(family("admission-12"), "admission");
        assert_eq!(family("sqlx-sqlite-wor"), "sqlx-sqlite-wor");
        assert_eq!(family("tokio-rt-worker"), "tokio-rt-worker");
        assert_eq!(family("query"), "query");
        assert_eq!(family("call-"), "call-");
    }

    #[test]
    fn a_report_splits_the_process_time() {
        let start = CpuSnapshot::now();
        let took = recovery_cost(50);
        assert!(took > Duration::ZERO);
        std::thread::Builder::new()
            .name("admission-0".into())
            .spawn(|| cpu::charged(Stage::Encoding, || recovery_cost(50)))
            .expect("thread")
            .join()
            .expect("joined");
        let end = CpuSnapshot::now();
        let report = CpuReport::between(&start, &end, 100, took, Duration::ZERO);
        assert!(report.stages.iter().any(|s| s.stage == stage_name(Stage::Encoding) && s.secs > 0.0));
        assert!(report.total_us_per_tx >= report.system_us_per_tx && report.over_two_recoveries > 0.0);
    }
}
