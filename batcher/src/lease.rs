//! One batcher posting at a time (docs/deployment.md §4): a `rollup batcher` takes the
//! batchers' lease of its database (row 2 of `sequencer_lease`) before it posts, renews it four
//! times a lease, and writes under its epoch ([`Store::fence_of`]). Another batcher on the same
//! database stands by and takes over once the lease lapses; the one it replaced, if it only
//! stalled, finds its next write refused (`Fenced`, fatal) and its lease gone, and stops. Its
//! attempts are stored before they are broadcast, so a deposed batcher broadcasts nothing new;
//! what it broadcast before is on the L1 or in its mempool, where its successor finds it (the
//! inbox takes each batch index once: no double post, no gap).

use crate::BatcherError;
use rollup_chain_store::{LeaseOf, Store};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// The batchers' lease held by this process.
#[derive(Clone, Debug)]
pub struct BatcherLease {
    /// This process's id.
    pub holder: String,
    /// The epoch it took the lease at.
    pub epoch: u64,
    /// How long it lasts unless renewed.
    pub lease: Duration,
}

/// How often a batcher standing by asks for the lease.
fn poll_interval(lease: Duration) -> Duration {
    (lease / 8).clamp(Duration::from_millis(20), Duration::from_millis(500))
}

/// Takes the batchers' lease of `store`'s database for `holder`, standing by while another
/// batcher holds it, and fences `store`'s writes by it. `None` if `cancel` fired first.
pub async fn take(
    store: &Store,
    holder: &str,
    lease: Duration,
    cancel: &CancellationToken,
) -> Result<Option<BatcherLease>, BatcherError> {
    let mut told = false;
    loop {
        match store.try_lead_of(LeaseOf::Batcher, holder, "", lease).await {
            Ok(Some(epoch)) => {
                store.fence_of(LeaseOf::Batcher, epoch);
                info!(target: "batcher", epoch, "took the batchers' lease: posting");
                return Ok(Some(BatcherLease { holder: holder.to_owned(), epoch, lease }));
            }
            Ok(None) if !told => {
                told = true;
                let held = store.lease_of(LeaseOf::Batcher).await?;
                info!(target: "batcher", holder = %held.holder, epoch = held.epoch, "another batcher posts for this database: standing by");
            }
            Ok(None) => {}
            Err(err) => warn!(target: "batcher", %err, "could not ask the database for the batchers' lease"),
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(None),
            _ = tokio::time::sleep(poll_interval(lease)) => {}
        }
    }
}

/// Renews `held` until `cancel` fires; [`BatcherError::LostLease`] as soon as another batcher
/// holds it. A database that cannot be reached is retried (the fence keeps writes out).
pub async fn keep(store: Store, held: BatcherLease, cancel: CancellationToken) -> Result<(), BatcherError> {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(held.lease / 4) => {}
        }
        match store.renew_lead_of(LeaseOf::Batcher, &held.holder, held.epoch, held.lease).await {
            Ok(true) => {}
            Ok(false) => {
                error!(target: "batcher", epoch = held.epoch, "another batcher took the lease over: stopping");
                return Err(BatcherError::LostLease(held.epoch));
            }
            Err(err) => warn!(target: "batcher", %err, "could not renew the batchers' lease; retrying"),
        }
    }
}

/// Gives the lease back (a clean stop), so that a batcher standing by takes over at once.
pub async fn release(store: &Store, held: &BatcherLease) {
    if let Err(err) = store.release_lead_of(LeaseOf::Batcher, held.epoch).await {
        warn!(target: "batcher", %err, "could not release the batchers' lease; another takes over when it expires");
    }
}
