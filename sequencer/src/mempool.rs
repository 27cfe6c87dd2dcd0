//! Acknowledged transactions waiting for a block: per-sender queues in nonce order, drained
//! fairly (oldest ready transaction first, across senders).
//!
//! Rules, each refusal with its own [`SubmitError`]:
//! - a nonce below the sender's committed nonce is refused; one more than
//!   [`MempoolLimits::max_nonce_gap`] ahead of the sender's next nonce (counting its held
//!   transactions without a gap) too;
//! - a transaction whose nonce leaves a gap (a *future* transaction) is held until the gap
//!   fills, at most [`MempoolLimits::max_future_per_sender`] per sender and
//!   [`MempoolLimits::max_future`] in all, and for at most [`MempoolLimits::future_ttl`]
//!   ([`Mempool::expire`]); when the future room is full, a future transaction takes the slot of
//!   the sender holding the most future transactions if that sender holds more than it would;
//! - a different transaction with the nonce of a held one replaces it only if it raises both
//!   the max fee per gas and the priority fee (the gas price of a legacy transaction) by at
//!   least 10 %, and by at least 1 wei: the rule wallets' "speed up" and "cancel" follow;
//! - at most [`MempoolLimits::max_per_sender`] per sender;
//! - when [`MempoolLimits::max_total`] are held, a transaction that is ready (no gap) evicts
//!   the future transaction with the highest nonce of the sender holding the most future
//!   transactions; if none is future, it is refused (`mempool_full`, HTTP 429).
//!
//! Several transactions of one submission (a batch request) are checked together
//! ([`Mempool::check_many`]): consecutive nonces of one sender are judged as if the earlier
//! ones were already held, so a batch `n, n+1, …` is admitted as a whole.

use crate::error::SubmitError;
use alloy_primitives::{
    Address, B256, Bytes, U256,
    map::{HashMap, HashSet},
};
use rollup_types::RecoveredTx;
use std::{
    cmp::Reverse,
    collections::{BTreeMap, BTreeSet, BinaryHeap},
    sync::Arc,
    time::{Duration, Instant},
};

/// Capacity limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MempoolLimits {
    /// Transactions held in total.
    pub max_total: usize,
    /// Transactions held per sender.
    pub max_per_sender: usize,
    /// How far ahead of a sender's next nonce (counting its held transactions without a gap)
    /// a transaction may be.
    pub max_nonce_gap: u64,
    /// Future transactions (behind a nonce gap) held in total.
    pub max_future: usize,
    /// Future transactions held per sender.
    pub max_future_per_sender: usize,
    /// How long a future transaction is held while its gap stays open.
    pub future_ttl: Duration,
}

impl Default for MempoolLimits {
    fn default() -> Self {
        Self {
            max_total: 200_000,
            max_per_sender: 1_024,
            max_nonce_gap: 64,
            max_future: 50_000,
            max_future_per_sender: 16,
            future_ttl: Duration::from_secs(300),
        }
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
    /// When this node took it (a restart counts as taking it again).
    pub received: Instant,
}

impl PoolTx {
    /// A transaction taken now.
    pub fn new(tx: RecoveredTx, raw: Bytes, seq: u64) -> Self {
        Self { tx: Arc::new(tx), raw, seq, received: Instant::now() }
    }
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
    /// How many of `txs` are future (after the first gap), kept by [`Mempool::recount`].
    future: usize,
}

impl Queue {
    /// Transactions after the first gap.
    fn count_future(&self) -> usize {
        let run = (self.base..).zip(self.txs.range(self.base..)).take_while(|(e, (n, _))| *e == **n).count();
        self.txs.len() - run
    }
}

/// One sender's staged transactions: nonce → (hash, fees).
type StagedNonces = BTreeMap<u64, (B256, (u128, u128))>;

/// Transactions of one submission judged before the one being checked, not held yet: what
/// [`Mempool::check_many`] checks the later ones against, as if they were held.
#[derive(Debug, Default)]
struct Staged {
    /// Per sender: nonce → (hash, fees).
    senders: HashMap<Address, StagedNonces>,
    /// Change in the number held.
    len: isize,
    /// Change in the number of future transactions held.
    future: isize,
    /// Future transactions chosen for eviction.
    evicted: HashSet<B256>,
}

/// A sender's transactions as a check sees them: held, and staged by the same submission.
struct SenderView<'a> {
    held: Option<&'a Queue>,
    staged: Option<&'a StagedNonces>,
}

