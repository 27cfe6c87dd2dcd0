//! Recent states without copies: what each block overwrote ([`Overwritten`], recorded by an
//! executor built [`Executor::recording_overwritten`](crate::Executor::recording_overwritten)),
//! and the state after an older block seen through them ([`StateAt`]).
//!
//! The state after block `k` is the newest state with every key that blocks `k+1..=head`
//! changed put back to its value before the first of them to change it: block `k+1`'s
//! overwritten values first, then block `k+2`'s for keys `k+1` did not change, and so on.
//! The sequencer answers reads at recent blocks with it (docs/api.md §3.0f).

use crate::state::{Changes, Reads, State, account_in, code_in};
use alloy_primitives::{Address, B256, Bytes, U256, map::HashMap};
use revm::{
    DatabaseRef,
    bytecode::Bytecode,
    primitives::{StorageKey, StorageValue},
    state::AccountInfo,
};
use rollup_types::{SYSTEM_CONTRACT, keys, smt::SparseMerkleTree};
use std::{convert::Infallible, sync::Arc};

/// The values one block overwrote: every key it changed, with its value before the block
/// (zero: the key was absent).
#[derive(Clone, Debug, Default)]
pub struct Overwritten {
    pub(crate) old: Changes,
}

impl Overwritten {
    /// The values in `state` of every key `layers` change: what applying them overwrites.
    pub(crate) fn of(state: &State, layers: &[Changes]) -> Self {
        // Sized for every key of the layers up front: growing a map rehashes all it holds.
        let nonces: usize = layers.iter().map(|l| l.nonces.len()).sum();
        let storage: usize = layers.iter().map(|l| l.storage.len()).sum();
        let mut overwritten = Self {
            old: Changes {
                nonces: HashMap::with_capacity_and_hasher(nonces, Default::default()),
                storage: HashMap::with_capacity_and_hasher(storage, Default::default()),
            },
        };
        overwritten.remember(state, layers);
        overwritten
    }

    /// Adds the value in `state` of every key `layers` change that it does not hold yet.
    pub(crate) fn remember(&mut self, state: &State, layers: &[Changes]) {
        for layer in layers {
            for account in layer.nonces.keys() {
                self.old.nonces.entry(*account).or_insert_with(|| state.nonce(account));
            }
            for slot in layer.storage.keys() {
                self.old.storage.entry(*slot).or_insert_with(|| state.storage(slot));
            }
        }
    }

    /// Adds `older`, what blocks just before these overwrote: its values win.
    pub(crate) fn merge_older(&mut self, older: Self) {
        self.old.nonces.extend(older.old.nonces);
        self.old.storage.extend(older.old.storage);
    }

    /// The values as state changes (to put them back).
    pub(crate) const fn changes(&self) -> &Changes {
        &self.old
    }

    /// The nonce `account` had before the block, if the block changed it.
    pub fn nonce(&self, account: &Address) -> Option<u64> {
        self.old.nonces.get(account).copied()
    }

    /// The value `slot` had before the block, if the block changed it.
    pub fn storage(&self, slot: &U256) -> Option<U256> {
        self.old.storage.get(slot).copied()
    }

    /// Keys the block changed.
    pub fn len(&self) -> usize {
        self.old.nonces.len() + self.old.storage.len()
    }

    /// Whether the block changed nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The overwritten values as state-tree leaves `(key, value before the block)`.
    pub fn leaves(&self) -> impl Iterator<Item = (B256, B256)> + '_ {
        self.old
            .storage
            .iter()
            .map(|(slot, value)| (B256::from(*slot), B256::from(*value)))
            .chain(self.old.nonces.iter().map(|(account, nonce)| (keys::nonce(account), U256::from(*nonce).into())))
    }

    /// The keys the block changed as state-tree leaves with their values in `state`.
    fn leaves_in<'a>(&'a self, state: &'a StateAt) -> impl Iterator<Item = (B256, B256)> + 'a {
        let storage = self.old.storage.keys().map(|slot| (B256::from(*slot), B256::from(state.storage(slot))));
        let nonces =
            self.old.nonces.keys().map(|account| (keys::nonce(account), U256::from(state.nonce(account)).into()));
        storage.chain(nonces)
    }
}

/// Values of the state after an older block, by state-tree key, fetched from a stored history
/// (the node's archive, docs/api.md §3.0f), and the keys a read wanted that were not among
/// them. A read over [`StateAt::archived`] answers a missing key with the newest state's value
/// and notes it; the reader fetches what was missed and reads again, until nothing is.
#[derive(Debug, Default)]
pub struct Fetched {
    values: std::sync::RwLock<HashMap<B256, B256>>,
    /// Keys no block after this one changed: their values are the newest state's.
    newest: std::sync::RwLock<alloy_primitives::map::HashSet<B256>>,
    misses: std::sync::Mutex<Vec<B256>>,
}

