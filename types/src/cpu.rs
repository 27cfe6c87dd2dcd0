//! CPU time: a thread's own, and what each stage of the whole path spent, for `rollup bench
//! e2e`'s report by stage (BENCHMARKS.md, "CPU by stage").
//!
//! Work on threads of its own (admission's, the executor's, SQLite's) is told apart by the
//! threads' names; work that runs on threads shared with everything else (a runtime's blocking
//! threads, an async worker lent to CPU work) is charged here, one [`Stage`] at a time, by the
//! CPU clock of the thread that does it: a few readings a block or a post, not one a
//! transaction.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

/// CPU time the calling thread has used so far (`None` where the platform does not say).
pub fn thread_cpu_time() -> Option<Duration> {
    #[cfg(target_os = "linux")]
    {
        let mut at = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime only writes into the struct it is given; the clock id is valid
        // on Linux.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut at) } != 0 {
            return None;
        }
        Some(Duration::new(at.tv_sec as u64, at.tv_nsec as u32))
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Runs `work`, returning what it gave and the CPU time it took on this thread (its wall time
/// where the platform does not tell CPU time).
pub fn measured<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let (cpu, wall) = (thread_cpu_time(), Instant::now());
    let out = work();
    let took = match (cpu, thread_cpu_time()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => wall.elapsed(),
    };
    (out, took)
}

/// A stage of the whole path whose work runs on shared threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The sequencer's checks of submissions against the tip's state and the mempool, and
    /// holding what was written (on the request's async worker).
    Pool,
    /// The sequencer's block step on its blocking thread: executing (with the executor's own
    /// threads), the state tree's update, the receipts.
    Production,
    /// The sequencer sealing executed blocks: their records, receipts' positions, bloom.
    Sealing,
    /// The batcher packing blocks into a post (the codec's encoding).
    Encoding,
    /// The batcher's blob commitments and proofs (KZG).
    Blobs,
    /// The challenger judging a batch on the thread lent to it: decoding, execution, the
    /// roots (its sender recovery runs on the rayon pool's threads).
    Judging,
}

impl Stage {
    /// Every stage, in the order of the path.
    pub const ALL: [Self; 6] =
        [Self::Pool, Self::Production, Self::Sealing, Self::Encoding, Self::Blobs, Self::Judging];

    const fn slot(self) -> usize {
        self as usize
    }
}

/// Nanoseconds each stage has spent in this process.
static SPENT: [AtomicU64; Stage::ALL.len()] = [const { AtomicU64::new(0) }; Stage::ALL.len()];

/// Counts `took` to `stage`.
pub fn charge(stage: Stage, took: Duration) {
    SPENT[stage.slot()].fetch_add(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
}

/// Runs `work` on this thread and charges its CPU time to `stage`.
pub fn charged<T>(stage: Stage, work: impl FnOnce() -> T) -> T {
    let (out, took) = measured(work);
    charge(stage, took);
    out
}

/// A reading of this thread's CPU clock, charged to a stage by [`Meter::charge`]: for a
/// stretch of synchronous code inside an async function, with no `.await` between the two (the
/// thread may run other tasks at an `.await`, whose time would be counted too).
#[derive(Debug)]
#[must_use = "a meter counts nothing until it is charged"]
pub struct Meter(Option<Duration>);

impl Meter {
    /// Reads the clock now.
    pub fn start() -> Self {
        Self(thread_cpu_time())
    }

    /// Charges the CPU time since [`Self::start`] to `stage`.
    pub fn charge(self, stage: Stage) {
        if let (Some(start), Some(now)) = (self.0, thread_cpu_time()) {
            charge(stage, now.saturating_sub(start));
        }
    }
}

/// CPU time `stage` has spent in this process so far.
pub fn spent(stage: Stage) -> Duration {
    Duration::from_nanos(SPENT[stage.slot()].load(Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_is_charged_to_its_stage_and_sleep_is_not() {
        let before = spent(Stage::Encoding);
        let sum = charged(Stage::Encoding, || (0..20_000_000u64).fold(0u64, |a, b| a.wrapping_add(b * b)));
        assert_ne!(sum, 0);
        assert!(spent(Stage::Encoding) > before);
        #[cfg(target_os = "linux")]
        {
            let ((), slept) = measured(|| std::thread::sleep(Duration::from_millis(20)));
            assert!(slept < Duration::from_millis(10), "{slept:?}");
        }
    }
}
