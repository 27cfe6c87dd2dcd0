//! Prometheus metrics of a node, rendered in the text exposition format at `/metrics`.
//!
//! Counters and histograms are plain atomics updated on the hot paths; gauges (mempool size,
//! head) are read when the page is rendered.

use crate::error::SubmitError;
use alloy_primitives::B256;
use std::{
    fmt::Write as _,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// A latency histogram.
#[derive(Debug, Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {count}");
    }
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
}

/// What the node measures.
#[derive(Debug, Default)]
pub struct Metrics {
    accepted: AtomicU64,
    rejected: Mutex<Vec<(&'static str, u64)>>,
    submit: Histogram,
    recovery: Histogram,
    write_wait: Histogram,
    db_write: Histogram,
    state_root: Histogram,
    block_execution: Histogram,
    block_commit: Histogram,
    block_interval: Histogram,
    blocks: AtomicU64,
    blocks_pipelined: AtomicU64,
    block_txs: AtomicU64,
    last_block: Mutex<Option<Instant>>,
}

/// Gauges read when rendering.
#[derive(Clone, Copy, Debug)]
pub struct Gauges {
    /// Transactions held.
    pub mempool: usize,
    /// Of which behind a nonce gap.
    pub mempool_future: usize,
    /// Head block number.
    pub head: u64,
    /// What is sealed but not yet on L1.
    pub l1_backlog: crate::BacklogView,
    /// The bound on a block's encoding now.
    pub max_block_bytes: u64,
}

impl Metrics {
    /// Counts the results of one submission request and its latency.
    pub fn record_submissions(&self, results: &[Result<B256, SubmitError>], elapsed: Duration) {
        let mut accepted = 0;
        let mut rejected = Vec::new();
        for result in results {
            match result {
                Ok(_) => accepted += 1,
                Err(err) => rejected.push(err.code()),
            }
        }
        self.accepted.fetch_add(accepted, Ordering::Relaxed);
        if !rejected.is_empty() {
            let mut counts = self.rejected.lock().unwrap_or_else(|p| p.into_inner());
            for code in rejected {
                match counts.iter_mut().find(|(c, _)| *c == code) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((code, 1)),
                }
            }
        }
        self.submit.observe(elapsed);
    }

    /// Records the sender recovery of one submission request, and its wait for the group
    /// commit that carried it.
    pub fn record_ingest_phases(&self, recovery: Duration, write_wait: Option<Duration>) {
        self.recovery.observe(recovery);
        if let Some(wait) = write_wait {
            self.write_wait.observe(wait);
        }
    }

    /// Records one group commit of acknowledged transactions.
    pub fn record_db_write(&self, elapsed: Duration) {
        self.db_write.observe(elapsed);
    }

    /// Records a sealed block: its size, execution time and database commit time.
    pub fn record_block(&self, txs: usize, execution: Duration, state_root: Duration, commit: Duration) {
        self.blocks.fetch_add(1, Ordering::Relaxed);
        self.state_root.observe(state_root);
        self.block_txs.fetch_add(txs as u64, Ordering::Relaxed);
        self.block_execution.observe(execution);
        self.block_commit.observe(commit);
        let now = Instant::now();
        let mut last = self.last_block.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(previous) = last.replace(now) {
            self.block_interval.observe(now - previous);
        }
    }

    /// Counts blocks whose state root was computed beside the next block's execution.
    pub fn record_pipelined(&self, blocks: usize) {
        self.blocks_pipelined.fetch_add(blocks as u64, Ordering::Relaxed);
    }

