//! Acknowledged transactions waiting for a block: per-sender queues in nonce order, drained
//! fairly (oldest ready transaction first, across senders).
//!
//! Rules, each refusal with its own [`SubmitError`]:
//! - a nonce below the sender's committed nonce is refused; one more than
//!   [`MempoolLimits::max_nonce_gap`] ahead of it too;
//! - a transaction whose nonce leaves a gap (a *future* transaction) is held until the gap
//!   fills, at most [`MempoolLimits::max_future`] of them in all;
//! - a different transaction with the nonce of a held one replaces it only if it raises both
//!   the max fee per gas and the priority fee (the gas price of a legacy transaction) by at
//!   least 10 %, and by at least 1 wei: the rule wallets' "speed up" and "cancel" follow;
//! - at most [`MempoolLimits::max_per_sender`] per sender;
//! - when [`MempoolLimits::max_total`] are held, a transaction that is ready (no gap) evicts
//!   the future transaction with the highest nonce of the sender holding the most future
//!   transactions; if none is future, it is refused (`mempool_full`, HTTP 429).

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
    /// Future transactions (behind a nonce gap) held in total.
    pub max_future: usize,
}

impl Default for MempoolLimits {
    fn default() -> Self {
        Self { max_total: 200_000, max_per_sender: 1_024, max_nonce_gap: 64, max_future: 50_000 }
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

/// What an insertion did (or would do).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// Newly held.
    New,
    /// Already held (the same transaction was submitted again).
    Known,
    /// Held in place of this transaction, which had the same nonce and lower fees.
    Replaced(B256),
    /// Held after evicting this future transaction to make room.
    Evicted(B256),
}

/// One sender's held transactions.
#[derive(Debug, Default)]
struct Queue {
    /// The committed nonce last seen for the sender.
    base: u64,
    txs: BTreeMap<u64, PoolTx>,
}

impl Queue {
    /// Transactions after the first gap.
    fn future(&self) -> usize {
        let run = (self.base..).zip(self.txs.range(self.base..)).take_while(|(e, (n, _))| *e == **n).count();
        self.txs.len() - run
    }
}

/// The fee fields a replacement must raise: (max fee per gas, priority fee).
fn fees(tx: &RecoveredTx) -> (u128, u128) {
    let max = tx.tx.max_fee_per_gas();
    (max, tx.tx.max_priority_fee_per_gas().unwrap_or(max))
}

/// The least a replacement must offer for a held fee: +10 %, and at least +1 wei.
fn bumped(fee: u128) -> u128 {
    fee.saturating_add(fee.div_ceil(10).max(1))
}

/// The mempool.
#[derive(Debug)]
pub struct Mempool {
    limits: MempoolLimits,
    senders: HashMap<Address, Queue>,
    hashes: HashMap<B256, (Address, u64)>,
    future: usize,
}

impl Mempool {
    /// An empty mempool.
    pub fn new(limits: MempoolLimits) -> Self {
        Self { limits, senders: HashMap::default(), hashes: HashMap::default(), future: 0 }
    }

    /// The limits.
    pub const fn limits(&self) -> &MempoolLimits {
        &self.limits
    }

