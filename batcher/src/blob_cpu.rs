//! The CPU a blob post costs the batcher, and how much of the machine `--da auto` lets it take
//! (docs/batcher.md §6).
//!
//! A blob post needs its blob's KZG commitment and blob proof, two multi-scalar multiplications
//! over the 4,096 points of the trusted setup: 67 to 128 ms of one core a blob on the machines
//! measured (`rollup bench kzg`), some 50 to 100 µs a transfer, as much as the sender
//! recoveries of the transfers it carries. A calldata post costs none of it. Where the L1 has
//! room for both, that CPU is taken from everything else the node runs: on two cores with
//! one-second L1 blocks, blobs without a bound carried 68 to 80 % of what calldata did
//! (BENCHMARKS.md "Blob batches").
//!
//! So `--da auto` spends on blob work only what the machine leaves idle, up to a cap: a budget
//! of CPU time fills, each second, with as many core-seconds as the machine's cores were idle
//! over the last quarter of a second (`/proc/stat`), at most `cores`, and holds at most one
//! second's worth of the cap. Each blob post takes its expected cost from it when it is chosen (a
//! blob measured when the batcher starts, then the average of its posts' blobs); the measured
//! cost (the thread's CPU time) replaces the expectation when its work ends. A post that finds
//! the budget spent goes in calldata, unless calldata would wait for a later L1 block (the
//! batcher then forces the blob: [`BlobCpu::force`]). A node that has CPU to spare (a light
//! load) posts blobs; one whose CPU is all taken by inclusion posts calldata, which costs it
//! none, while the L1 block's gas holds it. Where idle time cannot be read, the budget fills at
//! the cap.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

/// Share of the machine's cores the blob work takes at most by default: half.
pub const DEFAULT_SHARE_OF_CORES: f64 = 0.5;

/// Seconds of filling the budget holds at most: what blobs may spend at once after a quiet spell.
const BURST_SECS: f64 = 1.0;

/// A new measurement moves the expected cost of a blob this fraction of the way (1 / 4).
const COST_SMOOTHING: i64 = 4;

/// How often the machine's idle time is read.
const IDLE_SAMPLE: Duration = Duration::from_millis(250);

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// Core-nanoseconds the budget holds at most.
fn burst(cores: f64) -> i64 {
    (cores * BURST_SECS * 1e9) as i64
}

/// The cores the blob work may take at most by default on this machine
/// ([`DEFAULT_SHARE_OF_CORES`] of them).
pub fn default_cores() -> f64 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores as f64 * DEFAULT_SHARE_OF_CORES
}

/// The budget of CPU time for blob work (the module's rule).
#[derive(Debug)]
pub struct BlobCpu {
    cores: f64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// When the credit was last filled.
    at: Instant,
    /// Core-nanoseconds left to spend (below zero: spent ahead).
    credit: i64,
    /// The expected core-nanoseconds of one blob's work.
    per_blob: i64,
    /// Cores the credit fills at.
    rate: f64,
    /// The machine's idle time, read every [`IDLE_SAMPLE`] (`None`: the credit fills at the cap).
    idle: Option<IdleMeter>,
}

/// One blob's work, chosen: what it took from the budget, settled by [`BlobCpu::spent`].
#[derive(Debug)]
#[must_use = "the work's cost settles the budget"]
pub struct Taken {
    expected: i64,
}

impl BlobCpu {
    /// A budget filled at `cores` core-seconds a second, full at `now`, expecting a blob's work
    /// to take `per_blob` of CPU.
    pub fn new(cores: f64, per_blob: Duration, now: Instant) -> Self {
        let cores = if cores.is_nan() { 0.0 } else { cores.max(0.0) };
        let state = State { at: now, credit: burst(cores), per_blob: nanos(per_blob), rate: cores, idle: None };
        Self { cores, state: Mutex::new(state) }
    }

    /// A budget filled with the idle time of this machine, at most `cores` core-seconds a
    /// second (the module's rule); at `cores` itself where idle time cannot be read, and
    /// without a bound when `cores` is infinite.
    pub fn of_this_machine(cores: f64, per_blob: Duration, now: Instant) -> Self {
        let budget = Self::new(cores, per_blob, now);
        if budget.cores.is_finite() {
            budget.lock().idle = IdleMeter::start(now);
        }
        budget
    }

