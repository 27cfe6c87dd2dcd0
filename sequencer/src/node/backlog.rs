//! What is sealed but not yet on L1, and the admission it throttles (docs/sequencer.md §4):
//! when the blocks not yet in a batch mined on L1 hold more than a bound of bytes, or the
//! oldest of them waits longer than a bound of seconds, submissions of the heaviest
//! submitters are refused with `l1_backlog` (429 and `Retry-After`) until the batcher catches
//! up, and past twice the bound every submission is. The L2 head then never runs further ahead
//! of L1 than twice the bound plus what the mempool still holds.

use super::{Node, lock, now_millis};
use serde::Serialize;
use std::{
    collections::VecDeque,
    sync::atomic::Ordering,
    time::{Duration, Instant},
};
use tracing::{info, warn};

/// How often the backlog is measured against L1 (a read of the last batch recorded).
const REFRESH: Duration = Duration::from_millis(200);

/// The sealed blocks not yet in a batch mined on L1, oldest first.
#[derive(Debug, Default)]
pub(super) struct Backlog {
    /// (number, sealed at in Unix milliseconds, encoded bytes).
    blocks: VecDeque<(u64, u64, u64)>,
    bytes: u64,
    /// Last L2 block of the last batch mined on L1.
    posted: u64,
    read: Option<Instant>,
}

impl Backlog {
    /// A sealed block joins the backlog.
    pub(super) fn push(&mut self, number: u64, sealed_at: u64, bytes: u64) {
        if number > self.posted {
            self.blocks.push_back((number, sealed_at, bytes));
            self.bytes += bytes;
        }
    }

    /// Blocks up to `posted` are on L1.
    fn posted(&mut self, posted: u64) {
        self.posted = posted;
        while self.blocks.front().is_some_and(|(n, _, _)| *n <= posted) {
            if let Some((_, _, bytes)) = self.blocks.pop_front() {
                self.bytes -= bytes;
            }
        }
    }
}

/// The backlog as `/v1/status` shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BacklogView {
    /// Sealed blocks not yet in a batch mined on L1.
    pub blocks: u64,
    /// Their encoded bytes.
    pub bytes: u64,
    /// Milliseconds the oldest of them has waited.
    pub oldest_ms: u64,
    /// Last L2 block in a batch mined on L1.
    pub posted_block: u64,
    /// The bound on `bytes` (0: none).
    pub max_bytes: u64,
    /// The bound on the oldest's wait, in seconds (0: none).
    pub max_secs: u64,
    /// Whether submissions are being refused until the backlog shrinks.
    pub throttling: bool,
    /// Whether the bounds apply: once a batcher has recorded what the L1 carries (a sequencer
    /// whose blocks nothing posts is never throttled).
    pub active: bool,
}

impl Node {
    /// The backlog now.
    pub fn l1_backlog(&self) -> BacklogView {
        let backlog = lock!(self.l1_backlog.lock());
        let now = now_millis();
        BacklogView {
            blocks: backlog.blocks.len() as u64,
            bytes: backlog.bytes,
            oldest_ms: backlog.blocks.front().map_or(0, |(_, at, _)| now.saturating_sub(*at)),
            posted_block: backlog.posted,
            max_bytes: self.config.l1_backlog.max_bytes,
            max_secs: self.config.l1_backlog.max_secs,
            throttling: self.throttled.load(Ordering::Relaxed),
            active: self.l1_max_block_bytes().is_some(),
        }
    }

    /// Whether admission is throttled: the submissions' first check, an atomic load. While it
    /// is, the heaviest submitters are refused and lighter ones still taken, until the backlog
    /// passes twice its bound ([`Self::throttled_for_all`]).
    pub(super) fn throttled(&self) -> bool {
        self.throttled.load(Ordering::Relaxed)
    }

    /// Whether the backlog is past twice its bound: every submission is refused.
    pub(super) fn throttled_for_all(&self) -> bool {
        self.throttled_hard.load(Ordering::Relaxed)
    }

    /// Measures the backlog against the last batch mined on L1 (at most every [`REFRESH`]) and
    /// turns throttling on or off.
    pub(super) async fn refresh_l1_backlog(&self) {
        {
            let mut backlog = lock!(self.l1_backlog.lock());
            if backlog.read.is_some_and(|at| at.elapsed() < REFRESH) {
                return;
            }
            backlog.read = Some(Instant::now());
        }
        let posted = match self.own_store.latest_batch().await {
            Ok(batch) => batch.map_or(0, |b| b.last_block),
            Err(err) => {
                warn!(target: "sequencer::backlog", %err, "could not read the last batch posted");
                return;
            }
        };
        lock!(self.l1_backlog.lock()).posted(posted);
        let view = self.l1_backlog();
        let limits = self.config.l1_backlog;
        let over = view.active
            && ((limits.max_bytes > 0 && view.bytes > limits.max_bytes)
                || (limits.max_secs > 0 && view.oldest_ms > limits.max_secs * 1_000));
        let far_over = view.active
            && ((limits.max_bytes > 0 && view.bytes > 2 * limits.max_bytes)
                || (limits.max_secs > 0 && view.oldest_ms > 2 * limits.max_secs * 1_000));
        self.throttled_hard.store(far_over, Ordering::Relaxed);
        if self.throttled.swap(over, Ordering::Relaxed) != over {
            if over {
                warn!(
                    target: "sequencer::backlog",
                    blocks = view.blocks,
                    bytes = view.bytes,
                    oldest_ms = view.oldest_ms,
                    "more is sealed than L1 has taken: refusing submissions until the batcher catches up"
                );
            } else {
                info!(target: "sequencer::backlog", blocks = view.blocks, bytes = view.bytes, "the L1 backlog is back under its bound: accepting submissions");
            }
        }
    }

    /// Seconds a client refused for the backlog should wait: about what the excess takes to
    /// drain at the rate one post carries per second, between 1 and 10.
    pub(super) fn backlog_retry_after(&self, view: &BacklogView) -> u64 {
        let per_second = self.max_block_bytes().max(1) as u64;
        let excess = view.bytes.saturating_sub(view.max_bytes);
        excess.div_ceil(per_second).clamp(1, 10)
    }
}
