//! Acknowledged transactions waiting for a block: per-sender queues in nonce order, drained
//! fairly (oldest ready transaction first, across senders).

use crate::error::SubmitError;
use alloy_primitives::{Address, B256, Bytes, map::HashMap};
use rollup_types::RecoveredTx;
use std::{
    cmp::Reverse,
    collections::{BTreeMap, BinaryHeap},
    sync::Arc,
};

/// Capacity limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MempoolLimits {
    /// Transactions held in total.
    pub max_total: usize,
    /// Transactions held per sender.
    pub max_per_sender: usize,
    /// How far ahead of a sender's next nonce a transaction may be.
    pub max_nonce_gap: u64,
}

impl Default for MempoolLimits {
    fn default() -> Self {
        Self { max_total: 200_000, max_per_sender: 1_024, max_nonce_gap: 64 }
    }
}

/// A transaction held in the mempool.
#[derive(Clone, Debug)]
pub struct PoolTx {
    /// The recovered transaction.
    pub tx: Arc<RecoveredTx>,
    /// Its EIP-2718 encoding.
    pub raw: Bytes,
    /// Arrival sequence number.
    pub seq: u64,
}

/// What an insertion did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// Newly held.
    New,
    /// Already held (the same transaction was submitted again).
    Known,
}

/// The mempool.
#[derive(Debug)]
pub struct Mempool {
    limits: MempoolLimits,
    senders: HashMap<Address, BTreeMap<u64, PoolTx>>,
    hashes: HashMap<B256, (Address, u64)>,
}

impl Mempool {
    /// An empty mempool.
    pub fn new(limits: MempoolLimits) -> Self {
        Self { limits, senders: HashMap::default(), hashes: HashMap::default() }
    }

    /// Number of transactions held.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Whether the transaction is held.
    pub fn contains(&self, hash: &B256) -> bool {
        self.hashes.contains_key(hash)
    }

    /// Checks that `tx` could be inserted given the sender's committed nonce.
    pub fn check(&self, tx: &RecoveredTx, state_nonce: u64) -> Result<Inserted, SubmitError> {
        let hash = tx.hash();
        if self.hashes.contains_key(&hash) {
            return Ok(Inserted::Known);
        }
        let nonce = tx.nonce();
        if nonce < state_nonce {
            return Err(SubmitError::NonceTooLow { next: self.next_nonce(&tx.sender, state_nonce), got: nonce });
        }
        if nonce > state_nonce.saturating_add(self.limits.max_nonce_gap) {
            return Err(SubmitError::NonceTooHigh {
                next: self.next_nonce(&tx.sender, state_nonce),
                got: nonce,
                max_gap: self.limits.max_nonce_gap,
            });
        }
        let queue = self.senders.get(&tx.sender);
        if let Some(existing) = queue.and_then(|q| q.get(&nonce)) {
            return Err(SubmitError::NonceConflict { nonce, existing: existing.tx.hash() });
        }
        if queue.is_some_and(|q| q.len() >= self.limits.max_per_sender) {
            return Err(SubmitError::SenderLimit { limit: self.limits.max_per_sender });
        }
        if self.len() >= self.limits.max_total {
            return Err(SubmitError::MempoolFull { limit: self.limits.max_total });
        }
        Ok(Inserted::New)
    }

    /// Inserts `tx` after [`Self::check`].
    pub fn insert(&mut self, entry: PoolTx, state_nonce: u64) -> Result<Inserted, SubmitError> {
        let checked = self.check(&entry.tx, state_nonce)?;
        if checked == Inserted::New {
            self.hashes.insert(entry.tx.hash(), (entry.tx.sender, entry.tx.nonce()));
            self.senders.entry(entry.tx.sender).or_default().insert(entry.tx.nonce(), entry);
        }
        Ok(checked)
    }