    /// One more blob's work, if the budget has room for it at `now` (its expected cost is taken).
    pub fn take(&self, now: Instant) -> Option<Taken> {
        let mut state = self.lock();
        state.fill(now, self.cores);
        (self.cores > 0.0 && state.credit > 0).then(|| state.charge())
    }

    /// One more blob's work whatever the budget holds (a post that must be a blob).
    pub fn force(&self, now: Instant) -> Taken {
        let mut state = self.lock();
        state.fill(now, self.cores);
        state.charge()
    }

    /// A blob's work ended, having taken `cpu` of its thread's time.
    pub fn spent(&self, taken: Taken, cpu: Duration) {
        let mut state = self.lock();
        let cpu = nanos(cpu);
        state.credit = state.credit.saturating_add(taken.expected).saturating_sub(cpu);
        state.per_blob += (cpu - state.per_blob) / COST_SMOOTHING;
    }

    /// The expected CPU of one blob's work.
    pub fn per_blob(&self) -> Duration {
        Duration::from_nanos(self.lock().per_blob.max(0) as u64)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl State {
    fn fill(&mut self, now: Instant, cores: f64) {
        if let Some(idle) = &mut self.idle
            && let Some(idle_cores) = idle.read(now)
        {
            self.rate = idle_cores.min(cores);
        }
        let elapsed = now.saturating_duration_since(self.at).as_nanos() as f64;
        self.at = self.at.max(now);
        // Float to integer casts saturate.
        self.credit = self.credit.saturating_add((elapsed * self.rate) as i64).min(burst(cores));
    }

    fn charge(&mut self) -> Taken {
        let expected = self.per_blob;
        self.credit = self.credit.saturating_sub(expected);
        Taken { expected }
    }
}

/// The machine's idle cores, from the CPU times of `/proc/stat`.
#[derive(Debug)]
struct IdleMeter {
    at: Instant,
    last: CpuTimes,
}

/// The machine's CPU times so far, in clock ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CpuTimes {
    /// Ticks of every kind, summed over the cores.
    total: u64,
    /// Idle ticks (idle and waiting for I/O).
    idle: u64,
    /// Cores counted.
    cpus: u64,
}

impl CpuTimes {
    /// Reads them from the text of `/proc/stat`: the `cpu` line's user, nice, system, idle,
    /// iowait, irq, softirq and steal ticks, and one `cpuN` line per core.
    fn parse(stat: &str) -> Option<Self> {
        let mut lines = stat.lines();
        let mut fields = lines.next()?.strip_prefix("cpu ")?.split_whitespace().map(str::parse::<u64>);
        let ticks: Vec<u64> = fields.by_ref().take(8).collect::<Result<_, _>>().ok()?;
        if ticks.len() < 5 {
            return None;
        }
        let cpus = lines.take_while(|l| l.starts_with("cpu")).count() as u64;
        Some(Self { total: ticks.iter().sum(), idle: ticks[3] + ticks[4], cpus: cpus.max(1) })
    }

    fn now() -> Option<Self> {
        Self::parse(&std::fs::read_to_string("/proc/stat").ok()?)
    }

    /// Idle cores on average between `before` and these times.
    fn idle_cores_since(self, before: Self) -> Option<f64> {
        let total = self.total.checked_sub(before.total).filter(|t| *t > 0)?;
        let idle = self.idle.saturating_sub(before.idle).min(total);
        Some(idle as f64 / total as f64 * self.cpus as f64)
    }
}

impl IdleMeter {
    fn start(now: Instant) -> Option<Self> {
        Some(Self { at: now, last: CpuTimes::now()? })
    }

