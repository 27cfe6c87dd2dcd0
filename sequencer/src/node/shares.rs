//! What each client may take of the node's shared work (docs/api.md §5, "Fair shares"): the
//! transactions and bytes it may submit per second, the work units its JSON-RPC requests may
//! use per second, the bytes it offered lately (who is refused first when L1 lags), and the
//! fair pools its reads wait for (`queries.rs`, `calls.rs`).

use super::{Node, lock};
use crate::{
    config::HttpLimits,
    error::SubmitError,
    fair::{Buckets, Client, Usage},
};
use alloy_primitives::Bytes;
use std::{sync::Mutex, time::Instant};

/// The per-client counts.
#[derive(Debug)]
pub(super) struct Shares {
    txs: Mutex<Buckets>,
    tx_bytes: Mutex<Buckets>,
    work: Mutex<Buckets>,
    /// Bytes of transactions each client offered lately, taken or not.
    offered: Mutex<Usage>,
}

impl Shares {
    pub(super) fn new(limits: &HttpLimits) -> Self {
        Self {
            txs: Mutex::new(Buckets::new(u64::from(limits.per_ip_tx_rate))),
            tx_bytes: Mutex::new(Buckets::new(limits.per_ip_tx_bytes)),
            work: Mutex::new(Buckets::new(limits.per_ip_work)),
            offered: Mutex::new(Usage::default()),
        }
    }
}

/// Why a read was refused for its client's work.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "this address used its work for now ({rate} units per second; this request needs about {needed}); retry in \
     {retry_after} s or ask for less per request"
)]
pub struct WorkRateLimited {
    /// The address's rate.
    pub rate: u64,
    /// What the request was estimated to need.
    pub needed: u64,
    /// Seconds until the address has that much again.
    pub retry_after: u64,
}

impl Node {
    /// Whether `client` may start work estimated at `units` now (its rate of work units).
    pub fn check_work(&self, client: Client, units: u64) -> Result<(), WorkRateLimited> {
        if !client.limited {
            return Ok(());
        }
        let mut work = lock!(self.shares.work.lock());
        work.check(client.ip, units, Instant::now()).map_err(|retry_after| WorkRateLimited {
            rate: work.rate(),
            needed: units,
            retry_after,
        })
    }

    /// Charges `units` of work done to `client`.
    pub fn spend_work(&self, client: Client, units: u64) {
        if client.limited {
            lock!(self.shares.work.lock()).spend(client.ip, units, Instant::now());
        }
    }

    /// `client` offered `raws`: they count toward its share of the L1 backlog, taken or not.
    pub(super) fn offered(&self, client: Client, raws: &[Bytes]) {
        let bytes: u64 = raws.iter().map(|r| r.len() as u64).sum();
        lock!(self.shares.offered.lock()).add(client.ip, bytes as f64, Instant::now());
    }

    /// Of `raws`, how many (from the first) `client` may submit now, counting transactions and
    /// their bytes against its rates; the rest are refused with the error returned.
    pub(super) fn take_submissions(&self, client: Client, raws: &[Bytes]) -> (usize, Option<SubmitError>) {
        let now = Instant::now();
        if !client.limited {
            return (raws.len(), None);
        }
        {
            let mut tx_bytes = lock!(self.shares.tx_bytes.lock());
            if let Err(retry_after) = tx_bytes.check(client.ip, 1, now) {
                let rate = tx_bytes.rate();
                return (0, Some(SubmitError::RateLimited { what: "bytes of transactions", rate, retry_after }));
            }
        }
        let mut txs = lock!(self.shares.txs.lock());
        let taken = usize::try_from(txs.take_up_to(client.ip, raws.len() as u64, now)).unwrap_or(raws.len());
        let refused = (taken < raws.len()).then(|| SubmitError::RateLimited {
            what: "transactions",
            rate: txs.rate(),
            retry_after: txs.check(client.ip, 1, now).err().unwrap_or(1),
        });
        drop(txs);
        let taken_bytes: u64 = raws[..taken].iter().map(|r| r.len() as u64).sum();
        // Charged whole: a request that passes the byte rate is a debt the next ones wait out.
        lock!(self.shares.tx_bytes.lock()).spend(client.ip, taken_bytes, now);
        (taken, refused)
    }

    /// Whether `client` is among the heaviest submitters lately: it offered more than half
    /// the average of the clients that offered anything (about the last minute, halving every
    /// 10 s). While L1 lags, those are refused first.
    pub(super) fn heavy_submitter(&self, client: Client) -> bool {
        let now = Instant::now();
        let mut offered = lock!(self.shares.offered.lock());
        let mine = offered.get(&client.ip, now);
        let (total, clients) = offered.totals(now);
        clients > 0 && mine > total / clients as f64 / 2.0
    }
}