    /// Number of transactions held.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Number of future transactions held (behind a nonce gap).
    pub const fn future_len(&self) -> usize {
        self.future
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Whether the transaction is held.
    pub fn contains(&self, hash: &B256) -> bool {
        self.hashes.contains_key(hash)
    }

    /// Checks whether `tx` would be held given the sender's committed nonce, and what it
    /// would displace.
    pub fn check(&self, tx: &RecoveredTx, state_nonce: u64) -> Result<Inserted, SubmitError> {
        self.check_rules(tx, state_nonce, true)
    }

    /// [`Self::check`], with the limits (nonce gap, per sender, future, total) applied or not.
    fn check_rules(&self, tx: &RecoveredTx, state_nonce: u64, limits: bool) -> Result<Inserted, SubmitError> {
        let hash = tx.hash();
        if self.hashes.contains_key(&hash) {
            return Ok(Inserted::Known);
        }
        let nonce = tx.nonce();
        let queue = self.senders.get(&tx.sender);
        let base = queue.map_or(state_nonce, |q| q.base.max(state_nonce));
        if nonce < base {
            return Err(SubmitError::NonceTooLow { next: self.next_nonce(&tx.sender, state_nonce), got: nonce });
        }
        if limits && nonce > base.saturating_add(self.limits.max_nonce_gap) {
            return Err(SubmitError::NonceTooHigh {
                next: self.next_nonce(&tx.sender, state_nonce),
                got: nonce,
                max_gap: self.limits.max_nonce_gap,
            });
        }
        if let Some(existing) = queue.and_then(|q| q.txs.get(&nonce)) {
            let (max, tip) = fees(&existing.tx);
            let (new_max, new_tip) = fees(tx);
            let (min_max, min_tip) = (bumped(max), bumped(tip));
            if new_max < min_max || new_tip < min_tip {
                return Err(SubmitError::ReplacementUnderpriced {
                    nonce,
                    existing: existing.tx.hash(),
                    min_max_fee: min_max,
                    min_priority_fee: min_tip,
                });
            }
            return Ok(Inserted::Replaced(existing.tx.hash()));
        }
        if !limits {
            return Ok(Inserted::New);
        }
        if queue.is_some_and(|q| q.txs.len() >= self.limits.max_per_sender) {
            return Err(SubmitError::SenderLimit { limit: self.limits.max_per_sender });
        }
        let is_future = nonce != self.next_nonce(&tx.sender, state_nonce);
        if is_future && self.future >= self.limits.max_future {
            return Err(SubmitError::FutureLimit { limit: self.limits.max_future });
        }
        if self.len() >= self.limits.max_total {
            return match self.eviction_victim(&tx.sender).filter(|_| !is_future) {
                Some(victim) => Ok(Inserted::Evicted(victim)),
                None => Err(SubmitError::MempoolFull { limit: self.limits.max_total }),
            };
        }
        Ok(Inserted::New)
    }

    /// The future transaction to evict: the highest nonce of the sender (other than
    /// `incoming`) holding the most future transactions.
    fn eviction_victim(&self, incoming: &Address) -> Option<B256> {
        if self.future == 0 {
            return None;
        }
        let (_, queue) = self
            .senders
            .iter()
            .filter(|(sender, _)| *sender != incoming)
            .map(|(sender, q)| (q.future(), sender, q))
            .filter(|(future, _, _)| *future > 0)
            .max_by_key(|(future, sender, _)| (*future, **sender))
            .map(|(_, sender, q)| (sender, q))?;
        queue.txs.last_key_value().map(|(_, e)| e.tx.hash())
    }

    /// Inserts `entry` following the rules of [`Self::check`], which it applies again.
    pub fn insert(&mut self, entry: PoolTx, state_nonce: u64) -> Result<Inserted, SubmitError> {
        let outcome = self.check(&entry.tx, state_nonce)?;
        Ok(self.hold(entry, state_nonce, outcome))
    }

    /// Holds again a transaction acknowledged before a restart. The rules of [`Self::check`]
    /// apply (a used nonce is refused, a replacement must raise the fees) but not the limits:
    /// the transaction met them when it was acknowledged, against a tip that could be up to
    /// two blocks ahead of the stored state it is reloaded over, so its nonce may now seem
    /// further ahead than the gap allows. Nothing acknowledged is dropped for a limit.
    pub fn restore(&mut self, entry: PoolTx, state_nonce: u64) -> Result<Inserted, SubmitError> {
        let outcome = self.check_rules(&entry.tx, state_nonce, false)?;
        Ok(self.hold(entry, state_nonce, outcome))
    }

    fn hold(&mut self, entry: PoolTx, state_nonce: u64, outcome: Inserted) -> Inserted {
        match outcome {
            Inserted::Known => return outcome,
            Inserted::Evicted(victim) => {
                self.remove(&victim);
            }
            Inserted::Replaced(_) | Inserted::New => {}
        }
        let sender = entry.tx.sender;
        let nonce = entry.tx.nonce();
        let queue = self.senders.entry(sender).or_default();
        self.future -= queue.future();
        queue.base = queue.base.max(state_nonce);
        if let Some(old) = queue.txs.insert(nonce, entry.clone()) {
            self.hashes.remove(&old.tx.hash());
        }
        self.future += queue.future();
        self.hashes.insert(entry.tx.hash(), (sender, nonce));
        outcome
    }

    /// The sender's next nonce counting held transactions without a gap.
    pub fn next_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        let Some(queue) = self.senders.get(sender) else { return state_nonce };
        let mut next = state_nonce.max(queue.base);
        for nonce in queue.txs.range(next..).map(|(n, _)| *n) {
            if nonce != next {
                break;
            }
            next += 1;
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
                .zip(queue.txs.range(first..))
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
            self.future -= queue.future();
            queue.txs.remove(&nonce);
            self.future += queue.future();
            if queue.txs.is_empty() {
                self.senders.remove(&sender);
            }
        }
    }