    /// The sender's next nonce counting held transactions without a gap.
    pub fn next_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        let mut next = state_nonce;
        if let Some(queue) = self.senders.get(sender) {
            for nonce in queue.range(state_nonce..).map(|(n, _)| *n) {
                if nonce != next {
                    break;
                }
                next += 1;
            }
        }
        next
    }

    /// Up to `max` ready transactions (consecutive nonces from each sender's committed nonce),
    /// oldest first across senders and in nonce order within a sender. Nothing is removed.
    pub fn ready(&self, state_nonce: impl Fn(&Address) -> u64, max: usize) -> Vec<PoolTx> {
        // Each sender's run of consecutive nonces, merged by the arrival of its next one.
        let mut runs: Vec<Vec<&PoolTx>> = Vec::new();
        let mut heap = BinaryHeap::new();
        for (sender, queue) in &self.senders {
            let first = state_nonce(sender);
            let run: Vec<&PoolTx> = (first..)
                .zip(queue.range(first..))
                .take_while(|(expected, (nonce, _))| *expected == **nonce)
                .map(|(_, (_, entry))| entry)
                .collect();
            if let Some(first) = run.first() {
                heap.push(Reverse((first.seq, runs.len(), 0usize)));
                runs.push(run);
            }
        }
        let mut out = Vec::with_capacity(max.min(self.len()));
        while out.len() < max {
            let Some(Reverse((_, r, i))) = heap.pop() else { break };
            out.push(runs[r][i].clone());
            if let Some(next) = runs[r].get(i + 1) {
                heap.push(Reverse((next.seq, r, i + 1)));
            }
        }
        out
    }

    /// Removes `hash`.
    pub fn remove(&mut self, hash: &B256) {
        if let Some((sender, nonce)) = self.hashes.remove(hash)
            && let Some(queue) = self.senders.get_mut(&sender)
        {
            queue.remove(&nonce);
            if queue.is_empty() {
                self.senders.remove(&sender);
            }
        }
    }

    /// Drops every held transaction of `sender` whose nonce is below `state_nonce`, returning
    /// their hashes.
    pub fn prune(&mut self, sender: &Address, state_nonce: u64) -> Vec<B256> {
        let Some(queue) = self.senders.get_mut(sender) else { return Vec::new() };
        let keep = queue.split_off(&state_nonce);
        let dropped: Vec<B256> = queue.values().map(|e| e.tx.hash()).collect();
        *queue = keep;
        if queue.is_empty() {
            self.senders.remove(sender);
        }
        for h in &dropped {
            self.hashes.remove(h);
        }
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::B256;
    use rollup_types::{ChainConfig, signer::Signer, testing::transfer_calldata};

    fn tx(key: u8, nonce: u64, seq: u64) -> PoolTx {
        let signer = Signer::new(&B256::repeat_byte(key)).expect("key");
        let chain = ChainConfig::default();
        let tx = RecoveredTx::from_signed(signer.eip1559(chain.chain_id, nonce, transfer_calldata()), &chain)
            .expect("admissible");
        PoolTx { raw: tx.tx.encoded().into(), tx: Arc::new(tx), seq }
    }

    #[test]
    fn ready_follows_arrival_across_senders_and_nonces_within_one() {
        let mut pool = Mempool::new(MempoolLimits::default());
        // Sender 1 sends nonce 1 before nonce 0; sender 2 sends in between.
        let a1 = tx(1, 1, 0);
        let b0 = tx(2, 0, 1);
        let a0 = tx(1, 0, 2);
        for t in [&a1, &b0, &a0] {
            pool.insert(t.clone(), 0).expect("inserted");
        }
        let order: Vec<B256> = pool.ready(|_| 0, 10).iter().map(|p| p.tx.hash()).collect();
        assert_eq!(order, vec![b0.tx.hash(), a0.tx.hash(), a1.tx.hash()]);
        assert_eq!(pool.ready(|_| 0, 2).len(), 2, "max is respected");
        assert_eq!(pool.next_nonce(&a0.tx.sender, 0), 2);
    }

    #[test]
    fn gaps_hold_later_nonces_until_filled() {
        let mut pool = Mempool::new(MempoolLimits::default());
        let t2 = tx(3, 2, 0);
        pool.insert(t2.clone(), 0).expect("held");
        assert!(pool.ready(|_| 0, 10).is_empty());
        assert_eq!(pool.next_nonce(&t2.tx.sender, 0), 0);
        pool.insert(tx(3, 0, 1), 0).expect("inserted");
        pool.insert(tx(3, 1, 2), 0).expect("inserted");
        assert_eq!(pool.ready(|_| 0, 10).len(), 3);
        // Including nonces 0 and 1 prunes them.
        let dropped = pool.prune(&t2.tx.sender, 2);
        assert_eq!(dropped.len(), 2);
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn limits_and_conflicts_are_refused_with_reasons() {
        let limits = MempoolLimits { max_total: 2, max_per_sender: 1, max_nonce_gap: 4 };
        let mut pool = Mempool::new(limits);
        pool.insert(tx(4, 0, 0), 0).expect("inserted");
        assert_eq!(pool.insert(tx(4, 0, 0), 0).expect("same transaction"), Inserted::Known);
        let other_same_nonce = {
            let signer = Signer::new(&B256::repeat_byte(4)).expect("key");
            let chain = ChainConfig::default();
            let t =
                RecoveredTx::from_signed(signer.legacy(chain.chain_id, 0, transfer_calldata()), &chain).expect("ok");
            PoolTx { raw: t.tx.encoded().into(), tx: Arc::new(t), seq: 9 }
        };
        assert!(matches!(pool.insert(other_same_nonce, 0), Err(SubmitError::NonceConflict { nonce: 0, .. })));
        assert!(matches!(pool.insert(tx(4, 1, 1), 0), Err(SubmitError::SenderLimit { .. })));
        assert!(matches!(pool.insert(tx(5, 9, 1), 0), Err(SubmitError::NonceTooHigh { .. })));
        assert!(matches!(pool.insert(tx(5, 0, 1), 1), Err(SubmitError::NonceTooLow { next: 1, got: 0 })));
        pool.insert(tx(5, 0, 1), 0).expect("inserted");
        assert!(matches!(pool.insert(tx(6, 0, 2), 0), Err(SubmitError::MempoolFull { limit: 2 })));
    }
}