impl SenderView<'_> {
    fn has(&self, nonce: u64) -> bool {
        self.held.is_some_and(|q| q.txs.contains_key(&nonce)) || self.staged.is_some_and(|s| s.contains_key(&nonce))
    }

    fn len(&self) -> usize {
        let held = self.held.map_or(0, |q| q.txs.len());
        let staged =
            self.staged.map_or(0, |s| s.keys().filter(|n| !self.held.is_some_and(|q| q.txs.contains_key(n))).count());
        held + staged
    }

    /// The next nonce counting held and staged transactions without a gap from `base`.
    fn next(&self, base: u64) -> u64 {
        let mut next = base;
        while self.has(next) {
            next += 1;
        }
        next
    }

    /// Transactions after the first gap.
    fn future(&self, base: u64) -> usize {
        match self.staged {
            None => self.held.map_or(0, |q| q.future),
            Some(_) => self.len() - (self.next(base) - base) as usize,
        }
    }

    /// The hash and fees of the transaction using `nonce`.
    fn at(&self, nonce: u64) -> Option<(B256, (u128, u128))> {
        self.staged
            .and_then(|s| s.get(&nonce).copied())
            .or_else(|| self.held.and_then(|q| q.txs.get(&nonce)).map(|e| (e.tx.hash(), fees(&e.tx))))
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
    /// Senders holding future transactions, by how many: the eviction order.
    by_future: BTreeSet<(usize, Address)>,
}

impl Mempool {
    /// An empty mempool.
    pub fn new(limits: MempoolLimits) -> Self {
        Self { limits, senders: HashMap::default(), hashes: HashMap::default(), future: 0, by_future: BTreeSet::new() }
    }

    /// The limits.
    pub const fn limits(&self) -> &MempoolLimits {
        &self.limits
    }

    /// What the transactions `sender` has held may take, `gasLimit × maxFeePerGas + value`
    /// each, but the one at `except` (which a replacement would displace): geth's pending cost,
    /// against which a new transaction must not overdraw its sender.
    pub fn held_cost(&self, sender: &Address, except: u64) -> U256 {
        self.senders.get(sender).map_or(U256::ZERO, |q| {
            q.txs
                .iter()
                .filter(|(n, _)| **n != except)
                .fold(U256::ZERO, |sum, (_, e)| sum.saturating_add(e.tx.tx.offer().most()))
        })
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
        self.judge(tx, state_nonce, true, &Staged::default()).map(|(outcome, _)| outcome)
    }

    /// Checks the transactions of one submission, each with its sender's committed nonce, in
    /// order: each is judged as if the ones before it that pass were held (a batch of
    /// consecutive nonces of one sender passes as a whole). A transaction given twice is
    /// [`Inserted::Known`] the second time.
    pub fn check_many<'a>(
        &self,
        txs: impl IntoIterator<Item = (&'a RecoveredTx, u64)>,
    ) -> Vec<Result<Inserted, SubmitError>> {
        let mut staged = Staged::default();
        let mut out = Vec::new();
        for (tx, state_nonce) in txs {
            let judged = self.judge(tx, state_nonce, true, &staged);
            if let Ok((outcome, future)) = &judged {
                let (delta, delta_future) = match outcome {
                    Inserted::Known | Inserted::Replaced(_) => (0, 0),
                    Inserted::New => (1, isize::from(*future)),
                    Inserted::Evicted(victim) => {
                        staged.evicted.insert(*victim);
                        (0, isize::from(*future) - 1)
                    }
                };
                if *outcome != Inserted::Known {
                    staged.senders.entry(tx.sender).or_default().insert(tx.nonce(), (tx.hash(), fees(tx)));
                }
                staged.len += delta;
                staged.future += delta_future;
            }
            out.push(judged.map(|(outcome, _)| outcome));
        }
        out
    }