    /// The exposition page.
    pub fn render(&self, gauges: Gauges) -> String {
        let mut out = String::with_capacity(4096);
        if let Some(rss) = resident_bytes() {
            let _ = writeln!(
                out,
                "# HELP process_resident_memory_bytes Resident memory of the process.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {rss}"
            );
        }
        counter(
            &mut out,
            "rollup_ingest_accepted_total",
            "Transactions acknowledged (on disk).",
            self.accepted.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP rollup_ingest_rejected_total Submissions refused, by reason.\n# TYPE rollup_ingest_rejected_total counter"
        );
        for (code, n) in self.rejected.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "rollup_ingest_rejected_total{{reason=\"{code}\"}} {n}");
        }
        self.submit.render(&mut out, "rollup_ingest_request_seconds", "Time to answer a submission request.");
        self.recovery.render(&mut out, "rollup_ingest_recovery_seconds", "Decoding and sender recovery of a request.");
        self.write_wait.render(
            &mut out,
            "rollup_ingest_write_wait_seconds",
            "From queueing a request's rows to their group commit.",
        );
        self.db_write.render(&mut out, "rollup_db_write_seconds", "Group commit of acknowledged transactions.");
        gauge(&mut out, "rollup_mempool_transactions", "Transactions held.", gauges.mempool as f64);
        gauge(
            &mut out,
            "rollup_mempool_future_transactions",
            "Transactions held behind a nonce gap.",
            gauges.mempool_future as f64,
        );
        gauge(&mut out, "rollup_head_block", "Number of the latest sealed block.", gauges.head as f64);
        let backlog = gauges.l1_backlog;
        gauge(
            &mut out,
            "rollup_l1_backlog_blocks",
            "Sealed blocks not yet in a batch mined on L1.",
            backlog.blocks as f64,
        );
        gauge(
            &mut out,
            "rollup_l1_backlog_bytes",
            "Encoded bytes of the sealed blocks not yet on L1.",
            backlog.bytes as f64,
        );
        gauge(
            &mut out,
            "rollup_l1_backlog_oldest_seconds",
            "How long the oldest sealed block not yet on L1 has waited.",
            backlog.oldest_ms as f64 / 1_000.0,
        );
        gauge(
            &mut out,
            "rollup_l1_backlog_throttling",
            "1 while submissions are refused until the L1 backlog shrinks.",
            f64::from(u8::from(backlog.throttling)),
        );
        gauge(
            &mut out,
            "rollup_max_block_bytes",
            "The bound on a block's encoding now.",
            gauges.max_block_bytes as f64,
        );
        counter(&mut out, "rollup_blocks_total", "Blocks sealed.", self.blocks.load(Ordering::Relaxed));
        counter(
            &mut out,
            "rollup_blocks_pipelined_total",
            "Blocks whose state root was computed beside the next block's execution (under a backlog).",
            self.blocks_pipelined.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "rollup_block_transactions_total",
            "Transactions included in sealed blocks.",
            self.block_txs.load(Ordering::Relaxed),
        );
        self.block_execution.render(&mut out, "rollup_block_execution_seconds", "Executing a block (with state root).");
        self.state_root.render(&mut out, "rollup_block_state_root_seconds", "The state-root part of block execution.");
        self.block_commit.render(&mut out, "rollup_block_commit_seconds", "Writing a sealed block to the database.");
        self.block_interval.render(&mut out, "rollup_block_interval_seconds", "Time between sealed blocks.");
        out
    }
}

/// The process's resident memory in bytes (Linux: `/proc/self/statm`), if known.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

fn page_size() -> u64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sysconf takes no pointers.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if size > 0 {
            return size as u64;
        }
    }
    4096
}

/// Gives the allocator's free memory back to the operating system (glibc keeps freed
/// memory in its arenas; after a burst, such as a flood of requests, the process would
/// otherwise stay at its peak). Elsewhere nothing is done.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers and is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative() {
        let metrics = Metrics::default();
        metrics.record_block(3, Duration::from_millis(2), Duration::from_millis(1), Duration::from_millis(30));
        metrics.record_submissions(&[Ok(B256::ZERO), Err(SubmitError::Overloaded)], Duration::from_micros(100));
        let page = metrics.render(Gauges {
            mempool: 1,
            mempool_future: 0,
            head: 7,
            l1_backlog: crate::BacklogView { bytes: 5, throttling: true, ..Default::default() },
            max_block_bytes: 120_000,
        });
        assert!(page.contains("rollup_block_execution_seconds_bucket{le=\"0.0025\"} 1"), "{page}");
        assert!(page.contains("rollup_block_execution_seconds_bucket{le=\"0.001\"} 0"));
        assert!(page.contains("rollup_block_execution_seconds_count 1"));
        assert!(page.contains("rollup_ingest_rejected_total{reason=\"overloaded\"} 1"));
        assert!(page.contains("rollup_ingest_accepted_total 1"));
        assert!(page.contains("rollup_head_block 7"));
        assert!(page.contains("rollup_l1_backlog_bytes 5"));
        assert!(page.contains("rollup_l1_backlog_throttling 1"));
    }
}