    /// Drops every held transaction of `sender` whose nonce is below `state_nonce` (now
    /// committed), returning their hashes.
    pub fn prune(&mut self, sender: &Address, state_nonce: u64) -> Vec<B256> {
        let Some(queue) = self.senders.get_mut(sender) else { return Vec::new() };
        self.future -= queue.future();
        let keep = queue.txs.split_off(&state_nonce);
        let dropped: Vec<B256> = queue.txs.values().map(|e| e.tx.hash()).collect();
        queue.txs = keep;
        queue.base = queue.base.max(state_nonce);
        self.future += queue.future();
        if queue.txs.is_empty() {
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

    /// A transaction of `key` with `nonce` and an EIP-1559 max fee and priority fee.
    fn priced(key: u8, nonce: u64, max_fee: u128, tip: u128, seq: u64) -> PoolTx {
        use alloy_consensus::{SignableTransaction, TxEip1559};
        let signer = Signer::new(&B256::repeat_byte(key)).expect("key");
        let chain = ChainConfig::default();
        let tx = TxEip1559 {
            chain_id: chain.chain_id,
            nonce,
            gas_limit: 100_000,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to: alloy_primitives::TxKind::Call(rollup_types::SYSTEM_CONTRACT),
            value: alloy_primitives::U256::ZERO,
            access_list: Default::default(),
            input: transfer_calldata(),
        };
        let signature = signer.sign_hash(tx.signature_hash());
        let signed = rollup_types::SignedTx::Eip1559(tx.into_signed(signature));
        let tx = RecoveredTx::from_signed(signed, &chain).expect("admissible");
        PoolTx { raw: tx.tx.encoded().into(), tx: Arc::new(tx), seq }
    }

    #[test]
    fn limits_are_refused_with_reasons() {
        let limits = MempoolLimits { max_total: 2, max_per_sender: 1, max_nonce_gap: 4, max_future: 10 };
        let mut pool = Mempool::new(limits);
        pool.insert(tx(4, 0, 0), 0).expect("inserted");
        assert_eq!(pool.insert(tx(4, 0, 0), 0).expect("same transaction"), Inserted::Known);
        assert!(matches!(pool.insert(tx(4, 1, 1), 0), Err(SubmitError::SenderLimit { .. })));
        assert!(matches!(pool.insert(tx(5, 9, 1), 0), Err(SubmitError::NonceTooHigh { .. })));
        assert!(matches!(pool.insert(tx(5, 0, 1), 1), Err(SubmitError::NonceTooLow { next: 1, got: 0 })));
        pool.insert(tx(5, 0, 1), 0).expect("inserted");
        assert!(matches!(pool.insert(tx(6, 0, 2), 0), Err(SubmitError::MempoolFull { limit: 2 })));
    }

    #[test]
    fn a_restart_holds_again_what_was_acknowledged_beyond_the_limits() {
        // Acknowledged against a tip two blocks ahead of the stored state: nonces 0..=8 of
        // one sender, with a gap limit of 4 and one transaction per sender.
        let limits = MempoolLimits { max_total: 3, max_per_sender: 1, max_nonce_gap: 4, max_future: 0 };
        let mut pool = Mempool::new(limits);
        assert!(matches!(pool.insert(tx(4, 8, 8), 0), Err(SubmitError::NonceTooHigh { .. })));
        for nonce in (0..=8).rev() {
            assert_eq!(pool.restore(tx(4, nonce, nonce), 0).expect("held again"), Inserted::New);
        }
        assert_eq!(pool.len(), 9);
        assert_eq!(pool.ready(|_| 0, 100).len(), 9, "every one is ready in nonce order");
        // The rules still hold: a used nonce is refused, the same transaction is known.
        assert!(matches!(pool.restore(tx(5, 0, 9), 1), Err(SubmitError::NonceTooLow { .. })));
        assert_eq!(pool.restore(tx(4, 3, 3), 0).expect("known"), Inserted::Known);
    }

    #[test]
    fn replacement_needs_ten_percent_more_on_both_fees() {
        let mut pool = Mempool::new(MempoolLimits::default());
        let first = priced(7, 0, 100, 10, 0);
        pool.insert(first.clone(), 0).expect("inserted");
        // +10 % on the max fee but not on the tip, the reverse, then +5 % on the max fee only.
        for (max, tip) in [(110, 10), (109, 11), (105, 10)] {
            let err = pool.insert(priced(7, 0, max, tip, 1), 0).expect_err("underpriced");
            assert!(
                matches!(err, SubmitError::ReplacementUnderpriced { min_max_fee: 110, min_priority_fee: 11, .. }),
                "{err}"
            );
        }
        let second = priced(7, 0, 110, 11, 2);
        assert_eq!(pool.insert(second.clone(), 0).expect("replaces"), Inserted::Replaced(first.tx.hash()));
        assert!(!pool.contains(&first.tx.hash()) && pool.contains(&second.tx.hash()));
        assert_eq!(pool.len(), 1);
        // Zero fees (this chain's default) are raised by at least 1 wei.
        let mut pool = Mempool::new(MempoolLimits::default());
        pool.insert(priced(8, 0, 0, 0, 0), 0).expect("inserted");
        assert!(pool.insert(priced(8, 0, 1, 0, 1), 0).is_err());
        assert!(matches!(pool.insert(priced(8, 0, 1, 1, 1), 0), Ok(Inserted::Replaced(_))));
    }

    #[test]
    fn a_full_pool_evicts_future_transactions_for_ready_ones() {
        let limits = MempoolLimits { max_total: 3, max_per_sender: 10, max_nonce_gap: 10, max_future: 2 };
        let mut pool = Mempool::new(limits);
        pool.insert(tx(9, 0, 0), 0).expect("ready");
        let gap_a = tx(10, 3, 1);
        let gap_b = tx(10, 5, 2);
        pool.insert(gap_a.clone(), 0).expect("future");
        pool.insert(gap_b.clone(), 0).expect("future");
        assert_eq!(pool.future_len(), 2);
        // Future limit reached: another future transaction waits.
        assert!(matches!(pool.insert(tx(11, 2, 3), 0), Err(SubmitError::FutureLimit { limit: 2 })));
        // Full: a ready transaction evicts the highest future nonce of the sender holding most.
        let ready = tx(12, 0, 4);
        assert_eq!(pool.insert(ready.clone(), 0).expect("evicts"), Inserted::Evicted(gap_b.tx.hash()));
        assert_eq!((pool.len(), pool.future_len()), (3, 1));
        assert_eq!(pool.insert(tx(13, 0, 5), 0).expect("evicts"), Inserted::Evicted(gap_a.tx.hash()));
        // Full of ready transactions: refused.
        assert!(matches!(pool.insert(tx(15, 0, 6), 0), Err(SubmitError::MempoolFull { .. })));
        // A future transaction never evicts.
        assert!(pool.insert(tx(15, 1, 6), 0).is_err());
        // Filling the gap turns future transactions ready.
        let mut pool = Mempool::new(MempoolLimits::default());
        pool.insert(tx(14, 1, 0), 0).expect("future");
        assert_eq!(pool.future_len(), 1);
        pool.insert(tx(14, 0, 1), 0).expect("fills the gap");
        assert_eq!(pool.future_len(), 0);
        assert_eq!(pool.prune(&tx(14, 0, 0).tx.sender, 2).len(), 2);
        assert!(pool.is_empty());
    }
}
