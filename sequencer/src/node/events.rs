//! What happened on the chain, for the API's filters and subscriptions: the head's number (a
//! watch channel: readers wait for the next block) and the transactions newly held in the
//! mempool (a bounded ring, numbered, that readers poll from their own cursor).

use super::lock;
use alloy_primitives::B256;
use std::{collections::VecDeque, sync::Mutex};
use tokio::sync::watch;

/// Transactions newly held that the ring keeps for pollers; an older one is gone for a
/// poller that has not read it yet (`eth_newPendingTransactionFilter`, docs/api.md §3.4).
pub const PENDING_RING: usize = 65_536;

/// The node's chain events.
#[derive(Debug)]
pub struct ChainEvents {
    head: watch::Sender<u64>,
    pending: Mutex<PendingRing>,
}

#[derive(Debug, Default)]
struct PendingRing {
    /// The number of the oldest hash kept.
    first: u64,
    hashes: VecDeque<B256>,
}

impl ChainEvents {
    pub(super) fn new(head: u64) -> Self {
        Self { head: watch::channel(head).0, pending: Mutex::default() }
    }

    /// Publishes a new head.
    pub(super) fn head_sealed(&self, number: u64) {
        self.head.send_replace(number);
    }

    /// A receiver of the head's number, woken at each new block.
    pub fn heads(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    /// Records transactions newly held in the mempool, in order.
    pub(super) fn held(&self, hashes: impl IntoIterator<Item = B256>) {
        let mut ring = lock!(self.pending.lock());
        for hash in hashes {
            if ring.hashes.len() == PENDING_RING {
                ring.hashes.pop_front();
                ring.first += 1;
            }
            ring.hashes.push_back(hash);
        }
    }

    /// The cursor of a poller that starts now.
    pub fn pending_cursor(&self) -> u64 {
        let ring = lock!(self.pending.lock());
        ring.first + ring.hashes.len() as u64
    }

    /// Up to `max` hashes held since `cursor`, and the cursor after them (a cursor older
    /// than the ring starts at its oldest hash).
    pub fn pending_since(&self, cursor: u64, max: usize) -> (Vec<B256>, u64) {
        let ring = lock!(self.pending.lock());
        let start = cursor.max(ring.first);
        let skip = (start - ring.first) as usize;
        let hashes: Vec<B256> = ring.hashes.iter().skip(skip).take(max).copied().collect();
        let next = start + hashes.len() as u64;
        (hashes, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pollers_read_from_their_cursor_and_lose_only_what_the_ring_dropped() {
        let events = ChainEvents::new(0);
        let early = events.pending_cursor();
        events.held((0..3u8).map(B256::repeat_byte));
        let late = events.pending_cursor();
        events.held([B256::repeat_byte(9)]);
        assert_eq!(events.pending_since(early, 2), (vec![B256::repeat_byte(0), B256::repeat_byte(1)], 2));
        assert_eq!(events.pending_since(2, 10).0, vec![B256::repeat_byte(2), B256::repeat_byte(9)]);
        assert_eq!(events.pending_since(late, 10), (vec![B256::repeat_byte(9)], 4));
        events.held((0..PENDING_RING as u64).map(|i| B256::left_padding_from(&i.to_be_bytes())));
        let (hashes, next) = events.pending_since(early, 1);
        assert_eq!(hashes, vec![B256::ZERO]);
        assert_eq!(next, 5);
    }
}
