//! Which threads of a rayon pool are waiting for work, so that long tasks can split their
//! remaining work when, and only when, a thread would otherwise wait.
//!
//! rayon balances work by stealing, which only helps when there is something to steal: a
//! task that has started cannot be shared. The state tree's ranges are such tasks (a range
//! applies every chunk of a block to its shards in order), and cutting them finer up front
//! costs work (the tree hashes each level's stale nodes several at a time, and a finer cut
//! leaves fewer per batch). Instead, a range looks here at each chunk boundary and, if a
//! thread is idle, claims it and splits its shards in two: the idle thread takes one half.
//!
//! A thread is marked idle while it spins with nothing to take ([`IdleThreads::with_helpers`])
//! or while it waits, in [`IdleThreads::join`], for the half another thread took. Marks are
//! per thread of the current rayon pool (at most 64).

use std::{
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::Instant,
};

/// Pause instructions a helper spins between two looks for jobs (about a microsecond).
const SPINS: u32 = 64;

/// Sets a flag when dropped (also when unwinding), so that helpers never wait forever.
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// The set of idle threads of one rayon pool.
#[derive(Debug, Default)]
pub struct IdleThreads {
    bits: AtomicU64,
    claims: AtomicU64,
    /// Nanoseconds that threads spent in [`Self::help_until`] with nothing to take.
    idle_nanos: AtomicU64,
}

impl IdleThreads {
    /// No thread idle.
    pub const fn new() -> Self {
        Self { bits: AtomicU64::new(0), claims: AtomicU64::new(0), idle_nanos: AtomicU64::new(0) }
    }

    /// Time the helping threads ([`Self::help_until`]) have spent with nothing to take, in
    /// all: with the wall time of the work they helped, how much of the pool stood idle.
    pub fn idle_time(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.idle_nanos.load(Ordering::Relaxed))
    }

    /// How many times [`Self::claim`] has taken an idle thread: how often work was split for
    /// one.
    pub fn claims(&self) -> u64 {
        self.claims.load(Ordering::Relaxed)
    }

    /// Runs `f` on the calling thread of a rayon pool while `threads - 1` other threads of the
    /// pool stay awake until it returns: each takes the pool's pending jobs
    /// ([`rayon::yield_now`]) and, when there are none, spins marked idle, where a splitting
    /// task can claim it; once claimed, it looks for the job offered at once.
    ///
    /// For work that forks often with short serial steps between (a block: prediction, the
    /// commit check, collecting the chunks). rayon puts an idle thread to sleep after some
    /// tens of microseconds, and waking a sleeping virtual CPU was measured at up to
    /// milliseconds: longer than a phase. The cost is spinning while `f` runs, never after.
    pub fn with_helpers<R: Send>(&self, threads: usize, f: impl FnOnce() -> R + Send) -> R {
        let done = AtomicBool::new(false);
        rayon::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(|_| self.help_until(&done));
            }
            let _done = SetOnDrop(&done);
            f()
        })
    }

    /// Helps the pool until `done` (see [`Self::with_helpers`]).
    fn help_until(&self, done: &AtomicBool) {
        while !done.load(Ordering::Acquire) {
            self.set_busy();
            if rayon::yield_now() == Some(rayon::Yield::Executed) {
                continue;
            }
            let since = Instant::now();
            self.set_idle();
            for _ in 0..SPINS {
                if done.load(Ordering::Acquire) || !self.is_idle() {
                    break;
                }
                std::hint::spin_loop();
            }
            self.add_idle(since);
        }
        self.set_busy();
    }

    fn add_idle(&self, since: Instant) {
        let nanos = u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.idle_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The calling thread's bit (none outside a rayon pool, or beyond 64 threads).
    fn own() -> u64 {
        rayon::current_thread_index().filter(|i| *i < 64).map_or(0, |i| 1 << i)
    }

    /// Marks the calling thread idle.
    pub fn set_idle(&self) {
        let own = Self::own();
        if own != 0 {
            self.bits.fetch_or(own, Ordering::AcqRel);
        }
    }

    /// Marks the calling thread busy.
    pub fn set_busy(&self) {
        let own = Self::own();
        if own != 0 {
            self.bits.fetch_and(!own, Ordering::AcqRel);
        }
    }

    /// Whether the calling thread is still marked idle (not yet claimed by [`Self::claim`]).
    pub fn is_idle(&self) -> bool {
        self.bits.load(Ordering::Acquire) & Self::own() != 0
    }

    /// Takes one idle thread other than the caller: clears its mark and returns `true`, or
    /// returns `false` if none is idle. The caller is expected to offer work at once.
    pub fn claim(&self) -> bool {
        let own = Self::own();
        let mut bits = self.bits.load(Ordering::Acquire);
        loop {
            let others = bits & !own;
            if others == 0 {
                return false;
            }
            let one = others & others.wrapping_neg();
            match self.bits.compare_exchange_weak(bits, bits & !one, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    self.claims.fetch_add(1, Ordering::Relaxed);
                    return true;
                }
                Err(now) => bits = now,
            }
        }
    }

    /// [`rayon::join`], with the calling thread marked idle from the end of `a` for as long as
    /// it waits for `b` to finish on another thread, so that `b`'s work can be split for it.
    /// Whichever thread runs `b` is marked busy.
    pub fn join<RA: Send, RB: Send>(&self, a: impl FnOnce() -> RA + Send, b: impl FnOnce() -> RB + Send) -> (RA, RB) {
        let out = rayon::join(
            || {
                let out = a();
                self.set_idle();
                out
            },
            || {
                self.set_busy();
                b()
            },
        );
        self.set_busy();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_take_other_threads_once() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().expect("pool");
        let idle = IdleThreads::new();
        // Outside a pool a thread has no mark.
        idle.set_idle();
        assert!(!idle.claim());
        pool.broadcast(|ctx| {
            if ctx.index() != 0 {
                idle.set_idle();
            }
        });
        pool.install(|| {
            // Thread 0 or another: claims never take the caller's own mark.
            let me = rayon::current_thread_index().expect("in the pool");
            let others = if me == 0 { 2 } else { 1 };
            for _ in 0..others {
                assert!(idle.claim());
            }
            assert!(!idle.claim());
        });
    }

    #[test]
    fn join_marks_the_waiting_thread_idle_and_the_runner_busy() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
        let idle = IdleThreads::new();
        pool.install(|| {
            let (a, b) = idle.join(|| 1, || idle.is_idle());
            assert_eq!(a, 1);
            // `b` ran marked busy, wherever it ran; after the join the caller is busy too.
            assert!(!b);
            assert!(!idle.is_idle());
        });
    }
}