impl Fetched {
    /// Sets `key`'s value at the block.
    pub fn insert(&self, key: B256, value: B256) {
        self.values.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key, value);
    }

    /// Notes that no block after this one changed `key` (it reads as in the newest state).
    pub fn keep_newest(&self, key: B256) {
        self.newest.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key);
    }

    /// The keys read and not fetched since the last call, each once.
    pub fn take_misses(&self) -> Vec<B256> {
        let mut misses = std::mem::take(&mut *self.misses.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        misses.sort_unstable();
        misses.dedup();
        misses
    }

    /// Keys fetched.
    pub fn len(&self) -> usize {
        self.values.read().unwrap_or_else(std::sync::PoisonError::into_inner).len()
            + self.newest.read().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, key: B256) -> Option<B256> {
        let value = self.values.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key).copied();
        if value.is_none() && !self.newest.read().unwrap_or_else(std::sync::PoisonError::into_inner).contains(&key) {
            self.misses.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(key);
        }
        value
    }
}

/// The state after an older block: a newer state seen through what the blocks since it
/// overwrote, or through values fetched from a stored history. A revm database for read-only
/// calls, like [`State`].
#[derive(Clone, Debug)]
pub struct StateAt {
    newest: Arc<State>,
    /// What the blocks after the one this state is at overwrote, oldest first.
    since: Vec<Arc<Overwritten>>,
    /// For a block older than the kept records: its values fetched so far.
    fetched: Option<Arc<Fetched>>,
}

impl StateAt {
    /// The state `newest` was at before the blocks that overwrote `since` (oldest first);
    /// with none, `newest` itself.
    pub fn new(newest: Arc<State>, since: Vec<Arc<Overwritten>>) -> Self {
        Self { newest, since, fetched: None }
    }

    /// The state after an older block from the values `fetched` holds of it; a key it does not
    /// hold reads as in `newest` and is noted as missed ([`Fetched`]).
    pub fn archived(newest: Arc<State>, fetched: Arc<Fetched>) -> Self {
        Self { newest, since: Vec::new(), fetched: Some(fetched) }
    }

    /// The nonce of `account`.
    pub fn nonce(&self, account: &Address) -> u64 {
        if let Some(value) = self.fetched.as_ref().and_then(|f| f.get(keys::nonce(account))) {
            return U256::from_be_bytes(value.0).saturating_to();
        }
        self.since.iter().find_map(|o| o.nonce(account)).unwrap_or_else(|| self.newest.nonce(account))
    }

    /// A storage slot of the system contract (equivalently, a state-tree key).
    pub fn storage(&self, slot: &U256) -> U256 {
        if let Some(value) = self.fetched.as_ref().and_then(|f| f.get(B256::from(*slot))) {
            return U256::from_be_bytes(value.0);
        }
        self.since.iter().find_map(|o| o.storage(slot)).unwrap_or_else(|| self.newest.storage(slot))
    }

    /// The ether `owner` holds at this block ([`State::ether_balance`]).
    pub fn ether_balance(&self, owner: &Address) -> U256 {
        self.storage(&rollup_types::keys::ether_balance(owner).into())
    }

    /// The fee state at this block (docs/fees.md §6).
    pub fn fee_state(&self) -> rollup_types::fees::FeeState {
        rollup_types::fees::FeeState::from_word(self.storage(&rollup_types::keys::fee_state().into()))
    }

    /// The cap on the next block's L1 price at this block (docs/fees.md §4).
    pub fn l1_price_cap(&self) -> u64 {
        rollup_types::fees::l1_price_cap(self.storage(&rollup_types::keys::l1_fees().into()))
    }

    /// The code at `address` as read-only calls see it (`eth_getCode`).
    pub fn code_at(&self, address: &Address) -> Option<Bytes> {
        code_in(self, address)
    }

    /// The state tree of this state, built from all its leaves (on the current rayon pool).
    pub fn tree(&self) -> SparseMerkleTree {
        let mut tree = SparseMerkleTree::new();
        // Sixteen ranges of shards, as a restored snapshot is hashed.
        tree.update_chunks(vec![self.newest.leaves()], 4);
        self.update_tree(&mut tree, &self.since);
        tree
    }

    /// Brings `tree` to this state from the state of another kept block, where `between` are
    /// the records of the blocks from the older of the two (excluded) to the newer: every key
    /// they changed is set to its value here. Returns the new root.
    pub fn update_tree(&self, tree: &mut SparseMerkleTree, between: &[Arc<Overwritten>]) -> B256 {
        let leaves: Vec<(B256, B256)> = between.iter().flat_map(|o| o.leaves_in(self)).collect();
        if leaves.is_empty() {
            return tree.root();
        }
        tree.update_chunks(vec![leaves], 4);
        tree.root()
    }
}

impl Reads for StateAt {
    fn base(&self) -> &State {
        &self.newest
    }

    fn nonce_of(&self, account: &Address) -> u64 {
        self.nonce(account)
    }

    fn slot(&self, slot: &U256) -> U256 {
        self.storage(slot)
    }
}

impl DatabaseRef for StateAt {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(account_in(self, &address))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(self.newest.code_by_hash(code_hash, true))
    }

    fn storage_ref(&self, address: Address, index: StorageKey) -> Result<StorageValue, Self::Error> {
        Ok(if address == SYSTEM_CONTRACT { self.storage(&index) } else { U256::ZERO })
    }

    fn block_hash_ref(&self, _number: u64) -> Result<B256, Self::Error> {
        // As for the committed state: the system contract never reads block hashes.
        Ok(B256::ZERO)
    }
}