    /// The outcome of holding `tx` over what is held and `staged`, and whether it is future;
    /// `limits` off applies the rules but not the limits (see [`Self::restore`]).
    fn judge(
        &self,
        tx: &RecoveredTx,
        state_nonce: u64,
        limits: bool,
        staged: &Staged,
    ) -> Result<(Inserted, bool), SubmitError> {
        let hash = tx.hash();
        let view = SenderView { held: self.senders.get(&tx.sender), staged: staged.senders.get(&tx.sender) };
        if self.hashes.contains_key(&hash) || view.staged.is_some_and(|s| s.values().any(|(h, _)| *h == hash)) {
            return Ok((Inserted::Known, false));
        }
        let nonce = tx.nonce();
        let base = view.held.map_or(state_nonce, |q| q.base.max(state_nonce));
        let next = view.next(base);
        if nonce < base {
            return Err(SubmitError::NonceTooLow { next, got: nonce });
        }
        if limits && nonce > next.saturating_add(self.limits.max_nonce_gap) {
            return Err(SubmitError::NonceTooHigh { next, got: nonce, max_gap: self.limits.max_nonce_gap });
        }
        if let Some((existing, (max, tip))) = view.at(nonce) {
            let (new_max, new_tip) = fees(tx);
            let (min_max, min_tip) = (bumped(max), bumped(tip));
            if new_max < min_max || new_tip < min_tip {
                return Err(SubmitError::ReplacementUnderpriced {
                    nonce,
                    existing,
                    min_max_fee: min_max,
                    min_priority_fee: min_tip,
                });
            }
            return Ok((Inserted::Replaced(existing), false));
        }
        let is_future = nonce != next;
        if !limits {
            return Ok((Inserted::New, is_future));
        }
        if view.len() >= self.limits.max_per_sender {
            return Err(SubmitError::SenderLimit { limit: self.limits.max_per_sender });
        }
        let total_full = self.len().saturating_add_signed(staged.len) >= self.limits.max_total;
        if is_future {
            let mine = view.future(base);
            if mine >= self.limits.max_future_per_sender {
                return Err(SubmitError::SenderFutureLimit { limit: self.limits.max_future_per_sender });
            }
            let future_full = self.future.saturating_add_signed(staged.future) >= self.limits.max_future;
            if future_full || total_full {
                // The future room is shared: a sender holding more than this one would takes
                // the loss, so that no one can keep others out by filling it first.
                return match self.eviction_victim(&tx.sender, &staged.evicted) {
                    Some((count, victim)) if count > mine + 1 => Ok((Inserted::Evicted(victim), true)),
                    _ if future_full => Err(SubmitError::FutureLimit { limit: self.limits.max_future }),
                    _ => Err(SubmitError::MempoolFull { limit: self.limits.max_total }),
                };
            }
        } else if total_full {
            return match self.eviction_victim(&tx.sender, &staged.evicted) {
                Some((_, victim)) => Ok((Inserted::Evicted(victim), false)),
                None => Err(SubmitError::MempoolFull { limit: self.limits.max_total }),
            };
        }
        Ok((Inserted::New, is_future))
    }

    /// The future transaction to evict: the highest nonce (not in `taken`) of the sender other
    /// than `incoming` holding the most future transactions, with how many it holds.
    fn eviction_victim(&self, incoming: &Address, taken: &HashSet<B256>) -> Option<(usize, B256)> {
        let mut best: Option<(usize, B256)> = None;
        for (count, sender) in self.by_future.iter().rev() {
            if best.is_some_and(|(left, _)| left >= *count) {
                break;
            }
            let Some(queue) = self.senders.get(sender).filter(|_| sender != incoming) else { continue };
            // The future transactions are the sender's highest nonces.
            let gone = queue.txs.values().rev().take(*count).filter(|e| taken.contains(&e.tx.hash())).count();
            if let Some(entry) = queue.txs.values().rev().nth(gone).filter(|_| gone < *count) {
                best = Some((count - gone, entry.tx.hash()));
            }
        }
        best
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
        let (outcome, _) = self.judge(&entry.tx, state_nonce, false, &Staged::default())?;
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
        let hash = entry.tx.hash();
        let queue = self.senders.entry(sender).or_default();
        queue.base = queue.base.max(state_nonce);
        if let Some(old) = queue.txs.insert(nonce, entry) {
            self.hashes.remove(&old.tx.hash());
        }
        self.hashes.insert(hash, (sender, nonce));
        self.recount(&sender);
        outcome
    }