    /// The idle cores since the last reading, when at least [`IDLE_SAMPLE`] has passed and the
    /// clock has ticked.
    fn read(&mut self, now: Instant) -> Option<f64> {
        if now.saturating_duration_since(self.at) < IDLE_SAMPLE {
            return None;
        }
        let times = CpuTimes::now()?;
        let idle = times.idle_cores_since(self.last)?;
        (self.at, self.last) = (now, times);
        Some(idle)
    }
}

pub use rollup_types::cpu::{measured, thread_cpu_time};

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn blobs_take_their_expected_cost_until_the_budget_is_spent() {
        let t0 = Instant::now();
        let budget = BlobCpu::new(0.25, 100 * MS, t0);
        // 0.25 core-seconds: three blobs of 0.1 (the third spends ahead), then none.
        let taken: Vec<_> = std::iter::from_fn(|| budget.take(t0)).take(10).collect();
        assert_eq!(taken.len(), 3);
        for t in taken {
            budget.spent(t, 100 * MS);
        }
        // 0.05 in debt: a fifth of a second fills it, and only then is there credit.
        assert!(budget.take(t0 + 200 * MS).is_none(), "0.05 in debt, 0.05 filled");
        let next = budget.take(t0 + 240 * MS).expect("0.01 of credit");
        budget.spent(next, 100 * MS);
        // After a long quiet spell the budget holds one second's filling: three blobs again.
        let t1 = t0 + Duration::from_secs(60);
        assert_eq!(std::iter::from_fn(|| budget.take(t1)).take(10).count(), 3);
    }

    #[test]
    fn a_blob_costlier_than_expected_is_paid_for_by_the_next_ones() {
        let t0 = Instant::now();
        let budget = BlobCpu::new(1.0, 100 * MS, t0);
        let first = budget.take(t0).expect("first");
        // It took a whole second: the credit (1.0 - 0.1 expected) falls to 1.0 - 1.0.
        budget.spent(first, 1_000 * MS);
        assert!(budget.take(t0).is_none(), "spent");
        assert!(budget.take(t0 + 10 * MS).is_some(), "filled again");
        // The expectation moved a quarter of the way: 0.1 + 0.9 / 4.
        assert_eq!(budget.per_blob(), 325 * MS);
    }

    #[test]
    fn zero_cores_take_no_blob_and_forced_blobs_spend_without_asking() {
        let t0 = Instant::now();
        let none = BlobCpu::new(0.0, 100 * MS, t0);
        assert!(none.take(t0).is_none(), "no cores, no blobs");
        let forced = none.force(t0);
        none.spent(forced, 50 * MS);
        assert_eq!(none.per_blob(), 88 * MS - Duration::from_micros(500), "forced blobs are measured too");
        assert!(none.take(t0 + Duration::from_secs(5)).is_none());
        // Unbounded: every blob fits.
        let all = BlobCpu::new(f64::INFINITY, 100 * MS, t0);
        assert_eq!(std::iter::from_fn(|| all.take(t0 + MS)).take(1_000).count(), 1_000);
    }

    #[test]
    fn idle_cores_are_read_from_the_cpu_times_of_proc_stat() {
        let stat =
            "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\ncpu1 50 0 25 400 25 0 0 0 0 0\nintr 1 2\n";
        let before = CpuTimes::parse(stat).expect("parses");
        assert_eq!(before, CpuTimes { total: 1_000, idle: 850, cpus: 2 });
        // 100 ticks later, 30 of them idle: 0.6 of two cores.
        let after = CpuTimes { total: 1_100, idle: 880, cpus: 2 };
        assert_eq!(after.idle_cores_since(before), Some(0.6));
        assert_eq!(before.idle_cores_since(before), None, "no tick, no reading");
        assert_eq!(CpuTimes::parse("intr 1 2\n"), None);
        assert_eq!(CpuTimes::parse("cpu  1 2 x 4 5\n"), None);
        #[cfg(target_os = "linux")]
        {
            let now = CpuTimes::now().expect("/proc/stat is readable on Linux");
            assert!(now.cpus >= 1 && now.idle <= now.total, "{now:?}");
        }
    }

    #[test]
    fn the_budget_fills_at_the_idle_cores_up_to_its_cap() {
        let t0 = Instant::now();
        let budget = BlobCpu::new(1.0, 100 * MS, t0);
        {
            let mut state = budget.lock();
            state.credit = 0;
            state.idle = Some(IdleMeter { at: t0, last: CpuTimes { total: 0, idle: 0, cpus: 2 } });
        }
        // Read a second later: at least the ticks so far, all of them idle at most; the rate
        // is what /proc/stat said, never above the cap.
        let _ = budget.take(t0 + Duration::from_secs(1));
        let rate = budget.lock().rate;
        assert!((0.0..=1.0).contains(&rate), "{rate}");
        // A busy machine fills nothing: the rate read is kept until the next reading.
        budget.lock().rate = 0.0;
        budget.lock().credit = 0;
        assert!(budget.take(t0 + Duration::from_secs(1) + 100 * MS).is_none(), "nothing idle, nothing filled");
    }
}