    /// Brings the future count of `sender` (and the totals) up to date after a change to its
    /// queue, dropping the queue once empty.
    fn recount(&mut self, sender: &Address) {
        let Some(queue) = self.senders.get_mut(sender) else { return };
        let before = queue.future;
        let after = queue.count_future();
        queue.future = after;
        let empty = queue.txs.is_empty();
        self.future = self.future - before + after;
        if before != after {
            self.by_future.remove(&(before, *sender));
            if after > 0 {
                self.by_future.insert((after, *sender));
            }
        }
        if empty {
            self.senders.remove(sender);
        }
    }

    /// The sender's next nonce counting held transactions without a gap.
    pub fn next_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        let Some(queue) = self.senders.get(sender) else { return state_nonce };
        SenderView { held: Some(queue), staged: None }.next(state_nonce.max(queue.base))
    }

    /// Up to `max` ready transactions (consecutive nonces from each sender's committed nonce),
    /// oldest first across senders and in nonce order within a sender. Nothing is removed.
    pub fn ready(&self, state_nonce: impl Fn(&Address) -> u64, max: usize) -> Vec<PoolTx> {
        self.ready_while(state_nonce, max, |_| true).0
    }

    /// [`Mempool::ready`] as long as `fits` takes each next one: the first it refuses ends the
    /// selection. Also says whether a ready transaction was left out (by `max` or `fits`).
    /// Walks only what it takes (a heap of each sender's next ready transaction), not every
    /// transaction held.
    pub fn ready_while(
        &self,
        state_nonce: impl Fn(&Address) -> u64,
        max: usize,
        mut fits: impl FnMut(&PoolTx) -> bool,
    ) -> (Vec<PoolTx>, bool) {
        // Each sender's next ready transaction, by arrival: (its seq, its nonce, the sender).
        let queues: Vec<(&Address, &Queue)> = self.senders.iter().collect();
        let mut heap = BinaryHeap::with_capacity(queues.len());
        for (i, (sender, queue)) in queues.iter().enumerate() {
            let nonce = state_nonce(sender);
            if let Some(entry) = queue.txs.get(&nonce) {
                heap.push(Reverse((entry.seq, nonce, i)));
            }
        }
        let mut out = Vec::with_capacity(max.min(self.len()));
        while let Some(Reverse((_, nonce, i))) = heap.pop() {
            let queue = queues[i].1;
            let Some(entry) = queue.txs.get(&nonce) else { continue };
            if out.len() == max || !fits(entry) {
                return (out, true);
            }
            out.push(entry.clone());
            if let Some(next) = nonce.checked_add(1).and_then(|n| queue.txs.get(&n).map(|e| (e.seq, n))) {
                heap.push(Reverse((next.0, next.1, i)));
            }
        }
        (out, false)
    }

    /// Removes `hash`.
    pub fn remove(&mut self, hash: &B256) {
        if let Some((sender, nonce)) = self.hashes.remove(hash)
            && let Some(queue) = self.senders.get_mut(&sender)
        {
            queue.txs.remove(&nonce);
            self.recount(&sender);
        }
    }

    /// Drops every held transaction of `sender` whose nonce is below `state_nonce` (now
    /// committed), returning their hashes.
    pub fn prune(&mut self, sender: &Address, state_nonce: u64) -> Vec<B256> {
        let Some(queue) = self.senders.get_mut(sender) else { return Vec::new() };
        let keep = queue.txs.split_off(&state_nonce);
        let dropped: Vec<B256> = queue.txs.values().map(|e| e.tx.hash()).collect();
        queue.txs = keep;
        queue.base = queue.base.max(state_nonce);
        self.recount(sender);
        for h in &dropped {
            self.hashes.remove(h);
        }
        dropped
    }

    /// Drops the future transactions held longer than [`MempoolLimits::future_ttl`] at `now`,
    /// returning their hashes. Costs a look at each sender holding future transactions.
    pub fn expire(&mut self, now: Instant) -> Vec<B256> {
        let ttl = self.limits.future_ttl;
        let mut expired = Vec::new();
        let holders: Vec<Address> = self.by_future.iter().map(|(_, sender)| *sender).collect();
        for sender in holders {
            let Some(queue) = self.senders.get(&sender) else { continue };
            let next = SenderView { held: Some(queue), staged: None }.next(queue.base);
            let old: Vec<B256> = queue
                .txs
                .range(next..)
                .filter(|(_, e)| now.saturating_duration_since(e.received) >= ttl)
                .map(|(_, e)| e.tx.hash())
                .collect();
            for hash in old {
                self.remove(&hash);
                expired.push(hash);
            }
        }
        expired
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
        PoolTx::new(tx.clone(), tx.tx.encoded().into(), seq)
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

        // A selection that a bound ends says so; one that takes everything does not.
        let (all, more) = pool.ready_while(|_| 0, 3, |_| true);
        assert_eq!((all.len(), more), (3, false));
        let (cut, more) = pool.ready_while(|_| 0, 2, |_| true);
        assert_eq!((cut.len(), more), (2, true));
        let mut taken = 0;
        let (bounded, more) = pool.ready_while(
            |_| 0,
            10,
            |_| {
                taken += 1;
                taken <= 2
            },
        );
        let bounded: Vec<B256> = bounded.iter().map(|p| p.tx.hash()).collect();
        assert_eq!((bounded, more), (vec![b0.tx.hash(), a0.tx.hash()], true));
        // From a committed nonce past the held ones, nothing of sender 1 is ready.
        let (rest, more) = pool.ready_while(|a| if *a == a0.tx.sender { 2 } else { 0 }, 10, |_| true);
        assert_eq!((rest.iter().map(|p| p.tx.hash()).collect::<Vec<_>>(), more), (vec![b0.tx.hash()], false));
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
        PoolTx::new(tx.clone(), tx.tx.encoded().into(), seq)
    }

    #[test]
    fn limits_are_refused_with_reasons() {
        let limits =
            MempoolLimits { max_total: 2, max_per_sender: 1, max_nonce_gap: 4, max_future: 10, ..Default::default() };
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
        let limits =
            MempoolLimits { max_total: 3, max_per_sender: 1, max_nonce_gap: 4, max_future: 0, ..Default::default() };
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
        let limits =
            MempoolLimits { max_total: 3, max_per_sender: 10, max_nonce_gap: 10, max_future: 2, ..Default::default() };
        let mut pool = Mempool::new(limits);
        pool.insert(tx(9, 0, 0), 0).expect("ready");
        let gap_a = tx(10, 3, 1);
        let gap_b = tx(10, 5, 2);
        pool.insert(gap_a.clone(), 0).expect("future");
        pool.insert(gap_b.clone(), 0).expect("future");
        assert_eq!(pool.future_len(), 2);
        // The future room is full: sender 11, holding none, takes a slot of sender 10, which
        // holds two; then no one holds more than the next newcomer would, and it waits.
        assert_eq!(pool.insert(tx(11, 2, 3), 0).expect("fair share"), Inserted::Evicted(gap_b.tx.hash()));
        assert!(matches!(pool.insert(tx(16, 2, 3), 0), Err(SubmitError::FutureLimit { limit: 2 })));
        // Full: a ready transaction evicts the highest future nonce of a sender holding most.
        let mut gone = Vec::new();
        for (key, seq) in [(12, 4), (13, 5)] {
            match pool.insert(tx(key, 0, seq), 0).expect("evicts") {
                Inserted::Evicted(victim) => gone.push(victim),
                other => panic!("{other:?}"),
            }
            assert_eq!(pool.len(), 3);
        }
        gone.sort();
        let mut expected = vec![gap_a.tx.hash(), tx(11, 2, 3).tx.hash()];
        expected.sort();
        assert_eq!(gone, expected);
        assert_eq!(pool.future_len(), 0);
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

    #[test]
    fn a_sender_can_hold_the_documented_limit_and_the_gap_counts_from_its_next_nonce() {
        // Issue 19, item 6: the gap was counted from the committed nonce, so a sender could
        // never hold more than 65 transactions whatever `max_per_sender` said.
        let mut pool = Mempool::new(MempoolLimits::default());
        let limit = pool.limits().max_per_sender as u64;
        for nonce in 0..limit {
            pool.insert(tx(20, nonce, nonce), 0).unwrap_or_else(|e| panic!("nonce {nonce}: {e}"));
        }
        assert_eq!(pool.len() as u64, limit);
        let err = pool.insert(tx(20, limit, limit), 0).expect_err("over the per-sender limit");
        assert!(matches!(err, SubmitError::SenderLimit { limit: 1_024 }), "{err}");
        // The gap: at most 64 ahead of the next nonce counting held transactions.
        let mut pool = Mempool::new(MempoolLimits::default());
        for nonce in 0..100 {
            pool.insert(tx(21, nonce, nonce), 0).expect("consecutive");
        }
        pool.insert(tx(21, 164, 100), 0).expect("64 ahead of the next nonce, 100");
        let err = pool.insert(tx(21, 165, 101), 0).expect_err("65 ahead");
        assert_eq!(
            err.to_string(),
            "nonce too high: the next nonce of this sender is 100, got 165 (at most 64 ahead is held)"
        );
    }

    #[test]
    fn consecutive_nonces_of_one_submission_pass_together() {
        // Issue 19, item 5: with the future room full, a batch n, n+1, … was refused after
        // its first item, which was judged alone.
        let limits = MempoolLimits { max_future: 1, max_nonce_gap: 4, ..Default::default() };
        let mut pool = Mempool::new(limits);
        pool.insert(tx(30, 3, 0), 0).expect("the one future slot");
        let batch: Vec<PoolTx> = (0..10).map(|n| tx(31, n, 1 + n)).collect();
        let verdicts = pool.check_many(batch.iter().map(|p| (&*p.tx, 0)));
        assert!(verdicts.iter().all(|v| *v.as_ref().expect("passes") == Inserted::New), "{verdicts:?}");
        for entry in batch.clone() {
            pool.insert(entry, 0).expect("held in order");
        }
        assert_eq!(pool.ready(|_| 0, 100).len(), 10);
        // The same rules as one by one: a copy is known, a gap is future, a used nonce low.
        let again = tx(32, 0, 20);
        let more = [again.clone(), again.clone(), tx(32, 2, 21), priced(31, 3, 7, 7, 22)];
        let verdicts =
            pool.check_many(more.iter().map(|p| (&*p.tx, if p.tx.sender == again.tx.sender { 0 } else { 5 })));
        assert!(matches!(verdicts[0], Ok(Inserted::New)));
        assert!(matches!(verdicts[1], Ok(Inserted::Known)));
        assert!(matches!(verdicts[2], Err(SubmitError::FutureLimit { limit: 1 })), "{:?}", verdicts[2]);
        assert!(matches!(verdicts[3], Err(SubmitError::NonceTooLow { .. })), "{:?}", verdicts[3]);
    }

    #[test]
    fn the_future_room_is_shared_and_expires() {
        let limits = MempoolLimits {
            max_future: 4,
            max_future_per_sender: 3,
            future_ttl: Duration::from_secs(60),
            ..Default::default()
        };
        let mut pool = Mempool::new(limits);
        // A squatter holds 3 future slots (its per-sender bound), another 1.
        for nonce in 1..=3 {
            pool.insert(tx(40, nonce, nonce), 0).expect("future");
        }
        let err = pool.insert(tx(40, 4, 4), 0).expect_err("per-sender future bound");
        assert!(matches!(err, SubmitError::SenderFutureLimit { limit: 3 }), "{err}");
        pool.insert(tx(41, 1, 5), 0).expect("future");
        assert_eq!(pool.future_len(), 4);
        // The room is full: an honest sender with a gap takes the squatter's highest slot.
        let honest = tx(42, 1, 6);
        let squatter_top = tx(40, 3, 3).tx.hash();
        assert_eq!(pool.insert(honest.clone(), 0).expect("takes a slot"), Inserted::Evicted(squatter_top));
        assert_eq!(pool.insert(tx(43, 1, 7), 0).expect("takes a slot"), Inserted::Evicted(tx(40, 2, 2).tx.hash()));
        // Everyone holds one: holders of as many as the newcomer would hold keep theirs.
        let err = pool.insert(tx(45, 1, 7), 0).expect_err("no one holds more than one");
        assert!(matches!(err, SubmitError::FutureLimit { limit: 4 }), "{err}");
        assert_eq!(pool.future_len(), 4);
        // Expiry: nothing before the time, every future transaction after it; ready ones stay.
        pool.insert(tx(44, 0, 8), 0).expect("ready");
        let now = Instant::now();
        assert!(pool.expire(now).is_empty());
        let expired = pool.expire(now + Duration::from_secs(61));
        assert_eq!(expired.len(), 4);
        assert_eq!((pool.len(), pool.future_len()), (1, 0));
        assert!(pool.insert(tx(45, 1, 9), 0).is_ok(), "the room is free again");
    }
}
